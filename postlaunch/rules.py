"""The predicates several queries share, each written once: what is out of the approved use, what is
negative feedback, how data classes rank. They are DuckDB macros that the schema installs
(`postlaunch.schema`), so every SQL file says `pl_out_of_scope(uc, approved)` instead of restating the
rule; the few Python callers use the declarations here. Nothing else spells these rules out.
"""

from __future__ import annotations

# The label placement gives a request outside every approved use case; never an approvable name.
OUT_OF_SCOPE = "out_of_scope"

# Lowest to highest sensitivity (DESIGN §3): a request may carry data up to its deployment's max class.
DATA_CLASSES: tuple[str, ...] = ("public", "internal", "confidential", "restricted")


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# name(parameters) -> body. Installed with CREATE OR REPLACE MACRO by the schema's migrations.
MACROS: dict[str, str] = {
    # A use case (label, else inferred placement) that is set and not approved; `out_of_scope` never is.
    "pl_out_of_scope(use_case, approved)": "use_case IS NOT NULL AND NOT list_contains(approved, use_case)",
    # A feedback row that says the output was bad: rating 1-2, or thumbs down.
    "pl_negative_feedback(rating, thumbs)": "coalesce(rating <= 2, false) OR coalesce(thumbs = 'down', false)",
    # 0 (public) to 3 (restricted); NULL for no or an unknown class.
    "pl_data_class_rank(data_class)": f"list_position({_sql_list(DATA_CLASSES)}, data_class) - 1",
}


# Installed by schema migration 5 (a released migration's macros are never changed; a new one adds its own).
SOURCE_ROW_MACROS: dict[str, str] = {
    # The identity of a quarantined source row: its kind, its text as read (redacted like request_text;
    # `fallback`, the file's sha256 and line, where no text was kept) and which occurrence of that text
    # in its file it is. A re-ingest of the same rows meets the same keys, so nothing is quarantined twice.
    "pl_source_row_key(kind, raw, fallback, occurrence)": "md5_number(kind || chr(31) || coalesce(raw, fallback) "
    "|| chr(31) || CAST(occurrence AS VARCHAR))",
}


def macro_statements(macros: dict[str, str] | None = None) -> list[str]:
    chosen = MACROS if macros is None else macros
    return [f"CREATE OR REPLACE MACRO {signature} AS {body}" for signature, body in chosen.items()]


# EU AI Act Art. 73: days from awareness to report a serious incident, by its `serious_kind` (DESIGN §16).
# An incident without a kind, or of kind `other`, has the general clock: setting reporting_deadline_days
# (15 by default). The setting shortens the short clocks too, but never lengthens them.
SERIOUS_KINDS: dict[str, int | None] = {
    "death": 10,
    "critical_infrastructure": 2,
    "widespread_infringement": 2,
    "other": None,  # the general clock
}
# A deadline this close (days) is a warning before it is overdue.
DUE_SOON_DAYS = 2

# Installed by migration 6 (a changed macro needs a new migration; migration 2's list stays as released).
CLOCK_MACROS: dict[str, str] = {
    # Days to report a serious incident of `kind`, given the general clock `general_days` (the setting).
    "pl_reporting_days(kind, general_days)": "CASE kind "
    + " ".join(f"WHEN '{k}' THEN least({d}, general_days)" for k, d in SERIOUS_KINDS.items() if d is not None)
    + " ELSE general_days END",
}


def clock_macro_statements() -> list[str]:
    return [f"CREATE OR REPLACE MACRO {signature} AS {body}" for signature, body in CLOCK_MACROS.items()]


def reporting_days(kind: str | None, general_days: int) -> int:
    """The Python twin of pl_reporting_days, for messages."""
    days = SERIOUS_KINDS.get(kind) if kind else None
    return general_days if days is None else min(days, general_days)


def data_class_rank(data_class: str) -> int:
    return DATA_CLASSES.index(data_class)
