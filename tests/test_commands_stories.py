"""The committed sample's stories (sample_data/README.md), read through `postlaunch review` and
`postlaunch check` on the ingested sample: what each deployment's owner must be told, week by week."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from commands_db import Sample, clean_env, ingested_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    with pytest.MonkeyPatch.context() as mp:
        clean_env(mp)
        yield ingested_sample(tmp_path_factory)


def action(sample: Sample, capsys: pytest.CaptureFixture[str], deployment: str, week: str) -> str:
    return str(sample.review(capsys, deployment, week)["recommendation"]["action"])


@pytest.mark.parametrize(
    ("deployment", "expected"),
    [
        # healthy, low risk: has earned expansion from W35 on
        ("hr-assistant", {"2026-W35": "expand", "2026-W41": "expand", "2026-W47": "expand"}),
        # high risk, users drift into an unapproved use: limit on the scope warn, pause once critical.
        # Its metrics earned expand by W41, but no app reads its operating status yet (readiness pause,
        # high tier: a read within 30 days), so it continues (DESIGN §13; this story changed on purpose)
        (
            "support-triage",
            {
                "2026-W41": "continue",
                "2026-W44": "limit",
                "2026-W45": "limit",
                "2026-W46": "pause",
                "2026-W47": "pause",
            },
        ),
        # cost jumps after the recorded model change in W46; its testing evidence expired on 5 Nov, between
        # the W44 and W45 meetings, so W45 continues instead of expanding (this story changed on purpose)
        (
            "sales-email-drafter",
            {"2026-W44": "expand", "2026-W45": "continue", "2026-W46": "limit", "2026-W47": "limit"},
        ),
        # serious privacy incident unreported: deadline 4 Nov (W45) passes, three critical weeks -> stop
        (
            "claims-summarizer",
            {"2026-W44": "continue", "2026-W45": "pause", "2026-W46": "pause", "2026-W47": "stop"},
        ),
    ],
)
def test_recommendations_tell_the_story(
    sample: Sample, capsys: pytest.CaptureFixture[str], deployment: str, expected: dict[str, str]
) -> None:
    got = {week: action(sample, capsys, deployment, week) for week in expected}
    assert got == expected


def test_readiness_holds_expand_back_and_names_the_item(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    sales = sample.review(capsys, "sales-email-drafter", "2026-W45")
    (testing,) = [r for r in sales["readiness"] if r["item"] == "testing"]
    assert testing["status"] == "met" and testing["expired"] and testing["expires"] == "2026-11-05"
    assert testing["message"] == "testing: met, but the evidence expired on 2026-11-05 (dated 2026-05-05)"
    blocking = [r for r in sales["recommendation"]["reasons"] if r.get("item")]
    assert [r["item"] for r in blocking] == ["testing"] and "testing" in blocking[0]["text"]
    w44 = sample.review(capsys, "sales-email-drafter", "2026-W44")
    assert not any(r["blocks_expand"] for r in w44["readiness"])
    support = sample.review(capsys, "support-triage", "2026-W41")
    (pause,) = [r for r in support["recommendation"]["reasons"] if r.get("item")]
    assert pause["item"] == "pause" and "has not read its operating status" in pause["text"]


def test_a_new_team_uses_claims_without_training(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    before = sample.review(capsys, "claims-summarizer", "2026-W44")
    assert before["metrics"]["untrained_use_share"]["value"] == 0.0
    w45 = sample.review(capsys, "claims-summarizer", "2026-W45")
    share = w45["metrics"]["untrained_use_share"]
    assert 0.12 < share["value"] < 0.17 and share["status"] == "warn"
    (training,) = [r for r in w45["readiness"] if r["item"] == "training"]
    assert training["check"] == "challenged"
    assert (
        training["message"] == "training: met, but 14% of this week's use is by users with no valid training"
    )
    assert any(c["kind"] == "access" and "claims-liability" in c["summary"] for c in w45["changes"])


def test_support_triage_out_of_scope_share_grows(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    weeks = ["2026-W41", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    shares = [sample.review(capsys, "support-triage", w)["metrics"]["out_of_scope_share"] for w in weeks]
    values = [m["value"] for m in shares]
    assert values == sorted(values) and values[0] < 0.01 and values[-1] > 0.10
    assert [m["status"] for m in shares] == ["ok", "warn", "warn", "critical", "critical"]
    last = sample.review(capsys, "support-triage", "2026-W47")
    assert {ex["use_case"] for ex in last["out_of_scope_examples"]} >= {"drafting_customer_replies"}
    reasons = " ".join(r["text"] for r in last["recommendation"]["reasons"])
    assert "out_of_scope_share" in reasons


def test_the_model_change_is_listed_with_the_cost_jump(
    sample: Sample, capsys: pytest.CaptureFixture[str]
) -> None:
    w46 = sample.review(capsys, "sales-email-drafter", "2026-W46")
    models = [c for c in w46["changes"] if c["kind"] == "model"]
    assert len(models) == 1 and "gpt-4.1-mini" in models[0]["summary"]
    assert w46["metrics"]["budget_burn"]["status"] == "critical"
    assert w46["metrics"]["cost_wow_change"]["value"] > 1.0
    assert any(a["metric"] == "budget_burn" and a["level"] == "critical" for a in w46["alerts"])
    w45 = sample.review(capsys, "sales-email-drafter", "2026-W45")
    assert not [c for c in w45["changes"] if c["kind"] == "model"]


def test_the_unreported_incident_is_overdue(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    w44 = sample.review(capsys, "claims-summarizer", "2026-W44")
    w45 = sample.review(capsys, "claims-summarizer", "2026-W45")
    assert w44["metrics"]["overdue_serious_incidents"]["value"] == 0
    assert w45["metrics"]["overdue_serious_incidents"]["value"] == 1
    (incident,) = [i for i in w45["open_incidents"] if i["incident_id"] == "INC-0431"]
    assert incident["serious"] and incident["reported_at"] is None


def test_check_on_the_last_week_is_critical(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = sample.run(capsys, "check")
    assert code == 2
    lines = out.splitlines()
    assert "OK hr-assistant 2026-W47 recommendation expand" in lines
    assert "CRITICAL support-triage 2026-W47 recommendation pause" in lines
    assert "CRITICAL claims-summarizer 2026-W47 recommendation stop" in lines
    # labelled and inferred (placed) events together: 0.12 on the committed sample
    assert any(line.startswith("CRITICAL support-triage 2026-W47 out_of_scope_share 0.12") for line in lines)


def test_decide_and_verify_on_the_sample(sample: Sample, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = sample.run(
        capsys,
        "decide",
        "--deployment",
        "claims-summarizer",
        "--week",
        "2026-W47",
        "--decision",
        "pause",
        "--rationale",
        "report INC-0431 to the regulator today; resume after the fix is verified",
        "--by",
        "Claims Operations Manager",
        "--attendees",
        "Governance lead",
        "DPO",
    )
    assert code == 0, err
    code, out, _ = sample.run(capsys, "verify")
    assert code == 0 and out.startswith("decision log verified:")
    code, out, _ = sample.run(capsys, "review", "--deployment", "claims-summarizer", "--format", "md")
    assert code == 0 and "## Recommendation: STOP" in out and "INC-0431" in out
