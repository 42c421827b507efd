-- ev_quarantined_rows.sql — quarantined rows with their field and reason, in the order they were first
-- quarantined, in file order. Grain: one quarantined source row (a row that several ingests met is
-- stored once; `seen_in_runs` lists them). Parameters: $run (a run that met the row), $kind, $file (the
-- path as recorded, its file name, or a glob), $reason (text the reason contains, any case) — each
-- VARCHAR, NULL for all — and $limit BIGINT (NULL: every row).
SELECT q.quarantined_at, q.kind, q.file, q.line, q.field, regexp_replace(q.reason, '^line [0-9]+: ', '') AS reason,
       q.raw, q.run_id, coalesce(q.seen_in_runs, [q.run_id]) AS seen_in_runs
FROM quarantine q
WHERE ($run IS NULL OR list_contains(coalesce(q.seen_in_runs, [q.run_id]), $run))
  AND ($kind IS NULL OR q.kind = $kind)
  AND ($file IS NULL OR q.file = $file OR regexp_extract(q.file, '[^/\\]+$') = $file OR q.file GLOB $file)
  AND ($reason IS NULL OR contains(lower(q.reason), lower($reason)))
QUALIFY row_number() OVER (PARTITION BY coalesce(q.source_key, md5_number(q.run_id || q.line)) ORDER BY q.quarantined_at) = 1
ORDER BY q.quarantined_at, q.file, q.line
LIMIT $limit
