"""The columnar assessment engine: rules, score and settlement over whole columns of integers."""
