-- rollup_usage_weeks.sql — the week indexes that have usage events, per deployment, from the rollup.
-- Parameters: $ids VARCHAR[].
SELECT deployment, wk
FROM usage_rollup
WHERE grain = 'week' AND deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment, wk
HAVING sum(events) > 0
ORDER BY deployment, wk
