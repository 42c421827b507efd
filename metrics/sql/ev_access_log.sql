-- ev_access_log.sql — the access log (DESIGN §17), newest first, filtered. Runs on the access log's own
-- file. Grain: one row per recorded access. Parameters: $start, $end TIMESTAMP (UTC; NULL = open),
-- $person VARCHAR (a part of the identity or e-mail, case-insensitive; NULL = anyone), $action VARCHAR,
-- $deployments VARCHAR[] (NULL = every deployment and none), $limit BIGINT.
SELECT ts, identity, email, via, action, deployment, detail
FROM access_log
WHERE ($start IS NULL OR ts >= $start)
  AND ($end IS NULL OR ts < $end)
  AND ($person IS NULL OR identity ILIKE '%' || $person || '%' OR email ILIKE '%' || $person || '%')
  AND ($action IS NULL OR action = $action)
  AND ($deployments IS NULL OR list_contains($deployments, deployment))
ORDER BY ts DESC
LIMIT $limit
