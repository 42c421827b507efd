"""The decision log's record format (DESIGN §8): which fields a record has, how it is hashed, how the
chain is appended to and verified. It is the one writer of the `decisions` table, and it only ever
appends; it never builds a review (the caller passes the snapshot, see `actions.decide`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from postlaunch import fmt, weeks
from postlaunch.errors import PostlaunchError, UsageError
from postlaunch.registry import WEEKDAYS

ACTIONS: tuple[str, ...] = ("expand", "continue", "limit", "pause", "stop")
# The columns of a decision record in the order they are stored; `hash` covers all the others.
RECORD_FIELDS: tuple[str, ...] = (
    "seq",
    "deployment",
    "week",
    "decision",
    "rationale",
    "decided_by",
    "attendees",
    "actions",
    "next_review",
    "decided_at",
    "snapshot",
    "prev_hash",
)
# Fields a later version added (each a column of `decisions`, NULL in older records). A record's hash
# covers such a field only when it is set, so every record written before the field existed still
# verifies. Append new ones; never reorder.
OPTIONAL_FIELDS: tuple[str, ...] = (
    # who decided (DESIGN §17): the signed-in e-mail, how they acted (oidc: signed in on the dashboard,
    # local: the dashboard without sign-in, cli: `postlaunch decide`) and, from the CLI, the OS user
    "decided_by_email",
    "decided_via",
    "decided_os_user",
    # the second signature of a high-tier expand or return from pause, inside the same record
    "countersigned_by",
    "countersigned_by_email",
    "countersigned_via",
    "countersigned_os_user",
    "countersigned_at",
    "supersedes",  # seq of the record this one replaces for the same deployment-week (decide --supersede)
    "runbook",  # JSON: the runbook (fallback, safe state, notify) a pause or stop was taken under (§14)
    "return_criteria",  # JSON: the return criteria checked by a continue or expand after a pause (§14)
)
_SELECT_RECORDS = f"SELECT {', '.join((*RECORD_FIELDS, *OPTIONAL_FIELDS))}, hash FROM decisions ORDER BY seq"
_RETRIES = 8
_COLUMNS = (*RECORD_FIELDS, *OPTIONAL_FIELDS, "hash")
_INSERT = f"INSERT INTO decisions ({', '.join(_COLUMNS)}) VALUES ({', '.join('$' + c for c in _COLUMNS)})"


@dataclass(frozen=True)
class DecisionRecord:
    """One record of the decision log, as stored."""

    seq: int
    deployment: str
    week: str
    decision: str
    rationale: str
    decided_by: str
    attendees: str  # JSON list of names
    actions: str | None
    next_review: date | None
    decided_at: datetime  # UTC, naive
    snapshot: str  # the review JSON
    prev_hash: str
    hash: str
    # OPTIONAL_FIELDS follow here, each with a default of None.
    decided_by_email: str | None = None
    decided_via: str | None = None
    decided_os_user: str | None = None
    countersigned_by: str | None = None
    countersigned_by_email: str | None = None
    countersigned_via: str | None = None
    countersigned_os_user: str | None = None
    countersigned_at: datetime | None = None
    supersedes: int | None = None
    runbook: str | None = None
    return_criteria: str | None = None

    @property
    def attendee_list(self) -> list[str]:
        return list(json.loads(self.attendees)) if self.attendees else []

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- the format ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_record(record: Mapping[str, Any]) -> str:
    """The canonical JSON a record's hash is taken of: every field except `hash` (an optional field only
    when set), keys sorted, compact, UTF-8, dates as ISO 8601 (`decided_at` with microseconds). Anyone
    can recompute it from the table."""
    content = {name: _plain(record.get(name)) for name in RECORD_FIELDS}
    content.update({name: _plain(record[name]) for name in OPTIONAL_FIELDS if record.get(name) is not None})
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(record: Mapping[str, Any]) -> str:
    """sha256 (hex) of `canonical_record(record)`."""
    return hashlib.sha256(canonical_record(record).encode("utf-8")).hexdigest()


# --- weeks and dates ----------------------------------------------------------------------------------


def parse_week(text: str) -> date:
    """The Monday of ISO week `YYYY-Www` (postlaunch.weeks.parse_week); here a bad week is a usage error."""
    try:
        return weeks.parse_week(text)
    except PostlaunchError as exc:
        raise UsageError(str(exc)) from None


def week_end(week: str) -> date:
    """The Sunday that ends ISO week `week`."""
    return parse_week(week) + timedelta(days=6)


def review_meeting(week: str, review_day: str) -> date:
    """The meeting that reviews `week`: the deployment's first review day after the week's end (for a
    Monday review of 16-22 Nov, Monday 23 Nov). Readiness is judged as of this day."""
    end = week_end(week)
    ahead = (WEEKDAYS.index(review_day) - end.weekday()) % 7 or 7
    return end + timedelta(days=ahead)


def default_next_review(week: str, review_day: str) -> date:
    """The deployment's review day one week after the meeting that reviews `week`: for a Monday review
    of 16-22 Nov, Monday 30 Nov."""
    return review_meeting(week, review_day) + timedelta(days=7)


def review_overdue(next_review: date | None, today: date) -> bool:
    """A review is overdue once the day it was due has passed without a newer decision."""
    return next_review is not None and next_review < today


def to_utc(moment: datetime) -> datetime:
    """Naive UTC (a naive `moment` is taken as UTC already)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


