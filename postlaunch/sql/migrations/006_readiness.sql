-- Migration 6: readiness and training records, serious_kind, the untrained measure, the operating status
--    (decision follow-ups, status keys, status reads), the reporting-clock macro.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

CREATE TABLE readiness_records (
    identity      UHUGEINT NOT NULL, -- md5 of the normalized content (records are append-only)
    content_hash  UHUGEINT NOT NULL,
    deployment    VARCHAR NOT NULL,
    item          VARCHAR NOT NULL,  -- use_case, owner, testing, training, access, monitoring, pause
    status        VARCHAR NOT NULL,  -- met, not_met, unknown
    evidence      VARCHAR NOT NULL,  -- a link or a sentence
    evidence_date DATE NOT NULL,
    reviewed_by   VARCHAR NOT NULL,
    expires       DATE,              -- NULL: evidence_date + 12 / 6 / 3 months by tier
    source        VARCHAR NOT NULL,  -- file | form (who: the ingest run's `who`)
    recorded_at   TIMESTAMP NOT NULL DEFAULT (now()::TIMESTAMP),
    run_id        VARCHAR NOT NULL,
    line          BIGINT
);

CREATE TABLE training_records (
    identity     UHUGEINT NOT NULL,
    content_hash UHUGEINT NOT NULL,
    user_id      VARCHAR NOT NULL,
    completed_at TIMESTAMP NOT NULL, -- UTC
    deployment   VARCHAR,            -- NULL: valid for every deployment
    course       VARCHAR,
    expires_at   TIMESTAMP,          -- NULL: does not expire
    provider     VARCHAR,
    run_id       VARCHAR NOT NULL,
    line         BIGINT
);

ALTER TABLE incidents ADD COLUMN serious_kind VARCHAR;
ALTER TABLE incident_history ADD COLUMN serious_kind VARCHAR;
-- Week grain only: events whose user had no training valid at the event's time (NULL elsewhere).
ALTER TABLE usage_rollup ADD COLUMN untrained_events BIGINT;
-- Decision record fields (postlaunch.decisions.OPTIONAL_FIELDS): the runbook a pause or stop was
-- taken under, and the return criteria checked by a return to normal (both JSON).
ALTER TABLE decisions ADD COLUMN runbook VARCHAR;
ALTER TABLE decisions ADD COLUMN return_criteria VARCHAR;

CREATE TABLE decision_followups (
    seq          BIGINT PRIMARY KEY,  -- 1, 2, 3 ... in the order recorded
    decision_seq BIGINT NOT NULL,     -- the decision it follows up
    decision_hash VARCHAR NOT NULL,   -- that decision's hash (binds the two chains)
    kind         VARCHAR NOT NULL,    -- notified
    item         VARCHAR NOT NULL,    -- who was told (an entry of the runbook's notify list)
    recorded_by  VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,  -- UTC
    prev_hash    VARCHAR NOT NULL,
    hash         VARCHAR NOT NULL
);

CREATE TABLE status_keys (
    key_id     VARCHAR PRIMARY KEY,
    deployment VARCHAR NOT NULL,      -- a deployment id, or * for every deployment
    key_hash   VARCHAR NOT NULL,      -- sha256 of the whole key; the key itself is never stored
    label      VARCHAR,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_by VARCHAR,
    revoked_at TIMESTAMP
);

CREATE TABLE status_reads (
    read_at      TIMESTAMP NOT NULL,  -- UTC
    key_id       VARCHAR,             -- NULL: no or an unknown key
    deployment   VARCHAR,             -- NULL: the request named no deployment we know
    flag_key     VARCHAR,
    outcome      VARCHAR NOT NULL,    -- ok, unauthorized, forbidden, not_found
    mode         VARCHAR,             -- the mode answered (ok reads)
    decision_seq BIGINT,              -- the decision that set that mode (NULL: the registry's)
    client       VARCHAR              -- remote address and user agent
);

-- pl_reporting_days is installed by this migration too (postlaunch.rules.CLOCK_MACROS).
-- A proposal keeps what its decision record will carry (DESIGN §14, §17).
ALTER TABLE decision_proposals ADD COLUMN runbook VARCHAR;
ALTER TABLE decision_proposals ADD COLUMN return_criteria VARCHAR;
