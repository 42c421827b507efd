"""Redaction of personal data at ingest (DESIGN §4 "Private by default"): what is found and replaced,
what must survive untouched, the count kept per event, the keep/redact/drop setting and quarantine."""

from __future__ import annotations

import duckdb
import pytest

from ingest import redact
from ingest.sqltext import Binder

CASES = [
    # (text, redacted, items found)
    ("mail jane.doe@example.com now", "mail [EMAIL] now", 1),
    ("cc: a.b+tag@mail.example.co.uk, x_y@corp.io", "cc: [EMAIL], [EMAIL]", 2),
    ("call +44 20 7946 0958 today", "call [PHONE] today", 1),
    ("US office (555) 123-4567 or 555.123.4567", "US office [PHONE] or [PHONE]", 2),
    ("cell +1-555-123-4567", "cell [PHONE]", 1),
    ("ring 020 7946 0958 or 07700 900123", "ring [PHONE] or [PHONE]", 2),
    ("card 4111 1111 1111 1111 expires", "card [CARD] expires", 1),
    ("card 5500-0000-0000-0004", "card [CARD]", 1),
    ("amex 3782 822463 10005", "amex [CARD]", 1),
    ("visa 4111111111111111.", "visa [CARD].", 1),
    ("iban DE89 3704 0044 0532 0130 00 please", "iban [IBAN] please", 1),
    ("pay to GB82WEST12345698765432", "pay to [IBAN]", 1),
    ("ssn 123-45-6789 on file", "ssn [NATIONAL_ID] on file", 1),
    ("NI number AB 12 34 56 C", "NI number [NATIONAL_ID]", 1),
    ("ni AB123456C", "ni [NATIONAL_ID]", 1),
    ("jane@example.com called from +44 20 7946 0958 about card 4111 1111 1111 1111",
     "[EMAIL] called from [PHONE] about card [CARD]", 3),
    # must survive: dates, times, timestamps, amounts, order and ticket numbers, versions, ids
    ("meeting on 2026-11-02 at 10:15:30", "meeting on 2026-11-02 at 10:15:30", 0),
    ("logged 2026-11-02T10:15:30Z by the bot", "logged 2026-11-02T10:15:30Z by the bot", 0),
    ("order 12345678 for $1,234.56", "order 12345678 for $1,234.56", 0),
    ("order number 123456789012 shipped", "order number 123456789012 shipped", 0),
    ("ticket #4521 and INV-2026-0042", "ticket #4521 and INV-2026-0042", 0),
    ("upgrade to version 1.2.3 (build 20261102)", "upgrade to version 1.2.3 (build 20261102)", 0),
    ("total 1 234 567 EUR", "total 1 234 567 EUR", 0),
    ("ISO 8601 and RFC 3339 times", "ISO 8601 and RFC 3339 times", 0),
    ("reach us at support (at) example dot com", "reach us at support (at) example dot com", 0),
    ("", "", 0),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected", "found"), CASES)
def test_redaction_cases(text: str, expected: str, found: int) -> None:
    b = Binder()
    marked = redact.marked_sql("$text", b)
    sql = f"SELECT {redact.strip_marks_sql('m', b)}, {redact.count_marks_sql('m', b)} FROM (SELECT {marked} AS m)"
    with duckdb.connect() as conn:
        assert conn.execute(sql, {**b.params, "text": text}).fetchall() == [(expected, found)]


U = "timestamp,deployment,user_id,request_text\n"
TEXTS = [
    "Please email jane.doe@example.com the refund form",
    "Classify ticket 4521 from 2026-11-02",
    "",
]


@pytest.mark.parametrize(
    ("setting", "stored"),
    [
        ("redact", ["Please email [EMAIL] the refund form", "Classify ticket 4521 from 2026-11-02", None]),
        ("keep", [TEXTS[0], TEXTS[1], None]),
        ("drop", [None, None, None]),
    ],
)
def test_request_text_setting(workspace, ingest_cli, setting: str, stored: list) -> None:
    workspace.settings(f'request_text = "{setting}"')
    rows = "".join(f"2026-11-02T10:0{i}:00Z,support-triage,u{i},{t}\n" for i, t in enumerate(TEXTS))
    path = workspace.write("u.csv", U + rows)
    assert ingest_cli("ingest", "usage", str(path)).rc == 0
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        got = conn.execute(
            "SELECT request_text, has_text, pii_count FROM usage_events ORDER BY ts"
        ).fetchall()
    assert got == [(stored[0], True, 1), (stored[1], True, 0), (stored[2], False, None)]


def test_quarantined_rows_and_reasons_hold_no_personal_data(workspace, ingest_cli) -> None:
    workspace.settings('request_text = "keep"')
    path = workspace.write(
        "u.csv",
        U + "2026-11-02,nowhere,u1,call me on +44 20 7946 0958\n"
        "2026-11-02,support-triage,bob@example.com,fine\n"
        "2026-11-02,jane@example.com,u3,x\n",
    )
    result = ingest_cli("ingest", "usage", str(path), "--json")
    assert result.objects()[0]["quarantined"] == 2
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        rows = conn.execute("SELECT reason, raw FROM quarantine ORDER BY line").fetchall()
    assert rows[0][1] == "2026-11-02,nowhere,u1,call me on [PHONE]"
    assert rows[1] == (
        'line 4: deployment "[EMAIL]" is not in the registry (known: hr-assistant, support-triage)',
        "2026-11-02,[EMAIL],u3,x",
    )


def test_feedback_comments_are_redacted(workspace, ingest_cli) -> None:
    path = workspace.write(
        "f.csv",
        "timestamp,deployment,comment\n2026-11-02,support-triage,Wrong answer - ask jane@example.com\n",
    )
    assert ingest_cli("ingest", "feedback", str(path)).rc == 0
    with duckdb.connect(str(workspace.db), read_only=True) as conn:
        assert conn.execute("SELECT comment FROM feedback").fetchall() == [("Wrong answer - ask [EMAIL]",)]
