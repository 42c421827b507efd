"""The weekly audit sample end to end on the committed sample (DESIGN §12): `postlaunch scope sample`
(the same call returns the same draw, --new draws again), the spreadsheet round trip through
`postlaunch ingest labels`, the estimate it makes, labels outside a draw, re-labels with history, bad
labels quarantined with reasons, and the rollup equal to a rebuild after labels and placements."""

# ruff: noqa: F811
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from dashboard_db import SampleDb, sample_copy, sample_db  # noqa: F401

from cli.main import main
from ingest.engine import ingest_paths
from ingest.scope.place import place_pending
from metrics import api
from postlaunch import rollup
from postlaunch.config import Context, load_context
from postlaunch.db import connect

DEP = "support-triage"
WEEK = "2026-W47"


def _ctx(sample: SampleDb) -> Context:
    return load_context(sample.config, sample.db)


def _argv(sample: SampleDb, *args: str) -> list[str]:
    return ["--db", str(sample.db), "--config", str(sample.config), *args]


def _sample(sample: SampleDb, out: Path, *extra: str) -> list[dict[str, str]]:
    assert (
        main(_argv(sample, "scope", "sample", "--deployment", DEP, "--week", WEEK, "--out", str(out), *extra))
        == 0
    )
    with out.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _review(sample: SampleDb):  # type: ignore[no-untyped-def]
    ctx = _ctx(sample)
    with connect(ctx.db, read_only=True) as conn:
        return api.build_review(conn, ctx, DEP, WEEK)


