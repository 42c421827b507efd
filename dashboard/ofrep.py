"""The OpenFeature Remote Evaluation Protocol endpoints of the dashboard's own server (DESIGN §14):
`POST /ofrep/v1/evaluate/flags/{key}` answers one deployment's operating mode, `POST
/ofrep/v1/evaluate/flags` every mode the key may read. A key (`Authorization: Bearer KEY` or
`X-API-Key: KEY`) reads one deployment or every one; none or a bad one is 401, another deployment's
403. Every read, answered or refused, is recorded. Mounted by `dashboard/server.py` (Streamlit's
`st.App` routes); no Streamlit call here, and no SQL: the core's `opstatus` and `statuskeys` do it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from postlaunch import db as pdb
from postlaunch import opstatus, settings, statuskeys
from postlaunch.config import Context, load_context
from postlaunch.errors import DatabaseBusyError, PostlaunchError

log = logging.getLogger("postlaunch.ofrep")
PREFIX = "/ofrep/v1/evaluate/flags"
LOCK_TIMEOUT = 4.0  # an app waits on us: answer 503 soon rather than hang (its fail mode then applies)
_contexts: dict[tuple[Any, ...], Context] = {}


def _context() -> Context:
    """Settings and registry, loaded again when the environment or the config file changes."""
    path = settings.config_path()
    try:
        stat = path.stat()
        version: tuple[int, int] = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = (0, -1)
    key = (settings.environment(), version)
    if key not in _contexts:
        _contexts.clear()
        _contexts[key] = load_context()
    return _contexts[key]


def api_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer KEY` or `X-API-Key: KEY` (None without either)."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return request.headers.get("x-api-key", "").strip() or None


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str]


def _client(request: Request) -> str:
    host = request.client.host if request.client else "?"
    return f"{host} {request.headers.get('user-agent', '')}".strip()


def _error(status: int, code: str | None, details: str, key: str | None = None) -> Answer:
    body: dict[str, Any] = {"errorDetails": details}
    if code:
        body = {"key": key, "errorCode": code, **body} if key is not None else {"errorCode": code, **body}
    return Answer(status, body, {})


def evaluate(flag: str | None, key: str | None, client: str, etag: str | None = None) -> Answer:
    """One OFREP request (flag None: the bulk evaluation), answered and recorded on a short-lived
    writable connection."""
    ctx = _context()
    with pdb.connect(ctx.settings.db, timeout=LOCK_TIMEOUT) as conn:
        record = statuskeys.authenticate(conn, key)
        dep = opstatus.deployment_of(flag) if flag is not None else None
        if record is None:
            statuskeys.record_reads(
                conn, [statuskeys.Read("unauthorized", statuskeys.key_id_of(key), dep, flag, client=client)]
            )
            why = "no API key" if not key else "the API key is unknown, malformed or revoked"
            return _error(401, None, f"{why}: send `Authorization: Bearer KEY` or `X-API-Key: KEY` "
                          "(postlaunch status-key create --deployment ID)")  # fmt: skip
        if flag is not None:
            if dep is None or dep not in ctx.registry.deployments:
                statuskeys.record_reads(
                    conn, [statuskeys.Read("not_found", record.key_id, None, flag, client=client)]
                )
                return _error(
                    404, "FLAG_NOT_FOUND", f"no flag {flag!r}: flags are postlaunch.<deployment>.mode", flag
                )
            if not record.may_read(dep):
                statuskeys.record_reads(
                    conn, [statuskeys.Read("forbidden", record.key_id, dep, flag, client=client)]
                )
                return _error(403, None, f"key {record.key_id} reads {record.deployment}, not {dep}")
            status = opstatus.status_of(conn, ctx.registry, dep)
            statuskeys.record_reads(
                conn,
                [statuskeys.Read("ok", record.key_id, dep, flag, status.mode, status.decision_seq, client)],
            )
            return Answer(200, status.ofrep(), {})
        items = [s for s in opstatus.statuses(conn, ctx.registry) if record.may_read(s.deployment)]
        statuskeys.record_reads(
            conn,
            [
                statuskeys.Read("ok", record.key_id, s.deployment, s.key, s.mode, s.decision_seq, client)
                for s in items
            ],
        )
    body = {"flags": [s.ofrep() for s in items]}
    tag = '"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32] + '"'
    if etag is not None and etag == tag:
        return Answer(304, None, {"ETag": tag})
    return Answer(200, body, {"ETag": tag})


async def _handle(request: Request, flag: str | None) -> Response:
    raw = await request.body()
    if raw.strip():
        try:
            body = json.loads(raw)
            if not isinstance(body, dict) or not isinstance(body.get("context", {}), dict):
                raise ValueError("expected an object with an optional `context` object")
        except ValueError as exc:
            return JSONResponse(
                {"key": flag, "errorCode": "PARSE_ERROR", "errorDetails": f"request body: {exc}"}, 400
            )
    try:
        answer = await run_in_threadpool(
            evaluate, flag, api_key(request), _client(request), request.headers.get("if-none-match")
        )
    except DatabaseBusyError as exc:
        return JSONResponse(
            {"errorCode": "GENERAL", "errorDetails": str(exc)}, 503, headers={"Retry-After": "1"}
        )
    except PostlaunchError as exc:
        log.warning("OFREP request failed: %s", exc)
        return JSONResponse({"errorCode": "GENERAL", "errorDetails": str(exc)}, 500)
    if answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    return JSONResponse(answer.body, answer.status, headers=answer.headers)


async def evaluate_flag(request: Request) -> Response:
    return await _handle(request, request.path_params["key"])


async def evaluate_flags(request: Request) -> Response:
    return await _handle(request, None)


ROUTES = [
    Route(PREFIX + "/{key:path}", evaluate_flag, methods=["POST"]),
    Route(PREFIX, evaluate_flags, methods=["POST"]),
]
