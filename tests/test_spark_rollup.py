"""Equality is the test (DESIGN §18): the same raw events as Parquet, ingested into one database and
rolled up with Spark (local[2]) into another, give the same review JSON for every deployment and week
(values to 1e-9, statuses, alerts, recommendations and examples exactly), across a daylight-saving
change in Europe/Berlin and ISO week 53 into 2027, with training records (the untrained measure) and
labelled requests whose texts join the scope models (traffic references). Then the command as a user
meets it: counts by reason, --weeks, and the messages for what it refuses."""

from __future__ import annotations

import json
import math
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import spark_scenario
from spark_env import require_spark

from cli.main import main
from ingest.pipeline import ingest_and_place
from ingest.scope.fit import fit_model, fit_with_traffic, has_scope_text
from metrics import api
from postlaunch import weeks as wk
from postlaunch.config import load_context
from postlaunch.db import connect

pytestmark = [pytest.mark.spark, pytest.mark.slow]

INCIDENTS = (
    "incident_id,opened_at,deployment,severity,category,status,resolved_at,serious\n"
    "i-1,2026-10-27T09:00:00Z,support-triage,high,privacy,open,,true\n"
    "i-2,2026-12-30T09:00:00Z,legal-search,medium,quality,resolved,2027-01-02T10:00:00Z,false\n"
)
CHANGES = "timestamp,deployment,kind,summary\n2026-12-29T08:00:00Z,code-helper,model,Moved to a newer model\n"
# Labelled requests worded unlike the registry's descriptions: as traffic references they move unlabeled
# requests worded like them into their use case (and, with examples, the calibrated threshold).
TRAFFIC = {
    "ticket_classification": "Tag this customer complaint about a broken checkout page with its category",
    "routing_suggestion": "Send the escalation about a missing parcel to the right queue",
    "code_review": "Look over my diff for the caching layer and point out bugs",
    "test_generation": "Create pytest cases covering the date parser edge cases",
    "claim_summary": "Give me the key facts of the car accident claim file",
    "password_reset": "My account is locked after too many wrong passcode attempts",
    "access_request": "I need permission to open the marketing dashboards",
}
# Examples for one deployment: its threshold is calibrated from them, against every reference.
EXAMPLES = """
[deployments.support-triage.use_case_examples]
ticket_classification = ["Which product area does this crash report belong to", "Label this ticket about invoices", "Classify the complaint about slow delivery"]
routing_suggestion = ["Who should take this billing dispute", "Route this refund question to a team", "Which queue gets a password problem"]
"""


def _traffic(folder: Path) -> Path:
    """usage-05.parquet (ingested last): labelled and unlabeled requests worded as TRAFFIC, some with personal
    data (the references are the texts as stored: redacted), more than TRAFFIC_EXAMPLES per use case."""
    rng = random.Random(5)
    rows = []
    for dep, (cases, *_) in spark_scenario.DEPLOYMENTS.items():
        for week in range(spark_scenario.WEEKS):
            for n in range(5 if dep != "sales-email" or week != 7 else 0):
                row = spark_scenario._usage_row(rng, dep, week, 50_000 + n)
                case = rng.choice(cases)
                pii = " contact jane.doe@example.com" if n == 0 else ""
                text = f"{TRAFFIC.get(case, spark_scenario.TEXTS[case])} ({week % 4}){pii}"
                rows.append({**row, "use_case": case if n < 3 else None, "request_text": text})
    path = folder / "usage-05.parquet"
    spark_scenario._write(path, rows, doubles=("cost",))
    return path


