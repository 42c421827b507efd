-- pg_incidents.sql — incidents (current version) opened in [start, end) or still open at start, newest
-- first. Grain: one incident. Parameters: $dep VARCHAR, $start, $end TIMESTAMP (UTC).
SELECT incident_id, opened_at, severity, category, status, serious, serious_kind, resolved_at,
       aware_at, reported_at, title, description
FROM incidents
WHERE deployment = $dep AND opened_at < $end
  AND (opened_at >= $start OR resolved_at IS NULL OR resolved_at >= $start)
ORDER BY opened_at DESC, incident_id
