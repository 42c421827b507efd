"""Every page on the committed sample (AppTest): what is shown equals what `metrics.api` computes —
the Portfolio rows, the Weekly review's recommendation, tiles and alerts, the trend charts' points,
the Evidence log — and the decision form records through `record_decision` (or refuses)."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dashboard_db import (  # noqa: F401
    APP,
    SampleDb,
    fresh_streamlit_caches,
    page_errors,
    point_at,
    sample_copy,
    sample_db,
)
from pydantic import BaseModel
from streamlit.testing.v1 import AppTest

from metrics import api, scope
from metrics.evidence import change_records, decision_log, verify_chain
from postlaunch import db as pdb
from postlaunch import fmt
from postlaunch.access import os_user
from postlaunch.config import load_context
from report import layout

DRIFTING = "support-triage"


def _expected(sample: SampleDb, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """What `fn` (a metrics function) returns on the sample, typed results as their JSON dicts."""
    ctx = load_context(sample.config, sample.db)
    with pdb.connect(sample.db, read_only=True) as conn:
        result = fn(conn, ctx, *args, **kwargs)
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list) and result and isinstance(result[0], BaseModel):
        return [r.model_dump(mode="json") for r in result]
    return result


def _open(sample: SampleDb, monkeypatch: pytest.MonkeyPatch, page: str, **params: str) -> AppTest:
    point_at(monkeypatch, sample.db, sample.config)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "views/portfolio.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not page_errors(at), page_errors(at)
    return at


def test_portfolio_rows_are_the_api_rows_worst_first(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _expected(sample_db, api.portfolio)
    at = _open(sample_db, monkeypatch, "views/portfolio.py")
    assert at.title[0].value == "Portfolio"
    table = at.dataframe[0].value
    assert list(table["deployment"]) == [
        f"{r['name']} · {r['risk_tier']} risk · {r['owner']}" for r in expected
    ]
    assert list(table["decision"]) == ["none yet"] * len(expected)  # the sample has no decision yet
    assert list(table["status"]) == [row["level"] for row in expected]
    assert list(table["recommendation"]) == [str(row["recommendation"]).upper() for row in expected]
    assert list(table["alerts"]) == [_alerts_text(row) for row in expected]
    assert list(table["acceptance"]) == [fmt.value("acceptance_rate", r["acceptance_rate"]) for r in expected]
    assert list(table["link"]) == [
        f"./review?deployment={r['deployment']}&week={r['week']}" for r in expected
    ]
    # The sample's four stories: the drifting one is among the worst, the healthy one earns expansion.
    actions = {r["deployment"]: r["recommendation"] for r in expected}
    assert actions["hr-assistant"] == "expand" and expected[-1]["deployment"] == "hr-assistant"
    counts = {m.label: m.value for m in at.metric}
    assert counts["Expand"] == str(sum(1 for r in expected if r["recommendation"] == "expand"))


def _alerts_text(row: dict[str, Any]) -> str:
    parts = [f"{row['critical_alerts']} critical"] if row["critical_alerts"] else []
    parts += [f"{row['warn_alerts']} warn"] if row["warn_alerts"] else []
    return ", ".join(parts) or "none"


def test_weekly_review_shows_the_api_review(sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch) -> None:
    review = _expected(sample_db, api.build_review, DRIFTING)
    at = _open(sample_db, monkeypatch, "views/weekly_review.py", deployment=DRIFTING)
    assert at.title[0].value == f"Support ticket triage · {fmt.week_label(review['week'])}"
    action = review["recommendation"]["action"]
    boxes = [e.value for e in (*at.error, *at.warning, *at.info, *at.success) if "Recommendation:" in e.value]
    assert len(boxes) == 1 and f"Recommendation: {action.upper()}" in boxes[0]
    for reason in review["recommendation"]["reasons"]:
        assert reason["text"] in boxes[0]
    tiles = {m.label: m for m in at.metric}
    for _category, headline, _extra in layout.TILES:
        m = review["metrics"][headline]
        tile = tiles[fmt.short(headline)]
        assert tile.value == fmt.value(headline, m["value"])
        delta = fmt.delta(headline, m["value"], m["previous"])
        assert tile.delta == ("0" if fmt.is_zero_delta(delta) else delta)
    alerts = at.dataframe[0].value
    assert list(alerts["metric"]) == [a["metric"] for a in review["alerts"]]
    assert list(alerts["level"]) == [a["level"] for a in review["alerts"]]
    assert at.subheader[0].value == f"Alerts ({len(review['alerts'])})"
    examples = at.dataframe[1].value
    assert list(examples["use case"]) == [e["use_case"] for e in review["out_of_scope_examples"]]
    assert list(examples["requests"]) == [e["events"] for e in review["out_of_scope_examples"]]
    assert at.download_button[0].label == "Download review pack (HTML)"
    # What the meeting reads, as literal text (the committed sample, support-triage 2026-W47).
    assert review["week"] == "2026-W47"
    scope_tile = tiles["out of scope"]
    assert (scope_tile.value, scope_tile.delta) == ("12%", "+2.0 pp")
    assert (tiles["cost"].value, tiles["cost"].delta) == ("$904", "+$35.26 (+4%)")
    first = alerts.iloc[0]
    assert (first["metric"], first["value (n, CI)"]) == (
        "out_of_scope_share",
        "12% (n=1,509; 95% CI 9.0%–23%)",  # the placed part carries its own uncertainty (DESIGN §12)
    )
    assert (first["threshold"], first["since"]) == (
        "above critical 5.0%",
        "2nd week in a row (since 2026-W46)",
    )


def test_weekly_review_of_the_incident_deployment_counts_down_the_deadline(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    review = _expected(sample_db, api.build_review, "claims-summarizer")
    assert review["open_incidents"], "the sample's privacy incident is open"
    at = _open(sample_db, monkeypatch, "views/weekly_review.py", deployment="claims-summarizer")
    (incidents,) = [d.value for d in at.dataframe if "reporting deadline" in d.value.columns]
    assert list(incidents["incident"]) == [i["incident_id"] for i in review["open_incidents"]]
    assert list(incidents["reporting deadline"]) == [
        fmt.deadline_text(SimpleNamespace(**i)) for i in review["open_incidents"]
    ]
    assert "OVERDUE by 18 days — not reported (deadline 2026-11-04; 15-day clock: other)" in list(
        incidents["reporting deadline"]
    )


PAGES = [
    (
        "views/quality.py",
        "Quality",
        ["acceptance_rate", "error_rate", "escalation_rate", "rework_rate", "mean_rating"],
    ),
    (
        "views/scope.py",
        "Scope",
        [
            "out_of_scope_share",
            "use_case_drift_js",
            "unapproved_team_share",
            "data_class_violation_share",
            "unlabeled_share",
        ],
    ),
    (
        "views/cost.py",
        "Cost",
        [
            "cost_total",
            "budget_burn",
            "cost_per_event",
            "cost_per_accepted_output",
            "cost_wow_change",
            "events",
        ],
    ),
    (
        "views/risk.py",
        "Risk & incidents",
        [
            "open_incidents",
            "open_high_severity_incidents",
            "overdue_serious_incidents",
            "serious_incidents_due_soon",
            "incidents_opened",
            "mean_days_to_resolve",
            "pii_share",
            "untrained_use_share",
        ],
    ),
    (
        "views/feedback.py",
        "Feedback",
        ["negative_feedback_share", "feedback_count", "mean_rating", "acceptance_rate"],
    ),
]


@pytest.mark.parametrize(("page", "title", "metrics"), PAGES)
def test_trend_page_charts_are_the_api_trend(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    title: str,
    metrics: list[str],
) -> None:
    from report.layout import y_scale

    at = _open(sample_db, monkeypatch, page, deployment=DRIFTING)
    assert at.title[0].value == f"{title} · Support ticket triage"
    first, last = at.select_slider[0].value
    expected = _expected(sample_db, api.trend, DRIFTING, metrics, start_week=first, end_week=last)
    changes = _expected(sample_db, lambda conn, ctx: change_records(conn, DRIFTING))
    charts = list(at.get("plotly_chart"))
    extra = 1 if page == "views/scope.py" else 0  # the Scope page adds how requests were placed
    assert len(charts) == len(metrics) + extra
    charts = charts[: len(metrics)]
    for chart, metric in zip(charts, metrics, strict=True):
        spec = json.loads(chart.proto.spec)
        line = spec["data"][0]
        rows = expected[expected["metric"] == metric].sort_values("week")
        want = [v * y_scale(metric) for v in rows["value"]]
        assert _array(line["y"]) == pytest.approx(want, nan_ok=True)
        markers = [t for t in spec["data"][1:] if t.get("name") == "change record"]
        start, end = pd.Timestamp(_monday(first)), pd.Timestamp(_monday(last, 7))
        in_range = changes[(changes["ts"] >= start) & (changes["ts"] < end)]
        assert (len(_array(markers[0]["x"])) if markers else 0) == len(in_range)


def _array(value: Any) -> list[Any]:
    """A plotly JSON array: a list, or (plotly >= 6) a base64 typed array; nulls become NaN."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return [float("nan") if v is None else v for v in value]


