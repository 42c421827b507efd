-- ev_quarantined_rows.sql — quarantined rows with their reasons, newest run first, in file order.
-- Grain: one quarantined source row. Parameters: $run, $kind VARCHAR (NULL: all), $limit BIGINT.
SELECT q.quarantined_at, q.kind, q.file, q.line, q.reason, q.raw, q.run_id
FROM quarantine q
WHERE ($run IS NULL OR q.run_id = $run) AND ($kind IS NULL OR q.kind = $kind)
ORDER BY q.quarantined_at DESC, q.file, q.line
LIMIT $limit
