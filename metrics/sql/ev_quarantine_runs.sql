-- ev_quarantine_runs.sql — the ingest runs whose id is $run or starts with it (for `--run` given as a
-- prefix). Grain: one run. Parameters: $run VARCHAR.
SELECT run_id, file, kind, rows, quarantined, started_at
FROM ingest_runs
WHERE starts_with(run_id, $run)
ORDER BY started_at
