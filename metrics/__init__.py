"""Numbers out: metric declarations, weekly aggregation in DuckDB, thresholds, statuses, alerts,
recommendations and the review. This package only reads the database; it never writes.
"""
