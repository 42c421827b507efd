-- ev_ingest_runs.sql — ingest runs, newest first. Grain: one run (one file, or one kind an adapter
-- wrote from a file). Parameters: $kind VARCHAR (NULL: every kind), $limit BIGINT.
SELECT run_id, started_at, finished_at, file, kind, adapter, format, rows, loaded, duplicates,
       quarantined, status, message, extra_columns, sha256, who, host
FROM ingest_runs
WHERE ($kind IS NULL OR kind = $kind)
ORDER BY started_at DESC, file
LIMIT $limit
