-- Migration 4: who decided: identity columns of decisions, countersignatures, decision proposals awaiting
--    one.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

-- The signed-in identity (or the CLI's --by and OS user) and the second signature that a
-- high-tier expand or return from pause needs (postlaunch.decisions.OPTIONAL_FIELDS).
ALTER TABLE decisions ADD COLUMN decided_by_email VARCHAR;
ALTER TABLE decisions ADD COLUMN decided_via VARCHAR;  -- oidc | local | cli
ALTER TABLE decisions ADD COLUMN decided_os_user VARCHAR;
ALTER TABLE decisions ADD COLUMN countersigned_by VARCHAR;
ALTER TABLE decisions ADD COLUMN countersigned_by_email VARCHAR;
ALTER TABLE decisions ADD COLUMN countersigned_via VARCHAR;
ALTER TABLE decisions ADD COLUMN countersigned_os_user VARCHAR;
ALTER TABLE decisions ADD COLUMN countersigned_at TIMESTAMP;

CREATE TABLE decision_proposals (
    id               BIGINT PRIMARY KEY,   -- 1, 2, 3 ...
    deployment       VARCHAR NOT NULL,
    week             VARCHAR NOT NULL,
    decision         VARCHAR NOT NULL,
    rationale        VARCHAR NOT NULL,
    decided_by       VARCHAR NOT NULL,
    decided_by_email VARCHAR,
    decided_via      VARCHAR NOT NULL,
    decided_os_user  VARCHAR,
    attendees        VARCHAR,              -- JSON list
    actions          VARCHAR,
    next_review      DATE,
    decided_at       TIMESTAMP NOT NULL,   -- UTC, when proposed
    snapshot         VARCHAR NOT NULL,     -- the review JSON as it stood
    reason           VARCHAR NOT NULL,     -- why it needs a second signature
    after_seq        BIGINT NOT NULL,      -- the last decision record when proposed (0: none)
    status           VARCHAR NOT NULL,     -- open | recorded | withdrawn
    closed_by        VARCHAR,
    closed_at        TIMESTAMP,
    seq              BIGINT                -- the decision record it became
);
