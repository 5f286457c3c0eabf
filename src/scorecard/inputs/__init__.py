"""Inputs: find, read, parse and validate one period's input tables.

In data-flow order:

- ``schema``   the tables, columns, kinds and keys of docs/inputs.md (the contract)
- ``settings`` what loading needs from the configuration and the ledger
- ``files``    find ``<table>.csv|.parquet|.xlsx``, check the format, detect the encoding, read raw
- ``columns``  match headers to canonical columns (``[columns.<table>]``)
- ``parse``    type each column by kind (``temporal`` for dates and date-times)
- ``validate`` keys, references, completeness, time order across tables
- ``scope``    rows left out with a warning (terminated partners, outside the period, C-mode surveys)
- ``problems`` error rows to capped Issues
- ``load``     ``load_period``, wiring the above
"""