def _training_csv(folder: Path) -> Path:
    """Training records: one for every deployment (blank deployment), others for one deployment completed
    before or inside the period, every third expiring inside it, one a wall-clock time read in the
    configured timezone."""
    deployments = list(spark_scenario.DEPLOYMENTS)
    lines = [
        "user_id,completed_at,deployment,course,expires_at,provider",
        "u1,2026-09-01T00:00:00Z,,AI basics,,academy",
    ]
    for i in range(2, 30):
        completed = datetime(2026, 10, 1, 8, 30) + timedelta(days=3 * i, hours=i)
        expires = completed + timedelta(days=20 + i) if i % 3 == 0 else None
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        lines.append(f"u{i},{completed.strftime(stamp)},{deployments[i % 7]},Safe use,"
                     f"{expires.strftime(stamp) if expires else ''},academy")  # fmt: skip
    lines.append("u7,2026-12-20 09:00:00,,Refresher,2027-01-02 09:00:00,academy")  # local time, no zone
    path = folder / "training.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _close(a: Any, b: Any, path: str, out: list[str]) -> None:
    """Collect where `a` and `b` differ: numbers by more than 1e-9, anything else at all."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            _close(a.get(key), b.get(key), f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        if not (abs(a - b) <= 1e-9 or (math.isnan(a) and math.isnan(float(b)))):
            out.append(f"{path}: {a!r} != {b!r}")
    elif a != b:
        out.append(f"{path}: {str(a)[:160]} != {str(b)[:160]}")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_spark()
    folder = tmp_path_factory.mktemp("spark-scenario")
    files = spark_scenario.write(folder)
    files["usage"].append(_traffic(folder))
    (folder / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    (folder / "changes.csv").write_text(CHANGES, encoding="utf-8")
    _training_csv(folder)
    config = folder / "postlaunch.toml"
    config.write_text(config.read_text(encoding="utf-8") + EXAMPLES, encoding="utf-8")
    ingested, rolled = folder / "ingested.duckdb", folder / "spark.duckdb"
    ctx = load_context(config, ingested)
    for kind in ("usage", "feedback"):
        outcome = ingest_and_place(ctx, kind, files[kind])
        assert not outcome.failed, [r.message for r in outcome.files]
    # training after the usage here (the week grain is recomputed), before the Spark run there (it reads them)
    for db in (ingested, rolled):
        for kind in ("incidents", "changes", "training"):
            assert not ingest_and_place(load_context(config, db), kind, [folder / f"{kind}.csv"]).failed
    argv = ["--db", str(rolled), "--config", str(config), "rollup", "--engine", "spark",
            "--usage", str(folder / "usage-*.parquet"), "--feedback", str(folder / "feedback-*.parquet"), "--json"]  # fmt: skip
    assert main(argv) == 0
    return {"folder": folder, "config": config, "ingested": ingested, "spark": rolled}


def _reviews(db: Path, config: Path) -> dict[str, dict[str, Any]]:
    ctx = load_context(config, db)
    out = {}
    with connect(db, read_only=True) as conn:
        for dep in ctx.registry.ids:
            for week in api.available_weeks(conn, ctx, dep):
                out[f"{dep} {week}"] = json.loads(api.build_review(conn, ctx, dep, week).to_json())
    return out


def test_every_review_is_the_same_from_ingest_and_from_spark(scenario: dict[str, Path]) -> None:
    ingested = _reviews(scenario["ingested"], scenario["config"])
    rolled = _reviews(scenario["spark"], scenario["config"])
    assert sorted(ingested) == sorted(rolled)
    assert len(ingested) >= 7 * 11  # one deployment misses a week (a feed gap)
    weeks = {key.split()[1] for key in ingested}
    assert {"2026-W43", "2026-W53", "2027-W01"} <= weeks
    differences: list[str] = []
    for key in sorted(ingested):
        _close(ingested[key], rolled[key], key, differences)
    assert differences == [], "\n".join(differences[:30])
    # the scenario exercises what it claims to: placement, personal data, examples, alerts
    reviews = list(ingested.values())
    assert any(r["out_of_scope_examples"] for r in reviews)
    assert any(e["source"] == "inferred" for r in reviews for e in r["out_of_scope_examples"])
    assert any((r["metrics"]["pii_share"]["value"] or 0) > 0 for r in reviews)
    assert {r["recommendation"]["action"] for r in reviews if r["recommendation"]} >= {"continue", "limit"}
    untrained = [r["metrics"]["untrained_use_share"]["value"] for r in reviews]
    assert any(0 < (v or 0) < 1 for v in untrained) and any(v == 1 for v in untrained)


def _rollup(db: Path) -> list[tuple[Any, ...]]:
    """usage_rollup summed per deployment, week, grain and key (ingest appends partial rows per file)."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "SELECT deployment, wk, grain, use_case, inferred_use_case, audited_use_case, inferred_band, team, "
            "data_class, model, sum(events), sum(errors), sum(escalations), sum(text_events), sum(pii_events), "
            "sum(cost), sum(cost_rows), sum(uncosted_input_tokens), sum(uncosted_output_tokens), "
            "sum(uncosted_token_events), sum(untrained_events) FROM usage_rollup GROUP BY ALL ORDER BY ALL"
        ).fetchall()


