-- scope_events.sql — loaded usage events as the weekly rollup's scope grain sees them: `use_case` is a
-- person's label (labels kind) of an event that no audit draw picked, else the data's own label;
-- `audited_use_case` is a person's label of an event an audit draw picked (the audit sample, DESIGN §12);
-- the placement (inferred_use_case, inferred_band) is kept either way. Grain: one row per usage event.
-- {where} filters usage_loaded `e` (its parameters are the caller's); rows of a run still appending are not loaded.
SELECT e.* REPLACE (
           CASE WHEN d.identity IS NULL AND l.identity IS NOT NULL THEN l.use_case ELSE e.use_case END AS use_case
       ),
       CASE WHEN d.identity IS NOT NULL THEN l.use_case END AS audited_use_case
FROM usage_loaded e
LEFT JOIN labels l ON l.identity = e.identity AND l.deployment = e.deployment
LEFT JOIN (
    SELECT DISTINCT de.identity, dr.deployment
    FROM scope_draw_events de JOIN scope_draws dr USING (draw_id)
) d ON d.identity = e.identity AND d.deployment = e.deployment
WHERE {where}
