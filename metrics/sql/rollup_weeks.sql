-- rollup_weeks.sql — per deployment and local ISO week, the usage totals the metrics rest on, read from
-- the weekly rollup (postlaunch/sql/rollup_usage.sql) with the registry's rules applied here: teams
-- outside approved_teams, data classes ranked above max_data_class (pl_data_class_rank). Grain:
-- deployment × week. Parameters: $ids VARCHAR[], $teams VARCHAR[][], $max_class VARCHAR[] (one entry
-- per deployment read).
WITH reg AS (
    SELECT unnest($ids::VARCHAR[]) AS deployment,
           unnest($teams::VARCHAR[][]) AS teams,
           pl_data_class_rank(unnest($max_class::VARCHAR[])) AS max_rank
),
r AS (
    SELECT u.*, g.teams, g.max_rank FROM usage_rollup u JOIN reg g USING (deployment)
),
totals AS (
    SELECT deployment, wk, sum(events) AS events, sum(errors) AS errors, sum(escalations) AS escalations,
           sum(text_events) AS text_n, sum(pii_events) AS pii_n, sum(cost) AS usage_cost,
           sum(cost_rows) AS cost_rows, sum(untrained_events) AS untrained_n
    FROM r WHERE grain = 'week'
    GROUP BY deployment, wk
),
teams AS (
    SELECT deployment, wk,
           sum(events) FILTER (team IS NOT NULL) AS team_n,
           sum(events) FILTER (team IS NOT NULL AND NOT list_contains(teams, team)) AS team_bad
    FROM r WHERE grain = 'team'
    GROUP BY deployment, wk
),
classes AS (
    SELECT deployment, wk,
           sum(events) FILTER (data_class IS NOT NULL) AS dc_n,
           sum(events) FILTER (pl_data_class_rank(data_class) > max_rank) AS dc_bad
    FROM r WHERE grain = 'data_class'
    GROUP BY deployment, wk
),
users AS (
    SELECT deployment, wk, sum(active_users) AS active_users
    FROM usage_week_users WHERE deployment IN (SELECT deployment FROM reg)
    GROUP BY deployment, wk
)
SELECT t.deployment, t.wk, t.events, t.errors, t.escalations, t.text_n, t.pii_n, t.usage_cost, t.cost_rows,
       coalesce(t.untrained_n, 0) AS untrained_n,
       coalesce(tm.team_n, 0) AS team_n, coalesce(tm.team_bad, 0) AS team_bad,
       coalesce(c.dc_n, 0) AS dc_n, coalesce(c.dc_bad, 0) AS dc_bad,
       coalesce(u.active_users, 0) AS active_users
FROM totals t
LEFT JOIN teams tm USING (deployment, wk)
LEFT JOIN classes c USING (deployment, wk)
LEFT JOIN users u USING (deployment, wk)
ORDER BY t.deployment, t.wk