def _models(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(
            "SELECT deployment, fingerprint, threshold, calibration FROM scope_models ORDER BY deployment"
        ).fetchall()


def test_the_rollup_rows_and_scope_models_are_those_of_ingest(scenario: dict[str, Path]) -> None:
    ingested, rolled = _rollup(scenario["ingested"]), _rollup(scenario["spark"])
    differences: list[str] = []
    _close([list(r) for r in ingested], [list(r) for r in rolled], "usage_rollup", differences)
    assert len(ingested) == len(rolled) and differences == [], "\n".join(differences[:30])
    assert any(r[6] is not None and r[6] < 0 for r in rolled) and any(
        r[6] is not None and r[6] >= 0 for r in rolled
    )
    week = [r for r in rolled if r[2] == "week"]
    assert all(r[-1] is not None for r in week) and any(0 < r[-1] < r[10] for r in week)
    assert all(r[-1] is None for r in rolled if r[2] != "week")

    assert _models(scenario["ingested"]) == _models(scenario["spark"])
    # the traffic references matter: with them, stored requests are placed otherwise and one threshold moves
    ctx = load_context(scenario["config"], scenario["ingested"])
    moved = set()
    with connect(scenario["ingested"], read_only=True) as conn:
        for dep in [ctx.registry.get(d) for d in ctx.registry.ids]:
            if not has_scope_text(dep):
                continue
            texts = [t for (t,) in conn.execute(
                "SELECT DISTINCT request_text FROM usage_events WHERE deployment = ? AND use_case IS NULL "
                "AND request_text IS NOT NULL ORDER BY 1", [dep.id]).fetchall()]  # fmt: skip
            registry, traffic = fit_model(dep), fit_with_traffic(conn, dep)
            assert traffic.calibration["n_references"] >= 10
            if registry.place(texts)[0] != traffic.place(texts)[0]:
                moved.add(dep.id)
            if dep.id == "support-triage":
                assert registry.threshold != traffic.threshold
    assert len(moved) >= 2, moved


def test_the_counts_are_those_of_ingest(scenario: dict[str, Path]) -> None:
    def totals(db: Path, adapter: str | None) -> dict[str, tuple[int, ...]]:
        with duckdb.connect(str(db), read_only=True) as conn:
            rows = conn.execute(
                "SELECT kind, sum(rows), sum(loaded), sum(duplicates), sum(quarantined) FROM ingest_runs "
                "WHERE kind IN ('usage', 'feedback') AND adapter IS NOT DISTINCT FROM ? GROUP BY kind",
                [adapter],
            ).fetchall()
        return {r[0]: tuple(int(x) for x in r[1:]) for r in rows}

    assert totals(scenario["spark"], "spark") == totals(scenario["ingested"], None)
    with duckdb.connect(str(scenario["spark"]), read_only=True) as conn:
        (notes,) = conn.execute(
            "SELECT notes FROM ingest_runs WHERE adapter = 'spark' AND kind = 'usage'"
        ).fetchone()
        reasons = json.loads(notes)["quarantined_by_reason"]
        known = ", ".join(sorted(spark_scenario.DEPLOYMENTS))
        # three of each bad row, and a row repeated in a later file is quarantined again
        assert reasons[f"deployment: is not in the registry (known: {known})"] >= 3
        assert reasons["outcome: is not one of ok, error, refused, escalated"] >= 3
        assert reasons["event_id: appeared before with other values"] > 0
        examples = conn.execute(
            "SELECT reason, raw FROM quarantine WHERE reason LIKE '%requests%'"
        ).fetchall()
        assert examples and all(
            r.startswith("line ") and "must be a whole number >= 0" in r for r, _ in examples
        )
        # no event was copied: only the rollup and the redacted example texts
        assert conn.execute("SELECT count(*) FROM usage_events").fetchone() == (0,)
        texts = [t for (t,) in conn.execute("SELECT request_text FROM scope_examples").fetchall()]
        assert texts and not any("@example.com" in t or "4111 1111" in t for t in texts)


def test_weeks_replaces_only_those_weeks(scenario: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "weeks.duckdb"
    shutil.copy(scenario["spark"], db)
    config, folder = scenario["config"], scenario["folder"]
    with duckdb.connect(str(db)) as conn:  # spoil two weeks: --weeks must put them right
        conn.execute(
            "UPDATE usage_rollup SET events = events + 1000 WHERE wk BETWEEN ? AND ?",
            [wk.week_index("2026-W53"), wk.week_index("2027-W01")],
        )
    argv = ["--db", str(db), "--config", str(config), "rollup", "--engine", "spark", "--weeks", "2026-W53:2027-W01",
            "--usage", str(folder / "usage-*.parquet"), "--feedback", str(folder / "feedback-*.parquet")]  # fmt: skip
    assert main(argv) == 0
    assert _reviews(db, config) == _reviews(scenario["spark"], config)
    # the scope models come from the labelled requests of every week, not only of those two
    assert _models(db) == _models(scenario["spark"])
    with duckdb.connect(str(db), read_only=True) as conn:  # the quarantined rows are stored once
        seen = conn.execute(
            "SELECT len(seen_in_runs) FROM quarantine WHERE kind IN ('usage', 'feedback')"
        ).fetchall()
    with duckdb.connect(str(scenario["spark"]), read_only=True) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM quarantine WHERE kind IN ('usage', 'feedback')"
        ).fetchone()
    assert stored == (len(seen),)
    assert seen and {n for (n,) in seen} == {2}


def test_what_the_command_refuses(scenario: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, folder = scenario["config"], scenario["folder"]

    def run(db: Path, *args: str) -> tuple[int, str]:
        code = main(["--db", str(db), "--config", str(config), *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    usage = str(folder / "usage-01.parquet")
    code, text = run(scenario["ingested"], "rollup", "--engine", "spark", "--usage", usage)
    assert code == 1 and "loaded by `postlaunch ingest`" in text and "a database of its own (--db)" in text
    code, text = run(scenario["spark"], "rollup")
    assert code == 1 and "run `postlaunch rollup --engine spark --usage ...` again" in text
    code, text = run(scenario["spark"], "rollup", "--engine", "spark")
    assert code == 2 and "needs --usage PATH|TABLE" in text
    code, text = run(
        scenario["spark"], "rollup", "--engine", "spark", "--usage", usage, "--weeks", "2027-W01:2026-W53"
    )
    assert code == 2 and "2026-W53 comes before 2027-W01" in text
    code, text = run(scenario["spark"], "rollup", "--usage", usage)
    assert code == 2 and "--usage apply to --engine spark" in text
    code, text = run(
        scenario["spark"], "rollup", "--engine", "spark", "--usage", str(folder / "nothing-*.parquet")
    )
    assert code == 1 and "nothing-*.parquet: cannot be read" in text
    with connect(scenario["spark"], read_only=True) as conn:
        models = conn.execute("SELECT * FROM scope_models ORDER BY deployment").fetchall()
    code, text = run(scenario["spark"], "ingest", "usage", usage)
    assert code == 1 and "weekly rollup comes from Spark" in text
    code, text = run(scenario["spark"], "ingest", "changes", str(folder / "changes.csv"))
    assert code == 0 and "scope " not in text, text  # nothing to place here: the models stay Spark's
    with connect(scenario["spark"], read_only=True) as conn:
        assert conn.execute("SELECT * FROM scope_models ORDER BY deployment").fetchall() == models
