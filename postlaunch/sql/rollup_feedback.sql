-- rollup_feedback.sql — additive weekly aggregates of feedback rows, the rows of `feedback_rollup`, from
-- the relation {source}. Grain: deployment × local ISO week (readers sum partial rows per key).
-- acceptance: rows with accepted set; rework: rows with rework_minutes set; rating: rows with a rating;
-- negative: rows with a rating or thumbs, of which pl_negative_feedback (postlaunch.rules).
-- Parameters: $off_min, $max_delta, $bound_wk, $bound_delta (postlaunch.weeks.tz_params).
WITH ev AS (
    SELECT *, epoch_us(ts) // 1000000 + $off_min + 259200 AS s FROM {source}
),
w AS (
    SELECT *, WEEK_INDEX AS wk FROM ev
)
SELECT deployment, wk,
       count(*)::BIGINT AS feedback_count,
       count(accepted)::BIGINT AS accepted_n,
       count(*) FILTER (accepted)::BIGINT AS accepted_yes,
       count(rework_minutes)::BIGINT AS rework_n,
       count(*) FILTER (rework_minutes > 0)::BIGINT AS rework_yes,
       count(rating)::BIGINT AS rating_n,
       coalesce(sum(rating), 0)::DOUBLE AS rating_sum,
       coalesce(sum(rating::DOUBLE * rating), 0)::DOUBLE AS rating_sumsq,
       count(*) FILTER (rating IS NOT NULL OR thumbs IS NOT NULL)::BIGINT AS negative_n,
       count(*) FILTER (pl_negative_feedback(rating, thumbs))::BIGINT AS negative_yes
FROM w
GROUP BY deployment, wk
