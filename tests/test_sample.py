"""The sample organization: determinism, files and columns, messy rows, options, and its stories."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from cli.main import main
from samplegen import MESSY_ROWS, write_sample
from samplegen.calendar import last_complete_week

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "sample_data"
COMMITTED_ARGS = {"weeks": 16, "seed": 42, "scale": 0.3, "end_week": "2026-W47", "compress": True}
DEPLOYMENTS = ["hr-assistant", "support-triage", "sales-email-drafter", "claims-summarizer"]
REGISTRY_KEYS = {
    "name",
    "owner",
    "owners",
    "risk_tier",
    "launched",
    "status",
    "approved_use_cases",
    "approved_teams",
    "max_data_class",
    "weekly_budget",
    "review_day",
    "use_case_descriptions",
    "use_case_examples",
    "runbook",
}
USAGE_COLUMNS = [
    "timestamp",
    "deployment",
    "user_id",
    "event_id",
    "team",
    "use_case",
    "request_text",
    "model",
    "input_tokens",
    "output_tokens",
    "latency_ms",
    "outcome",
    "data_class",
    "cost",
    "requests",
]


def parses(ts: str) -> bool:
    """A timestamp the contract accepts as written here: ISO 8601 UTC with Z, and a real date."""
    try:
        datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def run_cli(argv: list[str]) -> int:
    """Run `postlaunch ARGV` in this process (only the sample command's module is imported)."""
    return main(argv)


def read_usage(folder: Path) -> list[dict[str, str]]:
    path = folder / "usage.csv"
    raw = gzip.decompress((folder / "usage.csv.gz").read_bytes()) if not path.exists() else path.read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def read_feedback(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]


def iso_week(ts: str) -> str:
    iso = datetime.strptime(ts[:10], "%Y-%m-%d").date().isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def wilson(x: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "org"
    return out, write_sample(out, weeks=6, seed=5, scale=0.1, end_week="2026-W10")


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 9), (b, 9), (c, 10)):
        write_sample(out, weeks=6, seed=seed, scale=0.05, end_week="2026-W20")
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "usage.csv").read_bytes() != (c / "usage.csv").read_bytes()
    assert (a / "feedback.jsonl").read_bytes() != (c / "feedback.jsonl").read_bytes()


def test_committed_copy_is_what_the_generator_writes(tmp_path: Path) -> None:
    write_sample(tmp_path, **COMMITTED_ARGS)
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.name != "README.md")
    assert committed == sorted(p.name for p in tmp_path.iterdir())
    for name in committed:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), (
            f"sample_data/{name} is stale"
        )


def test_every_kind_is_written_with_the_contract_columns(small: tuple[Path, dict]) -> None:
    out, result = small
    for kind in ("usage", "cost", "feedback", "incidents", "changes", "training", "readiness"):
        assert list(out.glob(f"{kind}*")), kind
    assert next(csv.reader(io.StringIO((out / "usage.csv").read_text()))) == USAGE_COLUMNS
    assert next(csv.reader(io.StringIO((out / "cost.csv").read_text()))) == [
        "date",
        "deployment",
        "amount",
        "category",
        "currency",
        "description",
    ]
    assert set(read_feedback(out)[0]) == {
        "timestamp",
        "deployment",
        "feedback_id",
        "event_id",
        "source",
        "rating",
        "thumbs",
        "accepted",
        "rework_minutes",
        "comment",
    }
    assert set(read_csv(out / "incidents.csv")[0]) == {
        "incident_id",
        "opened_at",
        "deployment",
        "severity",
        "category",
        "status",
        "resolved_at",
        "title",
        "description",
        "serious",
        "aware_at",
        "reported_at",
        "serious_kind",
    }
    assert next(csv.reader(io.StringIO((out / "training.csv").read_text()))) == [
        "user_id", "completed_at", "deployment", "course", "expires_at", "provider",
    ]  # fmt: skip
    assert next(csv.reader(io.StringIO((out / "readiness.csv").read_text()))) == [
        "deployment", "item", "status", "evidence", "evidence_date", "reviewed_by", "expires",
    ]  # fmt: skip
    assert set(read_csv(out / "changes.csv")[0]) == {
        "timestamp",
        "deployment",
        "kind",
        "summary",
        "changed_by",
        "approved_by",
    }
    lines = {
        "usage.csv": len(read_usage(out)),
        "cost.csv": len(read_csv(out / "cost.csv")),
        "feedback.jsonl": len(read_feedback(out)),
        "incidents.csv": 8,
        "changes.csv": 12,
        "training.csv": len(read_csv(out / "training.csv")),
        "readiness.csv": len(read_csv(out / "readiness.csv")),
    }
    assert result["files"] == lines
    clean_usage = sum(d["usage_rows"] for d in result["deployments"].values())
    assert result["files"]["usage.csv"] == clean_usage + sum(MESSY_ROWS["usage"].values())
    clean_fb = sum(d["feedback_rows"] for d in result["deployments"].values())
    assert result["files"]["feedback.jsonl"] == clean_fb + sum(MESSY_ROWS["feedback"].values())
    assert result["messy"] == MESSY_ROWS


