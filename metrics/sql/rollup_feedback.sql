-- rollup_feedback.sql — feedback aggregates per deployment and week, read from the weekly rollup
-- (postlaunch/sql/rollup_feedback.sql writes it). Grain: deployment × week. Parameters: $ids VARCHAR[].
SELECT deployment, wk,
       sum(feedback_count) AS feedback_count, sum(accepted_n) AS accepted_n, sum(accepted_yes) AS accepted_yes,
       sum(rework_n) AS rework_n, sum(rework_yes) AS rework_yes, sum(rating_n) AS rating_n,
       sum(rating_sum) AS rating_sum, sum(rating_sumsq) AS rating_sumsq, sum(negative_n) AS negative_n,
       sum(negative_yes) AS negative_yes
FROM feedback_rollup
WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment, wk
ORDER BY deployment, wk
