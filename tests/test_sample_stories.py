"""The sample's stories, measured on the committed copy (sample_data/) with DESIGN §5-§7 arithmetic
done by hand, independently of metrics/: each story fires in the week sample_data/README.md says."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta

import pytest
from test_sample import (
    COMMITTED,
    DEPLOYMENTS,
    iso_week,
    parses,
    read_csv,
    read_feedback,
    read_usage,
    wilson,
)


@pytest.fixture(scope="module")
def committed() -> dict:
    usage = [r for r in read_usage(COMMITTED) if parses(r["timestamp"]) and r["deployment"] in DEPLOYMENTS]
    return {
        "usage": usage,
        "feedback": read_feedback(COMMITTED),
        "cost": read_csv(COMMITTED / "cost.csv"),
        "incidents": read_csv(COMMITTED / "incidents.csv"),
        "changes": read_csv(COMMITTED / "changes.csv"),
        "registry": tomllib.loads((COMMITTED / "postlaunch.toml").read_text()),
    }


def weeks_of(rows: list[dict], key: str = "timestamp") -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(iso_week(r[key]), []).append(r)
    return out


def test_support_triage_drifts_out_of_scope_in_its_last_weeks(committed: dict) -> None:
    dep = committed["registry"]["deployments"]["support-triage"]
    rows = [r for r in committed["usage"] if r["deployment"] == "support-triage"]
    by_week = weeks_of(rows)
    assert len(by_week) == 16
    unlabeled = [r for r in rows if not r["use_case"]]
    assert 0.30 <= len(unlabeled) / len(rows) <= 0.40 and all(r["request_text"] for r in unlabeled)
    for week, wrows in by_week.items():
        labelled = [r for r in wrows if r["use_case"]]
        off = sum(r["use_case"] not in dep["approved_use_cases"] for r in labelled)
        lo, hi = wilson(off, len(labelled))
        assert len(labelled) >= 100
        if week in ("2026-W44", "2026-W45"):  # warn (CI above 0.02) but not critical (CI reaches below 0.05)
            assert lo > 0.02 and lo < 0.05 and off / len(labelled) < 0.05, week
        elif week in ("2026-W46", "2026-W47"):  # critical: CI wholly above 0.05
            assert lo > 0.05 and 0.09 <= off / len(labelled) <= 0.15, week
        else:
            assert off / len(labelled) < 0.015, week


def test_sales_cost_jumps_after_the_model_change(committed: dict) -> None:
    budget = committed["registry"]["deployments"]["sales-email-drafter"]["weekly_budget"]
    cost = {
        w: sum(float(r["amount"]) for r in rows)
        for w, rows in weeks_of(
            [r for r in committed["cost"] if r["deployment"] == "sales-email-drafter"], "date"
        ).items()
    }
    weeks = sorted(cost)
    change = [
        r for r in committed["changes"] if r["deployment"] == "sales-email-drafter" and r["kind"] == "model"
    ]
    assert len(change) == 1 and iso_week(change[0]["timestamp"]) == "2026-W46" and change[0]["approved_by"]
    for i, w in enumerate(weeks):
        prev = [cost[p] for p in weeks[max(0, i - 4) : i]]
        wow = cost[w] / (sum(prev) / len(prev)) - 1 if prev else 0.0
        if w == "2026-W46":
            assert wow > 1.0 and cost[w] / budget > 1.25
        elif w == "2026-W47":
            assert 0.5 < wow < 1.0 and cost[w] / budget > 1.25
        else:
            assert abs(wow) < 0.5 and cost[w] / budget < 0.8, w


def test_claims_serious_incident_becomes_overdue_in_w45(committed: dict) -> None:
    serious = [r for r in committed["incidents"] if r["serious"] == "true"]
    assert len(serious) == 1
    inc = serious[0]
    assert (inc["deployment"], inc["severity"], inc["category"], inc["status"], inc["reported_at"]) == (
        "claims-summarizer",
        "high",
        "privacy",
        "investigating",
        "",
    )
    deadline = datetime.strptime(inc["aware_at"], "%Y-%m-%dT%H:%M:%SZ") + timedelta(days=15)
    assert iso_week(inc["opened_at"]) == "2026-W42"
    assert iso_week(deadline.strftime("%Y-%m-%dT%H:%M:%SZ")) == "2026-W45"


def test_hr_assistant_stays_healthy_enough_to_expand(committed: dict) -> None:
    dep = committed["registry"]["deployments"]["hr-assistant"]
    cost = weeks_of([r for r in committed["cost"] if r["deployment"] == "hr-assistant"], "date")
    fb = weeks_of(
        [
            r
            for r in committed["feedback"]
            if r["deployment"] == "hr-assistant"
            and parses(r["timestamp"])
            and (r["rating"] is None or 1 <= r["rating"] <= 5)
        ]
    )
    assert len(cost) == len(fb) == 16
    for week, rows in fb.items():
        burn = sum(float(r["amount"]) for r in cost[week]) / dep["weekly_budget"]
        assert burn <= 0.8, week
        acc = [r["accepted"] for r in rows if r["accepted"] is not None]
        assert len(acc) >= 30 and wilson(sum(acc), len(acc))[0] > 0.6, week
        rated = [r for r in rows if r["rating"] is not None or r["thumbs"] is not None]
        neg = sum((r["rating"] or 5) <= 2 or r["thumbs"] == "down" for r in rated)
        assert neg / len(rated) < 0.2, week
    assert not [
        r for r in committed["incidents"] if r["deployment"] == "hr-assistant" and r["severity"] == "high"
    ]


def test_a_new_claims_team_works_untrained_from_w45(committed: dict) -> None:
    training = [r for r in read_csv(COMMITTED / "training.csv") if r["deployment"] in DEPLOYMENTS + [""]]
    valid: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in training:
        if r["expires_at"] > r["completed_at"]:
            valid.setdefault((r["user_id"], r["deployment"]), []).append((r["completed_at"], r["expires_at"]))

    def trained(row: dict) -> bool:
        spans = valid.get((row["user_id"], row["deployment"]), []) + valid.get((row["user_id"], ""), [])
        return any(done <= row["timestamp"] < until for done, until in spans)

    for dep in DEPLOYMENTS:
        by_week = weeks_of([r for r in committed["usage"] if r["deployment"] == dep])
        for week, rows in by_week.items():
            events = sum(int(r["requests"] or 1) for r in rows)
            untrained = sum(int(r["requests"] or 1) for r in rows if not trained(r))
            if dep == "claims-summarizer" and week >= "2026-W45":
                assert 0.12 < untrained / events < 0.17, week
                assert {r["team"] for r in rows if not trained(r)} == {"claims-liability"}
            else:
                assert untrained == 0, (dep, week)


def test_sales_testing_evidence_expires_between_the_w44_and_w45_meetings(committed: dict) -> None:
    readiness = read_csv(COMMITTED / "readiness.csv")
    (testing,) = [r for r in readiness if r["deployment"] == "sales-email-drafter" and r["item"] == "testing"]
    assert testing["status"] == "met" and testing["expires"] == ""  # the tier default: 6 months (medium)
    assert testing["evidence_date"] == "2026-05-05"  # + 6 months = 2026-11-05, a Thursday
    # sales reviews on Tuesdays: W44 on 2026-11-03 (still valid), W45 on 2026-11-10 (expired)
    assert committed["registry"]["deployments"]["sales-email-drafter"]["review_day"] == "tuesday"
    items = {r["item"] for r in readiness if r["deployment"] == "sales-email-drafter"}
    assert items == {"use_case", "owner", "testing", "training", "access", "monitoring", "pause"}
