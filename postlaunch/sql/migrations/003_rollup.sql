-- Migration 3: the weekly rollup every metric reads (postlaunch.rollup); built by the first writing
--    command.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

CREATE TABLE usage_rollup (
    deployment             VARCHAR NOT NULL,
    wk                     BIGINT NOT NULL,   -- local ISO week index (rollup_state.timezone)
    grain                  VARCHAR NOT NULL,  -- week | scope | team | data_class | model
    use_case               VARCHAR,           -- scope: the label (NULL: none)
    inferred_use_case      VARCHAR,           -- scope: the placement of an unlabeled event
    team                   VARCHAR,           -- team grain
    data_class             VARCHAR,           -- data_class grain
    model                  VARCHAR,           -- model grain
    events                 BIGINT NOT NULL,   -- every count: a sum of `requests`
    errors                 BIGINT NOT NULL,
    escalations            BIGINT NOT NULL,
    text_events            BIGINT NOT NULL,
    pii_events             BIGINT NOT NULL,
    cost                   DOUBLE,            -- the events' own cost (NULL: none had one)
    cost_rows              BIGINT NOT NULL,   -- rows with a cost
    uncosted_input_tokens  BIGINT NOT NULL,   -- tokens of rows without a cost
    uncosted_output_tokens BIGINT NOT NULL,
    uncosted_token_events  BIGINT NOT NULL    -- events with tokens and no cost
);

CREATE TABLE usage_week_users (
    deployment   VARCHAR NOT NULL,
    wk           BIGINT NOT NULL,
    active_users BIGINT NOT NULL              -- exact distinct user_id
);

CREATE TABLE feedback_rollup (
    deployment     VARCHAR NOT NULL,
    wk             BIGINT NOT NULL,
    feedback_count BIGINT NOT NULL,
    accepted_n     BIGINT NOT NULL,
    accepted_yes   BIGINT NOT NULL,
    rework_n       BIGINT NOT NULL,
    rework_yes     BIGINT NOT NULL,
    rating_n       BIGINT NOT NULL,
    rating_sum     DOUBLE NOT NULL,
    rating_sumsq   DOUBLE NOT NULL,
    negative_n     BIGINT NOT NULL,
    negative_yes   BIGINT NOT NULL
);

CREATE TABLE rollup_state (
    timezone VARCHAR NOT NULL,                -- the zone whose weeks `wk` counts
    source   VARCHAR NOT NULL,                -- duckdb (from stored events) | spark
    built_at TIMESTAMP NOT NULL
);
