"""Schema migrations (postlaunch/schema.py): their DDL files, and one migration applied whole or not at all."""

from __future__ import annotations

import duckdb
import pytest

from postlaunch import schema


def test_every_migration_file_is_applied_by_exactly_one_migration() -> None:
    files = {p.read_text(encoding="utf-8") for p in schema.MIGRATION_SQL.glob("*.sql")}
    used = [s for _, _, stmts in schema.MIGRATIONS + schema.ACCESS_MIGRATIONS for s in stmts if s in files]
    assert sorted(used) == sorted(files)
    assert [v for v, _, _ in schema.MIGRATIONS] == list(range(1, schema.SCHEMA_VERSION + 1))


def test_a_migration_file_that_fails_midway_leaves_nothing_behind() -> None:
    """A file runs as one multi-statement string inside the migration's transaction: a statement failing
    after others succeeded rolls them back, and the migration is not recorded."""
    broken = [
        (1, "first", ["CREATE TABLE kept (i INTEGER)"]),
        (2, "second", ["CREATE TABLE half (i INTEGER);\nALTER TABLE kept ADD COLUMN j INTEGER;\nALTER TABLE nope ADD COLUMN k INTEGER;"]),
    ]  # fmt: skip
    with duckdb.connect() as conn:
        with pytest.raises(duckdb.CatalogException, match="nope"):
            schema.migrate(conn, broken)
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {"kept", "schema_migrations"}
        assert [r[0] for r in conn.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'kept'").fetchall()] == ["i"]  # fmt: skip
        assert conn.execute("SELECT version FROM schema_migrations").fetchall() == [(1,)]
