-- rollup_models.sql — per deployment, week and model, the tokens of usage rows that came without a cost
-- (costed at the settings' prices by metrics/cost.py), from the rollup's model grain.
-- Grain: deployment × week × model. Parameters: $ids VARCHAR[].
SELECT deployment, wk, model,
       sum(uncosted_input_tokens) AS input_tokens,
       sum(uncosted_output_tokens) AS output_tokens,
       sum(uncosted_token_events) AS events
FROM usage_rollup
WHERE grain = 'model' AND deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY deployment, wk, model
HAVING sum(uncosted_token_events) > 0
ORDER BY deployment, wk, model NULLS LAST
