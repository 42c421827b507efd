-- out_of_scope_examples.sql — one deployment-week's events whose use case (label, else inferred
-- placement) is set and not approved, per use case and source, with up to 5 distinct (already
-- redacted) request texts, earliest first. Parameters: $deployment VARCHAR, $start, $end TIMESTAMP
-- (UTC bounds of the week), $approved VARCHAR[].
WITH ev AS (
    SELECT coalesce(use_case, inferred_use_case) AS uc,
           CASE WHEN use_case IS NOT NULL THEN 'labelled' ELSE 'inferred' END AS source,
           request_text, requests, ts
    FROM usage_events
    WHERE deployment = $deployment AND ts >= $start AND ts < $end
),
outside AS (
    SELECT * FROM ev WHERE pl_out_of_scope(uc, $approved::VARCHAR[])
),
counts AS (
    SELECT uc, source, sum(requests) AS events FROM outside GROUP BY ALL
),
distinct_texts AS (
    SELECT uc, source, request_text, min(ts) AS first_ts
    FROM outside WHERE request_text IS NOT NULL AND request_text <> ''
    GROUP BY uc, source, request_text
),
texts AS (
    SELECT * FROM distinct_texts
    QUALIFY row_number() OVER (PARTITION BY uc, source ORDER BY first_ts, request_text) <= 5
),
examples AS (
    SELECT uc, source, list(request_text ORDER BY first_ts, request_text) AS examples FROM texts GROUP BY ALL
)
SELECT c.uc AS use_case, c.source, c.events, coalesce(e.examples, []::VARCHAR[]) AS examples
FROM counts c LEFT JOIN examples e ON e.uc = c.uc AND e.source = c.source
ORDER BY c.events DESC, c.uc, c.source
