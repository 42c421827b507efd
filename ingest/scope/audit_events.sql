-- audit_events.sql — the events of a week's audit draws (or of one), in the order drawn, as the sample shows them: the
-- request text as stored (redacted), the placement and its score, and the event's current label (a
-- person's, from the labels kind; NULL until someone labels it). Grain: one row per drawn event.
-- Parameters: $deployment VARCHAR, $week VARCHAR; $draw VARCHAR (one draw's id, or NULL for all of the week's).
SELECT de.position, de.identity, de.event_id, e.ts, e.request_text, e.inferred_use_case, e.inferred_score,
       l.use_case, l.labelled_by, l.labelled_at, l.note
FROM scope_draw_events de
JOIN scope_draws d USING (draw_id)
JOIN usage_events e ON e.identity = de.identity AND e.deployment = d.deployment
LEFT JOIN labels l ON l.identity = de.identity AND l.deployment = d.deployment
WHERE d.deployment = $deployment AND d.week = $week AND (de.draw_id = $draw OR $draw IS NULL)
ORDER BY d.drawn_at, d.draw_id, de.position
