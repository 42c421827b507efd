"""A file appended in chunks (many new rows: rounds of short transactions side by side on their own
cursors, ingest/append.py) stores exactly what the same file stores in one last transaction: the same
rows with their lines, the same quarantine and the same rollup, with bad rows, duplicates in the file
and of stored rows, a conflict and a line the parser refuses among them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest import append

HEADER = "event_id,timestamp,deployment,user_id,request_text,outcome,input_tokens"


def _rows(start: int, stop: int) -> list[str]:
    rows = []
    for i in range(start, stop):
        outcome = "maybe" if i % 37 == 5 else "ok"  # quarantined: not an outcome
        day = 1 + i % 28
        rows.append(
            f"e-{i},2026-10-{day:02d}T10:00:00Z,support-triage,u{i % 13},Ticket {i},{outcome},{i % 500}"
        )
    return rows


def _files(tmp: Path) -> tuple[Path, Path]:
    first = [HEADER, *_rows(0, 150)]
    first.insert(40, first[20])  # a duplicate within the file
    first.insert(70, "e-3,2026-10-04T10:00:00Z,support-triage,u3,Another text,ok,3")  # a conflict
    # a line the parser refuses (two fields too many)
    first.insert(90, "e-x,2026-10-04T10:00:00Z,support-triage,u1,t,ok,1,surplus,surplus")
    second = [HEADER, *_rows(100, 260)]  # 50 rows stored by the first file
    paths = (tmp / "first.csv", tmp / "second.csv")
    for path, lines in zip(paths, (first, second), strict=True):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _stored(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return {
            "events": conn.execute(
                "SELECT identity, content_hash, event_id, ts, user_id, request_text, outcome, input_tokens, line "
                "FROM usage_loaded ORDER BY identity"
            ).fetchall(),
            "quarantine": conn.execute(
                "SELECT line, reason FROM quarantine ORDER BY line, reason"
            ).fetchall(),
            "rollup": conn.execute(
                "SELECT deployment, wk, grain, team, use_case, model, events, text_events, untrained_events "
                "FROM usage_rollup ORDER BY ALL"
            ).fetchall(),
            "users": conn.execute("SELECT * FROM usage_week_users ORDER BY ALL").fetchall(),
            "runs": conn.execute(
                "SELECT file, rows, loaded, duplicates, quarantined FROM ingest_runs ORDER BY started_at"
            ).fetchall(),
            "leases": conn.execute("SELECT * FROM ingest_leases").fetchall(),
        }


@pytest.mark.parametrize("parallel", [1, 4])
def test_chunks_store_what_one_transaction_stores(
    workspace, ingest_cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, parallel: int
) -> None:
    first, second = _files(tmp_path)
    stored = {}
    for name, chunk in (("whole", 10**9), ("chunked", 16)):
        monkeypatch.setattr(append, "CHUNK_ROWS", chunk)
        monkeypatch.setattr(append, "MAX_PARALLEL", parallel)
        db = tmp_path / f"{name}.duckdb"
        monkeypatch.setattr(workspace, "db", db)
        results = [ingest_cli("ingest", "usage", str(path), "--json") for path in (first, second)]
        assert [r.rc for r in results] == [0, 0], [r.err for r in results]
        stored[name] = _stored(db)
    whole, chunked = stored["whole"], stored["chunked"]
    assert [r[1:] for r in whole["runs"]] == [(153, 146, 1, 6), (160, 107, 49, 4)]
    assert whole == chunked
    assert len(chunked["events"]) == 253 and not chunked["leases"]