# --- the writer ---------------------------------------------------------------------------------------


def append(
    conn: duckdb.DuckDBPyConnection,
    fields: Mapping[str, Any],
    then: Callable[[duckdb.DuckDBPyConnection, DecisionRecord], None] | None = None,
    guard: Callable[[duckdb.DuckDBPyConnection], Mapping[str, Any]] | None = None,
) -> DecisionRecord:
    """Append the next record (every RECORD_FIELDS key but seq and prev_hash, and any OPTIONAL_FIELDS
    key that is set) in one transaction on `conn`
    (a writable connection): it reads the last record and inserts the next one. DuckDB's single-writer
    lock orders concurrent processes into one chain; a lost race inside this process is retried.
    `guard`, when given, runs inside the same transaction before the insert: it may refuse (raise) or
    return fields to add (e.g. `supersedes`), so a rule over the stored records holds under races.
    `then(conn, record)` runs inside the same transaction after it (a countersigned proposal is closed
    with it)."""
    last_error: Exception | None = None
    for _ in range(_RETRIES):
        conn.execute("BEGIN TRANSACTION")
        try:
            extra = dict(guard(conn)) if guard is not None else {}
            last = conn.execute("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").fetchone()
            record = {name: None for name in OPTIONAL_FIELDS} | dict(fields) | extra
            record.update(seq=(last[0] + 1) if last else 1, prev_hash=last[1] if last else "")
            record["hash"] = record_hash(record)
            conn.execute(_INSERT, record)
            if then is not None:
                then(conn, DecisionRecord(**record))
            conn.execute("COMMIT")
        except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
            _rollback(conn)
            last_error = exc
            continue
        except Exception:
            _rollback(conn)
            raise
        return DecisionRecord(**record)
    raise PostlaunchError(f"could not append to the decision log after {_RETRIES} attempts: {last_error}")


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
        conn.execute("ROLLBACK")


# --- verification -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainStatus:
    """The outcome of verifying the decision log. `broken_seq` is the first record that fails."""

    ok: bool
    records: int
    last_hash: str
    broken_seq: int | None = None
    message: str = ""

    def summary(self) -> str:
        if self.ok and self.records == 0:
            return "decision log verified: 0 records (nothing recorded yet)"
        if self.ok:
            return f"decision log verified: {fmt.plural(self.records, 'record')}, last hash {self.last_hash[:12]}…"
        return f"decision log BROKEN: {self.message}"


def _label(rec: Mapping[str, Any]) -> str:
    return f"record {rec['seq']} ({rec['deployment']} {rec['week']})"


def _broken(records: list[dict[str, Any]], rec: Mapping[str, Any], message: str) -> ChainStatus:
    return ChainStatus(False, len(records), records[-1]["hash"], rec["seq"], message)