def test_registry_names_four_deployments_with_the_contract_keys(small: tuple[Path, dict]) -> None:
    reg = tomllib.loads((small[0] / "postlaunch.toml").read_text())
    assert reg["timezone"] == "UTC" and reg["currency"] == "USD"
    assert list(reg["deployments"]) == DEPLOYMENTS
    for dep_id, dep in reg["deployments"].items():
        assert REGISTRY_KEYS <= set(dep) <= REGISTRY_KEYS | {"thresholds"}, dep_id
        assert {"may_pause", "fallback", "return_criteria", "notify"} <= set(dep["runbook"]), dep_id
        assert isinstance(dep["launched"], date) and dep["launched"] < date(2026, 2, 2)
        assert dep["risk_tier"] in ("low", "medium", "high") and dep["status"] == "active"
        assert (
            set(dep["use_case_descriptions"])
            == set(dep["approved_use_cases"])
            == set(dep["use_case_examples"])
        )
        for uc, examples in dep["use_case_examples"].items():
            assert 5 <= len(examples) <= 10 and len(set(examples)) == len(examples), uc
    tiers = {d: reg["deployments"][d]["risk_tier"] for d in DEPLOYMENTS}
    assert tiers == {
        "hr-assistant": "low",
        "support-triage": "high",
        "sales-email-drafter": "medium",
        "claims-summarizer": "medium",
    }


def test_messy_rows_are_present_as_documented(small: tuple[Path, dict]) -> None:
    out = small[0]
    lines = (out / "usage.csv").read_text().splitlines()[1:]
    usage = read_usage(out)
    assert sum(r["deployment"] == "legacy-bot" for r in usage) == MESSY_ROWS["usage"]["unknown_deployment"]
    assert sum(not parses(r["timestamp"]) for r in usage) == MESSY_ROWS["usage"]["bad_timestamp"]
    assert sum(r["input_tokens"].startswith("-") for r in usage) == MESSY_ROWS["usage"]["negative_tokens"]
    assert sum(a == b for a, b in zip(lines, lines[1:], strict=False)) == MESSY_ROWS["usage"]["duplicate"]
    assert len(lines) - len(set(lines)) == MESSY_ROWS["usage"]["duplicate"]
    assert not any(
        r["deployment"] == "support-triage" and r["event_id"].split("-")[-1].startswith("x") for r in usage
    )
    fb = read_feedback(out)
    fb_lines = (out / "feedback.jsonl").read_text().splitlines()
    assert sorted(r["rating"] for r in fb if r["rating"] is not None and not 1 <= r["rating"] <= 5) == [
        0,
        6,
        7,
    ]
    assert sum(r["deployment"] == "legacy-bot" for r in fb) == MESSY_ROWS["feedback"]["unknown_deployment"]
    assert sum(not parses(r["timestamp"]) for r in fb) == MESSY_ROWS["feedback"]["bad_timestamp"]
    assert len(fb_lines) - len(set(fb_lines)) == MESSY_ROWS["feedback"]["duplicate"]
    cost = read_csv(out / "cost.csv")
    assert sum(r["deployment"] == "legacy-bot" for r in cost) == MESSY_ROWS["cost"]["unknown_deployment"]
    ids = [r["event_id"] for r in usage]
    assert len(ids) - len(set(ids)) == MESSY_ROWS["usage"]["duplicate"]  # ids repeat only on exact duplicates
    training = read_csv(out / "training.csv")
    assert (
        sum(r["deployment"] == "legacy-bot" for r in training) == MESSY_ROWS["training"]["unknown_deployment"]
    )
    assert (
        sum(r["expires_at"] <= r["completed_at"] for r in training)
        == MESSY_ROWS["training"]["expires_before_completion"]
    )