def test_round_trip_sample_labels_estimate(
    sample_copy: SampleDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _review(sample_copy).metrics["out_of_scope_share"]
    assert before.estimate == {"method": "inferred", "audited_n": 0, "inferred_n": 528, "labelled_n": 981}
    rows = _sample(sample_copy, tmp_path / "sample.csv")
    err = capsys.readouterr().err
    assert "drew 40 of 528 requests with text and no label of support-triage in 2026-W47" in err
    assert list(rows[0]) == [
        "event_id", "deployment", "week", "ts", "request_text", "inferred_use_case", "inferred_score",
        "use_case", "labelled_by", "note",
    ]  # fmt: skip
    assert len(rows) == 40 and {r["week"] for r in rows} == {WEEK} and not any(r["use_case"] for r in rows)
    # a person fills the spreadsheet: every 4th is out of scope (written as people write it)
    for i, row in enumerate(rows):
        row["use_case"] = (
            "Out of scope" if i % 4 == 0 else row["inferred_use_case"] or "ticket_classification"
        )
        row["use_case"] = "ticket_classification" if row["use_case"] == "out_of_scope" else row["use_case"]
        row["labelled_by"] = "Ana"
    assert main(_argv(sample_copy, "ingest", "labels", str(_write(tmp_path / "filled.csv", rows)))) == 0
    out = capsys.readouterr().out
    assert "rows=40 loaded=40 duplicates=0 quarantined=0" in out
    assert "extra columns (kept nowhere): week, ts, request_text, inferred_use_case, inferred_score" in out
    after = _review(sample_copy).metrics["out_of_scope_share"]
    assert after.estimate == {"method": "audited", "audited_n": 40, "inferred_n": 488, "labelled_n": 981}
    assert after.split is not None and after.split["audited"] == {"n": 40, "out_of_scope": 10}
    assert after.ci is not None and after.ci[0] <= after.value <= after.ci[1]
    assert (
        after.estimate_basis is not None
        and "40 requests people checked up to this week" in after.estimate_basis
    )
    # the same file again adds nothing
    assert main(_argv(sample_copy, "ingest", "labels", str(tmp_path / "filled.csv"))) == 0
    assert "rows=40 loaded=0 duplicates=40 quarantined=0" in capsys.readouterr().out


def test_same_draw_twice_and_new_draws_again(sample_copy: SampleDb, tmp_path: Path) -> None:
    first = _sample(sample_copy, tmp_path / "a.csv", "--n", "10")
    again = _sample(sample_copy, tmp_path / "b.csv", "--n", "10")
    assert [r["event_id"] for r in again] == [r["event_id"] for r in first]
    more = _sample(sample_copy, tmp_path / "c.csv", "--n", "5", "--new")
    assert len(more) == 5 and not {r["event_id"] for r in more} & {r["event_id"] for r in first}
    week = _sample(sample_copy, tmp_path / "d.csv")  # the week's sample: both draws, in the order drawn
    assert [r["event_id"] for r in week] == [r["event_id"] for r in first + more]
    with connect(sample_copy.db, read_only=True) as conn:
        draws = conn.execute(
            "SELECT requested, drawn, population, drawn_by FROM scope_draws ORDER BY drawn_at"
        ).fetchall()
    assert [d[:3] for d in draws] == [(10, 10, 528), (5, 5, 518)]
    assert all(d[3] for d in draws)


def test_a_label_outside_any_draw_is_labelled_not_audit(sample_copy: SampleDb, tmp_path: Path) -> None:
    ctx = _ctx(sample_copy)
    start, end = "2026-11-16", "2026-11-23"
    with connect(ctx.db, read_only=True) as conn:
        (event_id,) = conn.execute(
            "SELECT event_id FROM usage_events WHERE deployment = ? AND ts >= ? AND ts < ? AND use_case IS NULL "
            "AND request_text IS NOT NULL ORDER BY event_id LIMIT 1",
            [DEP, start, end],
        ).fetchone()
    labels = _write(
        tmp_path / "one.csv",
        [{"event_id": event_id, "deployment": DEP, "use_case": "refund_decision", "labelled_by": "Ana"}],
    )
    [result] = ingest_paths(ctx, "labels", [labels])
    assert (result.status, result.loaded) == ("loaded", 1)
    metric = _review(sample_copy).metrics["out_of_scope_share"]
    assert metric.estimate == {"method": "inferred", "audited_n": 0, "inferred_n": 527, "labelled_n": 982}
    assert metric.split is not None and metric.split["labelled"]["out_of_scope"] == 138  # 137 + this one
    # and such an event is not drawn any more
    rows = _sample(sample_copy, tmp_path / "s.csv", "--n", "600")
    assert len(rows) == 527 and event_id not in {r["event_id"] for r in rows}


def test_a_relabel_replaces_the_label_and_keeps_the_history(sample_copy: SampleDb, tmp_path: Path) -> None:
    rows = _sample(sample_copy, tmp_path / "s.csv", "--n", "3")
    for row in rows:
        row.update(use_case="ticket_classification", labelled_by="Ana")
    ctx = _ctx(sample_copy)
    ingest_paths(ctx, "labels", [_write(tmp_path / "first.csv", rows)])
    rows[1].update(use_case="out_of_scope", labelled_by="Ben", note="asks for legal advice")
    [result] = ingest_paths(ctx, "labels", [_write(tmp_path / "second.csv", rows)])
    assert (result.loaded, result.duplicates, result.notes["labels_replaced"]) == (1, 2, 1)
    with connect(ctx.db, read_only=True) as conn:
        current = conn.execute(
            "SELECT use_case, labelled_by, version, note FROM labels WHERE event_id = ?",
            [rows[1]["event_id"]],
        ).fetchall()
        history = conn.execute(
            "SELECT use_case, labelled_by, version FROM label_history WHERE event_id = ? ORDER BY version",
            [rows[1]["event_id"]],
        ).fetchall()
    assert current == [("out_of_scope", "Ben", 2, "asks for legal advice")]
    assert history == [("ticket_classification", "Ana", 1), ("out_of_scope", "Ben", 2)]
    assert _review(sample_copy).metrics["out_of_scope_share"].split["audited"] == {"n": 3, "out_of_scope": 1}  # type: ignore[index]


def test_bad_labels_are_quarantined_with_a_reason(sample_copy: SampleDb, tmp_path: Path) -> None:
    rows = _sample(sample_copy, tmp_path / "s.csv", "--n", "2")
    bad = [
        {**rows[0], "event_id": "u-does-not-exist", "use_case": "refund_decision", "labelled_by": "Ana"},
        {**rows[0], "deployment": "ghost-bot", "use_case": "refund_decision", "labelled_by": "Ana"},
        {**rows[0], "use_case": "", "labelled_by": "Ana"},
        {
            **rows[1],
            "event_id": rows[1]["event_id"].replace("support-triage", "hr-assistant"),
            "use_case": "x",
            "labelled_by": "Ana",
        },
        {**rows[1], "use_case": "refund_decision", "labelled_by": "Ana", "labelled_at": "yesterday"},
    ]
    [result] = ingest_paths(_ctx(sample_copy), "labels", [_write(tmp_path / "bad.csv", bad)])
    assert (result.rows, result.loaded, result.quarantined) == (5, 0, 5)
    with connect(sample_copy.db, read_only=True) as conn:
        reasons = [
            r[0]
            for r in conn.execute(
                "SELECT reason FROM quarantine WHERE kind = 'labels' ORDER BY line"
            ).fetchall()
        ]
    assert (
        reasons[0] == 'line 2: event_id "u-does-not-exist" is not a usage event of deployment support-triage'
    )
    assert reasons[1].startswith('line 3: deployment "ghost-bot" is not in the registry (known: ')
    assert reasons[2] == "line 4: required field use_case is empty"
    assert (
        reasons[3].startswith('line 5: event_id "u-hr-assistant-')
        and "is not a usage event of deployment support-triage" in reasons[3]
    )
    assert reasons[4].startswith('line 6: labelled_at "yesterday" is not a date and time')


def _scope_rows(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The rollup's scope rows, sums of money to 1e-9 (a sum in another order differs in the last bits)."""
    rows = conn.execute("SELECT * FROM usage_rollup WHERE grain = 'scope'").fetchall()
    return sorted(str(tuple(round(v, 9) if isinstance(v, float) else v for v in row)) for row in rows)


def test_rollup_equals_a_rebuild_after_labels_and_placements_in_either_order(
    sample_copy: SampleDb, tmp_path: Path
) -> None:
    ctx = _ctx(sample_copy)
    rows = _sample(sample_copy, tmp_path / "s.csv", "--n", "20")
    for i, row in enumerate(rows):
        row.update(use_case="out_of_scope" if i % 3 == 0 else "routing_suggestion", labelled_by="Ana")
    ingest_paths(ctx, "labels", [_write(tmp_path / "a.csv", rows[:10])])  # labels, then placement
    place_pending(ctx)
    config = ctx.settings.config
    config.write_text(
        config.read_text(encoding="utf-8").replace("Assign an incoming", "Assign a new incoming"),
        encoding="utf-8",
    )
    ctx = load_context(config, ctx.db)
    place_pending(ctx)  # a changed registry re-places every event, the audited ones too
    ingest_paths(ctx, "labels", [_write(tmp_path / "b.csv", rows[10:])])  # placement, then labels
    with connect(ctx.db) as conn:
        incremental = _scope_rows(conn)
        review = api.build_review(conn, ctx, DEP, WEEK).to_json()
        conn.execute("BEGIN TRANSACTION")
        rollup.rebuild(conn, ctx.settings.timezone)
        conn.execute("COMMIT")
        rebuilt = _scope_rows(conn)
        assert incremental == rebuilt
        assert api.build_review(conn, ctx, DEP, WEEK).to_json() == review
    assert '"audited_n": 20' in review


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deployment", DEP, "--week", "2026-47"], "week '2026-47' is not an ISO week: expected YYYY-Www"),
        (["--deployment", DEP, "--week", "2026-W54"], "2026 has ISO weeks W01-W53"),
        (["--deployment", "nope", "--week", WEEK], "unknown deployment 'nope'"),
        (["--deployment", DEP, "--week", WEEK, "--n", "0"], "--n must be at least 1, got 0"),
    ],
)
def test_a_wrong_argument_is_a_usage_error(
    sample_copy: SampleDb, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(_argv(sample_copy, "scope", "sample", *args)) == 2
    assert message in capsys.readouterr().err
    with connect(sample_copy.db, read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM scope_draws").fetchone() == (0,)  # nothing drawn
