-- scope_model_info.sql — a deployment's latest stored scope model and how many of its unlabeled events
-- with text that model placed (`placed_events`) or not yet (`pending_events`: never placed, or placed by
-- an earlier model), in rows. Parameters: $dep VARCHAR. No row before the first placement.
WITH model AS (
    SELECT threshold, calibration, fingerprint, placed_at
    FROM scope_models
    WHERE deployment = $dep
    ORDER BY placed_at DESC
    LIMIT 1
)
SELECT m.threshold, m.calibration, m.fingerprint, m.placed_at,
       count(e.deployment) FILTER (e.inferred_fingerprint = m.fingerprint) AS placed_events,
       count(e.deployment) FILTER (e.inferred_fingerprint IS DISTINCT FROM m.fingerprint) AS pending_events
FROM model m
LEFT JOIN usage_loaded e
       ON e.deployment = $dep AND e.use_case IS NULL AND e.request_text IS NOT NULL
GROUP BY ALL
