"""Scope models as placement fits them (DESIGN §12): each deployment's ScopeModel from the registry's
descriptions and examples, its labelled requests as references and a threshold from its audited traffic,
all deployments from one read of the loaded events; and the row scope_models stores. Used by placement
(ingest/scope/place.py), the Spark rollup and the Scope page. It never writes to the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from postlaunch import rollup
from postlaunch.registry import Deployment
from scopetext.model import MIN_TRAFFIC_CALIBRATION, ScopeModel

# Labelled requests (the data's use_case, or a person's label outside an audit draw) that join each approved
# use case's examples: the first ones in the order of a hash of their text, so a new label rarely changes
# the set (and the stored events are re-placed only then). Audited requests never join: a request that is
# its own example would look approved, and the error rates learned from the audit would be too good.
TRAFFIC_EXAMPLES = 10


def has_scope_text(dep: Deployment) -> bool:
    """Whether the registry gives the deployment anything to place requests by."""
    return any(v.strip() for v in dep.use_case_descriptions.values()) or any(
        str(e).strip() for examples in dep.use_case_examples.values() for e in examples
    )


def fit_model(dep: Deployment, traffic: dict[str, list[str]] | None = None) -> ScopeModel:
    """The deployment's scope model: every approved use case, with its description (a use case without
    one is described by its name unless it has examples) and examples, and `traffic`'s labelled requests
    as more references (not calibrated on); `scope_threshold` overrides."""
    descriptions = {uc: dep.use_case_descriptions.get(uc, "") for uc in dep.approved_use_cases}
    examples = {uc: list(dep.use_case_examples.get(uc, [])) for uc in dep.approved_use_cases}
    return ScopeModel.fit(descriptions, examples, threshold=dep.scope_threshold, references=traffic)


def traffic_references(
    rows: Iterable[tuple[str, str | None]], approved: Iterable[str]
) -> dict[str, list[str]]:
    """The traffic references of fit_model from (use_case, request text as stored) rows of labelled
    requests: distinct, of an approved use case, with a text, at most TRAFFIC_EXAMPLES per use case,
    first by md5(text) (the hex digest DuckDB's and Spark's md5 give), then text. Rows may come already
    ranked (DuckDB's query) or be any superset of the chosen ones (Spark's): the result is the same."""
    cases = set(approved)
    distinct = {(uc, text) for uc, text in rows if uc in cases and text is not None}
    ranked = sorted(
        distinct,
        key=lambda r: (r[0], hashlib.md5(r[1].encode("utf-8"), usedforsecurity=False).hexdigest(), r[1]),
    )
    traffic: dict[str, list[str]] = {}
    for use_case, text in ranked:
        chosen = traffic.setdefault(use_case, [])
        if len(chosen) < TRAFFIC_EXAMPLES:
            chosen.append(text)
    return traffic


def with_registry_fingerprint(dep: Deployment, model: ScopeModel) -> ScopeModel:
    """`model` with the fingerprint of what the registry alone gives (fit_model without traffic) in its
    calibration, as scope_models stores it (the dashboard compares it with the registry's). A model without
    labelled references or a threshold from audited traffic is that model: it is not fitted again."""
    plain = not any(model.references.values()) and "traffic_threshold" not in model.calibration
    model.calibration["registry_fingerprint"] = model.fingerprint() if plain else fit_model(dep).fingerprint()
    return model


def model_row(dep: str, model: ScopeModel, fp: str) -> tuple[str, str, float, str, datetime]:
    """The deployment's row of scope_models: (deployment, fingerprint, threshold, calibration JSON,
    placed_at)."""
    return dep, fp, float(model.threshold), json.dumps(model.calibration, sort_keys=True), now()


def fit_with_traffic(conn: duckdb.DuckDBPyConnection, dep: Deployment) -> ScopeModel:
    """fit_model with the deployment's labelled requests as extra examples, then its threshold set from
    the scores of the audited requests people found approved (ScopeModel.recalibrated)."""
    return fit_all(conn, [dep])[dep.id]


def fit_all(conn: duckdb.DuckDBPyConnection, deps: list[Deployment]) -> dict[str, ScopeModel]:
    """fit_with_traffic for every deployment of `deps`, reading the loaded events once in all (their
    labelled requests and the audited ones), not per deployment: at 100M events a read costs about half a
    second."""
    if not deps:
        return {}
    approved = pa.table(
        {
            "deployment": [d.id for d in deps for _ in d.approved_use_cases],
            "use_case": [uc for d in deps for uc in d.approved_use_cases],
        },
        schema=pa.schema([("deployment", pa.string()), ("use_case", pa.string())]),
    )
    events = rollup.scope_events(
        "e.request_text IS NOT NULL AND list_contains($ids::VARCHAR[], e.deployment)"
    )
    params = {"ids": [d.id for d in deps]}
    conn.register("__pl_approved", approved)
    try:
        found = conn.execute(
            # one read of the events: those with a label or an audit verdict, then both sets from them
            "WITH ev AS MATERIALIZED (SELECT deployment, use_case, audited_use_case, request_text, identity "
            f"FROM {events} ev WHERE ev.use_case IS NOT NULL OR ev.audited_use_case IS NOT NULL) "
            "SELECT 'labelled' AS kind, deployment, use_case, request_text, NULL::UHUGEINT AS identity FROM ("
            "SELECT DISTINCT ev.deployment, ev.use_case, ev.request_text FROM ev JOIN __pl_approved a "
            "ON a.deployment = ev.deployment AND a.use_case = ev.use_case) "
            "QUALIFY row_number() OVER (PARTITION BY deployment, use_case ORDER BY md5(request_text), request_text) "
            "<= $k "
            "UNION ALL SELECT 'audited', ev.deployment, NULL, ev.request_text, ev.identity FROM ev JOIN __pl_approved a "
            "ON a.deployment = ev.deployment AND a.use_case = ev.audited_use_case",
            {**params, "k": TRAFFIC_EXAMPLES},
        ).fetchall()
    finally:
        conn.unregister("__pl_approved")
    labelled = [(d, uc, text) for kind, d, uc, text, _ in found if kind == "labelled"]
    audited = sorted(
        ((d, ident, text) for kind, d, _, text, ident in found if kind == "audited"), key=lambda r: r[:2]
    )
    models: dict[str, ScopeModel] = {}
    for dep in deps:
        rows = [(uc, text) for d, uc, text in labelled if d == dep.id]
        model = fit_model(dep, traffic_references(rows, dep.approved_use_cases))
        texts = [text for d, _, text in audited if d == dep.id]
        models[dep.id] = (
            model if len(texts) < MIN_TRAFFIC_CALIBRATION else model.recalibrated(model.scores(texts)[1])
        )
    return models


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
