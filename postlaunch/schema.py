"""The one owner of the DuckDB schema: every table of the data contract, ingest runs, quarantine,
decisions and change records, and the rule macros of `postlaunch.rules`, created by numbered
migrations recorded in `schema_migrations`. A changed rule macro needs a new migration.

Nothing else in the project issues CREATE or ALTER; readers may call `check_schema` only.
"""

from __future__ import annotations

import duckdb

from postlaunch import rules
from postlaunch.errors import PostlaunchError

# Each migration: (version, name, statements). Append new ones; never edit a released one.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "data contract tables, ingest runs, quarantine, decisions, registry state",
        [
            """
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
            )
            """,
            """
            CREATE TABLE quarantine (
                run_id         VARCHAR NOT NULL,
                kind           VARCHAR NOT NULL,
                file           VARCHAR NOT NULL,
                line           BIGINT,            -- line in the file (CSV: header is line 1), row number for Parquet
                reason         VARCHAR NOT NULL,  -- e.g. line 14: rating "7" is outside 1-5
                raw            VARCHAR,           -- the row as read (redacted like request_text)
                quarantined_at TIMESTAMP NOT NULL
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
            """
            CREATE TABLE registry_state (
                recorded_at TIMESTAMP NOT NULL,
                sha256      VARCHAR NOT NULL,
                content     VARCHAR NOT NULL     -- canonical JSON of the deployments
            )
            """,
            """
            CREATE TABLE scope_models (
                deployment  VARCHAR NOT NULL,
                fingerprint VARCHAR NOT NULL,
                threshold   DOUBLE NOT NULL,
                calibration VARCHAR,             -- JSON: how the threshold was derived
                placed_at   TIMESTAMP NOT NULL
            )
            """,
        ],
    ),
    (
        2,
        "rule macros: out of scope, negative feedback, data-class rank (postlaunch.rules)",
        rules.macro_statements(),
    ),
    (
        3,
        "the weekly rollup every metric reads (postlaunch.rollup); built by the first writing command",
        [
            """
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
            )
            """,
            """
            CREATE TABLE usage_week_users (
                deployment   VARCHAR NOT NULL,
                wk           BIGINT NOT NULL,
                active_users BIGINT NOT NULL              -- exact distinct user_id
            )
            """,
            """
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
            )
            """,
            """
            CREATE TABLE rollup_state (
                timezone VARCHAR NOT NULL,                -- the zone whose weeks `wk` counts
                source   VARCHAR NOT NULL,                -- duckdb (from stored events) | spark
                built_at TIMESTAMP NOT NULL
            )
            """,
        ],
    ),
    (
        4,
        "who decided: identity columns of decisions, countersignatures, decision proposals awaiting one",
        [
            # The signed-in identity (or the CLI's --by and OS user) and the second signature that a
            # high-tier expand or return from pause needs (postlaunch.decisions.OPTIONAL_FIELDS).
            "ALTER TABLE decisions ADD COLUMN decided_by_email VARCHAR",
            "ALTER TABLE decisions ADD COLUMN decided_via VARCHAR",  # oidc | local | cli
            "ALTER TABLE decisions ADD COLUMN decided_os_user VARCHAR",
            "ALTER TABLE decisions ADD COLUMN countersigned_by VARCHAR",
            "ALTER TABLE decisions ADD COLUMN countersigned_by_email VARCHAR",
            "ALTER TABLE decisions ADD COLUMN countersigned_via VARCHAR",
            "ALTER TABLE decisions ADD COLUMN countersigned_os_user VARCHAR",
            "ALTER TABLE decisions ADD COLUMN countersigned_at TIMESTAMP",
            """
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
            )
            """,
        ],
    ),
    (
        5,
        "quarantine: field, source-row key, runs that met it; superseding decisions; notification deliveries",
        [
            *rules.macro_statements(rules.SOURCE_ROW_MACROS),
            # the column(s) a reason is about (NULL: the whole row), the source row's identity
            # (pl_source_row_key) and every run that met the row (the first is run_id)
            "ALTER TABLE quarantine ADD COLUMN field VARCHAR",
            "ALTER TABLE quarantine ADD COLUMN source_key UHUGEINT",
            "ALTER TABLE quarantine ADD COLUMN seen_in_runs VARCHAR[]",
            """
            UPDATE quarantine SET
                field = nullif(s.field, ''),
                source_key = s.source_key,
                seen_in_runs = [quarantine.run_id]
            FROM (
                SELECT q.rowid AS rid,
                       regexp_extract(q.reason, '^line [0-9]+: (?:required field )?([A-Za-z_]+) ', 1) AS field,
                       pl_source_row_key(q.kind, q.raw, coalesce(r.sha256, q.file) || ':' || coalesce(q.line, -1),
                           row_number() OVER (PARTITION BY q.run_id, q.kind, q.raw ORDER BY q.line)) AS source_key
                FROM quarantine q LEFT JOIN ingest_runs r USING (run_id)
            ) s
            WHERE quarantine.rowid = s.rid
            """,
            # the record a decision replaces for the same deployment-week (decide --supersede)
            "ALTER TABLE decisions ADD COLUMN supersedes BIGINT",
            """
            CREATE TABLE notifications (
                notify_id   VARCHAR NOT NULL,   -- one `postlaunch notify` run
                week        VARCHAR NOT NULL,   -- the ISO week of the digest
                channel     VARCHAR NOT NULL,   -- email | webhook
                recipient   VARCHAR NOT NULL,   -- an e-mail address, or a webhook URL with its secret path hidden
                deployments VARCHAR[] NOT NULL, -- the deployments the message covered
                attachments VARCHAR[],          -- review packs attached (file names)
                status      VARCHAR NOT NULL,   -- sent (the server or receiver accepted it) | failed
                attempts    INTEGER NOT NULL,
                detail      VARCHAR,            -- the server's answer (HTTP status, SMTP reply) or the error
                started_at  TIMESTAMP NOT NULL, -- UTC
                finished_at TIMESTAMP NOT NULL,
                who         VARCHAR,
                host        VARCHAR
            )
            """,
        ],
    ),
    (
        6,
        "readiness and training records, serious_kind, the untrained measure, the operating status "
        "(decision follow-ups, status keys, status reads), the reporting-clock macro",
        [
            """
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
            )
            """,
            """
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
            )
            """,
            "ALTER TABLE incidents ADD COLUMN serious_kind VARCHAR",
            "ALTER TABLE incident_history ADD COLUMN serious_kind VARCHAR",
            # week grain only: events whose user had no training valid at the event's time (NULL elsewhere)
            "ALTER TABLE usage_rollup ADD COLUMN untrained_events BIGINT",
            # decision record fields (postlaunch.decisions.OPTIONAL_FIELDS): the runbook a pause or stop was
            # taken under, and the return criteria checked by a return to normal (both JSON)
            "ALTER TABLE decisions ADD COLUMN runbook VARCHAR",
            "ALTER TABLE decisions ADD COLUMN return_criteria VARCHAR",
            """
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
            )
            """,
            """
            CREATE TABLE status_keys (
                key_id     VARCHAR PRIMARY KEY,
                deployment VARCHAR NOT NULL,      -- a deployment id, or * for every deployment
                key_hash   VARCHAR NOT NULL,      -- sha256 of the whole key; the key itself is never stored
                label      VARCHAR,
                created_by VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL,
                revoked_by VARCHAR,
                revoked_at TIMESTAMP
            )
            """,
            """
            CREATE TABLE status_reads (
                read_at      TIMESTAMP NOT NULL,  -- UTC
                key_id       VARCHAR,             -- NULL: no or an unknown key
                deployment   VARCHAR,             -- NULL: the request named no deployment we know
                flag_key     VARCHAR,
                outcome      VARCHAR NOT NULL,    -- ok, unauthorized, forbidden, not_found
                mode         VARCHAR,             -- the mode answered (ok reads)
                decision_seq BIGINT,              -- the decision that set that mode (NULL: the registry's)
                client       VARCHAR              -- remote address and user agent
            )
            """,
            *rules.clock_macro_statements(),
            # a proposal keeps what its decision record will carry (DESIGN §14, §17)
            "ALTER TABLE decision_proposals ADD COLUMN runbook VARCHAR",
            "ALTER TABLE decision_proposals ADD COLUMN return_criteria VARCHAR",
        ],
    ),
    (
        7,
        "the weekly audit sample (scope_draws), labels with their history, score bands of placements",
        [
            "ALTER TABLE usage_events ADD COLUMN inferred_band SMALLINT",  # score - threshold, in bands
            "ALTER TABLE usage_rollup ADD COLUMN audited_use_case VARCHAR",  # scope: a person's label of a drawn event
            "ALTER TABLE usage_rollup ADD COLUMN inferred_band SMALLINT",  # scope: the placement's score band
            """
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
            )
            """,
            """
            CREATE TABLE scope_draw_events (
                draw_id  VARCHAR NOT NULL,
                position INTEGER NOT NULL,          -- 1, 2, ... in the order drawn
                identity UHUGEINT NOT NULL,         -- usage_events.identity
                event_id VARCHAR NOT NULL           -- as the sample CSV names it (# + hex identity without one)
            )
            """,
            """
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
            )
            """,
            """
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
            )
            """,
        ],
    ),
    (
        8,
        "ingest leases (a file appended in short transactions is loaded only when its run is recorded), "
        "the readers' views of loaded rows, and the rollup's example texts",
        [
            """
            CREATE TABLE ingest_leases (
                run_id       VARCHAR NOT NULL,   -- the run whose rows are being appended (not loaded yet)
                kind         VARCHAR NOT NULL,
                file         VARCHAR NOT NULL,
                pid          INTEGER NOT NULL,   -- the appending process, on `host`
                host         VARCHAR NOT NULL,
                started_at   TIMESTAMP NOT NULL, -- UTC
                heartbeat_at TIMESTAMP NOT NULL  -- UTC, renewed with every appended chunk
            )
            """,
            # Every reader of stored rows reads these: rows of a run still being appended are not loaded.
            "CREATE VIEW usage_loaded AS SELECT * FROM usage_events "
            "WHERE run_id NOT IN (SELECT run_id FROM ingest_leases)",
            "CREATE VIEW feedback_loaded AS SELECT * FROM feedback "
            "WHERE run_id NOT IN (SELECT run_id FROM ingest_leases)",
            """
            CREATE TABLE scope_examples (
                deployment   VARCHAR NOT NULL,
                wk           BIGINT NOT NULL,    -- local ISO week index (rollup_state.timezone)
                use_case     VARCHAR NOT NULL,   -- the label, else the placement
                source       VARCHAR NOT NULL,   -- labelled | inferred
                request_text VARCHAR NOT NULL,   -- redacted as at ingest (setting request_text)
                first_ts     TIMESTAMP NOT NULL  -- UTC, its first request in the week
            )
            """,
        ],
    ),
]

# The access log lives in a DuckDB file of its own (postlaunch.accesslog): a page view must not change
# the database file that every cached page is keyed on, nor wait for an ingest's lock.
ACCESS_MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "access log (DESIGN §17)",
        [
            """
            CREATE TABLE access_log (
                ts         TIMESTAMP NOT NULL,  -- UTC
                identity   VARCHAR NOT NULL,    -- Name <e-mail>, or the CLI's --by (OS user x)
                email      VARCHAR,
                via        VARCHAR NOT NULL,    -- oidc | local | cli
                action     VARCHAR NOT NULL,    -- login, view, export, decide, label, readiness, upload, status_read
                deployment VARCHAR,
                detail     VARCHAR
            )
            """,
        ],
    ),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def _applied(conn: duckdb.DuckDBPyConnection) -> set[int]:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or not exists[0]:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}


def migrate(
    conn: duckdb.DuckDBPyConnection, migrations: list[tuple[int, str, list[str]]] | None = None
) -> list[int]:
    """Apply every migration not yet recorded (of `migrations`, default MIGRATIONS), each in its own
    transaction. Returns the versions applied."""
    done = _applied(conn)
    applied: list[int] = []
    for version, name, statements in MIGRATIONS if migrations is None else migrations:
        if version in done:
            continue
        conn.execute("BEGIN TRANSACTION")
        try:
            if not done and not applied:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name])
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def check_schema(conn: duckdb.DuckDBPyConnection, path: str) -> None:
    """For read-only connections: refuse a database that is not (yet) a postlaunch database."""
    done = _applied(conn)
    if not done:
        raise PostlaunchError(
            f"{path} is not a postlaunch database yet: load data with `postlaunch ingest` or run `make demo`"
        )
    missing = [v for v, _, _ in MIGRATIONS if v not in done]
    if missing and max(done) <= SCHEMA_VERSION and max(missing) < max(done):
        raise PostlaunchError(
            f"{path} lacks schema migration(s) {', '.join(map(str, missing))}; run any writing command "
            "(e.g. `postlaunch ingest`) to migrate it"
        )
    if max(done) > SCHEMA_VERSION:
        raise PostlaunchError(
            f"{path} has schema version {max(done)}, newer than this postlaunch ({SCHEMA_VERSION}): upgrade postlaunch"
        )
    if max(done) < SCHEMA_VERSION:
        raise PostlaunchError(
            f"{path} has schema version {max(done)}; run any writing command (e.g. `postlaunch ingest`) to migrate it"
        )
