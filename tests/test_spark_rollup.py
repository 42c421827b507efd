"""Equality is the test (DESIGN §18): the same raw events as Parquet, ingested into one database and
rolled up with Spark (local[2]) into another, give the same review JSON for every deployment and week
(values to 1e-9, statuses, alerts, recommendations and examples exactly), across a daylight-saving
change in Europe/Berlin and ISO week 53 into 2027. Then the command as a user meets it: counts by
reason, --weeks, and the messages for what it refuses."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
import spark_scenario
from spark_env import require_spark

from cli.main import main
from ingest.pipeline import ingest_and_place
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
    (folder / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    (folder / "changes.csv").write_text(CHANGES, encoding="utf-8")
    config = folder / "postlaunch.toml"
    ingested, rolled = folder / "ingested.duckdb", folder / "spark.duckdb"
    ctx = load_context(config, ingested)
    for kind in ("usage", "feedback"):
        outcome = ingest_and_place(ctx, kind, files[kind])
        assert not outcome.failed, [r.message for r in outcome.files]
    for db in (ingested, rolled):
        for kind in ("incidents", "changes"):
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
    code, text = run(scenario["spark"], "ingest", "usage", usage)
    assert code == 1 and "weekly rollup comes from Spark" in text
