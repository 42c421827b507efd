"""Helpers for the metrics tests: a migrated DuckDB file in tmp_path, a Context built in code, and
row inserters with defaults per table of postlaunch/schema.py (ingest is not needed)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from postlaunch import db, rollup
from postlaunch.config import Context
from postlaunch.registry import parse_registry
from postlaunch.settings import Settings

_ids = itertools.count(1)

BASE_DEPLOYMENT: dict[str, Any] = {
    "name": "Support ticket triage",
    "owner": "Head of Support",
    "risk_tier": "medium",
    "launched": date(2026, 1, 5),
    "approved_use_cases": ["classify", "route"],
    "approved_teams": ["l1", "l2"],
    "max_data_class": "internal",
    "weekly_budget": 1000.0,
}


def make_ctx(
    tmp_path: Path, deployments: dict[str, dict[str, Any]] | None = None, **settings: Any
) -> Context:
    raw = deployments if deployments is not None else {"dep": {}}
    registry = parse_registry({k: {**BASE_DEPLOYMENT, **v} for k, v in raw.items()})
    return Context(settings=Settings(db=tmp_path / "t.duckdb", **settings), registry=registry)


def open_db(ctx: Context) -> duckdb.DuckDBPyConnection:
    conn = db.open_connection(ctx.settings.db)
    rollup.ensure_current(conn, ctx.settings.timezone)
    return conn


def _insert(conn: duckdb.DuckDBPyConnection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert rows (dicts; keys may differ between rows) through one DataFrame per set of keys."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for cols, group in groups.items():
        frame = pd.DataFrame(group, columns=list(cols), dtype=object)
        conn.register("_rows", frame)
        try:
            conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        finally:
            conn.unregister("_rows")


def usage(ts: datetime | str, deployment: str = "dep", **kw: Any) -> dict[str, Any]:
    i = next(_ids)
    row = {
        "identity": i, "content_hash": i, "event_id": f"e{i}", "ts": ts, "deployment": deployment,
        "user_id": "u1", "outcome": "ok", "requests": 1, "run_id": "r",
    }  # fmt: skip
    row.update(kw)
    return row


def feedback(ts: datetime | str, deployment: str = "dep", **kw: Any) -> dict[str, Any]:
    i = next(_ids)
    return {"identity": i, "content_hash": i, "ts": ts, "deployment": deployment, "run_id": "r", **kw}


def cost(
    start: date | str, end: date | str | None = None, amount: float = 0.0, deployment: str = "dep", **kw: Any
) -> dict[str, Any]:
    i = next(_ids)
    row = {
        "identity": i, "content_hash": i, "period_start": start, "period_end": end or start,
        "deployment": deployment, "amount": amount, "currency": "USD", "amount_reporting": amount,
        "category": "usage", "run_id": "r",
    }  # fmt: skip
    row.update(kw)
    return row


def incident(
    incident_id: str, opened_at: datetime | str, deployment: str = "dep", **kw: Any
) -> dict[str, Any]:
    row = {
        "incident_id": incident_id, "content_hash": next(_ids), "version": 1, "opened_at": opened_at,
        "deployment": deployment, "severity": "low", "status": "open", "run_id": "r",
    }  # fmt: skip
    row.update(kw)
    return row


def change(ts: datetime | str, summary: str, deployment: str = "dep", **kw: Any) -> dict[str, Any]:
    i = next(_ids)
    row = {
        "identity": i, "content_hash": i, "ts": ts, "deployment": deployment, "kind": "model",
        "summary": summary, "source": "file",
    }  # fmt: skip
    row.update(kw)
    return row


def readiness(
    deployment: str, item: str, status: str = "met", evidence_date: date | str = "2026-01-01", **kw: Any
) -> dict[str, Any]:
    i = next(_ids)
    row = {
        "identity": i, "content_hash": i, "deployment": deployment, "item": item, "status": status,
        "evidence": f"evidence for {item}", "evidence_date": evidence_date, "reviewed_by": "QA lead",
        "source": "file", "run_id": "r", "line": i,
    }  # fmt: skip
    row.update(kw)
    return row


def training(user_id: str, completed_at: datetime | str, **kw: Any) -> dict[str, Any]:
    i = next(_ids)
    return {
        "identity": i,
        "content_hash": i,
        "user_id": user_id,
        "completed_at": completed_at,
        "run_id": "r",
        **kw,
    }


def insert(conn: duckdb.DuckDBPyConnection, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert rows by hand; usage, feedback and training records also rebuild the weekly rollup, as an
    ingest keeps it."""
    _insert(conn, table, rows)
    if table in ("usage_events", "feedback", "training_records"):
        rebuild_rollup(conn)


def rebuild_rollup(conn: duckdb.DuckDBPyConnection) -> None:
    state = rollup.read_state(conn)
    assert state is not None, "open the database with open_db(ctx)"
    rollup.rebuild(conn, state.timezone)


def test_helpers_build_a_database(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    conn = open_db(ctx)
    insert(conn, "usage_events", [usage("2026-01-05 10:00:00"), usage("2026-01-06 10:00:00", requests=3)])
    assert conn.execute("SELECT sum(requests) FROM usage_events").fetchone() == (4,)
    conn.close()
