-- open_incidents.sql — incidents of one deployment as they stood at a week's end: open then
-- (opened before the end, resolved_at NULL or >= the end) or serious and not reported by then.
-- A serious incident's deadline: aware_at (else opened_at) + the clock of its serious_kind.
-- Parameters: $deployment VARCHAR, $end TIMESTAMP (UTC), $deadline_days INTEGER (the general clock).
SELECT incident_id, severity, category, status, title, opened_at, serious, aware_at, reported_at,
       resolved_at, serious_kind,
       CASE WHEN serious THEN pl_reporting_days(serious_kind, $deadline_days) END AS deadline_days,
       CASE WHEN serious
            THEN coalesce(aware_at, opened_at) + to_days(pl_reporting_days(serious_kind, $deadline_days))
       END AS deadline,
       (resolved_at IS NULL OR resolved_at >= $end) AS open_then
FROM incidents
WHERE deployment = $deployment
  AND opened_at < $end
  AND ((resolved_at IS NULL OR resolved_at >= $end)
       OR (serious AND (reported_at IS NULL OR reported_at >= $end)))
ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         opened_at, incident_id
