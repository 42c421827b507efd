-- Migration 8: ingest leases (a file appended in short transactions is loaded only when its run is
--    recorded), the readers' views of loaded rows, and the rollup's example texts.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

CREATE TABLE ingest_leases (
    run_id       VARCHAR NOT NULL,   -- the run whose rows are being appended (not loaded yet)
    kind         VARCHAR NOT NULL,
    file         VARCHAR NOT NULL,
    pid          INTEGER NOT NULL,   -- the appending process, on `host`
    host         VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL, -- UTC
    heartbeat_at TIMESTAMP NOT NULL  -- UTC, renewed with every appended chunk
);

-- Every reader of stored rows reads these: rows of a run still being appended are not loaded.
CREATE VIEW usage_loaded AS SELECT * FROM usage_events WHERE run_id NOT IN (SELECT run_id FROM ingest_leases);

CREATE VIEW feedback_loaded AS SELECT * FROM feedback WHERE run_id NOT IN (SELECT run_id FROM ingest_leases);

CREATE TABLE scope_examples (
    deployment   VARCHAR NOT NULL,
    wk           BIGINT NOT NULL,    -- local ISO week index (rollup_state.timezone)
    use_case     VARCHAR NOT NULL,   -- the label, else the placement
    source       VARCHAR NOT NULL,   -- labelled | inferred
    request_text VARCHAR NOT NULL,   -- redacted as at ingest (setting request_text)
    first_ts     TIMESTAMP NOT NULL  -- UTC, its first request in the week
);
