-- scope_split.sql — one deployment's usage events per week of a range, by how their scope is known:
-- labelled (use_case given) in or out of the approved use cases, inferred (placed by the scope model)
-- in or out, and unplaced (no label, no placement; `unplaced_with_text` of them carry a request_text,
-- so the next ingest's placement will place them). Counted in requests, like every metric.
-- One row per week of the range, weeks without events included (zeros). Week bounds come from
-- metrics.weeks.week_bounds (local Monday 00:00, DST-correct).
-- Parameters: $deployment VARCHAR, $approved VARCHAR[], $weeks VARCHAR[], $starts, $ends TIMESTAMP[]
-- (UTC bounds of each week), $lo, $hi TIMESTAMP (start of the first week, end of the last).
WITH w AS (
    SELECT unnest($weeks::VARCHAR[]) AS week,
           unnest($starts::TIMESTAMP[]) AS start_ts,
           unnest($ends::TIMESTAMP[]) AS end_ts
),
ev AS (
    SELECT ts, requests, use_case IS NOT NULL AS labelled,
           coalesce(use_case, inferred_use_case) AS uc,
           pl_out_of_scope(coalesce(use_case, inferred_use_case), $approved::VARCHAR[]) AS outside,
           use_case, inferred_use_case, request_text IS NOT NULL AS with_text
    FROM usage_loaded
    WHERE deployment = $deployment AND ts >= $lo AND ts < $hi
)
SELECT w.week,
       coalesce(sum(ev.requests) FILTER (ev.labelled AND NOT ev.outside), 0)::BIGINT AS labelled_in_scope,
       coalesce(sum(ev.requests) FILTER (ev.labelled AND ev.outside), 0)::BIGINT AS labelled_out_of_scope,
       coalesce(sum(ev.requests) FILTER (NOT ev.labelled AND ev.uc IS NOT NULL AND NOT ev.outside), 0)::BIGINT
           AS inferred_in_scope,
       coalesce(sum(ev.requests) FILTER (NOT ev.labelled AND ev.outside), 0)::BIGINT AS inferred_out_of_scope,
       coalesce(sum(ev.requests) FILTER (ev.use_case IS NULL AND ev.inferred_use_case IS NULL), 0)::BIGINT AS unplaced,
       coalesce(sum(ev.requests) FILTER (ev.use_case IS NULL AND ev.inferred_use_case IS NULL
                AND ev.with_text), 0)::BIGINT AS unplaced_with_text
FROM w
LEFT JOIN ev ON ev.ts >= w.start_ts AND ev.ts < w.end_ts
GROUP BY w.week
ORDER BY w.week
