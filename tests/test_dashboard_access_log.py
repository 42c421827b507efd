"""The dashboard's access log (DESIGN §17) and uploads, with AppTest: views, exports and decisions in the
log and on Evidence, an owner reading only their deployments' records, an upload's path stripped and
its uploader recorded, the size limit, and identity expiry checked by every write."""

# The sample fixtures are imported from dashboard_db and access_org; pytest injects them by parameter name.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from access_org import DRIFTING, as_identity, latest_week, open_page, org, person, text_of  # noqa: F401
from dashboard_db import SampleDb, fresh_streamlit_caches, sample_copy, sample_db  # noqa: F401
from streamlit.testing.v1 import AppTest

from dashboard import audit, writes
from postlaunch import accesslog
from postlaunch import db as pdb
from postlaunch.access import PermissionDenied
from postlaunch.config import load_context

# --- the access log ------------------------------------------------------------------------------------


def test_views_exports_and_decisions_are_in_the_access_log(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = latest_week(org)
    ana = person(org, "ana@example.org")
    as_identity(monkeypatch, ana)
    at = open_page("views/weekly_review.py", deployment=DRIFTING, week=week)
    at.segmented_control(key=f"decision-{DRIFTING}-{week}").set_value("limit")
    at.text_area(key=f"rationale-{DRIFTING}-{week}").input("Limit to L1.")
    (button,) = [b for b in at.button if b.label == "Record decision"]
    at = button.click().run()
    at.run()  # a rerun of the same view is not a new view
    audit.flush()
    ctx = load_context(org.config, org.db)
    with accesslog.connect(ctx.settings) as conn:
        rows = conn.execute(
            "SELECT identity, email, via, action, deployment, detail FROM access_log ORDER BY ts"
        ).fetchall()
    assert rows == [
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "login", None, "signed in"),
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "view", None, "portfolio"),
        ("Ana <ana@example.org>", "ana@example.org", "oidc", "view", DRIFTING, f"review {week}"),
        (
            "Ana <ana@example.org>",
            "ana@example.org",
            "oidc",
            "decide",
            DRIFTING,
            f"limit for {week} (record 1)",
        ),
    ]
    # Governance reads it on Evidence, filtered by person and action
    as_identity(monkeypatch, person(org, "gov@example.org"))
    at = open_page("views/evidence.py")
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert set(table["action"]) == {"login", "view", "decide"} and set(table["email"]) == {
        "ana@example.org",
        "gov@example.org",
    }
    at.text_input(key="access-person").input("ana").run()
    at.selectbox(key="access-action").select("decide").run()
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert list(table["detail"]) == [f"limit for {week} (record 1)"]
    # the pack download is an export (it runs on the download's own thread)
    from dashboard import data

    made = []
    maker = data.pack_maker(DRIFTING, week, on_made=lambda: made.append(True))
    assert "<html" in maker()[:200].lower() and made == [True]


def test_an_owner_reads_only_their_deployments_access_records(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = load_context(org.config, org.db)
    gov = person(org, "gov@example.org")
    accesslog.record(
        ctx.settings,
        [
            accesslog.event(gov, "view", DRIFTING, "review"),
            accesslog.event(gov, "view", "hr-assistant", "review"),
        ],
    )
    as_identity(monkeypatch, person(org, "hal@partner.org"))
    at = open_page("views/evidence.py")
    table = next(d.value for d in at.dataframe if "via" in d.value.columns)
    assert set(table["deployment"]) == {"hr-assistant"}
    assert "As an owner you see the records of hr-assistant." in text_of(at)


# --- uploads --------------------------------------------------------------------------------------------

CHANGES = (
    b"timestamp,deployment,kind,summary,changed_by,approved_by\n"
    b"2026-11-18T09:00:00Z,support-triage,prompt,Tightened the refusal prompt,Ops,Head of Support Operations\n"
)


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    (kind,) = [s for s in at.selectbox if s.label == "Kind or adapter"]
    kind.select("changes")
    at.file_uploader[0].upload(name, content, "text/csv")
    (load,) = [b for b in at.button if b.label == "Load"]
    return load.click().run()


def test_an_upload_loses_its_path_and_carries_the_uploader(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = person(org, "ops@example.org")
    as_identity(monkeypatch, ops)
    at = _upload(open_page("views/data.py"), "../../../../tmp/evil/changes.csv", CHANGES)
    assert not at.exception
    summary = next(d.value for d in at.dataframe if "quarantined" in d.value.columns)
    assert summary.to_dict("records")[0]["file"] == "changes.csv" and summary["loaded"].sum() == 1
    with pdb.connect(org.db, read_only=True) as conn:
        (file, who) = conn.execute(
            "SELECT file, who FROM ingest_runs WHERE kind = 'changes' ORDER BY started_at DESC"
        ).fetchone()
    staging = org.db.resolve().parent / ".postlaunch-uploads"
    assert Path(file).name == "changes.csv" and Path(file).is_relative_to(staging)
    assert who == "Ops <ops@example.org>"
    assert (
        not Path("/tmp/evil/changes.csv").exists() and list(staging.iterdir()) == []
    )  # removed after loading
    audit.flush()
    ctx = load_context(org.config, org.db)
    with accesslog.connect(ctx.settings) as conn:
        (detail,) = conn.execute("SELECT detail FROM access_log WHERE action = 'upload'").fetchone()
    assert detail == "changes.csv as changes: loaded, rows=1 loaded=1 duplicates=0 quarantined=0"


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message(
    org: SampleDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.config.write_text("max_upload_mb = 0.0001\n" + org.config.read_text())  # about 105 bytes
    as_identity(monkeypatch, person(org, "gov@example.org"))
    at = open_page("views/data.py")
    assert "Up to 0.0001 MB per file (setting max_upload_mb)" in at.file_uploader[0].help
    at = _upload(at, "changes.csv", CHANGES)
    (message,) = [e.value for e in at.error]
    assert message.startswith("`changes.csv`: rows=0 loaded=0 duplicates=0 quarantined=0 — **not loaded**: ")
    assert (
        "changes.csv is 0.0 MB; the dashboard takes files up to 0.0001 MB (setting max_upload_mb)" in message
    )
    with pdb.connect(org.db, read_only=True) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM ingest_runs WHERE file LIKE '%postlaunch-uploads%'"
            ).fetchone()[0]
            == 0
        )


def test_identity_expiry_is_checked_by_every_write(org: SampleDb, monkeypatch: pytest.MonkeyPatch) -> None:
    expired = person(org, "gov@example.org", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    as_identity(monkeypatch, expired)
    with pytest.raises(PermissionDenied, match="expired"):
        writes.submit_decision(DRIFTING, latest_week(org), "limit", "r", [], None, None)
