"""`postlaunch quarantine`: every quarantined row with its file, line, field and reason — of one ingest
run, one file, or with a reason containing some text — as lines or one JSON document. A row that several
ingests met is listed once. It reads only; the rows come from `metrics.evidence`, as on the Evidence page.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from metrics.evidence import ingest_runs_matching, quarantined_rows
from postlaunch.config import load_context
from postlaunch.db import connect
from postlaunch.errors import UsageError

RAW_SHOWN = 160  # characters of the raw row on a text line; --json has all of it
MIN_RUN_PREFIX = 6


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "quarantine",
        parents=parents,
        description="List quarantined rows (every one, unless narrowed): file, line, field, reason and the "
        "row as read. A row that several ingests met is listed once.",
    )
    parser.add_argument(
        "--run",
        dest="run_id",
        metavar="ID",
        help="rows an ingest run met (its run id, or the first 6+ characters)",
    )
    parser.add_argument(
        "--file", metavar="F", help="rows of this file (the path as loaded, its name, or a glob)"
    )
    parser.add_argument("--reason", metavar="TEXT", help="rows whose reason contains TEXT (any case)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=run)


def _run_id(conn: Any, given: str) -> str:
    """The full id of the run `given` names (whole or as a prefix); a usage error when none or several match."""
    given = given.strip()
    if len(given) < MIN_RUN_PREFIX:
        raise UsageError(f"--run {given!r}: give the run id (at least its first {MIN_RUN_PREFIX} characters)")
    runs = ingest_runs_matching(conn, given)
    if not runs:
        raise UsageError(
            f"--run {given!r}: no ingest run has this id (see the Evidence page or `ingest --json`)"
        )
    if len(runs) > 1:
        ids = ", ".join(r["run_id"] for r in runs[:5])
        raise UsageError(f"--run {given!r} matches {len(runs)} runs ({ids}); give more characters")
    return str(runs[0]["run_id"])


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    keys = ["file", "line", "field", "reason", "raw", "kind", "run_id", "seen_in_runs", "quarantined_at"]
    return [{k: _plain(row[k]) for k in keys} for row in rows.to_dict("records")]


def _line(rec: dict[str, Any]) -> str:
    where = f"{rec['file']}:{rec['line']}" if rec["line"] is not None else str(rec["file"])
    field = f" [{rec['field']}]" if rec["field"] else ""
    text = f"{where}:{field} {rec['reason']}"
    raw = " ".join(str(rec["raw"] or "").split())
    if raw:
        text += "\n    raw: " + (raw if len(raw) <= RAW_SHOWN else raw[: RAW_SHOWN - 1] + "…")
    return text


def _summary(records: list[dict[str, Any]], narrowed: list[str]) -> str:
    files = len({r["file"] for r in records})
    which = f" ({', '.join(narrowed)})" if narrowed else ""
    if not records:
        return f"no quarantined rows{which}"
    noun = "row" if len(records) == 1 else "rows"
    return f"{len(records):,} quarantined {noun} in {files} file{'s' if files != 1 else ''}{which}"


def run(args: argparse.Namespace) -> int:
    ctx = load_context(args.config, args.db)
    with connect(ctx.db, read_only=True, timeout=ctx.settings.lock_timeout_seconds) as conn:
        run_id = _run_id(conn, args.run_id) if args.run_id else None
        rows = quarantined_rows(conn, run_id, limit=None, file=args.file, reason=args.reason)
    records = _records(rows)
    narrowed = [
        text
        for text in (
            f"run {run_id}" if run_id else "",
            f"file {args.file}" if args.file else "",
            f"reason containing {args.reason!r}" if args.reason else "",
        )
        if text
    ]
    if args.json:
        filters = {"run": run_id, "file": args.file, "reason": args.reason}
        print(
            json.dumps(
                {"count": len(records), "filters": filters, "rows": records}, indent=2, ensure_ascii=False
            )
        )
        return 0
    for rec in records:
        print(_line(rec))
    print(_summary(records, narrowed))
    return 0
