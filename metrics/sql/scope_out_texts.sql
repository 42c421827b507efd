-- scope_out_texts.sql — request texts of one deployment's events outside the approved use in a time
-- range, for clustering on the Scope page: unlabeled events the scope model placed out of scope (their
-- text as stored, already redacted) and labelled events whose use_case is not approved (the text with
-- its label in front, `[label] text`). One entry per event row (so a cluster's count is in events);
-- a deterministic, evenly spread sample (by a hash of the event identity) when there are more than $limit.
-- Parameters: $deployment VARCHAR, $approved VARCHAR[], $lo, $hi TIMESTAMP (UTC), $labelled BOOLEAN,
-- $limit BIGINT.
SELECT CASE WHEN use_case IS NULL THEN request_text ELSE '[' || use_case || '] ' || request_text END AS text
FROM usage_loaded
WHERE deployment = $deployment AND ts >= $lo AND ts < $hi AND request_text IS NOT NULL
  AND (
        (use_case IS NULL AND pl_out_of_scope(inferred_use_case, $approved::VARCHAR[]))
     OR ($labelled::BOOLEAN AND pl_out_of_scope(use_case, $approved::VARCHAR[]))
  )
ORDER BY hash(identity), identity
LIMIT $limit
