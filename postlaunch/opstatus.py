"""The operating status each deployed system reads (DESIGN §14): its mode (normal, limited, paused,
stopped) from its latest decision, else from the registry's `status`; the flagd flag file that carries
it (`postlaunch.<id>.mode`), written atomically; the OFREP answer for one flag; and when the app first
read a pause or stop (the acknowledgement). It reads decisions and status reads; it writes only files.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from postlaunch import fmt, sqlfiles
from postlaunch.registry import Registry

MODES: tuple[str, ...] = ("normal", "limited", "paused", "stopped")
MODE_OF_DECISION = {
    "expand": "normal",
    "continue": "normal",
    "limit": "limited",
    "pause": "paused",
    "stop": "stopped",
}
MODE_OF_STATUS = {"active": "normal", "limited": "limited", "paused": "paused", "retired": "stopped"}
HALTED = ("paused", "stopped")  # modes whose reading by the app is the acknowledgement
FLAG_PREFIX, FLAG_SUFFIX = "postlaunch.", ".mode"
FLAGD_SCHEMA = "https://flagd.dev/schema/v0/flags.json"


def flag_key(deployment: str) -> str:
    return f"{FLAG_PREFIX}{deployment}{FLAG_SUFFIX}"


def deployment_of(key: str) -> str | None:
    """The deployment a flag key names (`postlaunch.<id>.mode`), or None for any other key."""
    if (
        key.startswith(FLAG_PREFIX)
        and key.endswith(FLAG_SUFFIX)
        and len(key) > len(FLAG_PREFIX + FLAG_SUFFIX)
    ):
        return key[len(FLAG_PREFIX) : -len(FLAG_SUFFIX)]
    return None


def iso_z(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


@dataclass(frozen=True)
class OperatingStatus:
    """One deployment's operating mode and where it comes from."""

    deployment: str
    mode: str
    source: str  # decision | registry
    fail_mode: str
    decision_seq: int | None = None
    decision: str | None = None
    week: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None  # UTC
    rationale: str | None = None
    registry_status: str | None = None

    @property
    def key(self) -> str:
        return flag_key(self.deployment)

    @property
    def reason(self) -> str:
        if self.source == "decision":
            return f"{self.decision} decided for {self.week}: {self.rationale}"
        return f"registry status {self.registry_status} (no decision recorded)"

    def metadata(self) -> dict[str, str | int]:
        """The flag's metadata (flagd and OFREP): only string and number values, none left empty."""
        out: dict[str, str | int] = {}
        if self.decision_seq is not None:
            out["decisionId"] = self.decision_seq
        if self.decided_by:
            out["decidedBy"] = self.decided_by
        decided = iso_z(self.decided_at)
        if decided:
            out["decidedAt"] = decided
        out["reason"] = self.reason
        out["failMode"] = self.fail_mode
        return out

    def ofrep(self) -> dict[str, Any]:
        """The OFREP success answer for this deployment's flag."""
        return {
            "key": self.key,
            "value": self.mode,
            "reason": "STATIC",
            "variant": self.mode,
            "metadata": self.metadata(),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "flag": self.key,
            "mode": self.mode,
            "source": self.source,
            "decision_id": self.decision_seq,
            "decision": self.decision,
            "week": self.week,
            "decided_by": self.decided_by,
            "decided_at": iso_z(self.decided_at),
            "reason": self.reason,
            "fail_mode": self.fail_mode,
        }


def statuses(conn: duckdb.DuckDBPyConnection, registry: Registry) -> list[OperatingStatus]:
    """Every deployment of the registry, by id: its mode from its latest decision, else its status."""
    latest = {
        r["deployment"]: r
        for r in sqlfiles.rows(conn, sqlfiles.sql_text(sqlfiles.CORE_SQL, "latest_decisions"), {})
    }
    out = []
    for dep_id in registry.ids:
        dep = registry.deployments[dep_id]
        row = latest.get(dep_id)
        if row is None:
            out.append(
                OperatingStatus(
                    dep_id, MODE_OF_STATUS[dep.status], "registry", dep.fail_mode, registry_status=dep.status
                )
            )
            continue
        out.append(
            OperatingStatus(
                dep_id,
                MODE_OF_DECISION[row["decision"]],
                "decision",
                dep.fail_mode,
                decision_seq=int(row["seq"]),
                decision=row["decision"],
                week=row["week"],
                decided_by=row["decided_by"],
                decided_at=row["decided_at"],
                rationale=row["rationale"],
                registry_status=dep.status,
            )
        )
    return out


