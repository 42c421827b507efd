-- Access-log migration 1: the access log (DESIGN §17).
-- Released: never edit; a change is a new migration (postlaunch/schema.py).

CREATE TABLE access_log (
    ts         TIMESTAMP NOT NULL,  -- UTC
    identity   VARCHAR NOT NULL,    -- Name <e-mail>, or the CLI's --by (OS user x)
    email      VARCHAR,
    via        VARCHAR NOT NULL,    -- oidc | local | cli
    action     VARCHAR NOT NULL,    -- login, view, export, decide, label, readiness, upload, status_read
    deployment VARCHAR,
    detail     VARCHAR
);
