"""Writes one validated file: finds duplicates and conflicts (anti-join on identities, classify.sql),
inserts new rows, updates incidents and labels with their history, and quarantines the rest with reasons
(each source row once, however often it is ingested). The file's work lives in temp tables; the stored identities are read while the database is attached for
reading (`seen`, `add_seen`), the writes run inside the caller's write transaction. It never commits and
never reads a file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from ingest import numbered, redact
from ingest.kinds import Kind
from ingest.numbered import V
from ingest.readers import FileProblem
from ingest.sqltext import Binder, quote_ident, run_sql, sql_file
from ingest.validate import ID_PREFIX

MULTI, SEEN, CLS = "__pl_multi", "__pl_seen", "__pl_cls"
SNAPSHOT, CRAW = "__pl_snapshot", "__pl_craw"  # the runs SEEN was read from; conflict rows' raw text
IDS = "__pl_ids"  # the file's distinct valid identities, gathered before the database is attached
BAD, BAD_KEYED = "__pl_bad", "__pl_bad_keyed"  # the file's quarantined rows, then with their source-row keys
# The rows of the file that `write` inserts (valid, neither duplicate nor conflict), as a relation.
NEW_ROWS = f"(SELECT * FROM temp.{V} v WHERE __reason IS NULL AND NOT EXISTS (SELECT 1 FROM temp.{CLS} c WHERE c.__row = v.__row))"
# The versions `write` added (incidents, labels), with the identity of each labelled event.
NEW_VERSIONS = "temp.__pl_newv"


@dataclass
class Counts:
    rows: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    rows = run_sql(conn, sql, params)
    return rows[0][0] if rows else None


def drop_temp(conn: duckdb.DuckDBPyConnection, *, shared: bool) -> None:
    numbered.drop(conn, shared=shared)
    names = (
        MULTI,
        IDS,
        SEEN,
        CLS,
        SNAPSHOT,
        CRAW,
        BAD,
        BAD_KEYED,
        "__pl_newv",
        "__pl_delta",
    )
    for name in names:
        run_sql(conn, f"DROP TABLE IF EXISTS temp.{quote_ident(name)}")


def _key(kind: Kind) -> str:
    """A kind with a history (incidents, labels) keys a row by identity and content: another content of
    a stored identity is a new version, never a conflict."""
    return "identity, content_hash" if kind.history is not None else "identity"


def repeats(conn: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Fill MULTI: the file's valid keys that occur more than once in it, with their first line."""
    key = _key(kind)
    # repeated keys first (a narrow aggregate), then the first occurrence of just those
    run_sql(
        conn,
        f"CREATE TEMP TABLE {MULTI} AS SELECT {key}, min(__line) AS first_line, arg_min(content_hash, __line) AS first_hash "
        f"FROM {V} WHERE __reason IS NULL AND ({key}) IN (SELECT {key} FROM {V} WHERE __reason IS NULL "
        f"GROUP BY {key} HAVING count(*) > 1) GROUP BY {key}",
    )


def identities(conn: duckdb.DuckDBPyConnection) -> None:
    """Fill IDS (before `seen`, so the step that holds the database only probes the stored rows)."""
    run_sql(conn, f"CREATE TEMP TABLE {IDS} AS SELECT DISTINCT identity FROM temp.{V} WHERE __reason IS NULL")


def _seen_sql(kind: Kind, runs: str) -> tuple[str, dict[str, Any] | None]:
    """The stored identities of the file's valid rows, from the loaded runs that `runs` selects, with every
    content hash stored for them and the first run that loaded them (its start and file name the conflict)."""
    table = kind.history or kind.table
    incidents = kind.name == "incidents"  # its history names the incident, not the row's identity
    ident = "md5_number($idp || t.incident_id)" if incidents else "t.identity"
    sql = (
        f"SELECT s.identity, s.hashes, s.run_id, r.started_at AS first_started, r.file AS first_file FROM ("
        f"SELECT {ident} AS identity, list(t.content_hash) AS hashes, min(t.run_id) AS run_id "
        f"FROM {quote_ident(table)} t WHERE {ident} IN (SELECT identity FROM temp.{IDS}) "
        f"AND t.run_id NOT IN (SELECT run_id FROM ingest_leases) AND {runs} GROUP BY 1) s "
        f"LEFT JOIN ingest_runs r ON r.run_id = s.run_id"
    )
    return sql, {"idp": ID_PREFIX} if incidents else None


