-- rollup_user_weeks.sql — the distinct (deployment, user_id, local week index) of the usage rows in the
-- relation {source}: what rollup_users.sql adds to the loaded events for rows about to be appended.
-- Grain: deployment × user × week. Parameters: $off_min, $max_delta, $bound_wk, $bound_delta.
WITH ev AS (
    SELECT deployment, user_id, epoch_us(ts) // 1000000 + $off_min + 259200 AS s FROM {source}
)
SELECT DISTINCT deployment, user_id, WEEK_INDEX AS wk FROM ev
