-- FOCUS 1.0-1.2 cost export -> staged cost rows (grain: one FOCUS row). Used by ingest/adapters/focus.py.
-- Input: view `f` (one row per source row, canonical names: line, cost_raw, currency_raw, start_raw,
-- end_raw, category_raw, charge_description, service_name, resource_id, sub_account_id, tags)
-- and table `attr` (line, deployments VARCHAR[], matched VARCHAR): the deployments each row matched.
-- and table `rates` (currency, rate): units of the reporting currency per unit of `currency`.
-- Parameters: $fixed (a --deployment, or NULL), $date_order ('mdy' | 'dmy' | NULL),
-- $reporting (reporting currency), $cost_column (its name, for reasons).
-- Sections start with `-- name: X`; focus.py runs them by name.

-- name: macros
-- Text -> UTC TIMESTAMP. Plain ISO text without a zone is UTC (FOCUS requires UTC) and takes the fast
-- TIMESTAMP cast; text with Z or an offset goes through TIMESTAMPTZ; 5/1/25 through the date order.
CREATE OR REPLACE TEMP MACRO focus_ts(v, date_order) AS
    CASE
        WHEN v IS NULL THEN NULL
        WHEN contains(v, '/') THEN
            CASE date_order
                WHEN 'mdy' THEN try_strptime(v, ['%m/%d/%y', '%m/%d/%Y', '%m/%d/%y %H:%M', '%m/%d/%Y %H:%M',
                                                 '%m/%d/%y %H:%M:%S', '%m/%d/%Y %H:%M:%S'])
                WHEN 'dmy' THEN try_strptime(v, ['%d/%m/%y', '%d/%m/%Y', '%d/%m/%y %H:%M', '%d/%m/%Y %H:%M',
                                                 '%d/%m/%y %H:%M:%S', '%d/%m/%Y %H:%M:%S'])
            END
        WHEN length(v) > 10 AND (contains(v, 'Z') OR contains(v, 'z') OR contains(v, '+')
                                 OR contains(substr(v, 11), '-'))
            THEN TRY_CAST(v AS TIMESTAMPTZ) AT TIME ZONE 'UTC'
        ELSE TRY_CAST(v AS TIMESTAMP)
    END;
CREATE OR REPLACE TEMP MACRO focus_money_text(v) AS
    regexp_replace(regexp_replace(trim(v), '^\((.*)\)$', '-\1'), '[$€£¥\s\x{00A0}]', '', 'g');
-- Text -> DECIMAL: plain decimals take the fast cast; `$10,000.00 `, `(5.25)`, `-$1,234.5` are cleaned first.
CREATE OR REPLACE TEMP MACRO focus_money(v) AS
    coalesce(TRY_CAST(v AS DECIMAL(38, 12)), TRY_CAST(
        CASE WHEN regexp_full_match(focus_money_text(v), '-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?')
             THEN replace(focus_money_text(v), ',', '')
             ELSE focus_money_text(v) END
        AS DECIMAL(38, 12)));

-- name: slash_dates
-- Evidence for the order of day and month in dates like 5/1/25: a first part above 12 is a day.
SELECT
    count(*) FILTER (WHERE a > 12 AND b <= 12) AS day_first,
    count(*) FILTER (WHERE b > 12 AND a <= 12) AS month_first,
    count(*) FILTER (WHERE a <= 12 AND b <= 12) AS ambiguous,
    arg_min(column_name || ' "' || v || '" (line ' || line || ')', line) FILTER (WHERE a <= 12 AND b <= 12) AS first_ambiguous,
    arg_min(column_name || ' "' || v || '" (line ' || line || ')', line) FILTER (WHERE a > 12 AND b <= 12) AS first_day_first,
    arg_min(column_name || ' "' || v || '" (line ' || line || ')', line) FILTER (WHERE b > 12 AND a <= 12) AS first_month_first
FROM (
    SELECT line, column_name, v,
           TRY_CAST(split_part(v, '/', 1) AS INTEGER) AS a,
           TRY_CAST(split_part(v, '/', 2) AS INTEGER) AS b
    FROM (
        SELECT line, 'ChargePeriodStart' AS column_name, trim(start_raw) AS v FROM f
        UNION ALL
        SELECT line, 'ChargePeriodEnd', trim(end_raw) FROM f
    )
    WHERE contains(v, '/') AND regexp_matches(v, '^\d{1,2}/\d{1,2}/\d{2,4}')
);

