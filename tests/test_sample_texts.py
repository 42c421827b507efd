"""The sample's request texts: personal data only where injected, valid card and IBAN check digits,
and every injected item found by ingest's redaction patterns."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from ingest import redact
from samplegen import texts
from samplegen.calendar import parse_iso_week


def test_texts_without_injected_personal_data_hold_none() -> None:
    rng = random.Random(1)
    phone_like = re.compile(r"\d[\d\s().-]{6,}\d")
    for dep, use_cases in texts.TEMPLATES.items():
        for uc in use_cases:
            for _ in range(200):
                clean = texts.request_text(dep, uc, rng, with_pii=False)
                assert "@" not in clean and not phone_like.search(clean), clean
                assert "{" not in clean, clean
                dirty = texts.request_text(dep, uc, rng, with_pii=True)
                assert (
                    "@" in dirty
                    or phone_like.search(dirty)
                    or re.search(r"[A-Z]{2} \d\d \d\d \d\d [A-D]", dirty)
                ), dirty


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cards_pass_luhn_and_ibans_pass_mod97(seed: int) -> None:
    rng = random.Random(seed)
    digits = [int(c) for c in texts._luhn_card(rng).replace(" ", "")]
    assert len(digits) == 16
    assert (
        sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        % 10
        == 0
    )
    iban = texts._gb_iban(rng).replace(" ", "")
    assert len(iban) == 22 and int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1


def test_parse_iso_week_accepts_real_weeks() -> None:
    assert parse_iso_week("2026-W47") == date(2026, 11, 16)
    assert parse_iso_week("2026-W53") == date(2026, 12, 28)


def test_ingest_redaction_finds_every_injected_snippet_and_nothing_else() -> None:
    combined = re.compile(redact.COMBINED)
    rng = random.Random(7)
    for dep, use_cases in texts.TEMPLATES.items():
        for uc in use_cases:
            for _ in range(100):
                clean = texts.request_text(dep, uc, rng, with_pii=False)
                assert not combined.search(clean), clean
        for snippet in texts.PII_SNIPPETS[dep]:
            for _ in range(50):
                filled = texts.fill(snippet, rng, texts.PII_POOLS)
                assert combined.search(filled), filled
