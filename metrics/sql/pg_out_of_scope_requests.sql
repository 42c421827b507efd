-- pg_out_of_scope_requests.sql — requests outside the approved use (pl_out_of_scope of the label, else
-- the placement), one row per distinct (use case, source, text), counted in requests, most first.
-- Parameters: $dep VARCHAR, $approved VARCHAR[], $start, $end TIMESTAMP (UTC), $limit BIGINT.
WITH scoped AS (
    SELECT coalesce(use_case, inferred_use_case) AS use_case,
           CASE WHEN use_case IS NOT NULL THEN 'labelled' ELSE 'inferred' END AS source,
           coalesce(request_text, CASE WHEN has_text THEN '(text dropped at ingest)'
                                       ELSE '(no request text recorded)' END) AS request_text,
           team, requests, ts
    FROM usage_loaded
    WHERE deployment = $dep AND ts >= $start AND ts < $end
)
SELECT use_case, source, request_text, sum(requests)::BIGINT AS requests,
       count(DISTINCT team) AS teams, max(ts) AS last_seen
FROM scoped
WHERE pl_out_of_scope(use_case, $approved::VARCHAR[])
GROUP BY ALL
ORDER BY requests DESC, use_case, request_text
LIMIT $limit
