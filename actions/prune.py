"""Retention (DESIGN §17): delete request text and access records older than a date, except what
`retention_days` protects for high-tier deployments (EU AI Act Art. 26(6): logs of a high-risk system
kept at least six months). The counts, the metrics and the decision log stay; only the text goes.

It plans first (what would go, what the floor keeps) and deletes only what the plan says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from postlaunch import accesslog, db
from postlaunch.config import Context
from postlaunch.errors import UsageError


@dataclass
class PrunePlan:
    """What `prune` deletes before `before`, and what the retention floor keeps, per deployment."""

    before: date
    today: date
    retention_days: int
    floors: dict[str, date]  # high-tier deployment -> first day protected
    texts: int = 0
    access: int = 0
    texts_kept: dict[str, int] = field(default_factory=dict)
    access_kept: dict[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return bool(self.texts_kept or self.access_kept)

    def lines(self, dry_run: bool) -> list[str]:
        verb = "would delete" if dry_run else "deleted"
        out = [
            f"request text: {verb} the text of {self.texts:,} events before {self.before}",
            f"access log: {verb} {self.access:,} records before {self.before}",
        ]
        for dep in sorted(set(self.texts_kept) | set(self.access_kept)):
            out.append(
                f"kept: {dep} is high tier, so its {self.texts_kept.get(dep, 0):,} request texts and "
                f"{self.access_kept.get(dep, 0):,} access records from {self.floors[dep]} on stay: "
                f"retention_days is {self.retention_days} (EU AI Act Art. 26(6)); prune refuses that part"
            )
        if dry_run:
            out.append("dry run: nothing was deleted")
        return out


def _utc(day: date, zone: str) -> datetime:
    """Midnight starting `day` in `zone`, as naive UTC (how timestamps are stored)."""
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def plan(
    ctx: Context, before: date, today: date | None = None
) -> tuple[PrunePlan, dict[str, datetime], datetime]:
    """The plan, with each floored deployment's protected-from instant and the cutoff instant (UTC)."""
    zone = ctx.settings.timezone
    today = today or datetime.now(ZoneInfo(zone)).date()
    if before > today:
        raise UsageError(f"--before {before} is after today ({today}): prune deletes the past only")
    days = ctx.settings.retention_days
    floor = today - timedelta(days=days)
    floors = {dep_id: floor for dep_id, dep in ctx.registry.deployments.items() if dep.risk_tier == "high"}
    return (
        PrunePlan(before, today, days, floors),
        {d: _utc(f, zone) for d, f in floors.items()},
        _utc(before, zone),
    )


def _count_texts(
    conn: duckdb.DuckDBPyConnection, cutoff: datetime, floors: dict[str, datetime]
) -> tuple[int, dict[str, int]]:
    cur = conn.cursor()
    try:
        row = cur.execute(
            "SELECT count(*) FROM usage_events WHERE ts < ? AND request_text IS NOT NULL", [cutoff]
        ).fetchone()
        kept: dict[str, int] = {}
        for dep, since in floors.items():
            if since >= cutoff:
                continue
            k = cur.execute(
                "SELECT count(*) FROM usage_events WHERE deployment = ? AND ts >= ? AND ts < ? "
                "AND request_text IS NOT NULL",
                [dep, since, cutoff],
            ).fetchone()
            if k and k[0]:
                kept[dep] = int(k[0])
    finally:
        cur.close()
    return (int(row[0]) if row else 0) - sum(kept.values()), kept


def _delete_texts(conn: duckdb.DuckDBPyConnection, cutoff: datetime, floors: dict[str, datetime]) -> int:
    rows = conn.execute(
        "UPDATE usage_events SET request_text = NULL WHERE ts < ? AND request_text IS NOT NULL "
        "AND NOT list_contains(?::VARCHAR[], deployment)",
        [cutoff, list(floors)],
    ).fetchone()
    total = int(rows[0]) if rows else 0
    for dep, since in floors.items():
        row = conn.execute(
            "UPDATE usage_events SET request_text = NULL WHERE deployment = ? AND ts < ? "
            "AND request_text IS NOT NULL",
            [dep, min(since, cutoff)],
        ).fetchone()
        total += int(row[0]) if row else 0
    return total


def prune(ctx: Context, before: date, *, dry_run: bool = False, today: date | None = None) -> PrunePlan:
    """Delete request text (usage_events.request_text) and access records before `before` (midnight in
    the configured timezone), except a high-tier deployment's that are younger than `retention_days`.
    Returns the plan with the counts deleted (or, with `dry_run`, that would be)."""
    result, floors, cutoff = plan(ctx, before, today)
    timeout = ctx.settings.lock_timeout_seconds
    with db.connect(ctx.db, read_only=dry_run, timeout=timeout) as conn:
        result.texts, result.texts_kept = _count_texts(conn, cutoff, floors)
        if not dry_run:
            with db.transaction(conn):
                result.texts = _delete_texts(conn, cutoff, floors)
            conn.execute("CHECKPOINT")
    log_path = accesslog.path_of(ctx.settings)
    if log_path.exists():
        with accesslog.connect(ctx.settings) as conn:
            result.access, result.access_kept = accesslog.count_before(conn, cutoff, floors)
            if not dry_run:
                with db.transaction(conn):
                    result.access = accesslog.delete_before(conn, cutoff, floors)
                conn.execute("CHECKPOINT")
    return result
