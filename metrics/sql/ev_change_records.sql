-- ev_change_records.sql — change records for the Evidence page and the trend charts' markers, oldest
-- first. Grain: one change record. Parameters: $dep VARCHAR (NULL: every deployment), $start, $end
-- TIMESTAMP (UTC; NULL: unbounded), ts in [start, end).
SELECT ts, deployment, kind, summary, changed_by, approved_by, source, run_id, line
FROM changes
WHERE ($dep IS NULL OR deployment = $dep)
  AND ($start IS NULL OR ts >= $start::TIMESTAMP)
  AND ($end IS NULL OR ts < $end::TIMESTAMP)
ORDER BY ts, deployment, kind, summary
