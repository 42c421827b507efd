"""The contract kinds of Part two (DESIGN §13, §15, §16) under the guarantees of §4: `training`,
`readiness` and the incidents' `serious_kind`. Each bad row is quarantined with a reason that names its
line, field and value; rows = loaded + duplicates + quarantined; loading the same data again (as CSV or
JSON Lines) adds nothing; a missing required column loads nothing and names it."""

from __future__ import annotations

import json

import duckdb
import pytest

T = "user_id,completed_at,deployment,course,expires_at,provider"
R = "deployment,item,status,evidence,evidence_date,reviewed_by,expires"
I = "incident_id,opened_at,deployment,severity,serious,serious_kind"  # noqa: E741

CASES = [
    # (id, kind, content, (rows, loaded, duplicates, quarantined), reasons)
    ("training rows", "training", "\n".join([
        T,
        "u1,2026-10-01T09:00:00Z,support-triage,Triage basics,2027-10-01,Support Enablement",
        "u2,2026-10-01,,AI literacy,,",  # blank deployment: valid for every deployment
        "u3,2026-10-01,legacy-bot,Basics,,",
        "u4,last Tuesday,support-triage,,,",
        "u5,2026-10-01,support-triage,,2026-09-01,",
        ",2026-10-01,support-triage,,,",
        "u6,2026-10-01,support-triage,,2026-10-01,",
        "u1,2026-10-01T09:00:00Z,support-triage,Triage basics,2027-10-01,Support Enablement",
    ]) + "\n", (8, 2, 1, 5), [
        'line 4: deployment "legacy-bot" is not in the registry',
        'line 5: completed_at "last Tuesday" is not a date and time',
        'line 6: expires_at "2026-09-01" is not after completed_at "2026-10-01"',
        "line 7: required field user_id is empty",
        'line 8: expires_at "2026-10-01" is not after completed_at "2026-10-01"',
    ]),
    ("readiness rows", "readiness", "\n".join([
        R,
        "support-triage,testing,met,https://wiki/test-report,2026-10-01,QA lead,",
        "support-triage,testing,not_met,edge cases fail,2026-11-01,QA lead,2027-01-01",  # a later record: kept
        "support-triage,safety,met,x,2026-10-01,QA lead,",
        "support-triage,pause,maybe,x,2026-10-01,QA lead,",
        "support-triage,owner,met,,2026-10-01,QA lead,",
        "support-triage,owner,met,RACI,01/10/2026,QA lead,",
        "support-triage,access,met,IAM review,2026-10-01,QA lead,2026-09-30",
        "support-triage,access,met,IAM review,2026-10-01,,",
        "legacy-bot,access,met,IAM review,2026-10-01,QA lead,",
        "support-triage,testing,met,https://wiki/test-report,2026-10-01,QA lead,",
    ]) + "\n", (10, 2, 1, 7), [
        'line 4: item "safety" is not one of use_case, owner, testing, training, access, monitoring, pause',
        'line 5: status "maybe" is not one of met, not_met, unknown',
        "line 6: required field evidence is empty",
        'line 7: evidence_date "01/10/2026" is not a date (expected YYYY-MM-DD)',
        'line 8: expires "2026-09-30" is not after evidence_date "2026-10-01"',
        "line 9: required field reviewed_by is empty",
        'line 10: deployment "legacy-bot" is not in the registry',
    ]),
    ("serious kinds", "incidents", "\n".join([
        I,
        "INC-1,2026-11-02T10:00:00Z,support-triage,high,true,death",
        "INC-2,2026-11-02T10:00:00Z,support-triage,high,,critical_infrastructure",  # the kind marks it serious
        "INC-3,2026-11-02T10:00:00Z,support-triage,high,true,fatal",
        "INC-4,2026-11-02T10:00:00Z,support-triage,low,false,",
    ]) + "\n", (4, 3, 0, 1), [
        'line 4: serious_kind "fatal" is not one of death, critical_infrastructure, widespread_infringement, other',
    ]),
]  # fmt: skip
TABLES = {"training": "training_records", "readiness": "readiness_records", "incidents": "incidents"}