def status_of(conn: duckdb.DuckDBPyConnection, registry: Registry, deployment: str) -> OperatingStatus:
    registry.get(deployment)  # an unknown id is named with the known ones
    return next(s for s in statuses(conn, registry) if s.deployment == deployment)


def flagd_document(items: list[OperatingStatus]) -> dict[str, Any]:
    """An OpenFeature flagd flag file: one ENABLED string flag per deployment whose default variant is
    its mode (never DISABLED: flagd would then hand the app its own code default)."""
    return {
        "$schema": FLAGD_SCHEMA,
        "flags": {
            s.key: {
                "state": "ENABLED",
                "variants": {mode: mode for mode in MODES},
                "defaultVariant": s.mode,
                "metadata": s.metadata(),
            }
            for s in items
        },
    }


def flagd_json(items: list[OperatingStatus]) -> str:
    return json.dumps(flagd_document(items), indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader sees the old file or the new one, never half of one: a
    temporary file in the same folder, flushed to disk, then renamed over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_status_file(conn: duckdb.DuckDBPyConnection, registry: Registry, path: Path) -> None:
    """Rewrite the flagd file at `path` with every deployment's current mode."""
    write_atomic(path, flagd_json(statuses(conn, registry)))


def first_read(conn: duckdb.DuckDBPyConnection, status: OperatingStatus) -> datetime | None:
    """When the app first read the mode `status` set, after the decision (an ok OFREP read that answered
    that decision), or None when it has not yet."""
    if status.decision_seq is None or status.decided_at is None:
        return None
    rows = sqlfiles.rows(
        conn,
        sqlfiles.sql_text(sqlfiles.CORE_SQL, "first_status_read"),
        {"dep": status.deployment, "seq": status.decision_seq, "since": status.decided_at},
    )
    return rows[0]["first_read"] if rows else None


def last_read(conn: duckdb.DuckDBPyConnection, deployment: str) -> datetime | None:
    """The app's latest ok read of its status (any mode), or None."""
    rows = sqlfiles.rows(
        conn,
        "SELECT max(read_at) AS at FROM status_reads WHERE outcome = 'ok' AND deployment = $dep",
        {"dep": deployment},
    )
    return rows[0]["at"] if rows else None


@dataclass(frozen=True)
class Acknowledgement:
    """Whether the app has seen a pause or stop: when it was decided, when the app first read it, and
    whether the wait has passed `pause_ack_minutes` (then "not yet observed" is an alert)."""

    status: OperatingStatus
    first_read_at: datetime | None
    now: datetime
    ack_minutes: int

    @property
    def observed(self) -> bool:
        return self.first_read_at is not None

    @property
    def waited_minutes(self) -> float:
        decided = self.status.decided_at or self.now
        return (self.now - decided).total_seconds() / 60

    @property
    def alert(self) -> bool:
        return not self.observed and self.waited_minutes > self.ack_minutes

    def text(self, tz: str) -> str:
        """`pause decided 10:02 · first read by the app 10:02:05`, or `... · not yet observed by the app`."""
        decided = self.status.decided_at or self.now
        head = f"{self.status.decision} decided {fmt.clock(decided, tz, self.now)}"
        if self.first_read_at is not None:
            return (
                f"{head} · first read by the app {fmt.clock(self.first_read_at, tz, decided, seconds=True)}"
            )
        tail = f" for {fmt.minutes_text(self.waited_minutes)}" if self.alert else ""
        return f"{head} · not yet observed by the app{tail}"


def acknowledgement(
    conn: duckdb.DuckDBPyConnection, status: OperatingStatus, ack_minutes: int, now: datetime | None = None
) -> Acknowledgement | None:
    """For a deployment paused or stopped by a decision: whether its app has read that yet (else None)."""
    if status.source != "decision" or status.mode not in HALTED:
        return None
    moment = now or datetime.now(UTC).replace(tzinfo=None)
    return Acknowledgement(status, first_read(conn, status), moment, ack_minutes)
