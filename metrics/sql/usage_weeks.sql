-- usage_weeks.sql — the week indexes that have usage events, per deployment (a light pass over
-- usage_events: ts, deployment and requests only). Parameters: $ids VARCHAR[]; $off_min, $max_delta,
-- $bound_wk, $bound_delta (see usage_weekly.sql).
WITH shifted AS (
    SELECT deployment, requests, epoch_us(ts) // 1000000 + $off_min + 259200 AS s
    FROM usage_events
    WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
)
SELECT deployment,
       WEEK_INDEX AS wk
FROM shifted
GROUP BY ALL
HAVING sum(requests) > 0
ORDER BY deployment, wk
