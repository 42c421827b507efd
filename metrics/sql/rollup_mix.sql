-- rollup_mix.sql — per deployment and week, events by how their use case is known, read from the
-- rollup's scope grain: `label` (the data's or a person's outside an audit), `placed` (the placement)
-- with its score `band`, `audited` (a person's label of an event an audit draw picked), each with
-- pl_out_of_scope against the registry's approved use cases. Grain: deployment × week × scope key.
-- Parameters: $ids VARCHAR[], $approved VARCHAR[][] (one entry per deployment read).
WITH reg AS (
    SELECT unnest($ids::VARCHAR[]) AS deployment, unnest($approved::VARCHAR[][]) AS approved
)
SELECT r.deployment, r.wk,
       r.use_case AS label, r.inferred_use_case AS placed, r.audited_use_case AS audited, r.inferred_band AS band,
       any_value(pl_out_of_scope(r.use_case, g.approved)) AS label_out,
       any_value(pl_out_of_scope(r.inferred_use_case, g.approved)) AS placed_out,
       any_value(pl_out_of_scope(r.audited_use_case, g.approved)) AS audited_out,
       sum(r.events) AS events
FROM usage_rollup r
JOIN reg g USING (deployment)
WHERE r.grain = 'scope'
GROUP BY r.deployment, r.wk, r.use_case, r.inferred_use_case, r.audited_use_case, r.inferred_band
HAVING sum(r.events) > 0
ORDER BY r.deployment, r.wk, label NULLS FIRST, placed NULLS FIRST, audited NULLS FIRST, band NULLS FIRST
