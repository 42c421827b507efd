"""The decision log: records chain by sha256 (postlaunch.decisions), `verify_chain` names the first
edited, missing or moved record, refusals name what was expected (actions.decide), concurrent writers
still form one chain; and the read-only evidence queries the Evidence page shows (metrics.evidence)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from review_factory import make_review

from actions.decide import record_decision
from metrics import evidence
from metrics.model import Review
from postlaunch import decisions, rollup
from postlaunch.access import cli_user
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from postlaunch.decisions import default_next_review, parse_week, verify_chain
from postlaunch.errors import PostlaunchError, UsageError

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = """
[deployments.support-triage]
name = "Support ticket triage"
owner = "Head of Support Operations"
risk_tier = "high"
launched = 2026-06-01
approved_use_cases = ["ticket_classification", "routing_suggestion"]

[deployments.hr-assistant]
name = "HR policy assistant"
owner = "HR Director"
risk_tier = "low"
launched = 2026-06-01
review_day = "wednesday"
approved_use_cases = ["policy_question"]
"""
WEEKS = ["2026-W45", "2026-W46", "2026-W47"]


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    for key in [k for k in __import__("os").environ if k.upper().startswith("POSTLAUNCH_")]:
        monkeypatch.delenv(key)
    config = tmp_path / "postlaunch.toml"
    config.write_text(REGISTRY)
    ctx = load_context(config, tmp_path / "t.duckdb")
    with connect(ctx.db) as conn:  # usage in three weeks, so those weeks can be decided on
        for dep in ("support-triage", "hr-assistant"):
            for week in WEEKS:
                conn.execute(
                    "INSERT INTO usage_events (identity, content_hash, ts, deployment, user_id, outcome, run_id) "
                    "VALUES (hash(?)::UHUGEINT, 0, ?, ?, 'u', 'ok', 'r')",
                    [dep + week, parse_week(week) + timedelta(days=2), dep],
                )
        rollup.rebuild(conn, ctx.settings.timezone)
    return ctx


def snap(dep: str = "support-triage", week: str = "2026-W47", i: int = 0) -> Review:
    """A review snapshot told apart by `i` (its weeks_of_data)."""
    return make_review(
        deployment=dep, week=week, weeks_of_data=i, recommendation={"action": "pause", "reasons": []}
    )


def decide(ctx: Context, n: int = 1, **over: Any) -> list[decisions.DecisionRecord]:
    out = []
    with connect(ctx.db) as conn:
        for i in range(n):
            kw: dict[str, Any] = {
                "deployment": "support-triage",
                "week": WEEKS[i % 3],
                "decision": "limit",
                "rationale": f"scope drift, round {i + 1}",
                "decided_by": "Head of Support Operations",
                "attendees": ["Governance lead", "Vendor"],
                "actions": "retrain routing",
                "supersede": True,  # several records per week: each supersedes the one before
            }
            kw.update(over)
            kw.setdefault("snapshot", snap(kw["deployment"], kw["week"], i=i))
            kw["identity"] = cli_user(kw.pop("decided_by"))
            out.append(record_decision(conn, ctx, **kw))
    return out


def test_canonical_record_and_hash_are_what_the_docs_say() -> None:
    rec = {
        "seq": 1,
        "deployment": "d",
        "week": "2026-W47",
        "decision": "stop",
        "rationale": "r",
        "decided_by": "Ana",
        "attendees": '["Bo"]',
        "actions": None,
        "next_review": date(2026, 11, 30),
        "decided_at": datetime(2026, 11, 23, 9, 30),
        "snapshot": "{}",
        "prev_hash": "",
    }
    text = (
        '{"actions":null,"attendees":"[\\"Bo\\"]","decided_at":"2026-11-23T09:30:00.000000",'
        '"decided_by":"Ana","decision":"stop","deployment":"d","next_review":"2026-11-30",'
        '"prev_hash":"","rationale":"r","seq":1,"snapshot":"{}","week":"2026-W47"}'
    )
    assert decisions.canonical_record(rec) == text
    assert decisions.record_hash(rec) == hashlib.sha256(text.encode()).hexdigest()
    assert decisions.record_hash(dict(rec, hash="ignored")) == decisions.record_hash(rec)


def test_records_chain_and_verify(ctx: Context) -> None:
    recs = decide(ctx, 3)
    assert [r.seq for r in recs] == [1, 2, 3]
    assert recs[0].prev_hash == ""
    assert recs[1].prev_hash == recs[0].hash and recs[2].prev_hash == recs[1].hash
    assert recs[0].attendee_list == ["Governance lead", "Vendor"]
    assert json.loads(recs[2].snapshot)["weeks_of_data"] == 2
    with connect(ctx.db, read_only=True) as conn:
        status = verify_chain(conn)
        stored = conn.execute("SELECT hash, decided_at FROM decisions WHERE seq = 3").fetchone()
    assert status.ok and status.records == 3 and status.last_hash == recs[2].hash
    assert stored == (recs[2].hash, recs[2].decided_at)
    assert status.summary() == f"decision log verified: 3 records, last hash {recs[2].hash[:12]}…"


def test_an_empty_log_verifies(ctx: Context) -> None:
    with connect(ctx.db) as conn:
        status = verify_chain(conn)
    assert status.ok and status.records == 0 and status.last_hash == ""


@pytest.mark.parametrize(
    ("sql", "broken", "fragment"),
    [
        (
            "UPDATE decisions SET rationale = 'all fine' WHERE seq = 3",
            3,
            "record 3 (support-triage 2026-W47): content was edited — stored hash",
        ),
        (
            "UPDATE decisions SET snapshot = replace(snapshot, 'pause', 'expand') WHERE seq = 2",
            2,
            "record 2 (support-triage 2026-W46): content was edited",
        ),
        (
            "UPDATE decisions SET decision = 'expand' WHERE seq = 1",
            1,
            "record 1 (support-triage 2026-W45): content",
        ),
        (
            "DELETE FROM decisions WHERE seq = 3",
            4,
            "record 4 follows record 2: record 3 is missing or the chain was cut",
        ),
        (
            "DELETE FROM decisions WHERE seq IN (2, 3)",
            4,
            "record 4 follows record 1: records 2-3 are missing",
        ),
        (
            "DELETE FROM decisions WHERE seq = 1",
            2,
            "record 2 (support-triage 2026-W46) is the first record: record 1 is missing",
        ),
        (
            "UPDATE decisions SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)",
            2,
            "record 2 (support-triage 2026-W47): out of order — its content was recorded as record 3",
        ),
    ],
)
def test_verify_names_the_first_broken_record(ctx: Context, sql: str, broken: int, fragment: str) -> None:
    decide(ctx, 5)
    with connect(ctx.db) as conn:
        conn.execute(sql)
        status = verify_chain(conn)
    assert not status.ok
    assert status.broken_seq == broken
    assert fragment in status.message, status.message


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(ctx: Context) -> None:
    decide(ctx, 4)
    with connect(ctx.db) as conn:
        fields = (*decisions.RECORD_FIELDS, *decisions.OPTIONAL_FIELDS)  # the forger recomputes it all
        row = conn.execute(f"SELECT {', '.join(fields)} FROM decisions WHERE seq = 2").fetchone()
        forged = dict(zip(fields, row, strict=True), rationale="forged")
        conn.execute(
            "UPDATE decisions SET rationale = 'forged', hash = ? WHERE seq = 2",
            [decisions.record_hash(forged)],
        )
        status = verify_chain(conn)
    assert status.broken_seq == 3
    assert "record 3 (support-triage 2026-W47): prev_hash" in status.message
    assert "does not match record 2's hash" in status.message


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"deployment": "nope"}, "unknown deployment 'nope'; known: hr-assistant, support-triage"),
        ({"week": "2026-47"}, "week '2026-47' is not an ISO week: expected YYYY-Www"),
        ({"week": "2026-W54"}, "week '2026-W54' does not exist"),
        (
            {"week": "2026-W20"},
            "week 2026-W20 cannot be reviewed for deployment 'support-triage': reviewable weeks are 2026-W23 (its "
            "launch or first record) to 2026-W47 (the latest week with data)",
        ),
        ({"decision": "escalate"}, "decision 'escalate' is not one of expand, continue, limit, pause, stop"),
        ({"rationale": "  \n "}, "the rationale is empty"),
        ({"decided_by": ""}, "--by is empty"),
        (
            {"next_review": date(2026, 11, 20)},
            "next review 2026-11-20 must fall after the end of 2026-W47 (2026-11-22)",
        ),
        ({"next_review": date(2026, 11, 22)}, "must fall after the end of 2026-W47"),
    ],
)
def test_refusals_name_what_was_expected(ctx: Context, over: dict[str, Any], fragment: str) -> None:
    kw: dict[str, Any] = {
        "deployment": "support-triage",
        "week": "2026-W47",
        "decision": "pause",
        "rationale": "drift",
        "decided_by": "Ana",
        "snapshot": None,
    }
    kw.update(over)
    kw["identity"] = cli_user(kw.pop("decided_by"))
    with connect(ctx.db) as conn, pytest.raises(UsageError) as err:
        record_decision(conn, ctx, **kw)
    assert fragment in str(err.value)
    with connect(ctx.db) as conn:
        assert conn.execute("SELECT count(*) FROM decisions").fetchone() == (0,)


def test_a_snapshot_for_another_week_is_refused(ctx: Context) -> None:
    with pytest.raises(PostlaunchError, match="snapshot is for support-triage 2026-W46"):
        decide(ctx, 1, week="2026-W47", snapshot=snap(week="2026-W46"))


@pytest.mark.parametrize(
    ("week", "day", "expected"),
    [
        ("2026-W47", "monday", date(2026, 11, 30)),  # week ends Sun 22 Nov; meeting Mon 23; next Mon 30
        ("2026-W47", "wednesday", date(2026, 12, 2)),  # meeting Wed 25 Nov
        (
            "2026-W47",
            "sunday",
            date(2026, 12, 6),
        ),  # meeting Sun 29 Nov (the week itself is not over on the 22nd)
        ("2026-W53", "friday", date(2027, 1, 15)),  # W53 ends Sun 3 Jan 2027; meeting Fri 8 Jan
    ],
)
def test_default_next_review(week: str, day: str, expected: date) -> None:
    assert default_next_review(week, day) == expected


def test_next_review_defaults_to_the_deployment_review_day(ctx: Context) -> None:
    (rec,) = decide(ctx, 1, deployment="hr-assistant", week="2026-W47", snapshot=snap("hr-assistant"))
    assert rec.next_review == date(2026, 12, 2)


def test_parse_week() -> None:
    assert parse_week("2026-W01") == date(2025, 12, 29)
    assert parse_week(" 2026-W47 ") == date(2026, 11, 16)


@pytest.mark.parametrize(
    ("now", "stored"),
    [
        (datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 11, 23, 8, 0)),
        (datetime(2026, 11, 23, 10, 0, 0, 5), datetime(2026, 11, 23, 10, 0, 0, 5)),  # naive = UTC already
    ],
)
def test_decided_at_is_utc(ctx: Context, now: datetime, stored: datetime) -> None:
    (rec,) = decide(ctx, 1, now=now)
    assert rec.decided_at == stored
    with connect(ctx.db, read_only=True) as conn:
        assert conn.execute("SELECT decided_at FROM decisions").fetchone() == (stored,)
        assert verify_chain(conn).ok


WRITER = textwrap.dedent(
    """
    import sys
    from actions.decide import record_decision
    from postlaunch.access import cli_user
    from postlaunch.config import load_context
    from postlaunch.db import connect
    ctx = load_context(sys.argv[1], sys.argv[2])
    for i in range(int(sys.argv[4])):
        with connect(ctx.db) as conn:
            record_decision(
                conn, ctx, deployment="support-triage", week="2026-W47", decision="continue",
                rationale=f"{sys.argv[3]} {i}", identity=cli_user(sys.argv[3]), supersede=True)
    """
)


def test_two_processes_recording_at_once_form_one_chain(ctx: Context) -> None:
    with connect(ctx.db):
        pass  # create the database before the race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ctx.settings.config), str(ctx.db), who, "12"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "bob")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
    with connect(ctx.db, read_only=True) as conn:
        status = verify_chain(conn)
        rows = conn.execute("SELECT seq, decided_by FROM decisions ORDER BY seq").fetchall()
    assert status.ok, status.message
    assert [r[0] for r in rows] == list(range(1, 25))
    assert sorted(r[1] for r in rows) == ["alice"] * 12 + ["bob"] * 12
    with connect(
        ctx.db, read_only=True
    ) as conn:  # the rule held under the race: each replaced the one before
        chain = conn.execute("SELECT seq, supersedes FROM decisions ORDER BY seq").fetchall()
    assert chain == [(1, None)] + [(seq, seq - 1) for seq in range(2, 25)]


# --- evidence queries -------------------------------------------------------------------------


def test_decision_log_marks_rows_after_a_break(ctx: Context) -> None:
    decide(ctx, 4)
    decide(ctx, 1, deployment="hr-assistant", snapshot=snap("hr-assistant", "2026-W45"), week="2026-W45")
    with connect(ctx.db) as conn:
        conn.execute("UPDATE decisions SET actions = 'none' WHERE seq = 3")
        log = evidence.decision_log(conn)
        hr = evidence.decision_log(conn, "hr-assistant")
        snapshot = evidence.decision_snapshot(conn, 2)
    assert list(log["seq"]) == [5, 4, 3, 2, 1]
    assert list(log["chain"]) == ["unverified", "unverified", "broken", "verified", "verified"]
    assert "snapshot" not in log.columns and log.loc[0, "attendees"] == ["Governance lead", "Vendor"]
    assert list(hr["seq"]) == [5] and list(hr["chain"]) == ["unverified"]
    assert snapshot == snap(week="2026-W46", i=1).as_json_dict()


def test_a_review_is_overdue_once_its_day_has_passed() -> None:
    assert not decisions.review_overdue(None, date(2026, 11, 26))
    assert not decisions.review_overdue(date(2026, 11, 26), date(2026, 11, 26))  # due today: not yet
    assert decisions.review_overdue(date(2026, 11, 23), date(2026, 11, 26))


def test_change_records_runs_and_quarantine(ctx: Context) -> None:
    with connect(ctx.db) as conn:
        conn.execute(
            "INSERT INTO changes VALUES (1, 1, '2026-11-17 10:00', 'support-triage', 'model', 'gpt-x', 'ops', "
            "'cto', 'file', 'r1', 2), (2, 2, '2026-11-24 00:00', 'support-triage', 'prompt', 'p2', NULL, NULL, "
            "'file', 'r1', 3), (3, 3, '2026-11-18 00:00', 'hr-assistant', 'policy', 'x', NULL, NULL, 'registry', "
            "NULL, NULL)"
        )
        conn.execute(
            "INSERT INTO ingest_runs (run_id, file, kind, rows, loaded, quarantined, status, started_at) VALUES "
            "('r1', 'a.csv', 'feedback', 5, 3, 2, 'loaded', '2026-11-20'), "
            "('r2', 'b.csv', 'usage', 0, 0, 0, 'failed', '2026-11-21')"
        )
        conn.execute(
            "INSERT INTO quarantine VALUES ('r1', 'feedback', 'a.csv', 4, 'line 4: rating \"6\" is outside 1-5', "
            "'x', '2026-11-20', 'rating', 1, ['r1']), ('r1', 'feedback', 'a.csv', 9, "
            "'line 9: rating \"6\" is outside 1-5', 'y', '2026-11-20', 'rating', 2, ['r1'])"
        )
        week = evidence.change_records(conn, "support-triage", date(2026, 11, 16), date(2026, 11, 23))
        every = evidence.change_records(conn)
        runs = evidence.ingest_runs(conn)
        rows = evidence.quarantined_rows(conn, run_id="r1")
        reasons = evidence.quarantine_reasons(conn)
    assert list(week["summary"]) == ["gpt-x"]
    assert list(every["summary"]) == ["gpt-x", "x", "p2"]
    assert list(runs["run_id"]) == ["r2", "r1"]
    assert list(rows["line"]) == [4, 9]
    assert reasons.to_dict("records")[0] | {} == {
        "kind": "feedback",
        "field": "rating",
        "reason": 'rating "6" is outside 1-5',
        "rows": 2,
        "files": 1,
        "example_file": "a.csv",
        "example_line": 4,
    }


def test_now_defaults_to_the_clock(ctx: Context) -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    (rec,) = decide(ctx, 1)
    assert before <= rec.decided_at <= datetime.now(UTC).replace(tzinfo=None)
