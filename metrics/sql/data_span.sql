-- data_span.sql — earliest and latest timestamp (naive UTC) in the timestamped tables, so the week
-- assignment parameters (metrics.weeks.tz_params) cover every row. Parameters: $ids VARCHAR[].
SELECT min(lo), max(hi) FROM (
    SELECT min(ts) AS lo, max(ts) AS hi FROM usage_events WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
    UNION ALL
    SELECT min(ts), max(ts) FROM feedback WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
)
