-- Migration 7: the weekly audit sample (scope_draws), labels with their history, score bands of placements.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

ALTER TABLE usage_events ADD COLUMN inferred_band SMALLINT;
ALTER TABLE usage_rollup ADD COLUMN audited_use_case VARCHAR;
ALTER TABLE usage_rollup ADD COLUMN inferred_band SMALLINT;

CREATE TABLE scope_draws (
    draw_id     VARCHAR PRIMARY KEY,
    deployment  VARCHAR NOT NULL,
    week        VARCHAR NOT NULL,      -- ISO week, 2026-W47
    seed        BIGINT NOT NULL,       -- orders the population (md5 of seed and identity)
    requested   INTEGER NOT NULL,      -- --n
    drawn       INTEGER NOT NULL,      -- events drawn (fewer when the population is smaller)
    population  BIGINT NOT NULL,       -- events with text and no label, not drawn before
    drawn_at    TIMESTAMP NOT NULL,    -- UTC
    drawn_by    VARCHAR NOT NULL,
    os_user     VARCHAR,
    host        VARCHAR
);

CREATE TABLE scope_draw_events (
    draw_id  VARCHAR NOT NULL,
    position INTEGER NOT NULL,          -- 1, 2, ... in the order drawn
    identity UHUGEINT NOT NULL,         -- usage_events.identity
    event_id VARCHAR NOT NULL           -- as the sample CSV names it (# + hex identity without one)
);

CREATE TABLE labels (
    identity     UHUGEINT NOT NULL,    -- usage_events.identity of the labelled event
    content_hash UHUGEINT NOT NULL,
    version      INTEGER NOT NULL,     -- 1 for the first label of the event, +1 per change
    event_id     VARCHAR NOT NULL,
    deployment   VARCHAR NOT NULL,
    use_case     VARCHAR NOT NULL,     -- an approved use case, another name, or out_of_scope
    labelled_by  VARCHAR NOT NULL,
    labelled_at  TIMESTAMP NOT NULL,   -- UTC; the load time when the file gave none
    note         VARCHAR,
    source       VARCHAR NOT NULL,     -- file | dashboard
    run_id       VARCHAR NOT NULL,
    line         BIGINT
);

CREATE TABLE label_history (
    identity     UHUGEINT NOT NULL,
    content_hash UHUGEINT NOT NULL,
    version      INTEGER NOT NULL,
    event_id     VARCHAR NOT NULL,
    deployment   VARCHAR NOT NULL,
    use_case     VARCHAR NOT NULL,
    labelled_by  VARCHAR NOT NULL,
    labelled_at  TIMESTAMP NOT NULL,
    note         VARCHAR,
    source       VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    line         BIGINT,
    loaded_at    TIMESTAMP NOT NULL
);