def test_weeks_and_end_week_bound_every_timestamp(small: tuple[Path, dict]) -> None:
    out, result = small
    assert (result["first_week"], result["last_week"]) == ("2026-W05", "2026-W10")
    want = {f"2026-W{w:02d}" for w in range(5, 11)}
    usage = [r for r in read_usage(out) if parses(r["timestamp"])]
    assert {iso_week(r["timestamp"]) for r in usage} == want
    assert {iso_week(r["timestamp"]) for r in read_feedback(out) if parses(r["timestamp"])} <= want
    assert {iso_week(r["date"]) for r in read_csv(out / "cost.csv")} == want
    assert {iso_week(r["timestamp"]) for r in read_csv(out / "changes.csv")} <= want
    event_ids = {r["event_id"] for r in usage}
    assert all(r["event_id"] in event_ids for r in read_feedback(out) if r["deployment"] != "legacy-bot")


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 11, 29), date(2026, 11, 16)),  # Sunday: its own week is not complete yet
        (date(2026, 11, 30), date(2026, 11, 23)),  # Monday
        (date(2027, 1, 3), date(2026, 12, 21)),
    ],  # 2026 has 53 ISO weeks; 3 Jan 2027 is in 2026-W53
)
def test_last_complete_week(today: date, monday: date) -> None:
    assert last_complete_week(today) == monday


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--weeks", "0"], "--weeks 0"),
        (["--weeks", "5"], "--weeks 5"),
        (["--weeks", "157"], "--weeks 157"),
        (["--scale", "-1"], "--scale -1"),
        (["--scale", "0"], "--scale 0"),
        (["--scale", "nan"], "--scale nan"),
        (["--end-week", "2026-47"], "YYYY-Www"),
        (["--end-week", "2026-W54"], "W01-W53"),
        (["--end-week", "2025-W53"], "W01-W52"),
        (["--weeks", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    try:
        code = run_cli(["sample", "--out", str(tmp_path / "o"), *argv])
    except SystemExit as exc:  # argparse type errors
        code = int(exc.code or 0)
    assert code == 2
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "o" / "usage.csv").exists()


def test_out_that_is_a_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert run_cli(["sample", "--out", str(target), "--weeks", "6", "--scale", "0.05"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_command_prints_a_summary_and_gzip_replaces_the_plain_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert (
        run_cli(["sample", "--out", str(out), "--weeks", "6", "--scale", "0.05", "--end-week", "2026-W20"])
        == 0
    )
    text = capsys.readouterr().out
    for word in (
        "usage.csv",
        "cost.csv",
        "feedback.jsonl",
        "incidents.csv",
        "changes.csv",
        "2026-W15..2026-W20",
        "support-triage",
        "duplicate=40",
    ):
        assert word in text
    plain = (out / "usage.csv").read_bytes()
    assert (
        run_cli(
            [
                "sample",
                "--out",
                str(out),
                "--weeks",
                "6",
                "--scale",
                "0.05",
                "--end-week",
                "2026-W20",
                "--gzip",
            ]
        )
        == 0
    )
    assert not (out / "usage.csv").exists()
    assert gzip.decompress((out / "usage.csv.gz").read_bytes()) == plain