def _diagnose(records: list[dict[str, Any]], index: int) -> ChainStatus | None:
    """The first problem at `records[index]`, or None when it is sound."""
    rec = records[index]
    prev = records[index - 1] if index else None
    expected_seq = prev["seq"] + 1 if prev else 1
    if record_hash(rec) != rec["hash"]:
        # Stored under another seq than it was written with? Then the records were reordered.
        for other in records:
            moved = dict(rec, seq=other["seq"])
            if other["seq"] != rec["seq"] and record_hash(moved) == rec["hash"]:
                return _broken(
                    records,
                    rec,
                    f"{_label(rec)}: out of order — its content was recorded as record {other['seq']} "
                    "and its prev_hash does not match the record before it; records were reordered",
                )
        return _broken(
            records,
            rec,
            f"{_label(rec)}: content was edited — stored hash {rec['hash'][:12]}… does not match "
            f"its content (sha256 {record_hash(rec)[:12]}…)",
        )
    if rec["seq"] != expected_seq:
        gap = rec["seq"] - expected_seq
        missing = f"record {expected_seq} is" if gap == 1 else f"records {expected_seq}-{rec['seq'] - 1} are"
        where = (
            f"{_label(rec)} is the first record"
            if prev is None
            else f"record {rec['seq']} follows record {prev['seq']}"
        )
        return _broken(records, rec, f"{where}: {missing} missing or the chain was cut")
    want_prev = prev["hash"] if prev else ""
    if rec["prev_hash"] != want_prev:
        before = f"record {prev['seq']}'s hash {want_prev[:12]}…" if prev else "'' (it is the first record)"
        return _broken(
            records,
            rec,
            f"{_label(rec)}: prev_hash {rec['prev_hash'][:12] or chr(39) * 2}… does not match {before} — "
            "a record before it was replaced or the records were reordered",
        )
    return None


def stored_records(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every record of the log as stored, in seq order."""
    cur = conn.cursor()
    try:
        rows = cur.execute(_SELECT_RECORDS).fetchall()
    finally:
        cur.close()
    names = (*RECORD_FIELDS, *OPTIONAL_FIELDS, "hash")
    return [dict(zip(names, row, strict=True)) for row in rows]


def standing_decision(conn: duckdb.DuckDBPyConnection, deployment: str, week: str) -> DecisionRecord | None:
    """The decision that stands for a deployment-week: its latest record (a later one supersedes it)."""
    cur = conn.cursor()
    try:
        row = cur.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM decisions WHERE deployment = ? AND week = ? ORDER BY seq DESC LIMIT 1",
            [deployment, week],
        ).fetchone()
    finally:
        cur.close()
    return DecisionRecord(**dict(zip(_COLUMNS, row, strict=True))) if row else None


def verify_records(records: list[dict[str, Any]]) -> ChainStatus:
    """Recompute every hash and link of `records` (ordered by seq); report the first broken one."""
    for index in range(len(records)):
        problem = _diagnose(records, index)
        if problem is not None:
            return problem
    return ChainStatus(True, len(records), records[-1]["hash"] if records else "")


def verify_chain(conn: duckdb.DuckDBPyConnection) -> ChainStatus:
    """Verify the whole decision log in the database."""
    return verify_records(stored_records(conn))


# --- who signed ---------------------------------------------------------------------------------------

_VIA = {
    "oidc": "signed in on the dashboard (name and e-mail from the identity provider)",
    "local": "the dashboard's local user without sign-in (name = OS user)",
    "cli": "the command line (name as typed in --by, with the OS user who ran it)",
    None: "recorded before identities were (decided_by as typed)",
}


def signer(rec: Mapping[str, Any], prefix: str = "decided") -> str:
    """How one signature of a record reads: `Ana <ana@example.org>`, `Ana (--by; OS user ana)`."""
    name_key = "decided_by" if prefix == "decided" else "countersigned_by"
    name, email, via = rec.get(name_key), rec.get(f"{name_key}_email"), rec.get(f"{prefix}_via")
    if via == "cli":
        return f"{name} (--by; OS user {rec.get(f'{prefix}_os_user') or 'unknown'})"
    if via == "local":
        return f"{name} (local user, no sign-in)"
    return f"{name} <{email}>" if email else str(name)


def signature_lines(records: list[dict[str, Any]], each: bool = False) -> list[str]:
    """What verify says about who signed: records per way of signing, countersigned ones, and with
    `each` one line per record."""
    counts: dict[str | None, int] = {}
    for rec in records:
        counts[rec.get("decided_via")] = counts.get(rec.get("decided_via"), 0) + 1
    lines = [f"  {n} by {_VIA.get(via, str(via))}" for via, n in counts.items()]
    countersigned = sum(1 for rec in records if rec.get("countersigned_by"))
    if countersigned:
        lines.append(f"  {countersigned} countersigned by a second person")
    if each:
        for rec in records:
            line = (
                f"  record {rec['seq']} ({rec['deployment']} {rec['week']} {rec['decision']}): {signer(rec)}"
            )
            if rec.get("countersigned_by"):
                line += f"; countersigned by {signer(rec, 'countersigned')}"
            lines.append(line)
    return (["signatures:"] + lines) if records else []
