-- Migration 1: data contract tables, ingest runs, quarantine, decisions, registry state.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

CREATE TABLE ingest_runs (
    run_id        VARCHAR PRIMARY KEY,
    file          VARCHAR NOT NULL,   -- path as given
    sha256        VARCHAR,            -- of the file's bytes (NULL when unreadable)
    kind          VARCHAR NOT NULL,   -- contract kind: usage, cost, feedback, incidents, changes
    adapter       VARCHAR,            -- otel, focus, openai-usage, ... (NULL for the plain contract)
    format        VARCHAR,            -- csv, jsonl, parquet, json (+ .gz)
    rows          BIGINT NOT NULL DEFAULT 0,
    loaded        BIGINT NOT NULL DEFAULT 0,
    duplicates    BIGINT NOT NULL DEFAULT 0,
    quarantined   BIGINT NOT NULL DEFAULT 0,
    status        VARCHAR NOT NULL,   -- loaded | failed
    message       VARCHAR,            -- why a failed file loaded nothing
    extra_columns VARCHAR[],          -- columns present in the file and kept nowhere
    notes         JSON,               -- adapter counts (unattributed rows, unknown users, ...)
    started_at    TIMESTAMP NOT NULL, -- UTC
    finished_at   TIMESTAMP,
    who           VARCHAR,
    host          VARCHAR
);

CREATE TABLE quarantine (
    run_id         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    file           VARCHAR NOT NULL,
    line           BIGINT,            -- line in the file (CSV: header is line 1), row number for Parquet
    reason         VARCHAR NOT NULL,  -- e.g. line 14: rating "7" is outside 1-5
    raw            VARCHAR,           -- the row as read (redacted like request_text)
    quarantined_at TIMESTAMP NOT NULL
);

CREATE TABLE usage_events (
    identity             UHUGEINT NOT NULL, -- md5 of event_id, else of the normalized content
    content_hash         UHUGEINT NOT NULL, -- md5 of the normalized content
    event_id             VARCHAR,
    ts                   TIMESTAMP NOT NULL, -- UTC
    deployment           VARCHAR NOT NULL,
    user_id              VARCHAR NOT NULL,
    team                 VARCHAR,
    use_case             VARCHAR,            -- as given in the data (a label); never overwritten
    request_text         VARCHAR,            -- after the request_text setting (keep, redact, drop)
    has_text             BOOLEAN NOT NULL DEFAULT false, -- the row came with a request_text
    pii_count            INTEGER,            -- personal-data items found in request_text (NULL without text)
    model                VARCHAR,
    input_tokens         BIGINT,
    output_tokens        BIGINT,
    latency_ms           DOUBLE,
    outcome              VARCHAR NOT NULL,   -- ok, error, refused, escalated
    data_class           VARCHAR,
    cost                 DOUBLE,             -- in the reporting currency
    requests             BIGINT NOT NULL DEFAULT 1,
    inferred_use_case    VARCHAR,            -- placement of unlabeled text: a use case or out_of_scope
    inferred_score       DOUBLE,
    inferred_fingerprint VARCHAR,            -- the scope model that placed it
    run_id               VARCHAR NOT NULL,
    line                 BIGINT
);

CREATE TABLE feedback (
    identity       UHUGEINT NOT NULL,
    content_hash   UHUGEINT NOT NULL,
    feedback_id    VARCHAR,
    ts             TIMESTAMP NOT NULL,
    deployment     VARCHAR NOT NULL,
    event_id       VARCHAR,
    source         VARCHAR,           -- user, reviewer, customer
    rating         SMALLINT,          -- 1-5
    thumbs         VARCHAR,           -- up, down
    accepted       BOOLEAN,
    rework_minutes DOUBLE,
    comment        VARCHAR,
    run_id         VARCHAR NOT NULL,
    line           BIGINT
);