@pytest.mark.parametrize(("case", "kind", "content", "counts", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_rows_are_counted_quarantined_with_reasons_and_reloading_adds_nothing(
    workspace,
    ingest_cli,
    case: str,
    kind: str,
    content: str,
    counts: tuple[int, int, int, int],
    reasons: list[str],
) -> None:
    path = workspace.write(f"{kind}.csv", content)
    first = ingest_cli("ingest", kind, str(path), "--json")
    assert first.rc == 0, first
    (obj,) = first.objects()
    assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == counts
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        stored = [r[0] for r in conn.execute("SELECT reason FROM quarantine ORDER BY line").fetchall()]
        loaded = conn.execute(f"SELECT count(*) FROM {TABLES[kind]}").fetchone()
    assert len(stored) == len(reasons) and all(
        s.startswith(r) for s, r in zip(stored, reasons, strict=True)
    ), stored
    assert loaded == (counts[1],)
    again = ingest_cli("ingest", kind, str(path), "--json")
    (obj,) = again.objects()
    assert (obj["loaded"], obj["duplicates"], obj["quarantined"]) == (0, counts[1] + counts[2], counts[3])
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {TABLES[kind]}").fetchone() == (counts[1],)


def test_the_same_rows_as_json_lines_are_duplicates(workspace, ingest_cli) -> None:
    csv = workspace.write("t.csv", f"{T}\nu1,2026-10-01T09:00:00Z,support-triage,Basics,,LMS\n")
    assert ingest_cli("ingest", "training", str(csv)).rc == 0
    row = {"user_id": "u1", "completed_at": "2026-10-01 09:00:00+00:00", "deployment": "support-triage",
           "course": "Basics", "provider": "LMS"}  # fmt: skip
    jsonl = workspace.write("t.jsonl", json.dumps(row) + "\n")
    (obj,) = ingest_cli("ingest", "training", str(jsonl), "--json").objects()
    assert (obj["loaded"], obj["duplicates"]) == (0, 1)


@pytest.mark.parametrize(
    ("kind", "header", "missing"),
    [
        ("training", "user_id,deployment,course", "completed_at"),
        ("readiness", "deployment,item,status,evidence,reviewed_by", "evidence_date"),
    ],  # fmt: skip
)
def test_a_missing_required_column_loads_nothing(
    workspace, ingest_cli, kind: str, header: str, missing: str
) -> None:
    path = workspace.write("x.csv", f"{header}\n" + ",".join("x" for _ in header.split(",")) + "\n")
    result = ingest_cli("ingest", kind, str(path))
    assert result.rc == 1
    assert f"required column {missing} missing for kind {kind}" in result.out


def test_serious_kind_sets_the_clock_and_marks_the_incident_serious(workspace, ingest_cli) -> None:
    path = workspace.write("inc.csv", CASES[2][2])
    assert ingest_cli("ingest", "incidents", str(path)).rc == 0
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT incident_id, serious, serious_kind, pl_reporting_days(serious_kind, 15) FROM incidents ORDER BY 1"
        ).fetchall()
    assert rows == [
        ("INC-1", True, "death", 10),
        ("INC-2", True, "critical_infrastructure", 2),
        ("INC-4", False, None, 15),
    ]


def test_an_incident_without_serious_kind_keeps_its_identity_and_content(workspace, ingest_cli) -> None:
    """serious_kind came after incidents were released: a row without it hashes as it always did, so a
    file from before (no such column) and the same file with the column left empty are one row."""
    old = workspace.write(
        "old.csv",
        "incident_id,opened_at,deployment,severity,serious\nINC-9,2026-11-02,support-triage,high,true\n",
    )
    new = workspace.write(
        "new.csv",
        "incident_id,opened_at,deployment,severity,serious,serious_kind\nINC-9,2026-11-02,support-triage,high,true,\n",
    )
    assert ingest_cli("ingest", "incidents", str(old)).rc == 0
    (obj,) = ingest_cli("ingest", "incidents", str(new), "--json").objects()
    assert (obj["loaded"], obj["duplicates"]) == (0, 1)
    kinded = workspace.write(
        "kind.csv",
        "incident_id,opened_at,deployment,severity,serious,serious_kind\nINC-9,2026-11-02,support-triage,high,true,death\n",
    )
    (obj,) = ingest_cli("ingest", "incidents", str(kinded), "--json").objects()
    assert obj["loaded"] == 1  # the kind is news: a new version of INC-9
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        assert conn.execute("SELECT version, serious_kind FROM incidents").fetchone() == (2, "death")
