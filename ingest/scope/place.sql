-- place.sql — write one deployment's scope placements back to usage_events (ingest/scope/place.py).
-- Runs inside the deployment's placement transaction, after every pending distinct text was placed:
--   _scope_pending(rn, request_text, n)   the distinct pending texts, numbered
--   _scope_placed(rn, use_case, score, band)  their placement (an approved use case or out_of_scope), its
--                                         score and score band (scopetext.estimate)
-- Only unlabeled rows (use_case IS NULL) whose placement came from another scope model (or none) are
-- touched; a labelled row is never written, nor a row of an ingest still appending (ingest_leases).
-- Parameters: $dep VARCHAR, $fp VARCHAR (the model's fingerprint).
UPDATE usage_events AS e
SET inferred_use_case = x.use_case,
    inferred_score = x.score,
    inferred_band = x.band,
    inferred_fingerprint = $fp
FROM (
    SELECT p.request_text, r.use_case, r.score, r.band
    FROM _scope_pending AS p
    JOIN _scope_placed AS r USING (rn)
) AS x
WHERE e.deployment = $dep
  AND e.use_case IS NULL
  AND e.request_text = x.request_text
  AND e.inferred_fingerprint IS DISTINCT FROM $fp
  AND e.run_id NOT IN (SELECT run_id FROM ingest_leases)
