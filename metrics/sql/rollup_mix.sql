-- rollup_mix.sql — per deployment and week, events by use case (the label, else the placement; NULL:
-- neither) and whether it was labelled, with pl_out_of_scope against the registry's approved use cases.
-- Read from the rollup's scope grain. Grain: deployment × week × use case × labelled.
-- Parameters: $ids VARCHAR[], $approved VARCHAR[][] (one entry per deployment read).
WITH reg AS (
    SELECT unnest($ids::VARCHAR[]) AS deployment, unnest($approved::VARCHAR[][]) AS approved
)
SELECT r.deployment, r.wk,
       coalesce(r.use_case, r.inferred_use_case) AS uc,
       r.use_case IS NOT NULL AS labelled,
       bool_or(pl_out_of_scope(coalesce(r.use_case, r.inferred_use_case), g.approved)) AS out_of_scope,
       sum(r.events) AS events
FROM usage_rollup r
JOIN reg g USING (deployment)
WHERE r.grain = 'scope'
GROUP BY r.deployment, r.wk, uc, labelled
HAVING sum(r.events) > 0
ORDER BY r.deployment, r.wk, uc NULLS FIRST, labelled
