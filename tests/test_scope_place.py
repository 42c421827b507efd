"""Scope placement in the database (ingest/scope/place.py) and the Scope page's queries (metrics/scope.py):
unlabeled events with text are placed, labelled ones never touched, re-runs place nothing, a registry change
re-places everything, a failure leaves the old placements, and the metrics count inferred events.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.engine import ingest_paths
from ingest.scope import place as place_mod
from ingest.scope.fit import fit_model, fit_with_traffic, with_registry_fingerprint
from ingest.scope.place import NO_DESCRIPTIONS, place_pending
from metrics import api
from metrics import scope as mscope
from postlaunch.config import Context, load_context
from postlaunch.db import connect
from scopetext.model import OUT_OF_SCOPE, ScopeModel

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"

REGISTRY = """
[deployments.helpdesk]
name = "IT helpdesk"
owner = "IT"
risk_tier = "medium"
launched = 2026-06-01
approved_use_cases = ["password_reset", "invoice_question"]
{threshold}
[deployments.helpdesk.use_case_descriptions]
password_reset = "{password_description}"
invoice_question = "Answer a question about a supplier invoice, its amount or its due date"

[deployments.helpdesk.use_case_examples]
password_reset = ["I forgot my password", "How do I reset my password?", "My account is locked after too many attempts"]
invoice_question = ["When is invoice 4411 due?", "Why is the invoice amount higher than the order?", "Who approved this supplier invoice?"]

