"""The weekly rollup's measures, declared once as SQL aggregate expressions that DuckDB and Spark SQL both
accept (standard `FILTER (WHERE ...)`, `CAST`, `coalesce`): DuckDB splices them into
postlaunch/sql/rollup_*.sql, the Spark rollup (ingest/spark/) aggregates with the same text, so the two
engines cannot count differently. A measure is additive: partial rows of one key sum to its total.
Nothing here runs a query.
"""

from __future__ import annotations

import re

from postlaunch.rules import MACROS

# usage_rollup: every count is a sum of `requests` (a row may stand for several requests).
USAGE: tuple[tuple[str, str], ...] = (
    ("events", "CAST(sum(requests) AS BIGINT)"),
    ("errors", "CAST(coalesce(sum(requests) FILTER (WHERE outcome = 'error'), 0) AS BIGINT)"),
    (
        "escalations",
        "CAST(coalesce(sum(requests) FILTER (WHERE outcome IN ('refused', 'escalated')), 0) AS BIGINT)",
    ),
    ("text_events", "CAST(coalesce(sum(requests) FILTER (WHERE has_text), 0) AS BIGINT)"),
    ("pii_events", "CAST(coalesce(sum(requests) FILTER (WHERE has_text AND pii_count > 0), 0) AS BIGINT)"),
    ("cost", "sum(cost)"),
    ("cost_rows", "CAST(count(cost) AS BIGINT)"),
    ("uncosted_input_tokens", "CAST(coalesce(sum(input_tokens) FILTER (WHERE cost IS NULL), 0) AS BIGINT)"),
    ("uncosted_output_tokens", "CAST(coalesce(sum(output_tokens) FILTER (WHERE cost IS NULL), 0) AS BIGINT)"),
    (
        "uncosted_token_events",
        "CAST(coalesce(sum(requests) FILTER (WHERE cost IS NULL AND (input_tokens > 0 OR output_tokens > 0)), 0)"
        " AS BIGINT)",
    ),
)


# Week grain only: events whose user had no training valid at the event's time for its deployment (the
# per-event flag `untrained`: postlaunch.rollup.UNTRAINED in DuckDB, a join with the training records in Spark).
UNTRAINED: tuple[str, str] = (
    "untrained_events",
    "CAST(coalesce(sum(requests) FILTER (WHERE untrained), 0) AS BIGINT)",
)


def macro(name: str, **args: str) -> str:
    """The body of rule macro `name` (postlaunch.rules) with its parameters replaced by `args`, for an
    engine without the macro (Spark). Parameters are whole words of the body."""
    signature = next(s for s in MACROS if s.split("(")[0] == name)
    params = [p.strip() for p in signature.split("(", 1)[1].rstrip(")").split(",")]
    body = MACROS[signature]
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, params)) + r")\b")
    return "(" + pattern.sub(lambda m: args[m.group(1)], body) + ")"


# feedback_rollup: acceptance over rows with accepted set, rework over rows with rework_minutes set,
# rating over rows with a rating, negative feedback over rows with a rating or thumbs.
FEEDBACK: tuple[tuple[str, str], ...] = (
    ("feedback_count", "CAST(count(*) AS BIGINT)"),
    ("accepted_n", "CAST(count(accepted) AS BIGINT)"),
    ("accepted_yes", "CAST(count(*) FILTER (WHERE accepted) AS BIGINT)"),
    ("rework_n", "CAST(count(rework_minutes) AS BIGINT)"),
    ("rework_yes", "CAST(count(*) FILTER (WHERE rework_minutes > 0) AS BIGINT)"),
    ("rating_n", "CAST(count(rating) AS BIGINT)"),
    ("rating_sum", "CAST(coalesce(sum(rating), 0) AS DOUBLE)"),
    ("rating_sumsq", "CAST(coalesce(sum(CAST(rating AS DOUBLE) * rating), 0) AS DOUBLE)"),
    ("negative_n", "CAST(count(*) FILTER (WHERE rating IS NOT NULL OR thumbs IS NOT NULL) AS BIGINT)"),
    (
        "negative_yes",
        "CAST(count(*) FILTER (WHERE "
        + macro("pl_negative_feedback", rating="rating", thumbs="thumbs")
        + ") AS BIGINT)",
    ),
)

# Distinct users are not additive: counted exactly per deployment and week.
USERS: tuple[tuple[str, str], ...] = (("active_users", "CAST(count(DISTINCT user_id) AS BIGINT)"),)


def select_list(measures: tuple[tuple[str, str], ...]) -> str:
    """`expr AS name, ...` for an SQL SELECT."""
    return ",\n       ".join(f"{expr} AS {name}" for name, expr in measures)
