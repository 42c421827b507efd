"""Test helper for the dashboard tests: the committed sample (`sample_data/`) ingested once per session
into a tmp database with the ingest API (the `postlaunch ingest` code path), copied per test that
writes; the environment that points the dashboard at it; and Streamlit's caches cleared per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
APP = str(ROOT / "dashboard" / "app.py")
KINDS = (
    ("usage", "usage.csv.gz"),
    ("cost", "cost.csv"),
    ("feedback", "feedback.jsonl"),
    ("incidents", "incidents.csv"),
    ("changes", "changes.csv"),
    ("training", "training.csv"),
    ("readiness", "readiness.csv"),
)


@dataclass(frozen=True)
class SampleDb:
    db: Path
    config: Path


def build_sample(folder: Path, *, place: bool = True) -> SampleDb:
    """Ingest every kind of the committed sample into `folder/sample.duckdb` (and place unlabeled
    requests, as `postlaunch ingest` does, unless `place` is false)."""
    from ingest.engine import ingest_paths
    from ingest.scope.place import place_pending
    from postlaunch.config import load_context

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "postlaunch.toml"
    shutil.copyfile(SAMPLE / "postlaunch.toml", config)
    db = folder / "sample.duckdb"
    ctx = load_context(config, db)
    for kind, name in KINDS:
        for result in ingest_paths(ctx, kind, [SAMPLE / name]):
            assert result.status == "loaded", f"{name}: {result.message}"
    if place:
        place_pending(ctx)
    return SampleDb(db=db, config=config)


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.upper().startswith("POSTLAUNCH_")]:
        monkeypatch.delenv(key)


def point_at(monkeypatch: pytest.MonkeyPatch, db: Path, config: Path) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("POSTLAUNCH_DB", str(db))
    monkeypatch.setenv("POSTLAUNCH_CONFIG", str(config))


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> SampleDb:
    """The sample, ingested once; tests that write use `sample_copy`."""
    return build_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture()
def sample_copy(sample_db: SampleDb, tmp_path: Path) -> SampleDb:
    db = tmp_path / "sample.duckdb"
    shutil.copyfile(sample_db.db, db)
    config = tmp_path / "postlaunch.toml"
    shutil.copyfile(sample_db.config, config)
    return SampleDb(db=db, config=config)


@pytest.fixture(autouse=True)
def fresh_streamlit_caches() -> Iterator[None]:
    """AppTest shares st.cache_* across tests in one process: start each test empty."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def page_errors(at: object) -> list[str]:
    """Error boxes on an AppTest page other than the recommendation (pause and stop are drawn red)."""
    return [e.value for e in at.error if "Recommendation:" not in e.value]  # type: ignore[attr-defined]