def seen(conn: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Fill SEEN from the stored rows, and SNAPSHOT with the runs it saw (the database attached for reading)."""
    run_sql(conn, f"CREATE TEMP TABLE {SNAPSHOT} AS SELECT run_id FROM ingest_runs")
    sql, params = _seen_sql(kind, "true")
    run_sql(conn, f"CREATE TEMP TABLE {SEEN} AS {sql}", params)


def runs_since(conn: duckdb.DuckDBPyConnection, kind: Kind) -> list[str]:
    """Runs of `kind` that loaded rows after SEEN was read (another ingest committed in between)."""
    rows = run_sql(
        conn,
        f"SELECT run_id FROM ingest_runs WHERE kind = ? AND loaded > 0 "
        f"AND run_id NOT IN (SELECT run_id FROM temp.{SNAPSHOT}) ORDER BY started_at",
        [kind.name],
    )
    return [r[0] for r in rows]


def add_seen(conn: duckdb.DuckDBPyConnection, kind: Kind, runs: list[str]) -> None:
    """Add the identities stored by `runs` to SEEN and SNAPSHOT (the database attached for reading)."""
    sql, params = _seen_sql(kind, "list_contains($runs::VARCHAR[], t.run_id)")
    run_sql(conn, f"CREATE OR REPLACE TEMP TABLE __pl_delta AS {sql}", {**(params or {}), "runs": runs})
    run_sql(
        conn,
        f"CREATE OR REPLACE TEMP TABLE {SEEN} AS SELECT identity, flatten(list(hashes)) AS hashes, "
        f"min(run_id) AS run_id, arg_min(first_started, run_id) AS first_started, "
        f"arg_min(first_file, run_id) AS first_file "
        f"FROM (SELECT * FROM temp.{SEEN} UNION ALL SELECT * FROM temp.__pl_delta) GROUP BY identity",
    )
    run_sql(conn, "DROP TABLE temp.__pl_delta")
    run_sql(conn, f"INSERT INTO temp.{SNAPSHOT} SELECT unnest($runs::VARCHAR[])", {"runs": runs})


def classify(conn: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Fill CLS from MULTI and SEEN: valid rows that are duplicates or conflicts (every other valid row is new).
    For a kind with a history (incidents, labels) a row is a duplicate when its content was ever stored for
    its identity, and another content is a new version, never a conflict."""
    versioned = kind.history is not None
    id_col = kind.identity or "identity"
    sql = sql_file("classify.sql").format(
        v=f"temp.{V}",
        multi=f"temp.{MULTI}",
        seen=f"temp.{SEEN}",
        multi_join="m.identity = v.identity AND m.content_hash = v.content_hash"
        if versioned
        else "m.identity = v.identity",
        same_key="true" if versioned else "v.content_hash = m.first_hash",
        conflicts="false" if versioned else "true",
        id_value=f"left(v.{quote_ident(id_col)}, 80)" if kind.identity else "'?'",
    )
    run_sql(conn, f"CREATE OR REPLACE TEMP TABLE {CLS} AS {sql}", {"id_name": id_col})


def tally(conn: duckdb.DuckDBPyConnection, rejects: list[tuple[int, str, str]], *, strict: bool) -> Counts:
    """The file's counts once CLS is filled; with `strict`, a FileProblem when any row is quarantined."""
    ((total, bad),) = run_sql(conn, f"SELECT count(*), count(__reason) FROM temp.{V}")
    status = dict(conn.execute(f"SELECT status, count(*) FROM temp.{CLS} GROUP BY status").fetchall())
    c = Counts(rows=total + len(rejects), duplicates=status.get("duplicate", 0))
    c.quarantined = bad + status.get("conflict", 0) + len(rejects)
    c.loaded = c.rows - c.duplicates - c.quarantined
    if strict and c.quarantined:
        first = _first_reasons(conn, rejects, 1)
        raise FileProblem(
            f"--strict: {c.quarantined} of {c.rows} rows would be quarantined, so nothing is loaded; "
            f"first: {first[0] if first else '?'}"
        )
    return c


def stage_conflict_raw(
    conn: duckdb.DuckDBPyConnection, conflict_raw: Callable[[str], tuple[str, dict[str, Any]]]
) -> None:
    """Fill CRAW with the raw text of the conflicting rows (read from the file now, not while writing)."""
    raw_sql, params = conflict_raw(f"SELECT __row FROM temp.{CLS} WHERE status = 'conflict'")
    run_sql(conn, f"CREATE OR REPLACE TEMP TABLE {CRAW} AS {raw_sql}", params)


def insert_rows(
    conn: duckdb.DuckDBPyConnection,
    kind: Kind,
    outputs: list[str],
    run_id: str,
    rows: tuple[int, int] | None,
    source: str = NEW_ROWS,
) -> int:
    """Insert the file's new rows (those with `__row` in [lo, hi) when `rows` is given; `source`: the
    relation of them, append.SHARED_NEW_ROWS for a cursor) into the kind's table, inside the caller's write
    transaction. Returns the rows inserted."""
    cols = ", ".join(quote_ident(n) for n in ["identity", "content_hash", *outputs])
    # The whole file at once: the line is a column, so the order is not needed and threads append in
    # parallel. A chunk: in order, so it fills whole row groups (see ingest/append.py).
    run_sql(conn, f"SET preserve_insertion_order = {'false' if rows is None else 'true'}")
    where = "" if rows is None else f" WHERE __row >= {int(rows[0])} AND __row < {int(rows[1])}"
    return int(
        _one(
            conn,
            f"INSERT INTO {quote_ident(kind.table)} ({cols}, run_id, line) "
            f"SELECT {cols}, $run, __line FROM {source}{where}",
            {"run": run_id},
        )
    )


def write(
    conn: duckdb.DuckDBPyConnection,
    kind: Kind,
    outputs: list[str],
    *,
    run_id: str,
    file: str,
    rejects: list[tuple[int, str, str]],
    counts: Counts,
    rows_inserted: int | None,
    source_id: Callable[[], str | None] = lambda: None,
) -> None:
    """The file's last write, inside the caller's write transaction: its rows (unless they were appended
    before in chunks: `rows_inserted`), incidents and labels with their history, and its quarantine."""
    if kind.name == "incidents":
        counts.loaded = _write_incidents(conn, outputs, run_id, counts.notes)
    elif kind.name == "labels":
        counts.loaded = _write_labels(conn, outputs, run_id, counts.notes)
    elif rows_inserted is None:
        counts.loaded = insert_rows(conn, kind, outputs, run_id, None)
    else:
        counts.loaded = rows_inserted
    known = _quarantine(conn, kind, run_id, file, rejects, source_id)
    if known:
        counts.notes["already_quarantined"] = known
    if (
        counts.loaded != counts.rows - counts.duplicates - counts.quarantined
    ):  # pragma: no cover - an engine defect
        raise RuntimeError(f"ingest counts do not add up: {counts}")


def _write_incidents(
    conn: duckdb.DuckDBPyConnection, outputs: list[str], run_id: str, notes: dict[str, Any]
) -> int:
    cols = ", ".join(quote_ident(n) for n in outputs)
    versions = _new_versions(
        conn, "incidents", "incident_id", "incident_history", f"{cols}, content_hash, version", run_id
    )
    latest = f"(SELECT * FROM {NEW_VERSIONS} QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY version DESC) = 1)"
    sets = ", ".join(f"{quote_ident(n)} = n.{quote_ident(n)}" for n in outputs if n != "incident_id")
    updated = _one(
        conn,
        f"UPDATE incidents SET {sets}, content_hash = n.content_hash, version = n.version, run_id = $run, "
        f"line = n.__line FROM {latest} n WHERE incidents.incident_id = n.incident_id",
        {"run": run_id},
    )
    added = _one(
        conn,
        f"INSERT INTO incidents ({cols}, content_hash, version, run_id, line) "
        f"SELECT {cols}, content_hash, version, $run, __line FROM {latest} WHERE NOT known",
        {"run": run_id},
    )
    notes.update(incidents_added=added, incidents_updated=updated, versions=versions)
    return versions


def _new_versions(
    conn: duckdb.DuckDBPyConnection, table: str, key: str, history: str, cols: str, run_id: str
) -> int:
    """NEW_VERSIONS: the file's new rows of a versioned kind, numbered on from the stored version of their
    `key` in `table` (`known`: it had one); every one of them appended to `history`. Returns how many."""
    run_sql(
        conn,
        f"CREATE TEMP TABLE __pl_newv AS SELECT v.*, coalesce(t.version, 0) + "
        f"row_number() OVER (PARTITION BY v.{key} ORDER BY v.__line) AS version, t.{key} IS NOT NULL AS known "
        f"FROM temp.{V} v LEFT JOIN {table} t USING ({key}) "
        f"WHERE v.__reason IS NULL AND NOT EXISTS (SELECT 1 FROM temp.{CLS} c WHERE c.__row = v.__row)",
    )
    return int(
        _one(
            conn,
            f"INSERT INTO {history} ({cols}, run_id, line, loaded_at) "
            f"SELECT {cols}, $run, __line, now()::TIMESTAMP FROM {NEW_VERSIONS}",
            {"run": run_id},
        )
    )


def _write_labels(
    conn: duckdb.DuckDBPyConnection, outputs: list[str], run_id: str, notes: dict[str, Any]
) -> int:
    """Every new label version into label_history; the latest per event replaces its row in labels."""
    cols = f"identity, content_hash, version, {', '.join(quote_ident(n) for n in outputs)}"
    versions = _new_versions(conn, "labels", "identity", "label_history", cols, run_id)
    replaced = _one(conn, f"SELECT count(DISTINCT identity) FROM {NEW_VERSIONS} WHERE known")
    run_sql(conn, f"DELETE FROM labels WHERE identity IN (SELECT identity FROM {NEW_VERSIONS})")
    run_sql(
        conn,
        f"INSERT INTO labels ({cols}, run_id, line) SELECT {cols}, $run, __line FROM {NEW_VERSIONS} "
        f"QUALIFY row_number() OVER (PARTITION BY identity ORDER BY version DESC) = 1",
        {"run": run_id},
    )
    notes.update(labels_replaced=replaced)
    return versions


def _quarantine(
    conn: duckdb.DuckDBPyConnection,
    kind: Kind,
    run_id: str,
    file: str,
    rejects: list[tuple[int, str, str]],
    source_id: Callable[[], str | None],
) -> int:
    """Quarantine the file's bad rows (invalid, conflicting as staged in CRAW, unreadable): each source row
    once. A row an earlier run already quarantined (the same pl_source_row_key) is not stored again; the
    run is added to its `seen_in_runs`. Returns how many of the file's bad rows were in quarantine already."""
    base = {"run": run_id, "kind": kind.name, "file": file}
    run_sql(conn, f"CREATE TEMP TABLE {BAD} (line BIGINT, reason VARCHAR, raw VARCHAR, field VARCHAR)")
    run_sql(
        conn,
        f"INSERT INTO temp.{BAD} SELECT __line, 'line ' || __line || ': ' || __reason, __raw, __field "
        f"FROM temp.{V} WHERE __reason IS NOT NULL",
    )
    if _one(conn, f"SELECT count(*) FROM temp.{CLS} WHERE status = 'conflict'"):
        b = Binder("q")
        reason = redact.redact_sql("c.conflict_reason", b)
        run_sql(
            conn,
            f"INSERT INTO temp.{BAD} SELECT c.__line, {reason}, r.raw, $field "
            f"FROM temp.{CLS} c LEFT JOIN temp.{CRAW} r ON r.__row = c.__row WHERE c.status = 'conflict'",
            {**b.params, "field": kind.identity},
        )
    if rejects:
        table = pa.table(
            {
                "line": pa.array([r[0] for r in rejects], pa.int64()),
                "reason": [f"line {r[0]}: {r[1]}" for r in rejects],
                "raw": [r[2] for r in rejects],
            }
        )
        conn.register("__pl_rejects_arrow", table)
        b = Binder("q")
        run_sql(
            conn,
            f"INSERT INTO temp.{BAD} SELECT line, {redact.redact_sql('reason', b)}, "
            f"{redact.redact_sql('raw', b)}, NULL FROM __pl_rejects_arrow",
            b.params,
        )
        conn.unregister("__pl_rejects_arrow")
    if not _one(conn, f"SELECT count(*) FROM temp.{BAD}"):
        return 0
    unkept = _one(conn, f"SELECT count(*) FROM temp.{BAD} WHERE raw IS NULL")
    fallback = (source_id() or file) if unkept else file
    run_sql(
        conn,
        f"CREATE TEMP TABLE {BAD_KEYED} AS SELECT *, pl_source_row_key($kind, raw, $fallback || ':' || line, "
        f"row_number() OVER (PARTITION BY raw ORDER BY line)) AS source_key FROM temp.{BAD}",
        {"kind": kind.name, "fallback": fallback},
    )
    known = _one(
        conn,
        f"SELECT count(*) FROM temp.{BAD_KEYED} WHERE source_key IN "
        "(SELECT source_key FROM quarantine WHERE source_key IS NOT NULL)",
    )
    if known:
        run_sql(
            conn,
            "UPDATE quarantine SET seen_in_runs = list_append(coalesce(seen_in_runs, [run_id]), $run) "
            f"WHERE source_key IN (SELECT source_key FROM temp.{BAD_KEYED})",
            {"run": run_id},
        )
    run_sql(
        conn,
        "INSERT INTO quarantine (run_id, kind, file, line, reason, raw, quarantined_at, field, source_key, "
        "seen_in_runs) SELECT $run, $kind, $file, line, reason, raw, now()::TIMESTAMP, field, source_key, [$run] "
        f"FROM temp.{BAD_KEYED} WHERE source_key NOT IN "
        "(SELECT source_key FROM quarantine WHERE source_key IS NOT NULL)",
        base,
    )
    return int(known)


def _first_reasons(conn: duckdb.DuckDBPyConnection, rejects: list[tuple[int, str, str]], n: int) -> list[str]:
    rows = conn.execute(
        f"SELECT __line, 'line ' || __line || ': ' || __reason FROM temp.{V} WHERE __reason IS NOT NULL "
        f"UNION ALL SELECT __line, conflict_reason FROM temp.{CLS} WHERE status = 'conflict' ORDER BY 1 LIMIT {int(n)}"
    ).fetchall()
    merged = sorted(
        [(line, reason) for line, reason in rows] + [(r[0], f"line {r[0]}: {r[1]}") for r in rejects]
    )
    return [reason for _, reason in merged[:n]]


def sample_reasons(conn: duckdb.DuckDBPyConnection, run_id: str, n: int = 5) -> list[str]:
    """The first `n` reasons of the rows the run quarantined (or met in quarantine already), in line order."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT reason FROM quarantine WHERE list_contains(seen_in_runs, ?) ORDER BY line NULLS LAST LIMIT ?",
            [run_id, n],
        ).fetchall()
    ]
