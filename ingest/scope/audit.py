"""The weekly audit sample (DESIGN §12): a uniform random draw of a week's usage events that have request
text and no label, recorded with its seed, population, time and person, so the same call returns the same
draw and an estimate built on it is unbiased. It writes scope_draws / scope_draw_events only; labels come
back through the `labels` kind (ingest/engine.py), never through here.
"""

from __future__ import annotations

import getpass
import secrets
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from postlaunch import sqlfiles
from postlaunch import weeks as wk
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError

DEFAULT_N = 40
CSV_COLUMNS = [
    "event_id", "deployment", "week", "ts", "request_text", "inferred_use_case", "inferred_score",
    "use_case", "labelled_by", "note",
]  # fmt: skip
SQL_DIR = sqlfiles.CORE_SQL.parents[1] / "ingest" / "scope"


@dataclass(frozen=True)
class Draw:
    """A recorded draw and its events in the order drawn (each with what the sample shows of it)."""

    draw_id: str
    deployment: str
    week: str
    seed: int
    requested: int
    drawn: int
    population: int
    drawn_at: datetime
    drawn_by: str
    new: bool  # drawn by this call (False: the week's recorded sample, returned again)
    events: list[dict[str, Any]]
    draws: int = 1  # draws of the week the events come from (the week's sample is all of them)

    @property
    def labelled(self) -> int:
        return sum(1 for e in self.events if e["use_case"] is not None)

    def csv_rows(self) -> list[dict[str, Any]]:
        """The sample CSV's rows (CSV_COLUMNS): a person's label blank to fill in, or as already given."""
        return [
            {
                "event_id": e["event_id"],
                "deployment": self.deployment,
                "week": self.week,
                "ts": e["ts"].replace(microsecond=0).isoformat() + "Z",
                "request_text": e["request_text"],
                "inferred_use_case": e["inferred_use_case"],
                "inferred_score": None
                if e["inferred_score"] is None
                else round(float(e["inferred_score"]), 4),
                "use_case": e["use_case"],
                "labelled_by": e["labelled_by"],
                "note": e["note"],
            }
            for e in self.events
        ]


def _sql(name: str) -> str:
    return sqlfiles.sql_text(SQL_DIR, name)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def person() -> str:
    """The operating-system user (the default `--by` of the command line)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


def week_sample(conn: duckdb.DuckDBPyConnection, deployment: str, week: str) -> Draw | None:
    """The week's recorded audit sample: every draw of the week, their events in the order drawn, with
    their current labels; described by the first draw (None: no draw yet)."""
    rows = conn.execute(
        "SELECT draw_id, seed, requested, drawn, population, drawn_at, drawn_by FROM scope_draws "
        "WHERE deployment = ? AND week = ? ORDER BY drawn_at, draw_id",
        [deployment, week],
    ).fetchall()
    if not rows:
        return None
    events = sqlfiles.rows(conn, _sql("audit_events"), {"deployment": deployment, "week": week, "draw": None})
    return _draw(deployment, week, rows[0], events, new=False, draws=len(rows))


def _draw(deployment: str, week: str, row: tuple[Any, ...], events: list[dict[str, Any]], *, new: bool,
          draws: int) -> Draw:  # fmt: skip
    draw_id, seed, requested, _drawn, population, drawn_at, drawn_by = row
    return Draw(draw_id, deployment, week, int(seed), int(requested), len(events), int(population), drawn_at,
                drawn_by, new, events, draws)  # fmt: skip


def draw_sample(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    deployment: str,
    week: str,
    *,
    n: int = DEFAULT_N,
    new: bool = False,
    by: str | None = None,
    seed: int | None = None,
) -> Draw:
    """The week's audit sample: its recorded draw, or (none yet, or `new`) a new uniform random draw of up
    to `n` of the week's events with request text, no label and not drawn before, recorded in one
    transaction. `seed` is for tests; a real draw takes a random one and records it."""
    dep = ctx.registry.get(deployment)
    canonical = wk.format_week(wk.parse_week(week))
    if n < 1:
        raise PostlaunchError(f"--n must be at least 1, got {n}")
    if not new:
        existing = week_sample(conn, dep.id, canonical)
        if existing is not None:
            return existing
    start, end = wk.week_bounds(canonical, ctx.settings.timezone)
    chosen = int(seed) if seed is not None else secrets.randbits(62)
    params = {"dep": dep.id, "start": start, "end": end, "week": canonical}
    conn.execute("BEGIN TRANSACTION")
    try:
        ((population,),) = conn.execute(
            _sql("audit_population").replace("{select}", "count(*)"), params
        ).fetchall()
        if population == 0:
            raise PostlaunchError(_empty_message(conn, dep.id, canonical, start, end))
        draw_id = uuid.uuid4().hex
        picked = conn.execute(
            _sql("audit_population").replace("{select}", "identity, event_id")
            + " ORDER BY md5_number($seed || ':' || identity::VARCHAR), identity LIMIT $n",
            {**params, "n": int(n), "seed": str(chosen)},
        ).fetchall()
        conn.executemany(
            "INSERT INTO scope_draw_events VALUES (?, ?, ?, ?)",
            [[draw_id, i + 1, ident, event_id] for i, (ident, event_id) in enumerate(picked)],
        )
        user = person()
        conn.execute(
            "INSERT INTO scope_draws VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [draw_id, dep.id, canonical, chosen, int(n), len(picked), int(population), _now(),
             (by or user).strip() or user, user, socket.gethostname()],
        )  # fmt: skip
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    row = conn.execute(
        "SELECT draw_id, seed, requested, drawn, population, drawn_at, drawn_by FROM scope_draws WHERE draw_id = ?",
        [draw_id],
    ).fetchone()
    assert row is not None
    events = sqlfiles.rows(
        conn, _sql("audit_events"), {"deployment": dep.id, "week": canonical, "draw": draw_id}
    )
    return _draw(dep.id, canonical, row, events, new=True, draws=1)


def _empty_message(
    conn: duckdb.DuckDBPyConnection, dep: str, week: str, start: datetime, end: datetime
) -> str:
    """Why a week has nothing to draw from, in words."""
    ((events, with_text, unlabeled),) = conn.execute(
        "SELECT count(*), count(request_text), count(*) FILTER (request_text IS NOT NULL AND use_case IS NULL) "
        "FROM usage_events WHERE deployment = ? AND ts >= ? AND ts < ?",
        [dep, start, end],
    ).fetchall()
    if events == 0:
        return f"{dep} has no usage events in {week}"
    if with_text == 0:
        return (
            f"none of {dep}'s {events:,} usage events in {week} has a request_text: there is nothing to check"
        )
    if unlabeled == 0:
        return f"every one of {dep}'s {with_text:,} requests with text in {week} has a use_case label already"
    return (
        f"every unlabeled request with text of {dep} in {week} was drawn or labelled already "
        f"({unlabeled:,} of them)"
    )
