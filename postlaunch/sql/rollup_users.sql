-- rollup_users.sql — exact distinct users per deployment and local ISO week (not additive, so recounted
-- from the stored events of the weeks an ingest touched). Grain: deployment × week.
-- Parameters: $ids VARCHAR[] deployments; $wks BIGINT[] week indexes; $lo, $hi TIMESTAMP (UTC bounds
-- that hold those weeks); $off_min, $max_delta, $bound_wk, $bound_delta (postlaunch.weeks.tz_params).
WITH ev AS (
    SELECT deployment, user_id, epoch_us(ts) // 1000000 + $off_min + 259200 AS s
    FROM usage_events
    WHERE deployment IN (SELECT unnest($ids::VARCHAR[])) AND ts >= $lo AND ts < $hi
),
w AS (
    SELECT deployment, user_id, WEEK_INDEX AS wk FROM ev
)
SELECT deployment, wk, count(DISTINCT user_id)::BIGINT AS active_users
FROM w
WHERE list_contains($wks::BIGINT[], wk)
GROUP BY ALL
