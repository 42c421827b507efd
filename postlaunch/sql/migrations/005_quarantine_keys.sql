-- Migration 5: quarantine: field, source-row key, runs that met it; superseding decisions; notification
--    deliveries.
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

-- pl_source_row_key is installed by this migration too (postlaunch.rules.SOURCE_ROW_MACROS).
-- The column(s) a reason is about (NULL: the whole row), the source row's identity
-- (pl_source_row_key) and every run that met the row (the first is run_id).
ALTER TABLE quarantine ADD COLUMN field VARCHAR;
ALTER TABLE quarantine ADD COLUMN source_key UHUGEINT;
ALTER TABLE quarantine ADD COLUMN seen_in_runs VARCHAR[];

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
WHERE quarantine.rowid = s.rid;

-- The record a decision replaces for the same deployment-week (decide --supersede).
ALTER TABLE decisions ADD COLUMN supersedes BIGINT;

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
);