-- name: rows
CREATE OR REPLACE TEMP TABLE focus_out AS
WITH parsed AS MATERIALIZED (
    SELECT
        f.*,
        CASE WHEN CAST($fixed AS VARCHAR) IS NOT NULL THEN [CAST($fixed AS VARCHAR)] ELSE coalesce(attr.deployments, []) END AS deployments,
        attr.matched,
        focus_money(cost_raw) AS amount,
        upper(trim(currency_raw)) AS currency,
        focus_ts(trim(start_raw), CAST($date_order AS VARCHAR)) AS start_ts,
        focus_ts(trim(end_raw), CAST($date_order AS VARCHAR)) AS end_ts
    FROM f LEFT JOIN attr USING (line)
)
SELECT
    line,
    row_key,
    cost_raw,
    start_raw,
    end_raw,
    currency_raw,
    category_raw,
    charge_description,
    service_name,
    resource_id,
    sub_account_id,
    len(deployments) > 0 AS attributed,
    CASE WHEN len(deployments) = 1 THEN deployments[1] END AS deployment,
    CAST(start_ts AS DATE) AS period_start,
    CASE WHEN end_ts IS NULL OR end_ts <= start_ts THEN CAST(start_ts AS DATE)
         ELSE CAST(end_ts - INTERVAL 1 MICROSECOND AS DATE) END AS period_end,
    amount,
    currency,
    CASE lower(trim(category_raw))
        WHEN 'usage' THEN 'usage'
        WHEN 'purchase' THEN 'subscription'
        ELSE 'other' END AS category,
    nullif(concat_ws(': ', nullif(trim(service_name), ''), nullif(trim(charge_description), ''))
           || CASE WHEN nullif(trim(resource_id), '') IS NOT NULL THEN ' [' || trim(resource_id) || ']' ELSE '' END,
           '') AS description,
    nullif(concat_ws('; ',
        CASE WHEN len(deployments) > 1
             THEN matched || ' is in the cost_match of ' || array_to_string(deployments, ' and ') END,
        CASE WHEN cost_raw IS NULL OR trim(cost_raw) = ''
             THEN $cost_column || ' is empty (expected a decimal amount)'
             WHEN amount IS NULL
             THEN $cost_column || ' "' || cost_raw || '" is not a decimal amount' END,
        CASE WHEN currency IS NULL OR currency = ''
             THEN 'BillingCurrency is empty'
             WHEN currency <> $reporting AND currency NOT IN (SELECT currency FROM rates)
             THEN 'BillingCurrency "' || currency || '" has no rate in currency_rates (reporting currency '
                  || $reporting || ')' END,
        CASE WHEN start_raw IS NULL OR trim(start_raw) = ''
             THEN 'ChargePeriodStart is empty'
             WHEN start_ts IS NULL
             THEN 'ChargePeriodStart "' || start_raw || '" is not a date or timestamp'
                  || CASE WHEN CAST($date_order AS VARCHAR) IS NOT NULL THEN ' in ' || CAST($date_order AS VARCHAR) || ' order' ELSE '' END END,
        CASE WHEN nullif(trim(end_raw), '') IS NOT NULL AND end_ts IS NULL
             THEN 'ChargePeriodEnd "' || end_raw || '" is not a date or timestamp'
                  || CASE WHEN CAST($date_order AS VARCHAR) IS NOT NULL THEN ' in ' || CAST($date_order AS VARCHAR) || ' order' ELSE '' END END
    ), '') AS reason
FROM parsed;

-- name: unattributed
-- Rows no deployment claims: counted and summed, never staged. Amounts in another currency are
-- converted with the configured rates; rows whose amount or rate is missing are counted apart.
SELECT
    count(*) AS n,
    sum(o.amount * CASE WHEN o.currency = $reporting THEN 1 ELSE r.rate END) AS total,
    count(*) FILTER (WHERE o.amount IS NULL OR (o.currency IS DISTINCT FROM $reporting AND r.rate IS NULL)) AS unpriced
FROM focus_out AS o LEFT JOIN rates AS r USING (currency)
WHERE NOT o.attributed;

-- name: attribution_tag
-- --deployment-tag KEY: the value of KEY in the row's Tags JSON names the deployment ($path = '$."KEY"').
INSERT INTO attr
SELECT line, [v], NULL
FROM (SELECT line, CASE WHEN json_valid(tags) THEN json_extract_string(tags, $path) END AS v FROM f)
WHERE v IN (SELECT id FROM deployment_ids);

-- name: unknown_tag_values
-- Tag values that name no deployment of the registry (the ten most frequent), for the run's notes.
SELECT v, count(*) AS n
FROM (SELECT CASE WHEN json_valid(tags) THEN json_extract_string(tags, $path) END AS v FROM f)
WHERE v IS NOT NULL AND v NOT IN (SELECT id FROM deployment_ids)
GROUP BY v
ORDER BY n DESC, v
LIMIT 10;

-- name: attribution_cost_match
-- Registry cost_match: a row belongs to the deployments whose list holds its ResourceId, SubAccountId
-- or ServiceName (case-insensitive); only the most specific level that matches counts (rank 1 first).
INSERT INTO attr
WITH keys AS (
    SELECT line, 'ResourceId' AS col, lower(trim(resource_id)) AS value FROM f WHERE resource_id IS NOT NULL
    UNION ALL
    SELECT line, 'SubAccountId', lower(trim(sub_account_id)) FROM f WHERE sub_account_id IS NOT NULL
    UNION ALL
    SELECT line, 'ServiceName', lower(trim(service_name)) FROM f WHERE service_name IS NOT NULL
),
matches AS (
    SELECT k.line, m.deployment, m.rank, k.col || ' "' || m.shown || '"' AS matched
    FROM keys AS k JOIN cost_match AS m USING (col, value)
),
best AS (SELECT line, min(rank) AS rank FROM matches GROUP BY line)
SELECT m.line, list(DISTINCT m.deployment ORDER BY m.deployment), min(m.matched)
FROM matches AS m JOIN best AS b USING (line, rank)
GROUP BY m.line;

-- name: staged
-- The attributed rows as the engine's text contract; a value that failed to parse is passed on as read.
SELECT
    coalesce(CAST(period_start AS VARCHAR), start_raw) AS period_start,
    coalesce(CAST(period_end AS VARCHAR), end_raw) AS period_end,
    deployment,
    coalesce(CAST(amount AS VARCHAR), cost_raw) AS amount,
    category,
    currency,
    description,
    line AS __line,
    row_key AS __key,
    CASE WHEN reason IS NOT NULL THEN  -- only quarantine shows it
        CAST(json_object($cost_column, cost_raw, 'BillingCurrency', currency_raw, 'ChargePeriodStart', start_raw,
                         'ChargePeriodEnd', end_raw, 'ChargeCategory', category_raw,
                         'ChargeDescription', charge_description, 'ServiceName', service_name,
                         'ResourceId', resource_id, 'SubAccountId', sub_account_id) AS VARCHAR) END AS __raw,
    reason AS __reason
FROM focus_out
WHERE attributed
ORDER BY line;
