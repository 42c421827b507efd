-- audit_population.sql — the events a new audit draw picks from (DESIGN §12): one deployment's usage
-- events in one week that have request text, no use_case in the data, no person's label, and that no
-- earlier draw of the week picked (so a `--new` draw and the earlier ones together stay one uniform
-- sample). Grain: one row per event. {select} is what to return (count(*) or the columns).
-- Parameters: $dep VARCHAR, $start, $end TIMESTAMP (UTC bounds of the week), $week VARCHAR.
SELECT {select}
FROM (
    SELECT e.identity,
           coalesce(e.event_id, '#' || lower(hex(e.identity))) AS event_id
    FROM usage_events e
    WHERE e.deployment = $dep AND e.ts >= $start AND e.ts < $end
      AND e.request_text IS NOT NULL AND e.use_case IS NULL
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.identity = e.identity AND l.deployment = e.deployment)
      AND NOT EXISTS (
          SELECT 1 FROM scope_draw_events de JOIN scope_draws d USING (draw_id)
          WHERE de.identity = e.identity AND d.deployment = $dep AND d.week = $week
      )
)
