"""Incidents are the exception to "a loaded identity never changes" (DESIGN §4): a newer row for an
incident_id updates it, every version is kept in incident_history, and an older export loaded again
is a duplicate."""

from __future__ import annotations

from datetime import datetime

from test_ingest_contract import counts, q

INC = "incident_id,opened_at,deployment,severity,status,resolved_at,serious"


def test_incidents_update_by_id_and_keep_history(workspace, ingest_cli) -> None:
    v1 = workspace.write(
        "inc-1.csv",
        f"{INC}\ni-1,2026-11-02,support-triage,high,open,,yes\ni-2,2026-11-03,hr-assistant,low,,,\n",
    )
    v2 = workspace.write("inc-2.csv", f"{INC}\ni-1,2026-11-02,support-triage,high,resolved,2026-11-05,yes\n")
    r1 = ingest_cli("ingest", "incidents", str(v1), "--json").objects()[0]
    assert counts(r1) == (2, 2, 0, 0)
    r2 = ingest_cli("ingest", "incidents", str(v2), "--json").objects()[0]
    assert counts(r2) == (1, 1, 0, 0)
    assert r2["notes"]["incidents_updated"] == 1
    assert q(
        workspace, "SELECT incident_id, status, version, resolved_at, serious FROM incidents ORDER BY 1"
    ) == [
        ("i-1", "resolved", 2, datetime(2026, 11, 5), True),
        ("i-2", "open", 1, None, False),
    ]
    assert q(workspace, "SELECT incident_id, version, status FROM incident_history ORDER BY 1, 2") == [
        ("i-1", 1, "open"), ("i-1", 2, "resolved"), ("i-2", 1, "open"),
    ]  # fmt: skip
    # re-ingesting the older export changes nothing: its rows equal stored versions
    r3 = ingest_cli("ingest", "incidents", str(v1), "--json").objects()[0]
    assert counts(r3) == (2, 0, 2, 0)
    assert q(workspace, "SELECT status, version FROM incidents WHERE incident_id = 'i-1'") == [
        ("resolved", 2)
    ]
    assert q(workspace, "SELECT count(*) FROM incident_history") == [(3,)]


def test_incident_versions_within_one_file(workspace, ingest_cli) -> None:
    path = workspace.write(
        "inc.csv",
        f"{INC}\ni-9,2026-11-02,support-triage,high,open,,\ni-9,2026-11-02,support-triage,high,mitigated,,\n"
        f"i-9,2026-11-02,support-triage,high,open,,\n",
    )
    obj = ingest_cli("ingest", "incidents", str(path), "--json").objects()[0]
    assert counts(obj) == (3, 2, 1, 0)
    assert q(workspace, "SELECT status, version FROM incidents") == [("mitigated", 2)]
