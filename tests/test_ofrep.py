"""OFREP on the dashboard's own server (DESIGN §14): `postlaunch dashboard` (Streamlit's st.App with the
OFREP routes) started on a loopback port, read by the real OpenFeature OFREP provider and by plain HTTP.
A valid key reads `paused` after a pause; none or a wrong key is 401, another deployment's key 403;
every read is recorded, and the first read after the pause is the acknowledgement on the review."""

# The sample fixtures are imported from dashboard_db; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from browser_env import dashboard_server
from dashboard_db import APP, SampleDb, page_errors, point_at, sample_copy, sample_db  # noqa: F401

from actions.decide import record_decision
from actions.statuskeys import create_key
from postlaunch import opstatus
from postlaunch.access import cli_user
from postlaunch.config import load_context
from postlaunch.db import connect

FLAG = "postlaunch.support-triage.mode"
WEEK = "2026-W47"

pytestmark = pytest.mark.slow


@pytest.fixture()
def paused(sample_copy: SampleDb) -> tuple[SampleDb, dict[str, str]]:
    """The sample with support-triage paused, and keys: its own, hr-assistant's, and one for every one."""
    ctx = load_context(sample_copy.config, sample_copy.db)
    with connect(ctx.db) as conn:
        record_decision(conn, ctx, deployment="support-triage", week=WEEK, decision="pause",
                        rationale="drift into customer replies", identity=cli_user("Head of Support Operations"))  # fmt: skip
        keys = {
            name: create_key(conn, ctx, deployment=dep, by="Ops")[0]
            for name, dep in (("triage", "support-triage"), ("hr", "hr-assistant"), ("all", "*"))
        }
    return sample_copy, keys


@pytest.fixture()
def server(paused: tuple[SampleDb, dict[str, str]], tmp_path: Path) -> Iterator[str]:
    sample, _ = paused
    with dashboard_server(sample.db, sample.config, tmp_path) as base:
        yield base


def _client(base: str, headers: dict[str, str] | None, domain: str) -> object:
    from openfeature import api
    from openfeature.contrib.provider.ofrep import OFREPProvider

    provider = OFREPProvider(base, headers_factory=(lambda: dict(headers)) if headers is not None else None)
    api.set_provider(provider, domain=domain)
    return api.get_client(domain=domain)


def _reads(sample: SampleDb) -> list[tuple[str, str | None, str | None]]:
    with connect(sample.db, read_only=True) as conn:
        return conn.execute("SELECT outcome, deployment, mode FROM status_reads ORDER BY read_at").fetchall()


def test_the_ofrep_provider_reads_paused_with_a_key_and_fails_without(
    server: str, paused: tuple[SampleDb, dict[str, str]]
) -> None:
    from openfeature.exception import ErrorCode
    from openfeature.flag_evaluation import Reason

    sample, keys = paused
    ctx = load_context(sample.config, sample.db)
    with connect(sample.db, read_only=True) as conn:
        status = opstatus.status_of(conn, ctx.registry, "support-triage")
        assert opstatus.first_read(conn, status) is None  # not yet observed by the app
    good = _client(server, {"Authorization": f"Bearer {keys['triage']}"}, "good")
    details = good.get_string_details(FLAG, "unknown")  # type: ignore[attr-defined]
    assert details.value == "paused" and details.variant == "paused" and details.reason == Reason.STATIC
    assert details.error_code is None
    assert details.flag_metadata["decisionId"] == 1 and details.flag_metadata["failMode"] == "closed"
    assert details.flag_metadata["decidedBy"] == "Head of Support Operations"
    for name, headers in (("none", None), ("wrong", {"X-API-Key": "plst_0badc0de_" + "x" * 43}),
                          ("other", {"X-API-Key": keys["hr"]})):  # fmt: skip
        refused = _client(server, headers, name).get_string_details(FLAG, "unknown")  # type: ignore[attr-defined]
        assert refused.value == "unknown" and refused.error_code == ErrorCode.GENERAL, name
        assert refused.error_message in ("unauthorized", "forbidden"), (name, refused.error_message)
    assert _reads(sample) == [
        ("ok", "support-triage", "paused"),
        ("unauthorized", "support-triage", None),
        ("unauthorized", "support-triage", None),
        ("forbidden", "support-triage", None),
    ]
    with connect(sample.db, read_only=True) as conn:
        first = opstatus.first_read(conn, status)
        ack = opstatus.acknowledgement(conn, status, 15)
    assert first is not None and status.decided_at is not None and first >= status.decided_at
    assert ack is not None and ack.observed and "first read by the app" in ack.text("UTC")


