"""Data in: read the organization's files, validate every row once at the border, quarantine what is
wrong with a reason a person understands, and load the rest into DuckDB atomically per file.
This package is the only writer of the contract tables; it never imports metrics or dashboard.
"""