[deployments.bare]
name = "Bare assistant"
owner = "Ops"
risk_tier = "low"
launched = 2026-06-01
approved_use_cases = ["anything"]
"""
PASSWORD = "Help an employee reset a forgotten password or unlock an account"

# Weeks: 2026-W45 = Mon 2 Nov .. Sun 8 Nov, 2026-W46 = Mon 9 Nov .. Sun 15 Nov (UTC).
USAGE = """timestamp,deployment,user_id,event_id,use_case,request_text,requests
2026-11-03T10:00:00Z,helpdesk,u1,e1,password_reset,I forgot my password again,
2026-11-03T11:00:00Z,helpdesk,u2,e2,drafting_poems,Write a poem about autumn leaves,
2026-11-04T09:00:00Z,helpdesk,u3,e3,,"I forgot my password, how do I reset it?",
2026-11-04T09:30:00Z,helpdesk,u4,e4,,"I forgot my password, how do I reset it?",
2026-11-05T15:00:00Z,helpdesk,u5,e5,,When is the supplier invoice 5520 due?,
2026-11-10T08:00:00Z,helpdesk,u6,e6,,Write a poem about the sea and the moon,3
2026-11-10T08:05:00Z,helpdesk,u7,e7,,Write a poem about the sea and the moon,
2026-11-10T09:00:00Z,helpdesk,u2,e7b,drafting_poems,Write a poem about the sea and the moon,
2026-11-11T12:00:00Z,helpdesk,u8,e8,,,
2026-11-11T12:00:00Z,bare,u9,e9,,anything at all,
2026-11-11T13:00:00Z,bare,u1,e10,anything,something labelled,
"""
MORE_USAGE = """timestamp,deployment,user_id,event_id,use_case,request_text,requests
2026-11-12T10:00:00Z,helpdesk,u1,e11,,My account is locked again,
2026-11-12T10:05:00Z,helpdesk,u2,e12,,Write a poem about the sea and the moon,
"""
# What the model is expected to do with the texts above (checked in test_expected_placements).
EXPECTED = {
    "I forgot my password, how do I reset it?": "password_reset",
    "When is the supplier invoice 5520 due?": "invoice_question",
    "Write a poem about the sea and the moon": OUT_OF_SCOPE,
    "My account is locked again": "password_reset",
}


def write_registry(config: Path, *, description: str = PASSWORD, threshold: float | None = None) -> None:
    line = f"scope_threshold = {threshold}\n" if threshold is not None else ""
    config.write_text(REGISTRY.format(threshold=line, password_description=description), encoding="utf-8")


@pytest.fixture
def ws(workspace):  # type: ignore[no-untyped-def]
    write_registry(workspace.config)
    ctx = workspace.ctx()
    [result] = ingest_paths(ctx, "usage", [workspace.write("usage.csv", USAGE)])
    assert (result.status, result.loaded) == ("loaded", 11)
    return workspace


def rows(ctx: Context, where: str = "true") -> dict[str, tuple]:
    with connect(ctx.db) as conn:
        found = conn.execute(
            "SELECT event_id, use_case, inferred_use_case, inferred_score, inferred_fingerprint "
            f"FROM usage_events WHERE {where} ORDER BY event_id"
        ).fetchall()
    return {r[0]: r[1:] for r in found}


def model_row(ctx: Context, dep: str) -> tuple | None:
    with connect(ctx.db) as conn:
        return conn.execute(
            "SELECT fingerprint, threshold, calibration, placed_at FROM scope_models WHERE deployment = ?",
            [dep],
        ).fetchone()


def by_dep(summaries: list) -> dict:  # type: ignore[type-arg]
    return {s.deployment: s for s in summaries}


def stored_model(ctx: Context, dep: str):  # type: ignore[no-untyped-def]
    """The model placement fits: the registry's, with the deployment's labelled requests as examples."""
    with connect(ctx.db) as conn:
        return fit_with_traffic(conn, ctx.registry.get(dep))


def test_expected_placements(ws) -> None:  # type: ignore[no-untyped-def]
    model = stored_model(ws.ctx(), "helpdesk")
    labels, _ = model.place(list(EXPECTED))
    assert dict(zip(EXPECTED, labels, strict=True)) == EXPECTED


def test_unlabeled_placed_labelled_never_touched(ws) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    summaries = by_dep(place_pending(ctx))
    s = summaries["helpdesk"]
    fp = stored_model(ctx, "helpdesk").fingerprint()
    assert fp != fit_model(ctx.registry.get("helpdesk")).fingerprint()  # labelled e1, e2 joined the examples
    # e3, e4, e5, e6, e7: unlabeled with text (rows, not requests); 3 distinct texts; e6 and e7 out of scope
    assert (s.placed, s.distinct_texts, s.out_of_scope, s.fingerprint, s.reason) == (5, 3, 2, fp, None)
    got = rows(ctx, "deployment = 'helpdesk'")
    texts = {"e3": "I forgot my password, how do I reset it?", "e4": "I forgot my password, how do I reset it?",
             "e5": "When is the supplier invoice 5520 due?", "e6": "Write a poem about the sea and the moon",
             "e7": "Write a poem about the sea and the moon"}  # fmt: skip
    for event_id, text in texts.items():
        use_case, inferred, score, fingerprint = got[event_id]
        assert (use_case, inferred, fingerprint) == (None, EXPECTED[text], fp)
        assert 0.0 <= score <= 1.0
    assert got["e3"][2] == got["e4"][2]  # same text, same score
    for labelled_or_no_text in ("e1", "e2", "e7b", "e8"):  # e7b has e7's text, but a label
        assert got[labelled_or_no_text][1:] == (None, None, None)
    stored = model_row(ctx, "helpdesk")
    assert stored is not None and stored[0] == fp and stored[1] == pytest.approx(s.threshold)
    assert '"threshold_source"' in stored[2]


def test_rerun_places_nothing_and_new_events_only(ws) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    place_pending(ctx)
    first = model_row(ctx, "helpdesk")
    again = by_dep(place_pending(ctx))["helpdesk"]
    assert (again.placed, again.distinct_texts, again.out_of_scope) == (0, 0, 0)
    assert model_row(ctx, "helpdesk") == first  # nothing written
    [result] = ingest_paths(ctx, "usage", [ws.write("more.csv", MORE_USAGE)])
    assert result.loaded == 2
    new = by_dep(place_pending(ctx))["helpdesk"]
    assert (new.placed, new.distinct_texts, new.out_of_scope) == (2, 2, 1)
    assert rows(ctx)["e11"][1] == "password_reset"


@pytest.mark.parametrize(
    ("change", "kwargs"),
    [
        ("description", {"description": "Reset a forgotten password, unlock an account or renew a token"}),
        ("scope_threshold", {"threshold": 0.9}),
    ],
)
def test_registry_change_replaces_everything(ws, change: str, kwargs: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    ctx = ws.ctx()
    before = by_dep(place_pending(ctx))["helpdesk"]
    write_registry(ws.config, **kwargs)
    ctx2 = ws.ctx()
    after = by_dep(place_pending(ctx2))["helpdesk"]
    assert after.fingerprint != before.fingerprint
    assert (after.placed, after.distinct_texts) == (5, 3)
    got = rows(ctx2, "deployment = 'helpdesk'")
    assert {got[e][3] for e in ("e3", "e4", "e5", "e6", "e7")} == {after.fingerprint}
    assert {got[e][1:] for e in ("e1", "e2", "e7b", "e8")} == {(None, None, None)}
    stored = model_row(ctx2, "helpdesk")
    assert stored is not None and stored[0] == after.fingerprint
    if change == "scope_threshold":
        assert after.threshold == stored[1] == 0.9
        assert after.threshold_source == "registry scope_threshold"
        assert after.out_of_scope == 5  # nothing here resembles the examples that closely
        assert before.threshold != 0.9
    else:
        assert after.threshold != before.threshold  # the calibration saw a new description


def test_deployment_without_descriptions_is_skipped(ws) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    s = by_dep(place_pending(ctx))["bare"]
    assert (s.reason, s.placed, s.fingerprint, s.cleared) == (NO_DESCRIPTIONS, 0, None, 0)
    assert "skipped" in s.line()
    assert rows(ctx, "deployment = 'bare'")["e9"][1:] == (None, None, None)
    assert model_row(ctx, "bare") is None


def test_removing_descriptions_clears_old_placements(ws) -> None:  # type: ignore[no-untyped-def]
    place_pending(ws.ctx())
    text = ws.config.read_text(encoding="utf-8")
    start = text.index("[deployments.helpdesk.use_case_descriptions]")
    ws.config.write_text(text[:start] + text[text.index("[deployments.bare]") :], encoding="utf-8")
    ctx = ws.ctx()
    s = by_dep(place_pending(ctx, ["helpdesk"]))["helpdesk"]
    assert (s.reason, s.cleared) == (NO_DESCRIPTIONS, 5)
    assert {v[1:] for v in rows(ctx, "deployment = 'helpdesk'").values()} == {(None, None, None)}
    assert model_row(ctx, "helpdesk") is None


def test_chunks_give_the_same_placements(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    place_pending(ctx)
    whole = rows(ctx)
    write_registry(ws.config, description=PASSWORD + " ")  # same model text after strip: same fingerprint
    assert by_dep(place_pending(ws.ctx()))["helpdesk"].placed == 0
    with connect(ctx.db) as conn:
        conn.execute(
            "UPDATE usage_events SET inferred_use_case = NULL, inferred_score = NULL, inferred_fingerprint = NULL"
        )
    monkeypatch.setattr(place_mod, "CHUNK_TEXTS", 1)
    s = by_dep(place_pending(ctx))["helpdesk"]
    assert (s.placed, s.distinct_texts, s.out_of_scope) == (5, 3, 2)
    assert rows(ctx) == whole


@pytest.mark.parametrize("path", ["chunked", "preloaded"])
def test_failure_mid_placement_keeps_old_placements(ws, monkeypatch: pytest.MonkeyPatch, path: str) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    place_pending(ctx)
    before, model_before = rows(ctx), model_row(ctx, "helpdesk")
    write_registry(ws.config, threshold=0.5)
    if path == "chunked":  # killed between two chunks of texts, after the first was placed
        monkeypatch.setattr(place_mod, "PRELOAD_TEXTS", 0)
        monkeypatch.setattr(place_mod, "CHUNK_TEXTS", 1)
        real = ScopeModel.place
        calls = {"n": 0}

        def failing(self, texts):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed")
            return real(self, texts)

        monkeypatch.setattr(ScopeModel, "place", failing)
    else:  # killed after the UPDATE wrote the new placements, before the rollup and the model row

        def killed(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt("killed")

        monkeypatch.setattr(place_mod.rollup, "replace_scope", killed)
    with pytest.raises(KeyboardInterrupt):
        place_pending(ws.ctx(), ["helpdesk"])
    assert rows(ctx) == before
    assert model_row(ctx, "helpdesk") == model_before


def test_review_counts_inferred_events(ws) -> None:  # type: ignore[no-untyped-def]
    ctx = ws.ctx()
    with connect(ctx.db) as conn:
        unplaced = (
            api.build_review(conn, ctx, "helpdesk", "2026-W45").metrics["out_of_scope_share"].model_dump()
        )
    # before placement: only the labelled e1 (approved) and e2 (unapproved)
    assert (unplaced["value"], unplaced["n"]) == (0.5, 2)
    place_pending(ctx)
    with connect(ctx.db, read_only=False) as conn:
        w45 = api.build_review(conn, ctx, "helpdesk", "2026-W45").metrics["out_of_scope_share"].model_dump()
        w46 = api.build_review(conn, ctx, "helpdesk", "2026-W46").metrics["out_of_scope_share"].model_dump()
        split = mscope.placement_split(conn, ctx, "helpdesk", "2026-W45", "2026-W46")
    # W45: labelled e1 in, e2 out; inferred e3, e4, e5 in -> 1 of 5
    assert (w45["value"], w45["n"]) == (pytest.approx(0.2), 5)
    assert w45["split"] == {
        "labelled": {"n": 2, "out_of_scope": 1}, "audited": {"n": 0, "out_of_scope": 0},
        "inferred": {"n": 3, "out_of_scope": 0},
    }  # fmt: skip
    # W46: e6 (3 requests) and e7 placed out of scope, e7b labelled unapproved, e8 has no text -> 5 of 5
    assert (w46["value"], w46["n"]) == (1.0, 5)
    assert w46["split"] == {
        "labelled": {"n": 1, "out_of_scope": 1}, "audited": {"n": 0, "out_of_scope": 0},
        "inferred": {"n": 4, "out_of_scope": 4},
    }  # fmt: skip
    assert w46["estimate"] == {"method": "inferred", "audited_n": 0, "inferred_n": 4, "labelled_n": 1}
    assert split.to_dict("records") == [
        {"week": "2026-W45", "labelled_in_scope": 1, "labelled_out_of_scope": 1, "inferred_in_scope": 3,
         "inferred_out_of_scope": 0, "unplaced": 0, "unplaced_with_text": 0},
        {"week": "2026-W46", "labelled_in_scope": 0, "labelled_out_of_scope": 1, "inferred_in_scope": 0,
         "inferred_out_of_scope": 4, "unplaced": 1, "unplaced_with_text": 0},
    ]  # fmt: skip


def test_summary_lines(ws) -> None:  # type: ignore[no-untyped-def]
    s = by_dep(place_pending(ws.ctx()))["helpdesk"]
    assert s.line().startswith(
        "scope helpdesk: placed 5 unlabeled events (3 distinct texts), 2 out of scope (40.0%)"
    )
    assert "calibrated from 6 examples" in s.line()
    assert s.as_json()["placed"] == 5
    assert by_dep(place_pending(ws.ctx()))["helpdesk"].line().startswith("scope helpdesk: nothing to place")


# --- the committed sample ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sample_support_triage_inferred_drift(tmp_path: Path) -> None:
    ctx = load_context(SAMPLE / "postlaunch.toml", tmp_path / "sample.duckdb")
    for kind, name in [("usage", "usage.csv.gz"), ("cost", "cost.csv"), ("feedback", "feedback.jsonl"),
                       ("incidents", "incidents.csv"), ("changes", "changes.csv")]:  # fmt: skip
        [result] = ingest_paths(ctx, kind, [SAMPLE / name])
        assert result.status == "loaded", result.message
    summaries = by_dep(place_pending(ctx))
    triage = summaries["support-triage"]
    assert triage.placed > 5000 and triage.out_of_scope > 0
    with connect(ctx.db) as conn:
        split = mscope.placement_split(conn, ctx, "support-triage", "2026-W32", "2026-W47").set_index("week")
        pending = conn.execute(
            "SELECT count(*) FROM usage_events WHERE use_case IS NULL AND request_text IS NOT NULL "
            "AND inferred_use_case IS NULL AND deployment IN ('support-triage', 'hr-assistant', "
            "'sales-email-drafter', 'claims-summarizer')"
        ).fetchone()[0]
    assert pending == 0
    inferred = split["inferred_out_of_scope"] / (split["inferred_in_scope"] + split["inferred_out_of_scope"])
    labelled = split["labelled_out_of_scope"] / (split["labelled_in_scope"] + split["labelled_out_of_scope"])
    early = [f"2026-W{n}" for n in range(32, 42)]
    late = ["2026-W46", "2026-W47"]
    # the labelled story (sample_data/README.md): ~0.5% to W41, 11.5% and 14.0% in W46-W47
    assert labelled[early].mean() < 0.01 and labelled[late].min() > 0.10
    # the unlabeled texts drift the same way, and the placement sees it
    # early weeks: about the expected false-flag rate (the labelled requests that joined as references
    # raise the calibrated threshold a little: ~3% flagged instead of <1% with the registry's examples only)
    assert inferred[early].mean() < 0.04
    assert inferred[late].min() > 0.10
    assert inferred[late].mean() > 4 * inferred[early].mean()
    assert inferred["2026-W44"] > inferred[early].max()


def _placed_state(ctx: Context) -> tuple[dict[str, tuple], list[tuple]]:  # type: ignore[type-arg]
    with connect(ctx.db) as conn:
        grain = conn.execute("SELECT * FROM usage_rollup WHERE grain = 'scope' ORDER BY ALL").fetchall()
    return rows(ctx), grain


def test_preloaded_and_chunked_placement_write_the_same(
    ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # the usual path reads every deployment's pending texts in one pass and writes each with one UPDATE;
    # over PRELOAD_TEXTS it reads and writes chunk by chunk: both give the same events and scope rollup
    copy = tmp_path / "copy.duckdb"
    shutil.copy(ws.ctx().db, copy)
    preloaded = by_dep(place_pending(ws.ctx()))["helpdesk"]
    monkeypatch.setattr(place_mod, "PRELOAD_TEXTS", 0)
    ctx_copy = load_context(ws.config, copy)
    chunked = by_dep(place_pending(ctx_copy))["helpdesk"]
    assert (preloaded.placed, preloaded.distinct_texts, preloaded.out_of_scope) == (
        chunked.placed, chunked.distinct_texts, chunked.out_of_scope,
    )  # fmt: skip
    assert preloaded.placed > 0
    assert _placed_state(ws.ctx()) == _placed_state(ctx_copy)


def test_the_stored_registry_fingerprint_is_the_registry_only_models(ws) -> None:  # type: ignore[no-untyped-def]
    # with labelled references (helpdesk's traffic) the registry-only model is fitted for it; without, the
    # fitted model is that model and its own fingerprint is stored
    ctx = ws.ctx()
    place_pending(ctx)
    with connect(ctx.db) as conn:
        stored = dict(conn.execute("SELECT deployment, calibration FROM scope_models").fetchall())
    assert stored
    for dep_id, calibration in stored.items():
        dep = ctx.registry.get(dep_id)
        assert json.loads(calibration)["registry_fingerprint"] == fit_model(dep).fingerprint()
    plain = fit_model(ctx.registry.get("helpdesk"))
    assert (
        with_registry_fingerprint(ctx.registry.get("helpdesk"), plain).calibration["registry_fingerprint"]
        == plain.fingerprint()
    )
