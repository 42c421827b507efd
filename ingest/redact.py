"""Redaction of personal data in free text, as SQL expressions (RE2 `regexp_replace` inside DuckDB):
emails, payment cards, IBANs, national ids (US SSN, UK NI number) and phone numbers. It builds SQL
text only; values are bound through the caller's `bind`. Nothing here loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable

# (token, RE2 pattern), applied in this order: the earlier patterns are the more specific ones, so a
# card number is not half-taken by the phone pattern. Kept conservative: dates (2026-11-02), times,
# amounts (1,234.56), order and ticket numbers without separators must survive.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("EMAIL", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ("IBAN", r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    (
        "CARD",
        r"\b(?:4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|6011|65[0-9]{2})(?:[ \-]?[0-9]{4}){3}(?:[0-9]{3})?\b"
        r"|\b3[47][0-9]{2}[ \-]?[0-9]{6}[ \-]?[0-9]{5}\b",
    ),
    ("NATIONAL_ID", r"\b[0-8][0-9]{2}-[0-9]{2}-[0-9]{4}\b"),  # US SSN (area 9xx is never issued)
    ("NATIONAL_ID", r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b"),  # UK NI
    (
        "PHONE",
        # international (+44 20 7946 0958, +1-555-123-4567), US national ((555) 123-4567, 555.123.4567),
        # UK national with spaces (020 7946 0958, 07700 900123)
        r"\+[0-9]{1,3}[ .\-]?(?:\([0-9]{1,4}\)[ .\-]?)?[0-9]{1,4}(?:[ .\-]?[0-9]{2,4}){1,4}\b"
        r"|(?:\([0-9]{3}\) ?|\b[0-9]{3}[.\-])[0-9]{3}[.\-][0-9]{4}\b"
        r"|\b0[0-9]{2,4} [0-9]{3,4} ?[0-9]{3,4}\b",
    ),
)

MARK = "\ue000"  # private-use character placed before each token while counting; removed afterwards
COMBINED = "|".join(f"(?:{pattern})" for _, pattern in PATTERNS)
TOKENS = sorted({f"[{token}]" for token, _ in PATTERNS})

Bind = Callable[[object], str]


def marked_sql(text: str, bind: Bind) -> str:
    """`text` with every item replaced by MARK + [TOKEN]; only rows the combined pattern matches are scanned."""
    expr = text
    for token, pattern in PATTERNS:
        expr = f"regexp_replace({expr}, {bind(pattern)}, {bind(MARK + '[' + token + ']')}, 'g')"
    return f"(CASE WHEN regexp_matches({text}, {bind(COMBINED)}) THEN {expr} ELSE {text} END)"


def count_marks_sql(marked: str, bind: Bind) -> str:
    """How many items `marked_sql` replaced."""
    return f"(length({marked}) - length(replace({marked}, {bind(MARK)}, '')))"


def strip_marks_sql(marked: str, bind: Bind) -> str:
    return f"replace({marked}, {bind(MARK)}, '')"


def redact_sql(text: str, bind: Bind) -> str:
    """The redacted text in one expression (for quarantine raw rows and reasons)."""
    return strip_marks_sql(marked_sql(text, bind), bind)
