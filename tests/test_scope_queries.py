"""metrics/scope.py, the Scope page's read-only queries, on rows inserted directly: the stored scope
model, the labelled/inferred split per week, and the out-of-scope texts and examples."""

from __future__ import annotations

import duckdb
import pytest
from test_scope_place import write_registry

from metrics import scope as mscope
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from scopetext.model import OUT_OF_SCOPE

DIRECT = [
    # event, ts, use_case, text, inferred, score, fingerprint, requests
    ("a", "2026-11-02 00:00:00", "password_reset", "reset pw", None, None, None, 1),
    ("b", "2026-11-03 10:00:00", "poems", "a poem", None, None, None, 2),
    ("c", "2026-11-04 10:00:00", None, "locked out", "password_reset", 0.61, "fp1", 1),
    ("d", "2026-11-05 10:00:00", None, "sonnet please", "out_of_scope", 0.05, "fp1", 4),
    ("e", "2026-11-06 10:00:00", None, "sonnet please", "out_of_scope", 0.05, "fp1", 1),
    ("f", "2026-11-08 23:59:59", None, "near the line", "invoice_question", 0.31, "fp0", 1),
    ("g", "2026-11-09 00:00:00", None, "not yet placed", None, None, None, 1),
    ("h", "2026-11-10 00:00:00", None, None, None, None, None, 5),
    ("i", "2026-11-24 00:00:00", None, "haiku", "out_of_scope", 0.29, "fp1", 1),
]


@pytest.fixture
def direct(workspace) -> Context:  # type: ignore[no-untyped-def]
    write_registry(workspace.config)
    ctx = load_context(workspace.config, workspace.db)
    with connect(ctx.db) as conn:
        for ev, ts, uc, text, inferred, score, fp, n in DIRECT:
            conn.execute(
                "INSERT INTO usage_events (identity, content_hash, event_id, ts, deployment, user_id, use_case, "
                "request_text, has_text, outcome, requests, inferred_use_case, inferred_score, inferred_fingerprint, "
                "run_id) VALUES (md5_number(?), md5_number(?), ?, ?::TIMESTAMP, 'helpdesk', 'u', ?, ?, ?, 'ok', ?, ?, ?, ?, 'r')",
                [ev, ev, ev, ts, uc, text, text is not None, n, inferred, score, fp],
            )
    return ctx


def _read(ctx: Context) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(ctx.db), read_only=True)


def test_scope_model_info(direct: Context) -> None:
    conn = _read(direct)
    try:
        assert mscope.scope_model_info(conn, "helpdesk") is None
    finally:
        conn.close()
    with connect(direct.db) as conn:
        conn.execute(
            "INSERT INTO scope_models VALUES ('helpdesk', 'fp1', 0.3, '{\"percentile\": 5.0}', TIMESTAMP '2026-11-25 10:00')"
        )
    conn = _read(direct)
    try:
        info = mscope.scope_model_info(conn, "helpdesk")
    finally:
        conn.close()
    assert info is not None
    # fp1 placed c, d, e, i; f (fp0) and g (none) are pending; a, b labelled, h has no text
    assert (info["threshold"], info["fingerprint"], info["calibration"]) == (0.3, "fp1", {"percentile": 5.0})
    assert (info["placed_events"], info["pending_events"]) == (4, 2)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # week, labelled in, labelled out, inferred in, inferred out, unplaced, unplaced with text
        ("2026-W45", "2026-W46", [("2026-W45", 1, 2, 2, 5, 0, 0), ("2026-W46", 0, 0, 0, 0, 6, 1)]),
        (
            "2026-W46",
            "2026-W48",
            [("2026-W46", 0, 0, 0, 0, 6, 1), ("2026-W47", 0, 0, 0, 0, 0, 0), ("2026-W48", 0, 0, 0, 1, 0, 0)],
        ),  # fmt: skip
        ("2026-W48", "2026-W47", []),
    ],
)
def test_placement_split(direct: Context, first: str, last: str, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    conn = _read(direct)
    try:
        frame = mscope.placement_split(conn, direct, "helpdesk", first, last)
    finally:
        conn.close()
    assert list(frame.columns) == mscope.SPLIT_COLUMNS
    assert [tuple(r) for r in frame.itertuples(index=False)] == expected


def test_out_of_scope_texts_and_examples(direct: Context) -> None:
    conn = _read(direct)
    try:
        texts = mscope.out_of_scope_texts(conn, direct, "helpdesk", "2026-W45", "2026-W48")
        inferred_only = mscope.out_of_scope_texts(
            conn, direct, "helpdesk", "2026-W45", "2026-W48", include_labelled=False
        )
        capped = mscope.out_of_scope_texts(conn, direct, "helpdesk", "2026-W45", "2026-W48", limit=2)
        capped_again = mscope.out_of_scope_texts(conn, direct, "helpdesk", "2026-W45", "2026-W48", limit=2)
        w45 = mscope.out_of_scope_texts(conn, direct, "helpdesk", "2026-W45", "2026-W45")
        frequent = mscope.inferred_examples(conn, direct, "helpdesk", "2026-W45", "2026-W48")
        borderline = mscope.inferred_examples(
            conn, direct, "helpdesk", "2026-W45", "2026-W48", around=0.295, limit=2
        )
        only_out = mscope.inferred_examples(
            conn, direct, "helpdesk", "2026-W45", "2026-W48", use_case=OUT_OF_SCOPE
        )
    finally:
        conn.close()
    # one entry per event row: d, e (sonnet), i (haiku), and the labelled b with its label
    assert sorted(texts) == ["[poems] a poem", "haiku", "sonnet please", "sonnet please"]
    assert sorted(inferred_only) == ["haiku", "sonnet please", "sonnet please"]
    assert len(capped) == 2 and capped == capped_again and set(capped) <= set(texts)
    assert sorted(w45) == ["[poems] a poem", "sonnet please", "sonnet please"]
    # distinct texts, most requests first: sonnet (4 + 1), then c, f, i with one each by score
    assert frequent["request_text"].tolist() == ["sonnet please", "locked out", "near the line", "haiku"]
    assert frequent["events"].tolist() == [5, 1, 1, 1]
    assert borderline["request_text"].tolist() == [
        "haiku",
        "near the line",
    ]  # |0.29 - 0.295| < |0.31 - 0.295|
    assert only_out["request_text"].tolist() == ["sonnet please", "haiku"]
