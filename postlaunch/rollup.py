"""The weekly rollup (DESIGN §18): the one owner of the additive aggregates every metric reads —
`usage_rollup` (per deployment, local ISO week and grain key), `usage_week_users` (exact distinct users)
and `feedback_rollup` — and of how they are kept current: ingest appends the aggregates of the rows
it loads in the transaction that records its run, placement and labels replace the scope grain of the weeks
they changed, training records the week grain (its untrained measure), and a rebuild recomputes everything
from the stored events (a new database, a changed timezone).

It writes only these tables and `rollup_state` (and postlaunch/rollup_external.py, rows another engine
computed); metrics/ reads them (metrics/sql/rollup_*.sql).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb

from postlaunch import measures, sqlfiles
from postlaunch import weeks as wk
from postlaunch.errors import PostlaunchError

TABLES = ("usage_rollup", "usage_week_users", "feedback_rollup")


# An event whose user had no training valid at its time for its deployment (DESIGN §15); `e` is the event,
# {training} the training records (the stored table, or a copy staged for an ingest's working connection).
UNTRAINED = (
    "NOT EXISTS (SELECT 1 FROM {training} t WHERE t.user_id = e.user_id "
    "AND (t.deployment IS NULL OR t.deployment = e.deployment) AND t.completed_at <= e.ts "
    "AND (t.expires_at IS NULL OR t.expires_at > e.ts))"
)
TRAINING = "training_records"
_UNTRAINED_SUM = measures.UNTRAINED[1]


@dataclass(frozen=True)
class Grains:
    """Which grouping sets of rollup_usage.sql to compute: the sets, how a row names its grain, the key
    columns (NULL for a column no set groups), and the untrained measure (week grain only) with the
    per-event flag it sums."""

    sets: str
    grain: str
    keys: str
    untrained: str = "CAST(NULL AS BIGINT)"
    untrained_flag: str = "false"


SCOPE_KEYS = "use_case, inferred_use_case, audited_use_case, inferred_band"
KEYS = f"{SCOPE_KEYS}, team, data_class, model"
_GROUPING = f"GROUPING({KEYS})"
ALL_GRAINS = Grains(
    sets=f"(deployment, wk), (deployment, wk, {SCOPE_KEYS}), (deployment, wk, team), "
    "(deployment, wk, data_class), (deployment, wk, model)",
    # GROUPING's bit is 1 for a column the row's set does not group (the first column is the highest bit)
    grain=f"CASE {_GROUPING} WHEN 127 THEN 'week' "
    "WHEN 7 THEN 'scope' WHEN 123 THEN 'team' WHEN 125 THEN 'data_class' ELSE 'model' END",
    keys=KEYS,
    untrained=f"CASE {_GROUPING} WHEN 127 THEN {_UNTRAINED_SUM} END",
    untrained_flag=UNTRAINED,
)
SCOPE_GRAIN = Grains(
    sets=f"(deployment, wk, {SCOPE_KEYS})",
    grain="'scope'",
    keys=f"{SCOPE_KEYS}, NULL, NULL, NULL",
)
WEEK_GRAIN = Grains(
    sets="(deployment, wk)",
    grain="'week'",
    keys="NULL, NULL, NULL, NULL, NULL, NULL, NULL",
    untrained=_UNTRAINED_SUM,
    untrained_flag=UNTRAINED,
)
# New rows of an ingested file: no placement, no person's label yet.
NEW_ROWS = (
    "(SELECT *, CAST(NULL AS VARCHAR) AS inferred_use_case, CAST(NULL AS VARCHAR) AS audited_use_case, "
    "CAST(NULL AS SMALLINT) AS inferred_band FROM {source})"
)
USAGE_COLUMNS = (
    "deployment, wk, grain, use_case, inferred_use_case, audited_use_case, inferred_band, team, data_class, "
    "model, events, errors, escalations, text_events, pii_events, cost, cost_rows, uncosted_input_tokens, "
    "uncosted_output_tokens, uncosted_token_events, untrained_events"
)


class RollupStale(PostlaunchError):
    """The rollup was built for another timezone, or not yet: the numbers cannot be read from it."""


@dataclass(frozen=True)
class RollupState:
    timezone: str
    source: str
    built_at: datetime


@dataclass(frozen=True)
class Touched:
    """The deployments and UTC span a batch of rows covered: the weeks whose users are recounted."""

    deployments: list[str]
    lo: datetime
    hi: datetime


def _usage_sql(source: str, grains: Grains, training: str = TRAINING) -> str:
    return _sql(
        "rollup_usage",
        source=source,
        sets=grains.sets,
        grain=grains.grain,
        keys=grains.keys,
        measures=measures.select_list(measures.USAGE),
        untrained=grains.untrained,
        untrained_flag=grains.untrained_flag.replace("{training}", training),
    )


def scope_events(where: str) -> str:
    """Loaded usage events with the labels and audit draws the scope grain reads (scope_events.sql), as a
    relation; `where` filters usage_loaded `e` with the caller's parameters."""
    return f"({_sql('scope_events', where=where)})"


