"""Validation of a contract kind as Spark column expressions, derived from the declarations ingest's SQL
validator reads (ingest/kinds.py: columns, types, values, defaults, PROBLEMS): the same normalized
values, the same reasons word for word, the same identities (the id column, else the parsed content).

Text is parsed the way DuckDB parses it for ingest: numbers and ISO 8601 times are first matched against
the forms DuckDB accepts, so Spark's more lenient casts never let through what ingest quarantines; a
local time (no zone) is read in the configured zone, the later instant when the clocks go back (as DuckDB).
It builds expressions; the only action it runs is none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ingest.kinds import (
    BOOL_TRUE,
    BOOL_VALUES,
    EPOCH_MS,
    EPOCH_S,
    MAX_SHOWN,
    PROBLEMS,
    REQUIRED,
    Kind,
    known_deployments,
    missing_required,
)
from ingest.kinds import (
    Column as Declared,
)
from ingest.validate import NULL_MARK, SEP
from postlaunch.config import Context
from postlaunch.errors import PostlaunchError

NUMBER = r"^\s*[+-]?([0-9]+(_[0-9]+)*(\.([0-9]+(_[0-9]+)*)?)?|\.[0-9]+(_[0-9]+)*)([eE][+-]?[0-9]+)?\s*$"
SPECIAL = r"^\s*[+-]?(inf|infinity|nan)\s*$"  # matched lower-cased; a number, never a valid one
ISO = (
    r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[T ] *([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]+))?)?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2}(?::?[0-9]{2})?)?| ?[A-Za-z][A-Za-z0-9_/+-]*)?$"
)
SUPPORTED = ("text", "timestamp", "enum", "count", "amount", "rating", "bool", "deployment")


class SourceProblem(PostlaunchError):
    """A source Spark cannot roll up at all (a required column missing): nothing of it is used."""


@dataclass
class Validated:
    """Every row of a source with its parsed values (`v__COL`), its reason (`__reason`, NULL when valid,
    with the line), the problems' kinds without values (`__kinds`, for counting), the columns at fault
    (`__field`) and its identity."""

    df: DataFrame
    extra: list[str]


def _n(name: str) -> str:
    return f"n__{name}"


def _v(name: str) -> str:
    return f"v__{name}"


def _d(name: str) -> str:
    return f"d__{name}"


def _t(name: str) -> str:
    return f"t__{name}"


NUMERIC = ("count", "amount", "rating")


@cache
def _overlaps(tz: str) -> tuple[int, ...]:
    """How far the clocks go back in `tz` (seconds), at any transition from 1970 to 2100."""
    if tz == "UTC":
        return ()
    zone, sizes = ZoneInfo(tz), set()
    instant = datetime(1970, 1, 1, tzinfo=UTC)
    previous = instant.astimezone(zone).utcoffset()
    while instant.year < 2100:
        instant += timedelta(hours=6)
        offset = instant.astimezone(zone).utcoffset()
        if previous is not None and offset is not None and offset < previous:
            sizes.add(int((previous - offset).total_seconds()))
        previous = offset
    return tuple(sorted(sizes))


def _plus_seconds(ts: Column, seconds: int) -> Column:
    return F.timestamp_micros(F.unix_micros(ts) + F.lit(seconds * 1_000_000))


def local_instant(wall: Column, tz: str) -> Column:
    """The UTC instant of a wall-clock time in `tz` (`wall` is a timestamp whose UTC reading is the wall
    clock): a time the clocks skip moves on (as DuckDB), a time they repeat is the later instant."""
    if tz == "UTC":
        return wall
    instant = F.to_utc_timestamp(wall, tz)
    for seconds in _overlaps(tz):
        later = _plus_seconds(instant, seconds)
        instant = F.when(F.from_utc_timestamp(later, tz) == wall, later).otherwise(instant)
    return instant


def _iso_instant(n: Column, tz: str) -> Column:
    def g(i: int) -> Column:
        return F.regexp_extract(n, ISO, i)

    date = F.concat_ws("-", g(1), F.lpad(g(2), 2, "0"), F.lpad(g(3), 2, "0"))
    seconds = F.when(g(6) == "", F.lit("0")).otherwise(g(6))
    clock = F.when(
        g(4) != "", F.concat_ws(":", F.lpad(g(4), 2, "0"), F.lpad(g(5), 2, "0"), F.lpad(seconds, 2, "0"))
    ).otherwise(F.lit("00:00:00"))
    fraction = F.when(g(7) != "", F.concat(F.lit("."), F.substring(g(7), 1, 6))).otherwise(F.lit(""))
    wall_text = F.concat(date, F.lit(" "), clock, fraction)
    zone = F.trim(g(8))
    digits = F.regexp_replace(zone, ":", "")
    offset = F.concat(
        F.substring(digits, 1, 3),
        F.lit(":"),
        F.when(F.length(digits) >= 5, F.substring(digits, 4, 2)).otherwise(F.lit("00")),
        F.lit(":"),
        F.when(F.length(digits) >= 7, F.substring(digits, 6, 2)).otherwise(F.lit("00")),
    )
    named = F.when(F.length(zone) <= 4, F.upper(zone)).otherwise(zone)  # utc, gmt, est as DuckDB reads them
    zone_text = F.when(zone == "Z", F.lit("Z")).when(zone.rlike(r"^[+-]"), offset).otherwise(named)
    zoned = F.to_timestamp(F.concat(wall_text, zone_text))
    local = local_instant(F.to_timestamp(wall_text), tz)
    return F.when(~n.rlike(ISO), F.lit(None)).when(zone == "", local).otherwise(zoned)


def parse_timestamp(n: Column, tz: str) -> Column:
    """A timestamp column's text as an instant, by ingest's rules (ingest/validate.py `typed`)."""
    return (
        F.when(n.isNull(), F.lit(None))
        .when(F.substring(n, 5, 1) == "-", _iso_instant(n, tz))
        .when(n.rlike(f"^{EPOCH_S}$"), F.timestamp_micros(F.round(n.cast("double") * 1_000_000).cast("long")))
        .when(n.rlike(f"^{EPOCH_MS}$"), F.timestamp_millis(n.cast("long")))
        .otherwise(F.lit(None))
        .cast(T.TimestampType())
    )


def parse_number(n: Column) -> Column:
    """A number's text as DuckDB's TRY_CAST(... AS DOUBLE) reads it (inf and nan included), else NULL."""
    special = F.lower(F.trim(n))
    return (
        F.when(n.rlike(NUMBER), F.regexp_replace(n, "_", "").cast("double"))
        .when(special.rlike(SPECIAL) & special.contains("nan"), F.lit(float("nan")))
        .when(special.rlike(SPECIAL) & special.startswith("-"), F.lit(float("-inf")))
        .when(special.rlike(SPECIAL), F.lit(float("inf")))
    )


def _finite(d: Column) -> Column:
    return d.isNotNull() & ~F.isnan(d) & (F.abs(d) != F.lit(float("inf")))


def _whole(d: Column) -> Column:
    """d = trunc(d) as DuckDB has it: true for inf and nan too, NULL for NULL."""
    return F.when(~_finite(d) & d.isNotNull(), F.lit(True)).otherwise(F.pmod(d, F.lit(1.0)) == 0)


class _Builder:
    def __init__(self, kind: Kind, ctx: Context, names: dict[str, str], types: dict[str, T.DataType]) -> None:
        self.kind, self.ctx, self.names, self.types = kind, ctx, names, types

    def source(self, col: Declared) -> Column:
        actual = self.names.get(col.name)
        if actual is None:
            return F.lit(None).cast("string")
        return F.col(f"`{actual}`").cast("string")

    def normalized(self, col: Declared) -> Column:
        x = self.source(col)
        expr = F.when(x.startswith(" ") | x.endswith(" "), F.nullif(F.trim(x), F.lit(""))).otherwise(
            F.nullif(x, F.lit(""))
        )
        default = self.ctx.settings.currency if col.type == "currency" else col.default
        return F.coalesce(expr, F.lit(default)) if default is not None else expr

    def shown(self, col: Declared) -> Column:
        return F.concat(F.lit(col.name + ' "'), F.substring(F.col(_n(col.name)), 1, MAX_SHOWN), F.lit('"'))

    def timestamp(self, col: Declared) -> Column:
        actual = self.names.get(col.name)
        typed = self.types.get(actual) if actual else None
        tz = self.ctx.settings.timezone
        if isinstance(typed, T.TimestampType):  # an instant already
            return F.col(f"`{actual}`")
        if isinstance(typed, T.TimestampNTZType):  # a wall-clock time: in the configured zone
            return local_instant(F.col(f"`{actual}`").cast(T.TimestampType()), tz)
        return parse_timestamp(F.col(_n(col.name)), tz)

    def checked(self, col: Declared) -> tuple[Column, Column | None]:
        """(value, error or None), as ingest/validate.py `checked`."""
        n = F.col(_n(col.name))
        d = F.col(_d(col.name)) if col.type in NUMERIC else F.lit(None).cast("double")
        bad: Column | None = None
        message = ""
        if col.type == "text":
            value = n
        elif col.type == "timestamp":
            value = F.col(_t(col.name))
            bad, message = value.isNull(), PROBLEMS["timestamp"]
        elif col.type == "enum":
            value = F.lower(n)
            bad, message = ~value.isin(*col.values), PROBLEMS["enum"].format(values=", ".join(col.values))
        elif col.type == "count":
            value = F.when(_finite(d) & (d >= 0) & _whole(d) & (d < 9e18), d.cast("long"))
            bad, message = value.isNull(), PROBLEMS["count"]
        elif col.type == "amount":
            value = F.when(_finite(d) & (d >= 0), d)
            bad, message = value.isNull(), PROBLEMS["amount"]
        elif col.type == "rating":
            value = F.when(_finite(d) & (d >= 1) & (d <= 5) & _whole(d), d.cast("short"))
            problem = F.when(_whole(d), F.lit(PROBLEMS["rating_range"])).otherwise(
                F.lit(PROBLEMS["rating_whole"])
            )
            error = F.when(n.isNotNull() & value.isNull(), F.concat(self.shown(col), problem))
            return value, self._with_required(col, error)
        elif col.type == "bool":
            value = F.lower(n).isin(*BOOL_TRUE)
            bad, message = ~F.lower(n).isin(*BOOL_VALUES), PROBLEMS["bool"]
        elif col.type == "deployment":
            ids = self.ctx.registry.ids
            value = n
            bad = ~n.isin(*ids) if ids else F.lit(True)
            message = PROBLEMS["deployment"].format(known=known_deployments(ids))
        else:
            raise SourceProblem(f"the Spark rollup does not read {col.type} columns ({self.kind.name})")
        found = (
            F.when(n.isNotNull() & bad, F.concat(self.shown(col), F.lit(message)))
            if bad is not None
            else None
        )
        return value, self._with_required(col, found)

    def _with_required(self, col: Declared, error: Column | None) -> Column | None:
        if not col.required:
            return error
        missing = F.when(F.col(_n(col.name)).isNull(), F.lit(REQUIRED.format(name=col.name)))
        return missing if error is None else F.coalesce(missing, error)

    def problem_kind(self, col: Declared, error: Column) -> Column:
        """`column: problem` without the value, for counting rows by reason."""
        quoted = error.startswith(col.name + ' "')
        problem = F.when(quoted, F.regexp_replace(error, r'^[^"]*"(?s:.*)"', "")).otherwise(
            F.concat(F.lit(" "), error)
        )
        return F.when(error.isNotNull(), F.concat(F.lit(col.name + ":"), problem))


def validate(df: DataFrame, kind: Kind, ctx: Context) -> Validated:
    """Validate `df` (columns as in a file, plus `__file` and `__row`) as `kind`."""
    unsupported = sorted({c.type for c in kind.columns} - set(SUPPORTED))
    if unsupported:
        raise SourceProblem(f"the Spark rollup reads usage and feedback, not {kind.name}")
    lowered: dict[str, str] = {}
    for name in df.columns:
        if not name.startswith("__"):
            lowered.setdefault(name.strip().lower(), name)
    names = {c.name: lowered[c.name] for c in kind.columns if c.name in lowered}
    missing = missing_required(kind, set(names))
    if missing:
        raise SourceProblem(
            f"required column {', '.join(missing)} missing for kind {kind.name} "
            f"(expected {', '.join(kind.required)}; found {', '.join(sorted(lowered)) or 'none'})"
        )
    extra = sorted(set(lowered) - set(kind.names))
    types = {f.name: f.dataType for f in df.schema.fields}
    b = _Builder(kind, ctx, names, types)
    raw = F.to_json(F.struct(*[F.col(f"`{lowered[k]}`").cast("string").alias(k) for k in sorted(lowered)]))
    out = df.select("__file", "__row", raw.alias("__raw"), *[F.col(f"`{a}`") for a in names.values()])
    out = out.select("*", *[b.normalized(c).alias(_n(c.name)) for c in kind.columns])
    # the parsed numbers and instants in a step of their own: each is read by several expressions, and
    # Spark keeps a step of non-trivial expressions apart instead of repeating them in generated code
    parsed = [parse_number(F.col(_n(c.name))).alias(_d(c.name)) for c in kind.columns if c.type in NUMERIC]
    parsed += [b.timestamp(c).alias(_t(c.name)) for c in kind.columns if c.type == "timestamp"]
    out = out.select("*", *parsed)
    values, errors, kinds, fields = [], [], [], []
    for col in kind.columns:
        value, error = b.checked(col)
        values.append(value.alias(_v(col.name)))
        if error is not None:
            errors.append(error)
            kinds.append(b.problem_kind(col, error))
            fields.append(F.when(error.isNotNull(), F.lit(col.name)))  # the quarantine's `field`, as ingest's
    why = F.nullif(F.concat_ws("; ", *errors), F.lit("")) if errors else F.lit(None).cast("string")
    content = F.concat_ws(
        SEP, *[F.coalesce(F.col(_v(c.name)).cast("string"), F.lit(NULL_MARK)) for c in kind.columns]
    )
    out = out.select(
        "*",
        *values,
        why.alias("__why"),
        (F.nullif(F.concat_ws("; ", *kinds), F.lit("")) if kinds else F.lit(None).cast("string")).alias(
            "__kinds"
        ),
        (F.nullif(F.concat_ws(", ", *fields), F.lit("")) if fields else F.lit(None).cast("string")).alias(
            "__field"
        ),
    )
    out = out.withColumn("__line", F.col("__row") + 1).withColumn("content", F.sha2(content, 256))
    ident = F.col(_v(kind.identity)) if kind.identity else F.lit(None).cast("string")
    out = out.withColumn(
        "identity", F.when(ident.isNotNull(), F.concat(F.lit("id" + SEP), ident)).otherwise(F.col("content"))
    )
    out = out.withColumn(
        "__reason",
        F.when(
            F.col("__why").isNotNull(), F.concat(F.lit("line "), F.col("__line"), F.lit(": "), F.col("__why"))
        ),
    )
    return Validated(out, extra)
