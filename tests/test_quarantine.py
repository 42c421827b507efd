"""Quarantine keeps each bad source row once: a re-ingest of the same file (or a later export that repeats
its rows) adds no quarantined row and Evidence does not count it twice, while every run's own counts
still add up (rows = loaded + duplicates + quarantined). `postlaunch quarantine` lists every row with
file, line, field and reason; the ingest summary points to it. And a value mapped to "" is missing."""

from __future__ import annotations

import json
import shlex

import duckdb
import pytest

from cli import main as cli_main
from metrics.evidence import quarantine_reasons, quarantined_rows
from postlaunch import db, schema

U = "timestamp,deployment,user_id,event_id,outcome"
GOOD = "2026-11-02T10:00:00Z,support-triage,u1,e-1,ok"
BAD_ROWS = [
    "2026-11-02T10:01:00Z,support-triage,u2,e-2,maybe",  # outcome
    "someday,support-triage,u3,e-3,ok",  # timestamp
    "2026-11-02T10:03:00Z,legacy-bot,u4,e-4,ok",  # deployment
    "2026-11-02T10:04:00Z,support-triage,,e-5,ok",  # user_id
    "2026-11-02T10:05:00Z,support-triage,u6,e-6,ok,surplus",  # one field too many: the parser refuses it
    "2026-11-02T10:06:00Z,support-triage,u7,e-7,maybe",
    "2026-11-02T10:07:00Z,support-triage,u8,e-8,maybe",
]


def _csv(*rows: str) -> str:
    return U + "\n" + "\n".join(rows) + "\n"


@pytest.fixture
def cli(workspace, capsys):
    """`postlaunch ARGS` in-process with every command, on the workspace: (rc, out, err)."""

    def run(*args: str, where: bool = True) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            rc = cli_main.main(workspace.argv(*args) if where else list(args))
        except SystemExit as exc:
            rc = int(exc.code or 0)
        captured = capsys.readouterr()
        return rc, captured.out, captured.err

    return run


def _stored(workspace) -> int:
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        return int(conn.execute("SELECT count(*) FROM quarantine").fetchone()[0])


