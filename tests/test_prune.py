"""`postlaunch prune --before DATE [--dry-run]` (DESIGN §17): request text and access records older than
DATE go, except a high-tier deployment's younger than `retention_days` — that part is refused, and said."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from commands_db import Org, clean_env

from actions.prune import prune
from postlaunch import accesslog
from postlaunch.access import cli_user
from postlaunch.config import Context, load_context
from postlaunch.db import connect

TODAY = date(2026, 12, 1)  # with retention_days 183 the floor is 2026-06-01
OLD, YOUNG = datetime(2026, 3, 1, 12), datetime(2026, 7, 1, 12)


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Org:
    clean_env(monkeypatch)
    org = Org(tmp_path)  # support-triage is high tier, hr-assistant low
    with connect(org.db) as conn:
        for i, (dep, ts) in enumerate(
            [
                ("support-triage", OLD),
                ("support-triage", YOUNG),
                ("hr-assistant", OLD),
                ("hr-assistant", YOUNG),
            ]
        ):
            conn.execute(
                "INSERT INTO usage_events (identity, content_hash, ts, deployment, user_id, outcome, request_text, "
                "has_text, pii_count, run_id) VALUES (?::UHUGEINT, 0, ?, ?, 'u', 'ok', ?, true, 1, 'r')",
                [i, ts, dep, f"please refund order {i} for [EMAIL]"],
            )
    ctx = load_context(org.config, org.db)
    who = cli_user("Ana")
    accesslog.record(
        ctx.settings,
        [
            accesslog.event(who, "view", "support-triage", at=OLD),
            accesslog.event(who, "view", "support-triage", at=YOUNG),
            accesslog.event(who, "view", "hr-assistant", at=OLD),
            accesslog.event(who, "view", "hr-assistant", at=YOUNG),
            accesslog.event(who, "login", None, at=YOUNG),
            accesslog.event(who, "view", "support-triage", at=datetime(2026, 11, 30)),  # after --before
        ],
    )
    return org


def texts(ctx: Context) -> list[tuple]:
    with connect(ctx.db, read_only=True) as conn:
        return conn.execute(
            "SELECT deployment, ts::DATE, request_text IS NOT NULL, has_text, pii_count FROM usage_events "
            "ORDER BY deployment, ts"
        ).fetchall()


def access(ctx: Context) -> list[tuple]:
    with accesslog.connect(ctx.settings) as conn:
        return conn.execute(
            "SELECT deployment, ts::DATE FROM access_log ORDER BY deployment NULLS FIRST, ts"
        ).fetchall()


def test_prune_keeps_what_retention_protects_for_high_tier(org: Org) -> None:
    ctx = load_context(org.config, org.db)
    before_texts, before_access = texts(ctx), access(ctx)
    dry = prune(ctx, date(2026, 9, 1), dry_run=True, today=TODAY)
    assert (dry.texts, dry.texts_kept, dry.access, dry.access_kept) == (
        3,
        {"support-triage": 1},
        4,
        {"support-triage": 1},
    )
    assert texts(ctx) == before_texts and access(ctx) == before_access  # a dry run deletes nothing
    assert dry.lines(dry_run=True)[-2:] == [
        "kept: support-triage is high tier, so its 1 request texts and 1 access records from 2026-06-01 on stay: "
        "retention_days is 183 (EU AI Act Art. 26(6)); prune refuses that part",
        "dry run: nothing was deleted",
    ]
    done = prune(ctx, date(2026, 9, 1), today=TODAY)
    assert (done.texts, done.access, done.refused) == (3, 4, True)
    assert texts(ctx) == [
        ("hr-assistant", OLD.date(), False, True, 1),
        ("hr-assistant", YOUNG.date(), False, True, 1),
        ("support-triage", OLD.date(), False, True, 1),  # older than the floor: goes
        ("support-triage", YOUNG.date(), True, True, 1),  # younger than 183 days, high tier: stays
    ]
    assert access(ctx) == [
        ("support-triage", YOUNG.date()),
        ("support-triage", date(2026, 11, 30)),
    ]


def test_prune_before_the_floor_refuses_nothing(org: Org) -> None:
    ctx = load_context(org.config, org.db)
    done = prune(ctx, date(2026, 5, 1), today=TODAY)
    assert (done.texts, done.access, done.refused) == (2, 2, False)
    assert [row[2] for row in texts(ctx)] == [False, True, False, True]


def test_retention_days_is_a_setting(org: Org) -> None:
    org.config.write_text("retention_days = 30\n" + org.config.read_text())
    ctx = load_context(org.config, org.db)
    done = prune(ctx, date(2026, 9, 1), today=TODAY)  # floor 2026-11-01: the July text may go
    assert (done.texts, done.refused) == (4, False)


def test_the_prune_command(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    today = date.today()
    future = (today + timedelta(days=1)).isoformat()
    assert org.run("prune", "--before", future) == 2
    assert f"--before {future} is after today" in capsys.readouterr().err
    assert org.run("prune", "--before", "01/09/2026") == 2
    assert "--before '01/09/2026' is not a date: expected YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        org.run("prune")
    assert (
        stop.value.code == 2 and "the following arguments are required: --before" in capsys.readouterr().err
    )
    with connect(org.db) as conn:  # a young high-tier text, whatever day the test runs
        conn.execute(
            "UPDATE usage_events SET ts = ? WHERE deployment = 'support-triage' AND ts = ?",
            [datetime.combine(today - timedelta(days=10), datetime.min.time()), YOUNG],
        )
    assert org.run("prune", "--before", today.isoformat(), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "request text: would delete the text of 3 events before" in out
    assert (
        "kept: support-triage is high tier, so its 1 request texts" in out
        and "prune refuses that part" in out
    )
    assert out.endswith("dry run: nothing was deleted\n")
    assert org.run("prune", "--before", today.isoformat()) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"request text: deleted the text of 3 events before {today}\n")
    assert "prune refuses that part" in out
