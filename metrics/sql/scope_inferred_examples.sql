-- scope_inferred_examples.sql — distinct request texts of one deployment's unlabeled events placed by
-- the scope model in a time range, with their placement and similarity score, counted in requests.
-- Order: nearest the score $around first when it is given (the borderline placements around the
-- threshold), else the most frequent first. Parameters: $deployment VARCHAR, $lo, $hi TIMESTAMP (UTC),
-- $use_case VARCHAR (NULL = every placement), $around DOUBLE (or NULL), $limit BIGINT.
SELECT request_text, inferred_use_case, inferred_score,
       sum(requests)::BIGINT AS events, max(ts) AS last_seen
FROM usage_loaded
WHERE deployment = $deployment AND ts >= $lo AND ts < $hi
  AND use_case IS NULL AND inferred_use_case IS NOT NULL AND request_text IS NOT NULL
  AND ($use_case::VARCHAR IS NULL OR inferred_use_case = $use_case::VARCHAR)
GROUP BY request_text, inferred_use_case, inferred_score
ORDER BY CASE WHEN $around::DOUBLE IS NULL THEN 0 ELSE abs(inferred_score - $around::DOUBLE) END,
         events DESC, inferred_score DESC, request_text
LIMIT $limit
