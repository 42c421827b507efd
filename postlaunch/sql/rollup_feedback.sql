-- rollup_feedback.sql — additive weekly aggregates of feedback rows, the rows of `feedback_rollup`, from
-- the relation {source}. Grain: deployment × local ISO week (readers sum partial rows per key).
-- acceptance: rows with accepted set; rework: rows with rework_minutes set; rating: rows with a rating;
-- negative: rows with a rating or thumbs, of which pl_negative_feedback (postlaunch.rules).
-- The measures are postlaunch.measures.FEEDBACK (the Spark rollup aggregates with the same text).
-- Parameters: $off_min, $max_delta, $bound_wk, $bound_delta (postlaunch.weeks.tz_params).
WITH ev AS (
    SELECT *, epoch_us(ts) // 1000000 + $off_min + 259200 AS s FROM {source}
),
w AS (
    SELECT *, WEEK_INDEX AS wk FROM ev
)
SELECT deployment, wk,
       {measures}
FROM w
GROUP BY deployment, wk
