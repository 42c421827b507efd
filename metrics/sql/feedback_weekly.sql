-- feedback_weekly.sql — feedback rows per deployment and week index (one row each).
-- acceptance: rows with accepted set; rework: rows with rework_minutes set; rating: rows with a rating;
-- negative: rows with a rating or thumbs, of which pl_negative_feedback (postlaunch.rules).
-- Parameters: $ids VARCHAR[]; $off_min, $max_delta, $bound_wk, $bound_delta (see usage_weekly.sql).
WITH shifted AS (
    SELECT f.*, epoch_us(f.ts) // 1000000 + $off_min + 259200 AS s
    FROM feedback f
    WHERE f.deployment IN (SELECT unnest($ids::VARCHAR[]))
),
fb AS (
    SELECT *,
           WEEK_INDEX AS wk
    FROM shifted
)
SELECT deployment, wk,
       count(*) AS feedback_count,
       count(accepted) AS accepted_n,
       count(*) FILTER (accepted) AS accepted_yes,
       count(rework_minutes) AS rework_n,
       count(*) FILTER (rework_minutes > 0) AS rework_yes,
       count(rating) AS rating_n,
       coalesce(sum(rating), 0)::DOUBLE AS rating_sum,
       coalesce(sum(rating::DOUBLE * rating), 0)::DOUBLE AS rating_sumsq,
       count(*) FILTER (rating IS NOT NULL OR thumbs IS NOT NULL) AS negative_n,
       count(*) FILTER (pl_negative_feedback(rating, thumbs)) AS negative_yes
FROM fb
GROUP BY deployment, wk
ORDER BY deployment, wk
