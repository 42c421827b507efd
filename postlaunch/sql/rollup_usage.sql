-- rollup_usage.sql — additive weekly aggregates of usage events, the rows of `usage_rollup`, from the
-- relation {source} (the new rows of an ingested file, or all stored events for a rebuild). Grain: one
-- row per deployment × local ISO week × grain key, for the grouping sets in {sets}:
--   week        (deployment, wk)                               totals
--   scope       (deployment, wk, use_case, inferred_use_case, audited_use_case, inferred_band): the label
--               (the data's, or a person's for an event no audit draw picked), the placement and its
--               score band, and a person's label of an event an audit draw picked
--   team        (deployment, wk, team)
--   data_class  (deployment, wk, data_class)
--   model       (deployment, wk, model)                        with the tokens of rows without a cost
-- The measures are postlaunch.measures.USAGE (the Spark rollup aggregates with the same text); every
-- count is a sum of `requests` (a row may stand for several); sums of partial rows are the totals, so
-- a reader always sums per key. Registry rules (approved use cases and teams, the max data
-- class) are applied when reading, never here, so a registry change needs no rebuild.
-- {grain} names each row's grain and {keys} lists the seven key columns (NULL for a column no set of
-- {sets} groups): postlaunch.rollup.ALL_GRAINS, SCOPE_GRAIN and WEEK_GRAIN. {source} provides use_case,
-- inferred_use_case, audited_use_case and inferred_band (postlaunch/sql/scope_events.sql for stored events).
-- untrained_events (week grain only, {untrained}: postlaunch.measures.UNTRAINED): events whose user had
-- no training valid at the event's time for the deployment (a training_records row for that user, for the deployment or for
-- every deployment, completed at or before the event and not expired by then). The training records
-- are joined here, so loading training records replaces the week grain of the deployments they touch.
-- Parameters: $off_min, $max_delta, $bound_wk, $bound_delta (postlaunch.weeks.tz_params for the rows).
WITH ev AS (
    SELECT deployment, use_case, inferred_use_case, audited_use_case, inferred_band, team, data_class, model, requests,
           outcome, has_text, pii_count, cost, input_tokens, output_tokens,
           epoch_us(ts) // 1000000 + $off_min + 259200 AS s,
           {untrained_flag} AS untrained
    FROM {source} e
),
w AS (
    SELECT *, WEEK_INDEX AS wk FROM ev
)
SELECT deployment, wk,
       {grain} AS grain,
       {keys},
       {measures},
       {untrained} AS untrained_events
FROM w
GROUP BY GROUPING SETS ({sets})