def test_ofrep_http_status_codes(server: str, paused: tuple[SampleDb, dict[str, str]]) -> None:
    sample, keys = paused
    url = f"{server}/ofrep/v1/evaluate/flags"
    one = f"{url}/{FLAG}"
    ok = requests.post(
        one,
        json={"context": {"targetingKey": "app-1"}},
        headers={"Authorization": f"Bearer {keys['triage']}"},
        timeout=10,
    )
    assert ok.status_code == 200 and ok.json()["value"] == "paused" and ok.json()["key"] == FLAG
    assert requests.post(one, headers={"X-API-Key": keys["triage"]}, timeout=10).status_code == 200
    assert requests.post(one, timeout=10).status_code == 401
    assert requests.post(one, headers={"Authorization": "Bearer nonsense"}, timeout=10).status_code == 401
    forbidden = requests.post(one, headers={"X-API-Key": keys["hr"]}, timeout=10)
    assert (
        forbidden.status_code == 403
        and "reads hr-assistant, not support-triage" in forbidden.json()["errorDetails"]
    )
    missing = requests.post(f"{url}/postlaunch.nope.mode", headers={"X-API-Key": keys["all"]}, timeout=10)
    assert missing.status_code == 404 and missing.json()["errorCode"] == "FLAG_NOT_FOUND"
    bad = requests.post(one, data="{not json", headers={"X-API-Key": keys["triage"]}, timeout=10)
    assert bad.status_code == 400 and bad.json()["errorCode"] == "PARSE_ERROR"
    bulk = requests.post(url, json={}, headers={"X-API-Key": keys["triage"]}, timeout=10)
    assert bulk.status_code == 200 and [f["key"] for f in bulk.json()["flags"]] == [FLAG]
    every = requests.post(url, headers={"X-API-Key": keys["all"]}, timeout=10)
    assert sorted(f["key"] for f in every.json()["flags"]) == sorted(
        opstatus.flag_key(d)
        for d in ("claims-summarizer", "hr-assistant", "sales-email-drafter", "support-triage")
    )
    again = requests.post(
        url, headers={"X-API-Key": keys["all"], "If-None-Match": every.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304
    outcomes = [r[0] for r in _reads(sample)]
    assert outcomes.count("ok") == 2 + 1 + 4 + 4 and outcomes.count("unauthorized") == 2
    assert outcomes.count("forbidden") == 1 and outcomes.count("not_found") == 1


def test_the_read_is_the_acknowledgement_on_the_review(
    server: str, paused: tuple[SampleDb, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    sample, keys = paused

    def review_text() -> str:
        point_at(monkeypatch, sample.db, sample.config)
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["deployment"] = "support-triage"
        at.query_params["week"] = WEEK
        at.run()
        at.switch_page("views/weekly_review.py").run()
        assert not at.exception and not page_errors(at), page_errors(at)
        return " ".join(str(e.value) for e in (*at.warning, *at.success, *at.error))

    before = review_text()
    assert "Operating mode: PAUSED" in before and "not yet observed by the app" in before
    r = requests.post(
        f"{server}/ofrep/v1/evaluate/flags/{FLAG}", headers={"X-API-Key": keys["triage"]}, timeout=10
    )
    assert r.status_code == 200
    import streamlit as st

    st.cache_data.clear()
    after = review_text()
    assert "first read by the app" in after and "the pause is in effect" in after
