"""The one owner of the DuckDB schema: every table of the data contract, ingest runs, quarantine,
decisions and change records, and the rule macros of `postlaunch.rules`, created by numbered
migrations recorded in `schema_migrations`. A changed rule macro needs a new migration.

Nothing else in the project issues CREATE or ALTER; readers may call `check_schema` only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from postlaunch import rules
from postlaunch.errors import PostlaunchError

MIGRATION_SQL = Path(__file__).resolve().parent / "sql" / "migrations"


def _ddl(name: str) -> str:
    """The statements of sql/migrations/NAME.sql, run as one multi-statement string."""
    return (MIGRATION_SQL / f"{name}.sql").read_text(encoding="utf-8")


# Each migration: (version, name, statements), its DDL in sql/migrations/. Append new ones; never edit a
# released one (its file included). The rule macros come from postlaunch.rules, which declares them.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "data contract tables, ingest runs, quarantine, decisions, registry state", [_ddl("001_contract")]),
    (
        2,
        "rule macros: out of scope, negative feedback, data-class rank (postlaunch.rules)",
        rules.macro_statements(),
    ),
    (
        3,
        "the weekly rollup every metric reads (postlaunch.rollup); built by the first writing command",
        [_ddl("003_rollup")],
    ),
    (
        4,
        "who decided: identity columns of decisions, countersignatures, decision proposals awaiting one",
        [_ddl("004_identities")],
    ),
    (
        5,
        "quarantine: field, source-row key, runs that met it; superseding decisions; notification deliveries",
        [*rules.macro_statements(rules.SOURCE_ROW_MACROS), _ddl("005_quarantine_keys")],
    ),
    (
        6,
        "readiness and training records, serious_kind, the untrained measure, the operating status "
        "(decision follow-ups, status keys, status reads), the reporting-clock macro",
        [_ddl("006_readiness"), *rules.clock_macro_statements()],
    ),
    (
        7,
        "the weekly audit sample (scope_draws), labels with their history, score bands of placements",
        [_ddl("007_audit_sample")],
    ),
    (
        8,
        "ingest leases (a file appended in short transactions is loaded only when its run is recorded), "
        "the readers' views of loaded rows, and the rollup's example texts",
        [_ddl("008_leases")],
    ),
]

# The access log lives in a DuckDB file of its own (postlaunch.accesslog): a page view must not change
# the database file that every cached page is keyed on, nor wait for an ingest's lock.
ACCESS_MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "access log (DESIGN §17)", [_ddl("access_001_log")])
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
