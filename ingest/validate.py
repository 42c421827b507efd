"""Builds the one validation SELECT of a file from its kind's declaration (ingest/kinds.py): parsed
value and a plain-words error per column, the row's reason, identity, content hash and redaction,
all as SQL over the source relation (template ingest/validate.sql). It builds SQL text; it runs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest import redact
from ingest.kinds import (
    BOOL_TRUE,
    BOOL_VALUES,
    EPOCH_MS,
    EPOCH_S,
    MAX_SHOWN,
    PROBLEMS,
    REQUIRED,
    Column,
    Kind,
    known_deployments,
)
from ingest.mapping import Mapping
from ingest.sqltext import Binder, quote_ident, sql_file
from postlaunch.config import Context
from postlaunch.rules import OUT_OF_SCOPE

NULL_MARK = "\x1e"
SEP = "\x1f"
ID_PREFIX = "id" + SEP  # identity of a row with an id: md5 of ID_PREFIX || id
KEY_PREFIX = "key" + SEP  # identity from an adapter's `__key`: md5 of KEY_PREFIX || key

# Stored columns per kind beyond the declared ones, in the order of the target tables.
OUTPUTS: dict[str, list[str]] = {
    "usage": [
        "event_id", "ts", "deployment", "user_id", "team", "use_case", "request_text", "has_text", "pii_count",
        "model", "input_tokens", "output_tokens", "latency_ms", "outcome", "data_class", "cost", "requests",
    ],
    "feedback": [
        "feedback_id", "ts", "deployment", "event_id", "source", "rating", "thumbs", "accepted",
        "rework_minutes", "comment",
    ],
    "cost": [
        "period_start", "period_end", "deployment", "amount", "currency", "amount_reporting", "category",
        "description", "source",
    ],
    "incidents": [
        "incident_id", "opened_at", "deployment", "severity", "category", "status", "resolved_at", "title",
        "description", "serious", "aware_at", "reported_at", "serious_kind",
    ],
    "changes": ["ts", "deployment", "kind", "summary", "changed_by", "approved_by", "source"],
    "labels": ["event_id", "deployment", "use_case", "labelled_by", "labelled_at", "note", "source"],
    "readiness": [
        "deployment", "item", "status", "evidence", "evidence_date", "reviewed_by", "expires", "source",
    ],
    "training": ["user_id", "completed_at", "deployment", "course", "expires_at", "provider"],
}  # fmt: skip
# An event_id of this form names a usage event without an event_id by its stored identity (the sample CSV).
IDENTITY_REF = "#[0-9a-f]{32}"


def q(prefix: str, name: str) -> str:
    return quote_ident(f"{prefix}:{name}")


@dataclass
class Plan:
    sql: str
    outputs: list[str]


class _Builder:
    def __init__(self, kind: Kind, ctx: Context, bind: Binder, mapping: Mapping | None) -> None:
        self.kind, self.ctx, self.bind, self.mapping = kind, ctx, bind, mapping or Mapping()

    def lit(self, text: str) -> str:
        return self.bind(text)

    def shown(self, col: Column) -> str:
        """`name "value"` for a message."""
        opening = self.lit(col.name + ' "')
        return f"{opening} || left({q('n', col.name)}, {MAX_SHOWN}) || {self.lit(chr(34))}"

    # --- layer s: normalized text -------------------------------------------------------------------
    def normalized(self, col: Column, source: str | None) -> str:
        # trim() is costly on long text: only call it where a space starts or ends the value
        expr = (
            f"(CASE WHEN prefix({source}, ' ') OR suffix({source}, ' ') THEN nullif(trim({source}), '') "
            f"ELSE nullif({source}, '') END)"
            if source
            else "CAST(NULL AS VARCHAR)"
        )
        values = self.mapping.values.get(col.name)
        if values:
            # a value mapped to "" is missing, like an empty cell; a mapping of "" fills empty cells
            whens = " ".join(
                f"WHEN {self.lit(raw)} THEN {self.lit(val) if val else 'CAST(NULL AS VARCHAR)'}"
                for raw, val in values.items()
                if raw
            )
            mapped = f"(CASE lower({expr}) {whens} ELSE {expr} END)" if whens else expr
            if values.get(""):
                mapped = f"coalesce({mapped}, {self.lit(values[''])})"
            expr = mapped
        default = self.mapping.defaults.get(col.name)
        if default is None:
            default = self.ctx.settings.currency if col.type == "currency" else col.default
        if default:  # an empty default is no default
            expr = f"coalesce({expr}, {self.lit(default)})"
        return f"{expr} AS {q('n', col.name)}"

    # --- layer p: casts ---------------------------------------------------------------------------
    def typed(self, col: Column) -> str | None:
        n = q("n", col.name)
        if col.type in ("count", "amount", "money", "rating"):
            return f"TRY_CAST({n} AS DOUBLE) AS {q('d', col.name)}"
        if col.type == "timestamp":
            return (
                f"CASE WHEN {n} IS NULL THEN NULL "
                f"WHEN substr({n}, 5, 1) = '-' THEN timezone('UTC', TRY_CAST({n} AS TIMESTAMPTZ)) "
                f"WHEN regexp_full_match({n}, {self.lit(EPOCH_S)}) "
                f"THEN make_timestamp(CAST(CAST({n} AS DOUBLE) * 1000000 AS BIGINT)) "
                f"WHEN regexp_full_match({n}, {self.lit(EPOCH_MS)}) THEN make_timestamp(CAST({n} AS BIGINT) * 1000) "
                f"ELSE timezone('UTC', TRY_CAST({n} AS TIMESTAMPTZ)) END AS {q('t', col.name)}"
            )
        if col.type == "date":
            return f"coalesce(TRY_CAST({n} AS DATE), CAST(TRY_CAST({n} AS TIMESTAMP) AS DATE)) AS {q('t', col.name)}"
        return None

    # --- layer q: values and errors -------------------------------------------------------------
    def checked(self, col: Column) -> tuple[str, str | None]:
        """(value expression, error expression or None) for one column."""
        n, d, t = q("n", col.name), q("d", col.name), q("t", col.name)
        lit, shown = self.lit, self.shown(col)
        bad: str | None = None
        message = ""
        if col.type == "text":
            value = n
        elif col.type == "timestamp":
            value, bad = t, f"{t} IS NULL"
            message = PROBLEMS["timestamp"]
        elif col.type == "date":
            value, bad = t, f"{t} IS NULL"
            message = PROBLEMS["date"]
        elif col.type == "enum":
            allowed = ", ".join(lit(v) for v in col.values)
            value, bad = f"lower({n})", f"lower({n}) NOT IN ({allowed})"
            message = PROBLEMS["enum"].format(values=", ".join(col.values))
        elif col.type == "count":
            value = f"CASE WHEN {d} >= 0 AND {d} = trunc({d}) AND {d} < 9e18 THEN CAST({d} AS BIGINT) END"
            bad, message = f"({value}) IS NULL", PROBLEMS["count"]
        elif col.type == "amount":
            value = f"CASE WHEN isfinite({d}) AND {d} >= 0 THEN {d} END"
            bad, message = f"({value}) IS NULL", PROBLEMS["amount"]
        elif col.type == "money":
            value = f"CASE WHEN isfinite({d}) THEN {d} END"
            bad, message = f"({value}) IS NULL", PROBLEMS["money"]
        elif col.type == "rating":
            value = f"CASE WHEN {d} BETWEEN 1 AND 5 AND {d} = trunc({d}) THEN CAST({d} AS SMALLINT) END"
            error = (
                f"CASE WHEN {n} IS NOT NULL AND ({value}) IS NULL THEN {shown} || "
                f"CASE WHEN {d} = trunc({d}) THEN {lit(PROBLEMS['rating_range'])} "
                f"ELSE {lit(PROBLEMS['rating_whole'])} END END"
            )
            return value, self._with_required(col, error)
        elif col.type == "bool":
            value = f"lower({n}) IN ({', '.join(lit(v) for v in BOOL_TRUE)})"
            bad = f"lower({n}) NOT IN ({', '.join(lit(v) for v in BOOL_VALUES)})"
            message = PROBLEMS["bool"]
        elif col.type == "deployment":
            ids = self.ctx.registry.ids
            value, bad = n, f"NOT list_contains({lit_list(self.bind, ids)}, {n})"
            message = PROBLEMS["deployment"].format(known=known_deployments(ids))
        elif col.type == "currency":
            value = f"upper({n})"
            return value, self._with_required(col, self._currency_error(col))
        else:  # pragma: no cover - kinds.py declares only the types above
            raise ValueError(col.type)
        found = f"CASE WHEN {n} IS NOT NULL AND {bad} THEN {shown} || {lit(message)} END" if bad else None
        return value, self._with_required(col, found)

    def _with_required(self, col: Column, error: str | None) -> str | None:
        if not col.required or (self.kind.name == "cost" and col.name == "date"):
            return error
        missing = f"WHEN {q('n', col.name)} IS NULL THEN {self.lit(REQUIRED.format(name=col.name))}"
        if error is None:
            return f"CASE {missing} END"
        return f"CASE {missing} ELSE {error} END"

    def _currency_error(self, col: Column) -> str:
        n, lit = q("n", col.name), self.lit
        rates = self.ctx.settings.currency_rates
        reporting = self.ctx.settings.currency
        return (
            f"CASE WHEN NOT regexp_full_match({n}, '[A-Za-z]{{3}}') THEN {self.shown(col)} || "
            f"{lit(PROBLEMS['currency'])} "
            f"WHEN upper({n}) <> {lit(reporting)} AND NOT list_contains({lit_list(self.bind, list(rates))}, upper({n})) "
            f"THEN {self.shown(col)} || {lit(f' has no rate to {reporting} (set currency_rates.')} || upper({n}) || "
            f"{lit(' in the config)')} END"
        )

    def rate(self) -> str:
        cur = q("v", "currency")
        whens = " ".join(
            f"WHEN {self.lit(code)} THEN {self.bind(float(rate))}"
            for code, rate in self.ctx.settings.currency_rates.items()
        )
        return f"(CASE {cur} WHEN {self.lit(self.ctx.settings.currency)} THEN 1.0 {whens} END)"


def lit_list(bind: Binder, values: list[str]) -> str:
    return f"CAST({bind(list(values))} AS VARCHAR[])"


def build(
    kind: Kind,
    ctx: Context,
    bind: Binder,
    *,
    source_sql: str,
    exprs: dict[str, str],
    raw_sql: str,
    reason_sql: str,
    key_sql: str | None = None,
    mapping: Mapping | None = None,
    source_label: str | None = None,
    numbered: bool = True,
) -> Plan:
    """The validation SELECT for `kind` over `source_sql` (which exposes `__line` and `exprs`' columns)."""
    b = _Builder(kind, ctx, bind, mapping)
    normalized = [f"{reason_sql} AS __pre"] + [b.normalized(c, exprs.get(c.name)) for c in kind.columns]
    if key_sql is not None:
        normalized.append(f"{key_sql} AS __key_src")
    typed = [t for c in kind.columns if (t := b.typed(c))]
    checked: list[str] = []
    errors: list[str] = []
    fields: list[str] = []  # the column named when its error is set (the quarantine's `field`)
    for col in kind.columns:
        value, error = b.checked(col)
        checked.append(f"{value} AS {q('v', col.name)}")
        if error:
            checked.append(f"{error} AS {q('e', col.name)}")
            errors.append(q("e", col.name))
            fields.append(f"CASE WHEN {q('e', col.name)} IS NOT NULL THEN {bind(col.name)} END")
    for name in kind.text_columns:
        checked.append(f"{redact.marked_sql(q('n', name), bind)} AS {q('m', name)}")
    outputs: dict[str, str] = {}
    for col in kind.columns:
        outputs[col.stored] = q("v", col.name)
    content_cols = [q("v", c.name) for c in kind.columns if c.name not in kind.added]
    if kind.name == "cost":
        errors += _cost_checks(b, checked)
        fields.append(
            f"CASE WHEN __period IS NOT NULL THEN CASE WHEN {q('n', 'date')} IS NULL AND {q('n', 'period_start')} "
            f"IS NULL THEN {bind('date')} ELSE {bind('period_end')} END END"
        )
        outputs.pop("date")
        outputs["period_start"] = f"coalesce({q('v', 'period_start')}, {q('v', 'date')})"
        outputs["period_end"] = f"coalesce({q('v', 'period_end')}, {q('v', 'date')})"
        outputs["amount_reporting"] = f"{q('v', 'amount')} * {b.rate()}"
        outputs["source"] = bind(source_label or "cost")
        content_cols = [outputs[c] for c in ("period_start", "period_end")] + [
            q("v", c) for c in ("deployment", "amount", "currency", "category", "description")
        ]
    if kind.name == "changes":
        outputs["source"] = bind("file")
    if kind.name == "readiness":
        outputs["source"] = bind(source_label or "file")
        errors += _after(b, checked, "expires", "evidence_date", "evidence_date", "__expiry")
    if kind.name == "training":
        errors += _after(b, checked, "expires_at", "completed_at", "completed_at", "__expiry")
    if kind.name == "incidents":  # a serious_kind marks the incident serious
        outputs["serious"] = f"({q('v', 'serious')} OR {q('v', 'serious_kind')} IS NOT NULL)"
    if kind.name == "usage":
        m = q("m", "request_text")
        outputs["has_text"] = f"{q('n', 'request_text')} IS NOT NULL"
        outputs["pii_count"] = f"CAST({redact.count_marks_sql(m, bind)} AS INTEGER)"
        outputs["request_text"] = _stored_text(ctx.settings.request_text, "request_text", bind)
    if kind.name == "feedback":
        keep = ctx.settings.request_text == "keep"
        outputs["comment"] = _stored_text("keep" if keep else "redact", "comment", bind)
    if kind.name == "labels":
        errors += _label_checks(b, checked)
        outputs["use_case"] = _label_use_case(b)
        outputs["labelled_at"] = f"coalesce({q('v', 'labelled_at')}, now()::TIMESTAMP)"
        outputs["note"] = _stored_text("redact", "note", bind)
        outputs["source"] = bind(source_label or "file")
    content = f", {bind(SEP)}, ".join(
        f"coalesce(CAST({c} AS VARCHAR), {bind(NULL_MARK)})" for c in content_cols
    )
    for name in kind.added:  # nothing when unset: the content of older rows stays what it was
        added = q("v", name)
        content += (
            f", CASE WHEN {added} IS NOT NULL THEN {bind(SEP + name + '=')} || CAST({added} AS VARCHAR) END"
        )
    if kind.identity:
        ident = f"CASE WHEN {q('v', kind.identity)} IS NOT NULL THEN md5_number({bind(ID_PREFIX)} || {q('v', kind.identity)}) ELSE content_hash END"
    else:
        ident = "content_hash"
    if kind.name == "labels":  # the identity of the labelled usage event
        ident = event_identity_sql(q("v", "event_id"), bind)
    if key_sql is not None:  # the source's own record identity wins over the content's
        ident = f"CASE WHEN __key_src IS NOT NULL THEN md5_number({bind(KEY_PREFIX)} || __key_src) ELSE {ident} END"
    names = OUTPUTS[kind.name]
    sql = sql_file("validate.sql").format(
        normalized=",\n        ".join(normalized),
        source=source_sql,
        typed=",\n        ".join(typed) if typed else "NULL AS __no_casts",
        checked=",\n        ".join(checked),
        errors=", ".join(errors) if errors else "NULL",
        content=content,
        redacted_reason=redact.redact_sql("__why", bind),
        redacted_raw=redact.redact_sql(f"CAST({raw_sql} AS VARCHAR)", bind),
        fields=", ".join(fields) if fields else "NULL",
        identity=ident,
        numbering="__row,\n    __line,\n    " if numbered else "",
        outputs=",\n    ".join(f"{outputs[name]} AS {quote_ident(name)}" for name in names),
    )
    return Plan(sql, names)


def _stored_text(setting: str, name: str, bind: Binder) -> str:
    if setting == "drop":
        return "CAST(NULL AS VARCHAR)"
    if setting == "keep":
        return q("n", name)
    return redact.strip_marks_sql(q("m", name), bind)


def _after(b: _Builder, checked: list[str], later: str, earlier: str, what: str, alias: str) -> list[str]:
    """A row check: column `later`, when set, must fall after column `earlier`."""
    n_late, n_early = q("n", later), q("n", earlier)
    v_late, v_early = q("v", later), q("v", earlier)
    opening, middle, closing = b.lit(f'{later} "'), b.lit(f'" is not after {what} "'), b.lit('"')
    checked.append(
        f"CASE WHEN {v_late} IS NOT NULL AND {v_early} IS NOT NULL AND {v_late} <= {v_early} "
        f"THEN {opening} || {n_late} || {middle} || {n_early} || {closing} END AS {alias}"
    )
    return [alias]


def _cost_checks(b: _Builder, checked: list[str]) -> list[str]:
    """Row checks that span columns of a cost row: date or a whole period, in order."""
    n = {c: q("n", c) for c in ("date", "period_start", "period_end")}
    v = {c: q("v", c) for c in ("date", "period_start", "period_end")}
    lit = b.lit
    before, middle, after = lit('period_end "'), lit('" is before period_start "'), lit('"')
    checked.append(
        f"CASE WHEN {n['date']} IS NULL AND {n['period_start']} IS NULL "
        f"THEN {lit('required field date is empty (or give period_start and period_end)')} "
        f"WHEN {n['date']} IS NULL AND {n['period_end']} IS NULL "
        f"THEN {lit('required field period_end is empty (period_start is given)')} "
        f"WHEN {v['period_end']} < {v['period_start']} "
        f"THEN {before} || {n['period_end']} || {middle} || {n['period_start']} || {after} END AS __period"
    )
    return ["__period"]


def event_identity_sql(event_id: str, bind: Binder) -> str:
    """usage_events.identity of the event a label names: md5 of the event_id, as ingest stores it, or the
    identity itself for `#<32 hex>` (an event stored without an event_id)."""
    return (
        f"CASE WHEN regexp_full_match({event_id}, {bind(IDENTITY_REF)}) "
        f"THEN CAST('0x' || substr({event_id}, 2) AS UHUGEINT) "
        f"ELSE md5_number({bind(ID_PREFIX)} || {event_id}) END"
    )


def _label_checks(b: _Builder, checked: list[str]) -> list[str]:
    """A label must name a stored usage event of its deployment (checked only when both are valid)."""
    event, dep = q("v", "event_id"), q("v", "deployment")
    ident = event_identity_sql(event, b.bind)
    opening, middle = b.lit('event_id "'), b.lit('" is not a usage event of deployment ')
    checked.append(
        f"CASE WHEN {event} IS NOT NULL AND {q('e', 'deployment')} IS NULL AND NOT EXISTS "
        f"(SELECT 1 FROM usage_loaded u WHERE u.deployment = {dep} AND u.identity = {ident}) "
        f"THEN {opening} || left({event}, {MAX_SHOWN}) || {middle} || {dep} END AS __event"
    )
    return ["__event"]


def _label_use_case(b: _Builder) -> str:
    """The label as given, trimmed, except that `out of scope` in any case or spacing is out_of_scope and a
    deployment's approved use case is matched regardless of case, spaces and dashes."""
    given = q("v", "use_case")
    keys: list[str] = []
    names: list[str] = []
    for dep_id in b.ctx.registry.ids:
        for use_case in b.ctx.registry.deployments[dep_id].approved_use_cases:
            keys.append(dep_id + SEP + _label_key(use_case))
            names.append(use_case)
    keys.append(SEP + "out_of_scope")
    names.append(OUT_OF_SCOPE)
    key = f"lower(regexp_replace({given}, '[\\s-]+', '_', 'g'))"
    dep = q("v", "deployment")
    found = (
        f"coalesce(list_extract({lit_list(b.bind, names)}, list_position({lit_list(b.bind, keys)}, "
        f"coalesce({dep}, '') || {b.lit(SEP)} || {key})), "
        f"list_extract({lit_list(b.bind, names)}, list_position({lit_list(b.bind, keys)}, {b.lit(SEP)} || {key})))"
    )
    return f"coalesce({found}, {given})"


def _label_key(use_case: str) -> str:
    return re.sub(r"[\s-]+", "_", use_case.strip()).lower()
