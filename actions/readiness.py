"""Recording one readiness record from the Readiness page (DESIGN §13) for the person who enters it:
the same validation, identity and append-only table as `postlaunch ingest readiness`, through the
ingest engine, with the acting person recorded as the run's `who`. One function per action, so the
role checks of DESIGN §17 (the deployment's owner) plug in here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import duckdb
import pyarrow as pa

from ingest.engine import FileResult, load_staged
from ingest.readers import FileProblem
from ingest.staged import LINE, RAW, Staged
from postlaunch.config import Context
from postlaunch.errors import UsageError

SOURCE = "form"


def record_readiness(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    *,
    deployment: str,
    item: str,
    status: str,
    evidence: str,
    evidence_date: date,
    reviewed_by: str,
    expires: date | None,
    by: str,
) -> FileResult:
    """Append one readiness record entered by `by`. A row the contract refuses (an unknown item, an
    expiry not after the evidence date, ...) is a UsageError with the reason; the same record entered
    twice is a duplicate (nothing added: the result says so)."""
    ctx.registry.get(deployment)
    if not by or not by.strip():
        raise UsageError("who records it is empty: name yourself")
    row = {
        "deployment": deployment,
        "item": item,
        "status": status,
        "evidence": evidence,
        "evidence_date": evidence_date.isoformat(),
        "reviewed_by": reviewed_by,
        "expires": expires.isoformat() if expires else "",
    }
    raw = json.dumps(row, ensure_ascii=False)
    table = pa.table({**{k: [v] for k, v in row.items()}, LINE: pa.array([1], pa.int64()), RAW: [raw]})
    staged = Staged(
        kind="readiness", file="Readiness page", sha256=hashlib.sha256(raw.encode()).hexdigest(),
        adapter=SOURCE, format="form", table=table, notes={"recorded_by": by.strip()},
    )  # fmt: skip
    try:  # strict: a refused entry writes nothing at all (no run, no quarantined row)
        return load_staged(conn, ctx, staged, strict=True, who=by.strip())
    except FileProblem as exc:
        reason = str(exc).split("first: ", 1)[-1]
        raise UsageError(f"not recorded: {reason.removeprefix('line 1: ')}") from None