def _ingest(cli, path) -> dict:
    rc, out, err = cli("ingest", "usage", str(path), "--json")
    assert rc == 0, err
    (obj,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert obj["rows"] == obj["loaded"] + obj["duplicates"] + obj["quarantined"]
    return obj


def _evidence_total(workspace) -> int:
    with db.connect(workspace.db, read_only=True) as conn:
        return int(quarantine_reasons(conn)["rows"].sum())


def test_reingesting_a_file_with_bad_rows_leaves_the_quarantine_unchanged(workspace, cli) -> None:
    path = workspace.write("u.csv", _csv(GOOD, *BAD_ROWS))
    first = _ingest(cli, path)
    assert (first["rows"], first["loaded"], first["quarantined"]) == (8, 1, 7)
    assert _stored(workspace) == 7 and _evidence_total(workspace) == 7
    second = _ingest(cli, path)
    # the run still says what the file holds; the quarantine holds each source row once
    assert (second["rows"], second["loaded"], second["duplicates"], second["quarantined"]) == (8, 0, 1, 7)
    assert second["notes"]["already_quarantined"] == 7
    assert _stored(workspace) == 7 and _evidence_total(workspace) == 7
    with db.connect(workspace.db, read_only=True) as conn:
        met = quarantined_rows(conn, second["run_id"], limit=None)
        assert len(met) == 7
        assert all(list(runs) == [first["run_id"], second["run_id"]] for runs in met["seen_in_runs"])
    rc, out, _ = cli("ingest", "usage", str(path))
    assert "(7 of them quarantined by an earlier ingest already)" in out.splitlines()[0]


def test_the_same_bad_line_twice_in_a_file_is_two_source_rows(workspace, cli) -> None:
    path = workspace.write("u.csv", _csv(BAD_ROWS[0], BAD_ROWS[0], GOOD))
    assert _ingest(cli, path)["quarantined"] == 2
    assert _ingest(cli, path)["quarantined"] == 2
    assert _stored(workspace) == 2


def test_a_growing_export_quarantines_only_its_new_bad_rows(workspace, cli) -> None:
    """A cumulative daily export repeats yesterday's rows: yesterday's bad rows are the same source rows."""
    monday = workspace.write("monday.csv", _csv(GOOD, BAD_ROWS[0], BAD_ROWS[1]))
    tuesday = workspace.write("tuesday.csv", _csv(GOOD, BAD_ROWS[0], BAD_ROWS[1], BAD_ROWS[2]))
    _ingest(cli, monday)
    obj = _ingest(cli, tuesday)
    assert (obj["quarantined"], obj["notes"]["already_quarantined"]) == (3, 2)
    assert _stored(workspace) == 3


def test_conflicts_are_not_quarantined_twice(workspace, cli) -> None:
    _ingest(cli, workspace.write("a.csv", _csv(GOOD)))
    changed = workspace.write("b.csv", _csv(GOOD.replace(",ok", ",error")))
    first = _ingest(cli, changed)
    assert first["quarantined"] == 1 and 'event_id "e-1" was loaded on' in first["reasons"][0]
    _ingest(cli, changed)
    assert _stored(workspace) == 1
    with db.connect(workspace.db, read_only=True) as conn:
        assert list(quarantined_rows(conn)["field"]) == ["event_id"]


def test_rows_quarantined_by_an_adapter_are_kept_once(workspace, cli) -> None:
    result = {"object": "organization.usage.completions.result", "input_tokens": 10, "output_tokens": 5,
              "num_model_requests": 1, "project_id": "proj_1", "api_key_id": "key_1", "model": "gpt-4o-mini"}  # fmt: skip
    bucket = {"object": "bucket", "start_time": "yesterday", "end_time": None, "results": [result]}
    export = {"object": "page", "data": [bucket], "has_more": False, "next_page": None}
    path = workspace.write("openai.json", json.dumps(export))
    args = ("ingest", "openai-usage", str(path), "--deployment", "support-triage", "--json")
    first = json.loads(cli(*args)[1].splitlines()[0])
    second = json.loads(cli(*args)[1].splitlines()[0])
    assert first["quarantined"] == second["quarantined"] == 1
    assert 'bucket start_time "yesterday" is not epoch seconds' in first["reasons"][0]
    assert _stored(workspace) == 1


def test_quarantine_lists_every_row_with_file_line_field_and_reason(workspace, cli) -> None:
    path = workspace.write("u.csv", _csv(GOOD, *BAD_ROWS))
    rc, out, _ = cli("ingest", "usage", str(path))
    assert rc == 0
    # the summary shows the first five reasons and the command that lists all of them
    assert "... and 2 more; every quarantined row: postlaunch quarantine --run " in out
    command = out.split("every quarantined row: ", 1)[1].splitlines()[0]
    argv = shlex.split(command)
    assert argv[:2] == ["postlaunch", "quarantine"] and "--db" in argv and "--config" in argv
    rc, listed, _ = cli(*argv[1:], where=False)
    assert rc == 0
    lines = [line for line in listed.splitlines() if not line.startswith("    raw: ")]
    assert lines[-1] == f"7 quarantined rows in 1 file (run {argv[3]})"
    assert (
        lines[:-1]
        == [
            f'{path}:3: [outcome] outcome "maybe" is not one of ok, error, refused, escalated',
            f'{path}:4: [timestamp] timestamp "someday" is not a date and time (expected ISO 8601 or Unix '
            "epoch seconds/milliseconds)",
            f'{path}:5: [deployment] deployment "legacy-bot" is not in the registry (known: hr-assistant, '
            "support-triage)",
            f"{path}:6: [user_id] required field user_id is empty",
            f"{path}:7: cannot be read as CSV: expected fields 5, found 6",
            f'{path}:8: [outcome] outcome "maybe" is not one of ok, error, refused, escalated',
            f'{path}:9: [outcome] outcome "maybe" is not one of ok, error, refused, escalated',
        ]
        or listed
    )
    assert "    raw: 2026-11-02T10:01:00Z,support-triage,u2,e-2,maybe" in listed


def test_quarantine_narrowed_by_file_reason_and_run_and_as_json(workspace, cli) -> None:
    first = _ingest(cli, workspace.write("u.csv", _csv(GOOD, *BAD_ROWS)))
    _ingest(cli, workspace.write("other.csv", _csv("2026-11-03T10:00:00Z,support-triage,u9,e-9,perhaps")))
    rc, out, _ = cli("quarantine", "--json")
    doc = json.loads(out)
    assert rc == 0 and doc["count"] == 8 and len(doc["rows"]) == 8
    assert set(doc["rows"][0]) >= {"file", "line", "field", "reason", "raw", "run_id", "seen_in_runs"}
    by_file = json.loads(cli("quarantine", "--file", "other.csv", "--json")[1])
    assert [(r["line"], r["field"]) for r in by_file["rows"]] == [(2, "outcome")]
    by_reason = json.loads(cli("quarantine", "--reason", "NOT ONE OF", "--json")[1])
    assert by_reason["count"] == 4
    by_run = json.loads(cli("quarantine", "--run", first["run_id"][:8], "--json")[1])
    assert by_run["count"] == 7 and by_run["filters"]["run"] == first["run_id"]
    rc, out, _ = cli("quarantine", "--reason", "no such reason")
    assert rc == 0 and out.strip() == "no quarantined rows (reason containing 'no such reason')"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--run", "abc"), "at least its first 6 characters"),
        (("--run", "ffffffffff"), "no ingest run has this id"),
    ],
)
def test_quarantine_refuses_an_unknown_run(workspace, cli, args, fragment) -> None:
    _ingest(cli, workspace.write("u.csv", _csv(GOOD)))
    rc, _, err = cli("quarantine", *args)
    assert rc == 2 and fragment in err