def _sql(name: str, **parts: str) -> str:
    """postlaunch/sql/NAME.sql without its comment lines, each {part} filled in."""
    lines = sqlfiles.sql_text(sqlfiles.CORE_SQL, name).splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("--"))
    for key, value in parts.items():
        text = text.replace("{" + key + "}", value)
    return text


def _execute(conn: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    return conn.execute(sql, params or {}).fetchall()


def read_state(conn: duckdb.DuckDBPyConnection) -> RollupState | None:
    cur = conn.cursor()
    try:
        row = cur.execute(
            "SELECT timezone, source, built_at FROM rollup_state ORDER BY built_at DESC LIMIT 1"
        ).fetchone()
    finally:
        cur.close()
    return RollupState(*row) if row else None


def check_current(conn: duckdb.DuckDBPyConnection, timezone: str) -> None:
    """For readers: refuse a rollup that was never built or counts the weeks of another timezone."""
    state = read_state(conn)
    if state is None:
        raise RollupStale(
            "the weekly rollup of this database is not built yet: run `postlaunch rollup` (or any ingest)"
        )
    if state.timezone != timezone:
        how = (
            "run `postlaunch rollup` to rebuild it"
            if state.source == "duckdb"
            else "rebuild it with `postlaunch rollup --engine spark`"
        )
        raise RollupStale(
            f"the weekly rollup counts weeks in {state.timezone}, the settings say {timezone}: {how}"
        )


def ensure_current(conn: duckdb.DuckDBPyConnection, timezone: str) -> bool:
    """For writers (outside a transaction): rebuild a rollup that is missing or built for another
    timezone from the stored events. Returns whether it rebuilt. A Spark-built rollup is never rebuilt
    from (absent) stored events: it is refused as stale instead."""
    state = read_state(conn)
    if state is not None and state.timezone == timezone:
        return False
    if state is not None and state.source != "duckdb":
        check_current(conn, timezone)
    conn.execute("BEGIN TRANSACTION")
    try:
        rebuild(conn, timezone)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def _span(conn: duckdb.DuckDBPyConnection, source: str) -> tuple[datetime | None, datetime | None]:
    ((lo, hi),) = _execute(conn, f"SELECT min(ts), max(ts) FROM {source}")
    return lo, hi


def stage_training(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    """Copy the stored training records (small) into the temp table `table` (the database attached for
    reading), for stage_usage's untrained measure."""
    _execute(
        conn,
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        f"SELECT user_id, deployment, completed_at, expires_at FROM {TRAINING}",
    )


def stage_usage(
    conn: duckdb.DuckDBPyConnection, timezone: str, source: str, table: str, training: str
) -> Touched | None:
    """Compute the aggregates of the usage rows in relation `source` (new rows of an ingest, not placed or
    labelled yet) into the temp table `table`, without the database (`training`: the temp table of
    stage_training); `append_staged` writes them. Returns what they touched (None: no rows)."""
    ((lo, hi, deployments),) = _execute(
        conn, f"SELECT min(ts), max(ts), list(DISTINCT deployment) FROM {source}"
    )
    if lo is None or hi is None:
        return None
    # without any training record every event is untrained: no need to look for one per event
    ((records,),) = _execute(conn, f"SELECT count(*) FROM temp.{training}")
    grains = ALL_GRAINS if records else replace(ALL_GRAINS, untrained_flag="true")
    sql = _usage_sql(NEW_ROWS.format(source=source), grains, f"temp.{training}")
    _execute(conn, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", wk.tz_params(timezone, lo, hi))
    return Touched(sorted(deployments), lo, hi)


def stage_new_users(
    conn: duckdb.DuckDBPyConnection, timezone: str, source: str, table: str, touched: Touched
) -> None:
    """The distinct (deployment, user_id, week) of the usage rows in relation `source` (`touched`: what
    stage_usage found they touch) into the temp table `table`, without the database (stage_users adds them
    to the loaded events)."""
    sql = _sql("rollup_user_weeks", source=source)
    _execute(
        conn, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", wk.tz_params(timezone, touched.lo, touched.hi)
    )


def stage_users(
    conn: duckdb.DuckDBPyConnection, timezone: str, touched: Touched, extra: str, table: str
) -> None:
    """The exact distinct users of the touched deployments' weeks over the loaded events plus `extra` (the
    temp table of stage_new_users), into the temp table `table` (the database attached)."""
    sql, params = _users_sql(timezone, touched, f"temp.{extra}")
    _execute(conn, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)


def stage_feedback(conn: duckdb.DuckDBPyConnection, timezone: str, source: str, table: str) -> bool:
    """Compute the aggregates of the feedback rows in relation `source` into the temp table `table`,
    without the database. Returns whether there were rows."""
    lo, hi = _span(conn, source)
    if lo is None or hi is None:
        return False
    sql = _sql("rollup_feedback", source=source, measures=measures.select_list(measures.FEEDBACK))
    _execute(conn, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", wk.tz_params(timezone, lo, hi))
    return True


def append_staged(
    conn: duckdb.DuckDBPyConnection,
    timezone: str,
    *,
    usage: str | None = None,
    users: tuple[Touched, str] | None = None,
    feedback: str | None = None,
) -> None:
    """Inside the caller's write transaction: append staged usage and feedback aggregates, and replace the
    touched weeks' distinct users with the staged counts (the temp tables of stage_*)."""
    if usage is not None:
        _execute(conn, f"INSERT INTO usage_rollup ({USAGE_COLUMNS}) SELECT * FROM temp.{usage}")
    if users is not None:
        touched, table = users
        _delete_users(conn, timezone, touched)
        _execute(
            conn, f"INSERT INTO usage_week_users (deployment, wk, active_users) SELECT * FROM temp.{table}"
        )
    if feedback is not None:
        _execute(conn, f"INSERT INTO feedback_rollup SELECT * FROM temp.{feedback}")


def week_indexes(timezone: str, lo: datetime, hi: datetime) -> list[int]:
    """Every local week index from the week holding `lo` to the week holding `hi` (UTC instants)."""
    first = wk.index_of_monday((lo - timedelta(days=1)).date()) - 1
    last = wk.index_of_monday((hi + timedelta(days=1)).date()) + 1
    return list(range(first, last + 1))


def _users_sql(timezone: str, touched: Touched, extra: str) -> tuple[str, dict[str, Any]]:
    wks = week_indexes(timezone, touched.lo, touched.hi)
    lo = wk.week_bounds(wk.week_of_index(wks[0]), timezone)[0]
    hi = wk.week_bounds(wk.week_of_index(wks[-1]), timezone)[1]
    params = {"ids": touched.deployments, "wks": wks, "lo": lo, "hi": hi, **wk.tz_params(timezone, lo, hi)}
    return _sql("rollup_users", extra=extra, measures=measures.select_list(measures.USERS)), params


def _delete_users(conn: duckdb.DuckDBPyConnection, timezone: str, touched: Touched) -> None:
    _execute(
        conn,
        "DELETE FROM usage_week_users WHERE list_contains($ids::VARCHAR[], deployment) "
        "AND list_contains($wks::BIGINT[], wk)",
        {"ids": touched.deployments, "wks": week_indexes(timezone, touched.lo, touched.hi)},
    )


NO_ROWS = "(SELECT NULL::VARCHAR AS deployment, NULL::VARCHAR AS user_id, NULL::BIGINT AS wk WHERE false)"


def recount_users(conn: duckdb.DuckDBPyConnection, timezone: str, touched: Touched) -> None:
    """Replace the distinct-user counts of the touched deployments' weeks with a recount from the
    loaded events (inside the caller's transaction)."""
    _delete_users(conn, timezone, touched)
    sql, params = _users_sql(timezone, touched, NO_ROWS)
    _execute(conn, f"INSERT INTO usage_week_users (deployment, wk, active_users) {sql}", params)


def replace_scope(
    conn: duckdb.DuckDBPyConnection, timezone: str, deployment: str, lo: datetime, hi: datetime
) -> None:
    """Recompute the scope grain of `deployment`'s weeks that hold lo..hi from its loaded events, labels
    and audit draws (after placement changed inferred use cases, or labels arrived; inside the caller's
    transaction)."""
    wks = week_indexes(timezone, lo, hi)
    start = wk.week_bounds(wk.week_of_index(wks[0]), timezone)[0]
    end = wk.week_bounds(wk.week_of_index(wks[-1]), timezone)[1]
    _execute(
        conn,
        "DELETE FROM usage_rollup WHERE deployment = $dep AND grain = 'scope' AND list_contains($wks::BIGINT[], wk)",
        {"dep": deployment, "wks": wks},
    )
    source = scope_events("e.deployment = $dep AND e.ts >= $lo AND e.ts < $hi")
    sql = _usage_sql(source, SCOPE_GRAIN)
    _execute(
        conn,
        f"INSERT INTO usage_rollup ({USAGE_COLUMNS}) {sql}",
        {"dep": deployment, "lo": start, "hi": end, **wk.tz_params(timezone, start, end)},
    )


def replace_scope_of_events(conn: duckdb.DuckDBPyConnection, timezone: str, identities: str) -> None:
    """Recompute the scope grain of the weeks holding the usage events whose identities the relation
    `identities` lists (a column `identity`), per deployment (labels arrived for them)."""
    spans = _execute(
        conn,
        f"SELECT deployment, min(ts), max(ts) FROM usage_loaded WHERE identity IN (SELECT identity FROM {identities}) "
        "GROUP BY deployment ORDER BY deployment",
    )
    for deployment, lo, hi in spans:
        replace_scope(conn, timezone, deployment, lo, hi)


def replace_week_grain(conn: duckdb.DuckDBPyConnection, timezone: str, source: str) -> list[str]:
    """After training records were loaded (relation `source`, with a `deployment` column; NULL = every
    deployment): recompute the week grain, whose untrained measure joins the training records, of the
    deployments they touch from their loaded events (inside the caller's transaction). Returns those
    deployments. A rollup not built from stored events here (another engine's) is left alone."""
    # this connection itself, not a cursor: an ingest's working connection has the database attached
    state = _execute(conn, "SELECT source FROM rollup_state ORDER BY built_at DESC LIMIT 1")
    if not state or state[0][0] != "duckdb":
        return []
    named = [r[0] for r in _execute(conn, f"SELECT DISTINCT deployment FROM {source}")]
    if None in named:  # a record for every deployment: each one with loaded events
        named = [r[0] for r in _execute(conn, "SELECT DISTINCT deployment FROM usage_loaded")]
    ids = sorted(str(d) for d in named)
    if not ids:
        return []
    _execute(
        conn,
        "DELETE FROM usage_rollup WHERE grain = 'week' AND list_contains($ids::VARCHAR[], deployment)",
        {"ids": ids},
    )
    events = scope_events("list_contains($ids::VARCHAR[], e.deployment)")
    lo, hi = _span(conn, "usage_loaded")
    if lo is not None and hi is not None:
        sql = _usage_sql(events, WEEK_GRAIN)
        _execute(
            conn,
            f"INSERT INTO usage_rollup ({USAGE_COLUMNS}) {sql}",
            {"ids": ids, **wk.tz_params(timezone, lo, hi)},
        )
    return ids


def rebuild(conn: duckdb.DuckDBPyConnection, timezone: str, deployments: Iterable[str] | None = None) -> None:
    """Recompute the whole rollup (or that of `deployments`) from the stored events, inside the caller's
    transaction, and record the timezone it counts weeks in."""
    ids = None if deployments is None else list(deployments)
    where = "" if ids is None else " WHERE list_contains($ids::VARCHAR[], deployment)"
    params = {} if ids is None else {"ids": ids}
    for table in TABLES:
        _execute(conn, f"DELETE FROM {table}{where}", params)
    usage = scope_events("true" if ids is None else "list_contains($ids::VARCHAR[], e.deployment)")
    feedback = (
        "feedback_loaded"
        if ids is None
        else "(SELECT * FROM feedback_loaded WHERE list_contains($ids::VARCHAR[], deployment))"
    )
    lo, hi = _span(conn, "usage_loaded")
    if lo is not None and hi is not None:
        sql = _usage_sql(usage, ALL_GRAINS)
        _execute(
            conn,
            f"INSERT INTO usage_rollup ({USAGE_COLUMNS}) {sql}",
            {**params, **wk.tz_params(timezone, lo, hi)},
        )
        every = (
            ids
            if ids is not None
            else [r[0] for r in _execute(conn, "SELECT DISTINCT deployment FROM usage_loaded")]
        )
        if every:
            recount_users(conn, timezone, Touched(sorted(every), lo, hi))
    flo, fhi = _span(conn, "feedback_loaded")
    if flo is not None and fhi is not None:
        sql = _sql("rollup_feedback", source=feedback, measures=measures.select_list(measures.FEEDBACK))
        _execute(conn, f"INSERT INTO feedback_rollup {sql}", {**params, **wk.tz_params(timezone, flo, fhi)})
    _execute(conn, "DELETE FROM rollup_state")
    _execute(conn, "INSERT INTO rollup_state VALUES ($tz, 'duckdb', now()::TIMESTAMP)", {"tz": timezone})
