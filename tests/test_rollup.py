"""The weekly rollup every metric reads (postlaunch.rollup): ingest keeps it current file by file and it
always equals a rebuild from the stored events; placement replaces the scope grain of the weeks it
re-placed; a database from before the rollup gets it built by the first writing command; a changed
timezone makes readers refuse it until `postlaunch rollup` rebuilds it."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cli.main import main
from ingest.engine import ingest_paths
from ingest.pipeline import ingest_and_place
from metrics import api
from postlaunch import rollup, schema
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from postlaunch.errors import PostlaunchError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"


def rollup_content(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup table summed per key (partial rows of separate ingests add up), in a fixed order."""
    usage = conn.execute(
        "SELECT deployment, wk, grain, use_case, inferred_use_case, team, data_class, model, sum(events), "
        "sum(errors), sum(escalations), sum(text_events), sum(pii_events), round(sum(cost), 6), sum(cost_rows), "
        "sum(uncosted_input_tokens), sum(uncosted_output_tokens), sum(uncosted_token_events), "
        "sum(untrained_events) FROM usage_rollup "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    users = conn.execute("SELECT * FROM usage_week_users ORDER BY ALL").fetchall()
    feedback = conn.execute(
        "SELECT deployment, wk, sum(COLUMNS(* EXCLUDE (deployment, wk))) FROM feedback_rollup GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return {"usage": usage, "users": users, "feedback": feedback}


def split_usage(folder: Path, parts: int) -> list[Path]:
    """The committed sample's usage file cut into `parts` files by line (header repeated), so the weeks
    of one file overlap the next's."""
    with gzip.open(SAMPLE / "usage.csv.gz", "rt", encoding="utf-8") as handle:
        header, *lines = handle.read().splitlines()
    size = len(lines) // parts + 1
    out = []
    for i in range(parts):
        path = folder / f"usage-{i}.csv"
        path.write_text("\n".join([header, *lines[i * size : (i + 1) * size]]) + "\n", encoding="utf-8")
        out.append(path)
    return out


@pytest.fixture
def sample_ctx(tmp_path: Path) -> Context:
    config = tmp_path / "postlaunch.toml"
    shutil.copyfile(SAMPLE / "postlaunch.toml", config)
    return load_context(config, tmp_path / "r.duckdb")


def test_training_records_before_and_after_the_usage_keep_the_rollup_equal_to_a_rebuild(
    sample_ctx: Context, tmp_path: Path
) -> None:
    """The untrained measure joins the training records: records loaded before the usage shape the rows
    ingest appends; records loaded after replace the week grain of the deployments they touch."""
    header, *rows = (SAMPLE / "training.csv").read_text(encoding="utf-8").splitlines()
    half = len(rows) // 2
    before, after = tmp_path / "training-before.csv", tmp_path / "training-after.csv"
    before.write_text("\n".join([header, *rows[:half]]) + "\n", encoding="utf-8")
    after.write_text("\n".join([header, *rows[half:]]) + "\n", encoding="utf-8")
    assert not ingest_and_place(sample_ctx, "training", [before]).failed
    for path in split_usage(tmp_path, 3):
        assert not ingest_and_place(sample_ctx, "usage", [path]).failed
    with connect(sample_ctx.db) as conn:
        midway = conn.execute(
            "SELECT sum(untrained_events), sum(events) FROM usage_rollup WHERE grain = 'week'"
        ).fetchone()
    assert not ingest_and_place(sample_ctx, "training", [after]).failed
    with connect(sample_ctx.db) as conn:
        incremental = rollup_content(conn)
        shares = {
            d: api.build_review(conn, sample_ctx, d).metrics["untrained_use_share"].value
            for d in sample_ctx.registry.ids
        }
        conn.execute("BEGIN TRANSACTION")
        rollup.rebuild(conn, sample_ctx.settings.timezone)
        conn.execute("COMMIT")
        assert incremental == rollup_content(conn)
        untrained, events = conn.execute(
            "SELECT sum(untrained_events), sum(events) FROM usage_rollup WHERE grain = 'week'"
        ).fetchone()
        assert conn.execute(
            "SELECT count(*) FROM usage_rollup WHERE grain <> 'week' AND untrained_events IS NOT NULL"
        ).fetchone() == (0,)
    assert 0 < midway[0] < midway[1]  # half the people trained: some use untrained
    assert 0 < untrained < midway[0] and events == midway[1]  # everyone trained but the new claims team
    assert shares["claims-summarizer"] == pytest.approx(0.1316, abs=1e-3) and shares["hr-assistant"] == 0.0


def test_ingest_keeps_the_rollup_equal_to_a_rebuild(sample_ctx: Context, tmp_path: Path) -> None:
    for path in split_usage(tmp_path, 4):
        outcome = ingest_and_place(sample_ctx, "usage", [path])
        assert not outcome.failed
    ingest_and_place(sample_ctx, "feedback", [SAMPLE / "feedback.jsonl"])
    ingest_and_place(sample_ctx, "usage", [SAMPLE / "usage.csv.gz"])  # all duplicates: adds nothing
    with connect(sample_ctx.db) as conn:
        incremental = rollup_content(conn)
        reviews = {d: api.build_review(conn, sample_ctx, d).to_json() for d in sample_ctx.registry.ids}
        conn.execute("BEGIN TRANSACTION")
        rollup.rebuild(conn, sample_ctx.settings.timezone)
        conn.execute("COMMIT")
        rebuilt = rollup_content(conn)
        assert incremental == rebuilt
        assert {
            d: api.build_review(conn, sample_ctx, d).to_json() for d in sample_ctx.registry.ids
        } == reviews
    assert len(rebuilt["usage"]) > 100 and len(rebuilt["users"]) == 4 * 16


def test_placement_replaces_the_scope_grain_of_the_weeks_it_placed(
    sample_ctx: Context, tmp_path: Path
) -> None:
    ingest_and_place(sample_ctx, "usage", [SAMPLE / "usage.csv.gz"])
    # a registry change of descriptions re-places every stored event of that deployment
    text = sample_ctx.settings.config.read_text(encoding="utf-8")
    changed = text.replace("Assign an incoming support ticket", "Sort an incoming customer ticket", 1)
    assert changed != text
    sample_ctx.settings.config.write_text(changed, encoding="utf-8")
    ctx = load_context(sample_ctx.settings.config, sample_ctx.db)
    outcome = ingest_and_place(ctx, "changes", [SAMPLE / "changes.csv"])
    assert any(p.deployment == "support-triage" and p.placed for p in outcome.placements)
    with connect(ctx.db) as conn:
        placed = rollup_content(conn)
        conn.execute("BEGIN TRANSACTION")
        rollup.rebuild(conn, ctx.settings.timezone)
        conn.execute("COMMIT")
        assert rollup_content(conn) == placed


def test_a_database_from_before_the_rollup_gets_it_on_the_first_writing_command(
    sample_ctx: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    loaded = tmp_path / "loaded.duckdb"
    ingest_paths(load_context(sample_ctx.settings.config, loaded), "usage", [SAMPLE / "usage.csv.gz"])
    with monkeypatch.context() as m, duckdb.connect(str(sample_ctx.db)) as conn:  # as postlaunch 2 left it
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:2])
        schema.migrate(conn)
        conn.execute(f"ATTACH '{loaded}' AS loaded (READ_ONLY)")
        for table in ("usage_events", "ingest_runs"):  # the columns postlaunch 2 had
            cols = ", ".join(r[0] for r in conn.execute(f"DESCRIBE main.{table}").fetchall())
            conn.execute(f"INSERT INTO main.{table} SELECT {cols} FROM loaded.{table}")
        assert max(r[0] for r in conn.execute("SELECT version FROM schema_migrations").fetchall()) == 2
    argv = ["--db", str(sample_ctx.db), "--config", str(sample_ctx.settings.config)]
    assert main([*argv, "review", "--deployment", "hr-assistant"]) == 1
    assert "schema version 2; run any writing command" in capsys.readouterr().err
    assert main([*argv, "rollup"]) == 0
    assert "rollup rebuilt from the stored events" in capsys.readouterr().out
    assert main([*argv, "review", "--deployment", "hr-assistant"]) == 0
    assert '"week": "2026-W47"' in capsys.readouterr().out


def test_a_changed_timezone_is_refused_until_the_rollup_is_rebuilt(
    sample_ctx: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_and_place(sample_ctx, "usage", [SAMPLE / "usage.csv.gz"])
    config = sample_ctx.settings.config
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('timezone = "UTC"', 'timezone = "America/New_York"', 1), encoding="utf-8")
    ctx = load_context(config, sample_ctx.db)
    with connect(ctx.db, read_only=True) as conn, pytest.raises(PostlaunchError) as err:
        api.build_review(conn, ctx, "hr-assistant")
    assert str(err.value) == (
        "the weekly rollup counts weeks in UTC, the settings say America/New_York: run `postlaunch rollup` "
        "to rebuild it"
    )
    argv = ["--db", str(ctx.db), "--config", str(config)]
    assert main([*argv, "check"]) == 3
    assert "counts weeks in UTC" in capsys.readouterr().out
    assert main([*argv, "rollup"]) == 0
    assert "weeks in America/New_York" in capsys.readouterr().out
    with connect(ctx.db, read_only=True) as conn:
        assert api.build_review(conn, ctx, "hr-assistant").generated_from.timezone == "America/New_York"


def test_prune_deletes_the_example_texts_of_a_spark_rollup(sample_ctx: Context) -> None:
    from datetime import date, datetime

    from actions.prune import prune

    with connect(sample_ctx.db) as conn:
        conn.execute(
            "INSERT INTO scope_examples VALUES ('hr-assistant', 2900, 'travel', 'labelled', 'old text', ?), "
            "('hr-assistant', 2950, 'travel', 'labelled', 'new text', ?)",
            [datetime(2025, 7, 1), datetime(2026, 7, 1)],
        )
    result = prune(sample_ctx, date(2026, 1, 1), today=date(2026, 11, 30))
    assert result.texts == 1
    with connect(sample_ctx.db, read_only=True) as conn:
        assert conn.execute("SELECT request_text FROM scope_examples").fetchall() == [("new text",)]
