"""Bad inputs, row by row and file by file: each case states the exit code, the counts and a fragment
of the message a person reads (DESIGN §4 "Nothing lost, nothing invented")."""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass

import duckdb
import pytest

U = "timestamp,deployment,user_id"
OK_ROW = "2026-11-02T10:00:00Z,support-triage,u1"
FB = "timestamp,deployment,feedback_id"
COST = "date,deployment,amount"


@dataclass
class Case:
    id: str
    kind: str
    name: str
    content: str | bytes | None  # None: do not create the path
    counts: tuple[int, int, int, int] | None  # rows, loaded, duplicates, quarantined; None = file failed
    fragment: str
    args: tuple[str, ...] = ()
    preload: str | None = None  # CSV loaded first (same kind) as "first.csv"


def _garbage(n: int) -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(n))


def _truncated_gzip() -> bytes:
    body = (
        U + "\n" + "\n".join(f"2026-11-02T10:{i % 60:02d}:00Z,support-triage,u{i}" for i in range(5000))
    ).encode()
    packed = gzip.compress(body)
    return packed[: len(packed) // 2]


ROW_CASES = [
    Case("bad enum", "usage", "a.csv", f"{U},outcome\n{OK_ROW},maybe\n", (1, 0, 0, 1),
         'line 2: outcome "maybe" is not one of ok, error, refused, escalated'),
    Case("rating 7", "feedback", "a.csv", f"{FB},rating\n2026-11-02,support-triage,f1,7\n", (1, 0, 0, 1),
         'line 2: rating "7" is outside 1-5'),
    Case("rating 0", "feedback", "a.csv", f"{FB},rating\n2026-11-02,support-triage,f1,0\n", (1, 0, 0, 1),
         'rating "0" is outside 1-5'),
    Case("rating 4.5", "feedback", "a.csv", f"{FB},rating\n2026-11-02,support-triage,f1,4.5\n", (1, 0, 0, 1),
         'rating "4.5" is not a whole number 1-5'),
    Case("negative tokens", "usage", "a.csv", f"{U},input_tokens\n{OK_ROW},-5\n", (1, 0, 0, 1),
         'line 2: input_tokens "-5" must be a whole number >= 0'),
    Case("fractional tokens", "usage", "a.csv", f"{U},output_tokens\n{OK_ROW},2.5\n", (1, 0, 0, 1),
         'output_tokens "2.5" must be a whole number >= 0'),
    Case("non-numeric latency", "usage", "a.csv", f"{U},latency_ms\n{OK_ROW},fast\n", (1, 0, 0, 1),
         'latency_ms "fast" must be a number >= 0'),
    Case("negative cost", "usage", "a.csv", f"{U},cost\n{OK_ROW},-1\n", (1, 0, 0, 1), 'cost "-1" must be a number >= 0'),
    Case("unknown deployment", "usage", "a.csv", f"{U}\n2026-11-02,legacy-bot,u1\n", (1, 0, 0, 1),
         'deployment "legacy-bot" is not in the registry (known: hr-assistant, support-triage)'),
    Case("unparseable timestamp", "usage", "a.csv", f"{U}\nyesterday,support-triage,u1\n", (1, 0, 0, 1),
         'line 2: timestamp "yesterday" is not a date and time (expected ISO 8601 or Unix epoch'),
    Case("impossible date", "usage", "a.csv", f"{U}\n2026-02-30 10:00:00,support-triage,u1\n", (1, 0, 0, 1),
         'timestamp "2026-02-30 10:00:00" is not a date and time'),
    Case("month 13", "usage", "a.csv", f"{U}\n2026-13-45,support-triage,u1\n", (1, 0, 0, 1),
         'timestamp "2026-13-45" is not a date and time'),
    Case("short epoch", "usage", "a.csv", f"{U}\n12345,support-triage,u1\n", (1, 0, 0, 1),
         'timestamp "12345" is not a date and time'),
    Case("missing user", "usage", "a.csv", f"{U}\n2026-11-02,support-triage,\n", (1, 0, 0, 1),
         "line 2: required field user_id is empty"),
    Case("same id other content", "usage", "a.csv", f"{U},event_id\n{OK_ROW},e-1\n2026-11-03,support-triage,u1,e-1\n",
         (2, 1, 0, 1), 'line 3: event_id "e-1" appeared on line 2 with other values'),
    Case("same id same content", "usage", "a.csv", f"{U},event_id\n{OK_ROW},e-1\n{OK_ROW},e-1\n", (2, 1, 1, 0), ""),
    Case("conflict with stored row", "usage", "b.csv", f"{U},event_id\n2026-11-03,support-triage,u1,e-1\n",
         (1, 0, 0, 1), 'line 2: event_id "e-1" was loaded on 20', preload=f"{U},event_id\n{OK_ROW},e-1\n"),
    Case("bad boolean", "feedback", "a.csv", f"{FB},accepted\n2026-11-02,support-triage,f1,maybe\n", (1, 0, 0, 1),
         'accepted "maybe" is not a yes/no value (expected true, false, 1, 0, yes or no)'),
    Case("bad thumbs", "feedback", "a.csv", f"{FB},thumbs\n2026-11-02,support-triage,f1,sideways\n", (1, 0, 0, 1),
         'thumbs "sideways" is not one of up, down'),
    Case("currency without rate", "cost", "a.csv", f"{COST},currency\n2026-11-02,support-triage,10,EUR\n",
         (1, 0, 0, 1), 'currency "EUR" has no rate to USD'),
    Case("not a currency code", "cost", "a.csv", f"{COST},currency\n2026-11-02,support-triage,10,EURO\n",
         (1, 0, 0, 1), 'currency "EURO" is not a 3-letter currency code'),
    Case("period reversed", "cost", "a.csv",
         "period_start,period_end,deployment,amount\n2026-10-31,2026-10-01,support-triage,10\n", (1, 0, 0, 1),
         'period_end "2026-10-01" is before period_start "2026-10-31"'),
    Case("amount not a number", "cost", "a.csv", f"{COST}\n2026-11-02,support-triage,ten\n", (1, 0, 0, 1),
         'amount "ten" is not a number'),
    Case("no date nor period", "cost", "a.csv", "date,period_start,deployment,amount\n,,support-triage,10\n",
         (1, 0, 0, 1), "required field date is empty (or give period_start and period_end)"),
    Case("too many fields", "usage", "a.csv", f"{U}\n{OK_ROW}\n{OK_ROW},extra\n", (2, 1, 0, 1),
         "line 3: cannot be read as CSV"),
    Case("unclosed quote", "usage", "a.csv", f'{U}\n{OK_ROW}\n2026-11-02,"support-triage,u2\n', (2, 1, 0, 1),
         "line 3: has a quote that is not closed"),
    Case("invalid utf-8", "usage", "a.csv", (f"{U}\n{OK_ROW}\n2026-11-02,support-triage,u\xff\n").encode("latin-1"),
         (2, 1, 0, 1), "line 3: is not valid UTF-8 text"),
    Case("invalid JSON line", "usage", "a.jsonl",
         '{"timestamp": "2026-11-02", "deployment": "support-triage", "user_id": "u1"}\n{"timestamp": \n',
         (2, 1, 0, 1), "line 2: is not valid JSON"),
    Case("JSON line not an object", "usage", "a.jsonl",
         '{"timestamp": "2026-11-02", "deployment": "support-triage", "user_id": "u1"}\n[1, 2]\n',
         (2, 1, 0, 1), "line 2: is not a JSON object"),
    Case("bad severity", "incidents", "a.csv",
         "incident_id,opened_at,deployment,severity\ni-1,2026-11-02,support-triage,sev1\n", (1, 0, 0, 1),
         'severity "sev1" is not one of low, medium, high, critical'),
    Case("empty summary", "changes", "a.csv", "timestamp,deployment,kind,summary\n2026-11-02,support-triage,model,\n",
         (1, 0, 0, 1), "required field summary is empty"),
    Case("bad change kind", "changes", "a.csv",
         "timestamp,deployment,kind,summary\n2026-11-02,support-triage,vibes,new model\n", (1, 0, 0, 1),
         'kind "vibes" is not one of model, prompt, policy, access, workflow, data, other'),
    Case("several problems in one row", "usage", "a.csv", f"{U},outcome\nnever,nowhere,,maybe\n", (1, 0, 0, 1),
         'timestamp "never" is not a date and time (expected ISO 8601 or Unix epoch seconds/milliseconds); '
         'deployment "nowhere" is not in the registry'),
]  # fmt: skip

FILE_CASES = [
    Case("empty file", "usage", "a.csv", "", None, "is empty"),  # a CSV without rows still has its header
    Case("header with the wrong columns", "usage", "a.csv", "timestamp,deployment\n", None,
         "required column user_id missing for kind usage"),
    Case("binary garbage", "usage", "a.csv", _garbage(4000), None, "is not a text file (binary content)"),
    Case("missing required column", "usage", "a.csv", "timestamp,deployment\n2026-11-02,support-triage\n", None,
         "required column user_id missing for kind usage (expected timestamp, deployment, user_id; "
         "found timestamp, deployment)"),
    Case("wrong kind", "usage", "a.csv", f"{COST},category\n2026-11-02,support-triage,10,usage\n", None,
         "required columns timestamp, user_id missing for kind usage"),
    Case("change records given as cost", "cost", "a.csv",
         "timestamp,deployment,kind,summary\n2026-11-02,support-triage,model,new model\n", None,
         "this looks like a changes file (postlaunch ingest changes FILE)"),
    Case("mixed delimiters", "usage", "a.csv", "timestamp;deployment;user_id\n2026-11-02,support-triage,u1\n", None,
         "no row could be read as CSV with the semicolon delimiter of the header (3 columns)"),
    Case("truncated gzip", "usage", "a.csv.gz", _truncated_gzip(), None, "truncated or corrupt gzip"),
    Case("unknown extension garbage", "usage", "a.xyz", _garbage(3000), None, "is not a text file"),
    Case("directory", "usage", "somedir", None, None, "is a directory"),
    Case("nonexistent path", "usage", "missing.csv", None, None, "file not found"),
    Case("JSON array", "usage", "a.json", '[{"timestamp": "2026-11-02"}]', None, "is a JSON array"),
    Case("parquet name, CSV inside", "usage", "a.parquet", f"{U}\n{OK_ROW}\n", None, "is not a Parquet file"),
    Case("column twice", "usage", "a.csv", f"{U},Deployment\n{OK_ROW},hr-assistant\n", None,
         "columns 'deployment' and 'Deployment' both give deployment"),
    Case("strict with a bad row", "usage", "a.csv", f"{U},outcome\n{OK_ROW},ok\n{OK_ROW},maybe\n", None,
         "--strict: 1 of 2 rows would be quarantined, so nothing is loaded; first: line 3: outcome", ("--strict",)),
    Case("only invalid JSON", "usage", "a.jsonl", "this is not json\n", None, "has no line that is a valid JSON object"),
]  # fmt: skip

TABLES = {"usage": "usage_events", "feedback": "feedback", "cost": "cost_records", "incidents": "incidents",
          "changes": "changes"}  # fmt: skip


def _make(workspace, case: Case):
    path = workspace.path / case.name
    if case.content is None:
        if case.id == "directory":
            path.mkdir()
        return path
    return workspace.write(case.name, case.content)


@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_bad_rows_are_quarantined_with_a_reason(workspace, ingest_cli, case: Case) -> None:
    if case.preload:
        first = workspace.write("first.csv", case.preload)
        assert ingest_cli("ingest", case.kind, str(first)).rc == 0
    path = _make(workspace, case)
    result = ingest_cli("ingest", case.kind, str(path), "--json", *case.args)
    assert result.rc == 0, result
    (obj,) = result.objects()
    assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == case.counts
    assert obj["rows"] == obj["loaded"] + obj["duplicates"] + obj["quarantined"]
    assert obj["status"] == "loaded"
    if case.fragment:
        assert any(case.fragment in r for r in obj["reasons"]), obj["reasons"]
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        stored = conn.execute("SELECT count(*) FROM quarantine WHERE run_id = ?", [obj["run_id"]]).fetchone()
        assert stored == (obj["quarantined"],)
        no_raw = conn.execute(
            "SELECT count(*) FROM quarantine WHERE run_id = ? AND raw IS NULL", [obj["run_id"]]
        )
        assert no_raw.fetchone() == (0,), "every quarantined row keeps its raw text"
        if case.fragment:
            reasons = [
                r[0]
                for r in conn.execute(
                    "SELECT reason FROM quarantine WHERE run_id = ?", [obj["run_id"]]
                ).fetchall()
            ]
            assert any(case.fragment in r for r in reasons)
        loaded = conn.execute(
            f"SELECT count(*) FROM {TABLES[case.kind]} WHERE run_id = ?", [obj["run_id"]]
        ).fetchone()
        assert loaded == (obj["loaded"],)


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_bad_files_load_nothing_and_say_why(workspace, ingest_cli, case: Case) -> None:
    path = _make(workspace, case)
    plain = ingest_cli("ingest", case.kind, str(path), *case.args)
    assert plain.rc == 1
    assert f"{path}: " in plain.out and case.fragment in plain.out, plain.out
    result = ingest_cli("ingest", case.kind, str(path), "--json", *case.args)
    assert result.rc == 1
    (obj,) = result.objects()
    assert (obj["rows"], obj["loaded"], obj["duplicates"], obj["quarantined"]) == (0, 0, 0, 0)
    assert obj["status"] == "failed" and case.fragment in obj["message"]
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        assert conn.execute(f"SELECT count(*) FROM {TABLES[case.kind]}").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
        runs = conn.execute("SELECT status, message, file FROM ingest_runs").fetchall()
        assert len(runs) == 2 and all(
            r[0] == "failed" and case.fragment in r[1] and r[2] == str(path) for r in runs
        )


def test_other_files_proceed_after_a_failed_one(workspace, ingest_cli) -> None:
    good = workspace.write("good.csv", f"{U}\n{OK_ROW}\n")
    result = ingest_cli("ingest", "usage", str(workspace.path / "nope.csv"), str(good), "--json")
    assert result.rc == 1
    first, second = result.objects()
    assert first["status"] == "failed" and "file not found" in first["message"]
    assert (second["status"], second["loaded"]) == ("loaded", 1)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("ingest", "usages", "a.csv"),
            "unknown kind 'usages'; kinds: usage, cost, feedback, incidents, changes, labels, readiness, training; adapters:",
        ),
        (("ingest", "usage"), "give at least one FILE"),
        (("ingest", "usage", "a.csv", "--map", "nodest"), "expected SRC=DEST"),
        (("ingest", "usage", "a.csv", "--map", "ts=when"), "names 'when', which is not a column of usage"),
        (("ingest", "usage", "a.csv", "--map-file", "missing.toml"), "missing.toml: mapping file not found"),
    ],
)
def test_wrong_arguments_exit_2_with_a_message(workspace, ingest_cli, args, fragment) -> None:
    workspace.write("a.csv", f"{U}\n{OK_ROW}\n")
    result = ingest_cli(*args)
    assert result.rc == 2
    assert fragment in result.err


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[columns]\nts = 'when'\n", "[columns] names 'when', which is not a column of usage"),
        ("[columns\n", "not valid TOML"),
        ("[colums]\nts = 'timestamp'\n", "unknown key 'colums'"),
        ("[values]\noutcome = 'ok'\n", "values.outcome: must be a table of RAW = VALUE"),
        ("[defaults]\ndeployment = ['a']\n", "defaults.deployment: expected a text or number value"),
    ],
)
def test_bad_mapping_file_is_refused_naming_file_and_key(workspace, ingest_cli, text, fragment) -> None:
    workspace.write("a.csv", f"{U}\n{OK_ROW}\n")
    mapping = workspace.write("mapping.toml", text)
    result = ingest_cli("ingest", "usage", "a.csv", "--map-file", str(mapping))
    assert result.rc == 2
    assert fragment in result.err and "mapping.toml" in result.err
