-- feed_spans.sql — per deployment and kind of record, the first and last local week with a record, for
-- the weeks a deployment's review covers and the "no … data loaded" words. Usage and feedback come from
-- the weekly rollup (week indexes already local); cost records by the local calendar days they start
-- on; incidents by opened_at (UTC instants, turned into local weeks in Python). Grain: deployment × kind.
-- Parameters: $ids VARCHAR[].
SELECT deployment, 'usage' AS kind, min(wk) AS first_wk, max(wk) AS last_wk, NULL::TIMESTAMP AS first_ts,
       NULL::TIMESTAMP AS last_ts
FROM usage_rollup
WHERE grain = 'week' AND events > 0 AND deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment
UNION ALL
SELECT deployment, 'feedback', min(wk), max(wk), NULL, NULL
FROM feedback_rollup
WHERE feedback_count > 0 AND deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment
UNION ALL
SELECT deployment, 'cost', (date_diff('day', DATE '1970-01-01', min(period_start)) + 3) // 7,
       (date_diff('day', DATE '1970-01-01', max(period_start)) + 3) // 7, NULL, NULL
FROM cost_records
WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment
UNION ALL
SELECT deployment, 'incidents', NULL, NULL, min(opened_at), max(opened_at)
FROM incidents
WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment
