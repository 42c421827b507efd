-- incidents_weekly.sql — incident counts per deployment and week, as they stood at each week's end.
-- One row per (deployment, week) in the weeks given; the incidents table holds each incident's
-- current version. "Resolved/reported by then" means resolved_at/reported_at < the week's end, so an
-- incident resolved exactly at the end boundary is still open in that week. A serious incident's
-- deadline is aware_at (else opened_at) + the clock of its serious_kind (pl_reporting_days); it is due
-- soon when not reported by the week's end and the deadline falls in [end, end + $due_soon_days).
-- Parameters: $ids VARCHAR[]; $wks BIGINT[], $starts TIMESTAMP[], $ends TIMESTAMP[] (week index and
-- its UTC bounds); $deadline_days INTEGER (the general clock); $due_soon_days INTEGER.
WITH weeks AS (
    SELECT unnest($wks::BIGINT[]) AS wk, unnest($starts::TIMESTAMP[]) AS w_start,
           unnest($ends::TIMESTAMP[]) AS w_end
),
inc AS (
    SELECT *, coalesce(aware_at, opened_at) + to_days(pl_reporting_days(serious_kind, $deadline_days)) AS deadline
    FROM incidents
    WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
),
grid AS (
    SELECT d.deployment, w.wk, w.w_start, w.w_end
    FROM (SELECT unnest($ids::VARCHAR[]) AS deployment) d CROSS JOIN weeks w
)
SELECT g.deployment, g.wk,
       count(i.incident_id) FILTER (i.opened_at >= g.w_start AND i.opened_at < g.w_end) AS incidents_opened,
       count(i.incident_id) FILTER (i.opened_at < g.w_end AND (i.resolved_at IS NULL OR i.resolved_at >= g.w_end))
           AS open_incidents,
       count(i.incident_id) FILTER (i.opened_at < g.w_end AND (i.resolved_at IS NULL OR i.resolved_at >= g.w_end)
                                    AND i.severity IN ('high', 'critical')) AS open_high_severity_incidents,
       count(i.incident_id) FILTER (i.serious AND i.opened_at < g.w_end AND i.deadline < g.w_end
                                    AND (i.reported_at IS NULL OR i.reported_at >= g.w_end))
           AS overdue_serious_incidents,
       count(i.incident_id) FILTER (i.serious AND i.opened_at < g.w_end AND i.deadline >= g.w_end
                                    AND i.deadline < g.w_end + to_days($due_soon_days)
                                    AND (i.reported_at IS NULL OR i.reported_at >= g.w_end))
           AS serious_incidents_due_soon,
       count(i.incident_id) FILTER (i.resolved_at >= g.w_start AND i.resolved_at < g.w_end) AS resolved_n,
       sum(epoch(i.resolved_at - i.opened_at) / 86400.0)
           FILTER (i.resolved_at >= g.w_start AND i.resolved_at < g.w_end) AS resolve_days_sum
FROM grid g
LEFT JOIN inc i ON i.deployment = g.deployment
GROUP BY g.deployment, g.wk
ORDER BY g.deployment, g.wk
