"""The weekly rollup computed with Apache Spark where the logs live (DESIGN §18): the same validation,
duplicates, redaction, placement and measures as ingest, and only the aggregates (plus a few redacted
examples and the quarantine counts) come back into the DuckDB file. Needs the extra postlaunch[spark]
and a Java runtime; nothing here is imported unless `postlaunch rollup --engine spark` runs.
"""
