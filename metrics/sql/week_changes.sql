-- week_changes.sql — change records of one deployment within a week's UTC bounds, oldest first.
-- Parameters: $deployment VARCHAR, $start, $end TIMESTAMP.
SELECT ts, kind, summary, changed_by, approved_by, source
FROM changes
WHERE deployment = $deployment AND ts >= $start AND ts < $end
ORDER BY ts, kind, summary
