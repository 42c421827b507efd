"""postlaunch core: settings, the deployment registry, the DuckDB schema and the command line.

The packages beside it split the work: `ingest` writes, `metrics` only reads, `dashboard` presents.
"""

__version__ = "0.1.0"
