-- out_of_scope_examples.sql — one deployment-week's events whose use case (label, else inferred
-- placement) is set and not approved, per use case and source: the count from the weekly rollup's scope
-- grain, and up to 5 distinct (already redacted) request texts, earliest first, from the loaded events
-- or, for a rollup computed where the events live (Spark), from the examples it brought back
-- (scope_examples). Parameters: $deployment VARCHAR, $wk BIGINT (local week index), $start, $end
-- TIMESTAMP (UTC bounds of that week), $approved VARCHAR[].
WITH counts AS (
    SELECT coalesce(use_case, inferred_use_case) AS uc,
           CASE WHEN use_case IS NOT NULL THEN 'labelled' ELSE 'inferred' END AS source,
           sum(events) AS events
    FROM usage_rollup
    WHERE deployment = $deployment AND wk = $wk AND grain = 'scope'
      AND pl_out_of_scope(coalesce(use_case, inferred_use_case), $approved::VARCHAR[])
    GROUP BY ALL
),
loaded AS (
    SELECT coalesce(use_case, inferred_use_case) AS uc,
           CASE WHEN use_case IS NOT NULL THEN 'labelled' ELSE 'inferred' END AS source,
           request_text, min(ts) AS first_ts
    FROM usage_loaded
    WHERE deployment = $deployment AND ts >= $start AND ts < $end
      AND request_text IS NOT NULL AND request_text <> ''
      AND pl_out_of_scope(coalesce(use_case, inferred_use_case), $approved::VARCHAR[])
    GROUP BY ALL
),
distinct_texts AS (
    SELECT * FROM loaded
    UNION ALL
    SELECT use_case AS uc, source, request_text, first_ts
    FROM scope_examples
    WHERE deployment = $deployment AND wk = $wk AND pl_out_of_scope(use_case, $approved::VARCHAR[])
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
