"""Reports written from an assessed period: CSV files, manifest, workbooks, statements."""
