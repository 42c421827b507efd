-- usage_weekly.sql — the one pass over usage_events behind every usage metric.
-- Grain of the result: deployment × week index × effective use case × labelled (a small frame).
--   uc       = use_case label if set, else inferred_use_case (NULL = neither: unlabeled)
--   labelled = the row carried a use_case label; out_of_scope = pl_out_of_scope(uc, approved)
-- Every count is a sum of `requests` (a row may stand for several requests); active_users is the
-- distinct user_id count of the deployment-week, repeated on each of its rows.
-- Week index: the expression of metrics/sql/week_index.sql, spliced in by metrics.queries.sql_text.
-- Parameters:
--   $ids VARCHAR[], $teams VARCHAR[][], $approved VARCHAR[][], $max_class VARCHAR[]  the registry, one
--   entry per deployment read (out of scope and data-class rank: the macros of postlaunch.rules)
--   $off_min, $max_delta BIGINT; $bound_wk, $bound_delta BIGINT[]  week assignment (weeks.tz_params)
WITH reg AS (
    SELECT unnest($ids::VARCHAR[]) AS deployment,
           unnest($teams::VARCHAR[][]) AS teams,
           unnest($approved::VARCHAR[][]) AS approved,
           pl_data_class_rank(unnest($max_class::VARCHAR[])) AS max_rank
),
shifted AS (
    SELECT e.deployment, e.user_id, e.requests, e.outcome, e.team, e.data_class, e.has_text,
           e.pii_count, e.cost, r.teams, r.approved, r.max_rank,
           coalesce(e.use_case, e.inferred_use_case) AS uc,
           e.use_case IS NOT NULL AS labelled,
           epoch_us(e.ts) // 1000000 + $off_min + 259200 AS s
    FROM usage_events e
    JOIN reg r ON r.deployment = e.deployment
),
ev AS (
    SELECT *,
           WEEK_INDEX AS wk
    FROM shifted
),
mix AS (
    SELECT deployment, wk, uc, labelled,
           bool_or(pl_out_of_scope(uc, approved)) AS out_of_scope,
           sum(requests) AS events,
           sum(requests) FILTER (outcome = 'error') AS errors,
           sum(requests) FILTER (outcome IN ('refused', 'escalated')) AS escalations,
           sum(requests) FILTER (team IS NOT NULL) AS team_n,
           sum(requests) FILTER (team IS NOT NULL AND NOT list_contains(teams, team)) AS team_bad,
           sum(requests) FILTER (data_class IS NOT NULL) AS dc_n,
           sum(requests) FILTER (pl_data_class_rank(data_class) > max_rank) AS dc_bad,
           sum(requests) FILTER (has_text) AS text_n,
           sum(requests) FILTER (has_text AND pii_count > 0) AS pii_n,
           sum(cost) AS usage_cost,
           count(cost) AS cost_rows
    FROM ev
    GROUP BY deployment, wk, uc, labelled
),
users AS (
    SELECT deployment, wk, count(DISTINCT user_id) AS active_users
    FROM ev
    GROUP BY deployment, wk
)
SELECT m.deployment, m.wk, m.uc, m.labelled, m.out_of_scope, m.events,
       coalesce(m.errors, 0) AS errors, coalesce(m.escalations, 0) AS escalations,
       coalesce(m.team_n, 0) AS team_n, coalesce(m.team_bad, 0) AS team_bad,
       coalesce(m.dc_n, 0) AS dc_n, coalesce(m.dc_bad, 0) AS dc_bad,
       coalesce(m.text_n, 0) AS text_n, coalesce(m.pii_n, 0) AS pii_n,
       m.usage_cost, m.cost_rows, u.active_users
FROM mix m
JOIN users u ON u.deployment = m.deployment AND u.wk = m.wk
ORDER BY m.deployment, m.wk, m.uc NULLS FIRST, m.labelled