def test_ingest_json_names_the_command_that_lists_every_row(workspace, cli) -> None:
    obj = _ingest(cli, workspace.write("u.csv", _csv(GOOD, *BAD_ROWS)))
    assert len(obj["reasons"]) == 5 and obj["quarantined"] == 7
    assert obj["quarantine_command"].startswith(f"postlaunch quarantine --run {obj['run_id']} --db ")
    assert obj["quarantine_command"].endswith(" --json")


def test_migration_keys_the_rows_an_older_version_quarantined_twice(workspace, monkeypatch) -> None:
    """Before migration 5 a re-ingest stored its bad rows again; afterwards Evidence counts each once."""
    every = schema.MIGRATIONS
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in every if m[0] < 5])  # the version before
    with db.connect(workspace.db) as conn:
        for run_id in ("run-1", "run-2"):
            conn.execute(
                "INSERT INTO ingest_runs (run_id, file, kind, status, started_at) VALUES (?, 'u.csv', 'usage', "
                "'loaded', now()::TIMESTAMP)",
                [run_id],
            )
            for line, reason, raw in (
                (3, 'line 3: rating "7" is outside 1-5', "a,b,7"),
                (4, "line 4: required field user_id is empty", "a,,c"),
            ):
                conn.execute(
                    "INSERT INTO quarantine VALUES (?, 'feedback', 'u.csv', ?, ?, ?, now()::TIMESTAMP)",
                    [run_id, line, reason, raw],
                )
    monkeypatch.setattr(schema, "MIGRATIONS", every)
    with db.connect(workspace.db) as conn:
        keys = conn.execute(
            "SELECT run_id, field, source_key FROM quarantine ORDER BY run_id, line"
        ).fetchall()
        assert [(r[0], r[1]) for r in keys] == [
            ("run-1", "rating"),
            ("run-1", "user_id"),
            ("run-2", "rating"),
            ("run-2", "user_id"),
        ]
        assert keys[0][2] == keys[2][2] and keys[1][2] == keys[3][2] and keys[0][2] != keys[1][2]
        assert int(quarantine_reasons(conn)["rows"].sum()) == 2
        assert len(quarantined_rows(conn, limit=None)) == 2


def test_a_value_mapped_to_empty_is_missing(workspace, cli) -> None:
    data = workspace.write(
        "hr.csv",
        "ts,dep,uid,intent,team\n"
        "2026-11-02T10:00:00Z,hr-assistant,u1,other,hr\n"
        "2026-11-02T10:00:01Z,hr-assistant,u2,policy_question,\n"
        "2026-11-02T10:00:02Z,hr-assistant,u3,OTHER , \n",
    )
    mapping = workspace.write(
        "map.toml",
        '[columns]\nts = "timestamp"\ndep = "deployment"\nuid = "user_id"\nintent = "use_case"\n'
        '[values.use_case]\nother = ""\n'  # "no intent": missing, not a label
        '[values.team]\n"" = "unknown-team"\n'  # an empty cell gets a value
        '[defaults]\ndata_class = " "\n',  # a blank default is no default
    )
    rc, _, err = cli("ingest", "usage", str(data), "--map-file", str(mapping))
    assert rc == 0, err
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        rows = conn.execute(
            "SELECT user_id, use_case, team, data_class FROM usage_events ORDER BY 1"
        ).fetchall()
    assert rows == [
        ("u1", None, "hr", None),
        ("u2", "policy_question", "unknown-team", None),
        ("u3", None, "unknown-team", None),
    ]