CREATE TABLE cost_records (
    identity         UHUGEINT NOT NULL,
    content_hash     UHUGEINT NOT NULL,
    period_start     DATE NOT NULL,     -- first day the money covers
    period_end       DATE NOT NULL,     -- last day, inclusive (= period_start for a dated row)
    deployment       VARCHAR NOT NULL,
    amount           DOUBLE NOT NULL,   -- in `currency`
    currency         VARCHAR NOT NULL,
    amount_reporting DOUBLE NOT NULL,   -- in the reporting currency
    category         VARCHAR NOT NULL,  -- usage, subscription, support, rework, other
    description      VARCHAR,
    source           VARCHAR,           -- cost, focus, openai-costs, anthropic-costs
    run_id           VARCHAR NOT NULL,
    line             BIGINT
);

CREATE TABLE incidents (
    incident_id  VARCHAR PRIMARY KEY,
    content_hash UHUGEINT NOT NULL,
    version      INTEGER NOT NULL,     -- 1 for the first load, +1 per update
    opened_at    TIMESTAMP NOT NULL,
    deployment   VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL,
    category     VARCHAR,
    status       VARCHAR NOT NULL,
    resolved_at  TIMESTAMP,
    title        VARCHAR,
    description  VARCHAR,
    serious      BOOLEAN NOT NULL DEFAULT false,
    aware_at     TIMESTAMP,
    reported_at  TIMESTAMP,
    run_id       VARCHAR NOT NULL,
    line         BIGINT
);

CREATE TABLE incident_history (
    incident_id  VARCHAR NOT NULL,
    content_hash UHUGEINT NOT NULL,
    version      INTEGER NOT NULL,
    opened_at    TIMESTAMP NOT NULL,
    deployment   VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL,
    category     VARCHAR,
    status       VARCHAR NOT NULL,
    resolved_at  TIMESTAMP,
    title        VARCHAR,
    description  VARCHAR,
    serious      BOOLEAN NOT NULL DEFAULT false,
    aware_at     TIMESTAMP,
    reported_at  TIMESTAMP,
    run_id       VARCHAR NOT NULL,
    line         BIGINT,
    loaded_at    TIMESTAMP NOT NULL
);

CREATE TABLE changes (
    identity     UHUGEINT NOT NULL,
    content_hash UHUGEINT NOT NULL,
    ts           TIMESTAMP NOT NULL,
    deployment   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,    -- model, prompt, policy, access, workflow, data, other
    summary      VARCHAR NOT NULL,
    changed_by   VARCHAR,
    approved_by  VARCHAR,
    source       VARCHAR NOT NULL,    -- file | registry
    run_id       VARCHAR,
    line         BIGINT
);

CREATE TABLE decisions (
    seq         BIGINT PRIMARY KEY,   -- 1, 2, 3 ... in the order recorded
    deployment  VARCHAR NOT NULL,
    week        VARCHAR NOT NULL,     -- ISO week, 2026-W47
    decision    VARCHAR NOT NULL,     -- expand, continue, limit, pause, stop
    rationale   VARCHAR NOT NULL,
    decided_by  VARCHAR NOT NULL,
    attendees   VARCHAR,              -- JSON list
    actions     VARCHAR,
    next_review DATE,
    decided_at  TIMESTAMP NOT NULL,   -- UTC
    snapshot    VARCHAR NOT NULL,     -- the review JSON as it stood
    prev_hash   VARCHAR NOT NULL,     -- hash of the previous record ('' for the first)
    hash        VARCHAR NOT NULL      -- sha256 of this record's content and prev_hash
);

CREATE TABLE registry_state (
    recorded_at TIMESTAMP NOT NULL,
    sha256      VARCHAR NOT NULL,
    content     VARCHAR NOT NULL     -- canonical JSON of the deployments
);

CREATE TABLE scope_models (
    deployment  VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    threshold   DOUBLE NOT NULL,
    calibration VARCHAR,             -- JSON: how the threshold was derived
    placed_at   TIMESTAMP NOT NULL
);