def _monday(week: str, plus_days: int = 0) -> Any:
    from datetime import date, timedelta

    return date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + timedelta(days=plus_days)


def test_scope_page_lists_requests_outside_the_approved_use(
    sample_db: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _open(sample_db, monkeypatch, "views/scope.py", deployment=DRIFTING)
    subheaders = [s.value for s in at.subheader]
    assert "Requests outside the approved use" in subheaders
    by_case = next(
        d.value for d in at.dataframe if list(d.value.columns) == ["use_case", "source", "requests"]
    )
    approved = set(load_context(sample_db.config, sample_db.db).registry.get(DRIFTING).approved_use_cases)
    assert len(by_case) and not set(by_case["use_case"]) & approved
    first, last = at.select_slider[0].value
    split = _expected(sample_db, lambda conn, ctx: scope.placement_split(conn, ctx, DRIFTING, first, last))
    placement = json.loads(at.get("plotly_chart")[-1].proto.spec)
    shown = {t["name"]: sum(_array(t["y"])) for t in placement["data"]}
    assert shown["labelled, not approved"] == split["labelled_out_of_scope"].sum()
    assert shown["no use case (not placed)"] == split["unplaced"].sum()
    clusters = [e.label for e in at.expander if " requests (" in e.label]  # scope_panel: one per cluster
    assert 1 <= len(clusters) <= 8


def test_evidence_shows_the_log_runs_and_quarantine(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(sample_db, monkeypatch, "views/evidence.py")
    assert any("decision log verified: 0 records" in s.value for s in at.success)
    runs = next(d.value for d in at.dataframe if "sha256" in d.value.columns)
    assert len(runs) == 7 and set(runs["kind"]) == {
        "usage", "cost", "feedback", "incidents", "changes", "training", "readiness",
    }  # fmt: skip
    quarantined = next(d.value for d in at.dataframe if "raw" in d.value.columns)
    assert len(quarantined) == int(runs["quarantined"].sum()) == 31 + 9 + 2 + 3  # sample_data's messy rows


def test_data_page_shows_the_registry_and_loads_an_upload(
    sample_copy: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    at = _open(sample_copy, monkeypatch, "views/data.py")
    assert len(at.expander) == 4  # one per deployment of the sample registry
    content = (
        b"timestamp,deployment,kind,summary,changed_by,approved_by\n"
        b"2026-11-18T09:00:00Z,support-triage,prompt,Tightened the refusal prompt,Ops,Head of Support Operations\n"
        b"2026-11-18T10:00:00Z,legacy-bot,prompt,Unknown deployment row,Ops,\n"
    )
    (kind,) = [s for s in at.selectbox if s.label == "Kind or adapter"]
    kind.select("changes")
    at.file_uploader[0].upload("my-changes.csv", content, "text/csv")
    (load,) = [b for b in at.button if b.label == "Load"]
    load.click().run()
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "quarantined" in d.value.columns)
    assert summary.to_dict("records")[0] | {"reasons": "", "message": ""} == {
        "file": "my-changes.csv",
        "kind": "changes",
        "rows": 2,
        "loaded": 1,
        "duplicates": 0,
        "quarantined": 1,
        "status": "loaded",
        "message": "",
        "reasons": "",
        "extra_columns": "",
        "empty": "",
    }
    changes = _expected(sample_copy, lambda conn, ctx: change_records(conn, DRIFTING))
    assert "Tightened the refusal prompt" in set(changes["summary"])


def test_decision_form_defaults_the_next_review_to_the_registry_review_day(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hr-assistant reviews on Thursdays (registry review_day): the form proposes the Thursday a week after
    the meeting on its latest week, as `postlaunch decide` does — not a Monday."""
    week = _expected(sample_db, api.latest_week, "hr-assistant")
    assert week == "2026-W47"  # the committed sample's last week: 16-22 Nov, its meeting Thu 26 Nov
    at = _open(sample_db, monkeypatch, "views/weekly_review.py", deployment="hr-assistant")
    proposed = at.date_input(key=f"next-hr-assistant-{week}").value
    assert proposed.isoformat() == "2026-12-03" and proposed.strftime("%A") == "Thursday"


def _decide(at: AppTest, deployment: str, week: str, rationale: str, decision: str | None = None) -> AppTest:
    if decision:
        at.segmented_control(key=f"decision-{deployment}-{week}").set_value(decision)
    at.text_area(key=f"rationale-{deployment}-{week}").input(rationale)
    at.text_input(key=f"attendees-{deployment}-{week}").input("Governance lead, Vendor contact")
    at.text_area(key=f"actions-{deployment}-{week}").input(
        "Retrain users on the approved use (Support Ops, 2 weeks)"
    )
    (button,) = [b for b in at.button if b.label == "Record decision"]
    return button.click().run()


def test_decision_form_records_through_submit_decision(
    sample_copy: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = _expected(sample_copy, api.build_review, DRIFTING)
    week = review["week"]
    at = _open(sample_copy, monkeypatch, "views/weekly_review.py", deployment=DRIFTING)
    at = _decide(at, DRIFTING, week, "Drift into refunds keeps growing; limit to approved teams.", "limit")
    assert not at.exception and not page_errors(at)
    assert any("Recorded decision #1: **limit**" in s.value for s in at.success)
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        log = decision_log(conn)
        chain = verify_chain(conn)
    assert chain.ok and chain.records == 1
    record = log.to_dict("records")[0]
    assert (record["deployment"], record["week"], record["decision"]) == (DRIFTING, week, "limit")
    assert record["rationale"] == "Drift into refunds keeps growing; limit to approved teams."
    assert record["decided_by"] == f"{os_user()} (local user, no sign-in)"  # who is acting, never typed
    assert record["attendees"] == ["Governance lead", "Vendor contact"]
    # Evidence now shows it, from the same session (the cache is keyed on the database's version).
    at.switch_page("views/evidence.py").run()
    assert any("decision log verified: 1 record," in s.value for s in at.success)
    assert list(at.dataframe[0].value["rationale"]) == [record["rationale"]]


@pytest.mark.parametrize("rationale", ["", "   \n  "])
def test_decision_form_refuses_an_empty_rationale(
    sample_copy: SampleDb,
    monkeypatch: pytest.MonkeyPatch,
    rationale: str,
) -> None:
    week = _expected(sample_copy, api.latest_week, DRIFTING)
    at = _open(sample_copy, monkeypatch, "views/weekly_review.py", deployment=DRIFTING)
    at = _decide(at, DRIFTING, week, rationale, "limit")
    assert any("The rationale is empty" in e.value and "Nothing was recorded" in e.value for e in at.error)
    with pdb.connect(sample_copy.db, read_only=True) as conn:
        assert verify_chain(conn).records == 0


def test_review_pack_download_is_the_review_command_html(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data

    point_at(monkeypatch, sample_db.db, sample_db.config)
    week = _expected(sample_db, api.latest_week, DRIFTING)
    ctx = load_context(sample_db.config, sample_db.db)
    html = data.build_pack(ctx, DRIFTING, week)
    review = _expected(sample_db, api.build_review, DRIFTING, week)
    assert f'Recommendation: <span class="action">{review["recommendation"]["action"]}</span>' in html
    assert "<svg" in html and "<script" not in html  # charts inline, nothing to fetch


def test_review_pack_equals_the_review_command_output(
    sample_db: SampleDb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The download and `postlaunch review --format html` are one file (up to its generation time)."""
    import re

    from cli.main import main
    from dashboard import data

    point_at(monkeypatch, sample_db.db, sample_db.config)
    week = _expected(sample_db, api.latest_week, DRIFTING)
    ctx = load_context(sample_db.config, sample_db.db)
    out = tmp_path / "pack.html"
    args = ["--db", str(sample_db.db), "--config", str(sample_db.config), "review", "--deployment", DRIFTING]
    assert main([*args, "--week", week, "--format", "html", "--out", str(out)]) == 0

    def strip(text: str) -> str:
        text = re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "generated -", text)
        return text

    assert strip(data.build_pack(ctx, DRIFTING, week)) == strip(out.read_text(encoding="utf-8"))


def test_portfolio_decision_cell_says_the_last_decision_and_when_the_next_review_is_due() -> None:
    from dashboard.views.portfolio import _decision

    row = SimpleNamespace(last_decision=None, last_decision_week=None, next_review=None, review_overdue=False)
    assert _decision(row, "2026-W47") == "none yet"  # type: ignore[arg-type]
    row = SimpleNamespace(
        last_decision="limit", last_decision_week="2026-W45", next_review="2026-11-16", review_overdue=True
    )
    assert _decision(row, "2026-W47") == "limit (W45) · next 16 Nov · OVERDUE"  # type: ignore[arg-type]
    row = SimpleNamespace(
        last_decision="expand", last_decision_week="2025-W51", next_review="2026-01-05", review_overdue=False
    )
    assert _decision(row, "2025-W52") == "expand (W51) · next 5 Jan 2026"  # type: ignore[arg-type]
    assert _decision(row, "2026-W02") == "expand (2025-W51) · next 5 Jan"  # type: ignore[arg-type]
