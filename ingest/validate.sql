-- validate.sql: the one validation pass of ingest (DESIGN §4). Grain: one output row per data row of
-- the file. Layers: s = normalized text per contract column ("n:COL": trimmed, empty = NULL, value
-- mapping and defaults applied), p = typed casts ("t:COL"/"d:COL"), q = parsed values ("v:COL") and
-- one error text per column ("e:COL"), r = the row's reason and normalized content. The final SELECT
-- adds identity, content hash, redaction, the raw row and the fields at fault (only for rows with a reason).
-- __reason carries no "line N: " prefix: lines are final only after refused rows are counted.
-- The names in braces are filled from ingest/kinds.py; every value is a bound $pN parameter.
WITH s AS (
    SELECT *, {normalized}
    FROM {source}
),
p AS (
    SELECT *, {typed}
    FROM s
),
q AS (
    SELECT *, {checked}
    FROM p
),
r AS (
    SELECT *,
        CASE WHEN __pre IS NOT NULL THEN __pre ELSE nullif(concat_ws('; ', {errors}), '') END AS __why,
        concat({content}) AS __content
    FROM q
),
f AS (
    SELECT *, md5_number(__content) AS content_hash
    FROM r
)
SELECT
    {numbering}    CASE WHEN __why IS NOT NULL THEN {redacted_reason} END AS __reason,
    CASE WHEN __why IS NOT NULL THEN {redacted_raw} END AS __raw,
    CASE WHEN __pre IS NULL AND __why IS NOT NULL THEN nullif(concat_ws(', ', {fields}), '') END AS __field,
    {identity} AS identity,
    content_hash,
    {outputs}
FROM f
