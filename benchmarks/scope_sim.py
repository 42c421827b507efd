"""Weekly audit simulation on Banking77 for the scope estimate (DESIGN §12), shared by benchmarks/scope.py
and the tests: intent groups as deployments, a held-out split, seeded weeks of requests with a known true
out-of-scope share, placement by scopetext, and the metric's own estimator (metrics.scope_estimate) with
and without 40 audited requests a week.

The split: every Banking77 training query goes to the `tune` or the `test` half by a hash of its text.
Tuning groups (top-up, card delivery, card payments) use the tune half: every constant of the estimate
(FPR_SPREAD, DETECTION_SPREAD, the priors, the band width) was set on them. Held-out groups (transfers,
cash withdrawals, identity and account, exchange and currencies) use the test half and were run only
after those constants were fixed; two more (cards and wallets, statements and deposits: the intents no
other group approves) were added on 2026-12-01 and first run with the method unchanged. Data: PolyAI-LDN/task-specific-datasets banking_data/train.csv,
CC-BY-4.0 (Casanueva et al. 2020), read in place from ../shared/data/banking77.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from metrics.queries import MixRow, UsageWeek
from metrics.scope_estimate import Pooled, ScopeWeek, scope_week
from scopetext import OUT_OF_SCOPE, ScopeModel
from scopetext.estimate import bands_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "banking77_train.csv"
N_EXAMPLES = 5
WEEK_SIZE = 300
AUDIT = 40
WEEKS = 20
SHARES = (0.0, 0.10, 0.30)

TUNING: dict[str, dict[str, str]] = {
    "top-up": {
        "automatic_top_up": "Set up, change or stop automatic top-ups that add money when the balance runs low",
        "pending_top_up": "Explain why a top-up is still pending and when the money will show in the balance",
        "top_up_by_bank_transfer_charge": "Explain whether a fee is charged for topping up the account by bank transfer",
        "top_up_by_card_charge": "Explain the fee charged for topping up the account with a card",
        "top_up_by_cash_or_cheque": "Explain whether and how the account can be topped up with cash or a cheque",
        "top_up_failed": "Help when a top-up attempt failed or was declined",
        "top_up_limits": "Explain the minimum and maximum amounts and how often the account can be topped up",
        "top_up_reverted": "Explain why a top-up was reverted, cancelled or returned after it seemed to go through",
        "topping_up_by_card": "Help the customer add money to the account with a debit or credit card",
        "verify_top_up": "Explain the verification of a card top-up and where to find the code that confirms it",
    },
    "card delivery": {
        "activate_my_card": "Help the customer activate a card that has arrived",
        "card_arrival": "Tell the customer where their ordered card is and what to do if it has not arrived",
        "card_delivery_estimate": "Estimate how long delivery of a new card takes",
        "card_about_to_expire": "Explain how to get a replacement for a card that is about to expire",
        "get_physical_card": "Explain how to get a physical card for an account that has a virtual one",
        "order_physical_card": "Help the customer order a physical card, where it can be sent and what it costs",
        "getting_spare_card": "Explain how to get an additional or spare card on the account",
        "change_pin": "Help the customer change the PIN of their card",
        "pin_blocked": "Help unblock a card PIN after too many wrong attempts",
    },
    "card payments": {
        "card_payment_fee_charged": "Explain a fee charged on a card payment",
        "card_payment_not_recognised": "Help with a card payment the customer does not recognise",
        "card_payment_wrong_exchange_rate": "Explain the exchange rate applied to a card payment in another currency",
        "declined_card_payment": "Explain why a card payment was declined",
        "pending_card_payment": "Explain why a card payment is still pending",
        "reverted_card_payment?": "Explain why a card payment was reverted or returned",
        "transaction_charged_twice": "Help when a card payment was charged twice",
        "request_refund": "Help the customer request a refund for a purchase",
        "Refund_not_showing_up": "Explain why a refund has not shown up in the account yet",
    },
}
# Written before any figure of these groups was seen; never changed after. The estimate failed on "identity and
# account" without audit; a change designed looking at it (an expected false-flag rate from a robust normal,
# docs/scope.md) was rejected on FRESH, so the method these figures measure was never tuned on them.
HELD_OUT: dict[str, dict[str, str]] = {
    "transfers": {
        "cancel_transfer": "Help the customer cancel a bank transfer they made",
        "declined_transfer": "Explain why a bank transfer was declined",
        "failed_transfer": "Help when a bank transfer failed",
        "pending_transfer": "Explain why a bank transfer is still pending",
        "transfer_fee_charged": "Explain a fee charged for a bank transfer",
        "transfer_not_received_by_recipient": "Help when the recipient has not received a transfer",
        "transfer_timing": "Explain how long a bank transfer takes to arrive",
        "beneficiary_not_allowed": "Explain why a beneficiary cannot be added or paid",
        "receiving_money": "Explain how to receive money into the account",
        "balance_not_updated_after_bank_transfer": "Explain why the balance has not changed after a bank transfer",
    },
    "cash withdrawals": {
        "atm_support": "Tell the customer where and how the card can be used at cash machines",
        "cash_withdrawal_charge": "Explain a fee charged for taking out cash",
        "cash_withdrawal_not_recognised": "Help with a cash withdrawal the customer does not recognise",
        "declined_cash_withdrawal": "Explain why a cash withdrawal at an ATM was declined",
        "pending_cash_withdrawal": "Explain why a cash withdrawal still shows as pending",
        "wrong_amount_of_cash_received": "Help when the ATM gave out the wrong amount of cash",
        "wrong_exchange_rate_for_cash_withdrawal": "Explain the exchange rate of a cash withdrawal abroad",
        "card_swallowed": "Help when an ATM kept the customer's card",
    },
    "identity and account": {
        "verify_my_identity": "Explain how to verify the customer's identity",
        "unable_to_verify_identity": "Help when identity verification does not work",
        "why_verify_identity": "Explain why the bank needs to verify the customer's identity",
        "verify_source_of_funds": "Explain how to show where the customer's money comes from",
        "age_limit": "Explain the minimum age to open an account",
        "edit_personal_details": "Help the customer change their name, address or other personal details",
        "passcode_forgotten": "Help the customer who forgot their app passcode",
        "terminate_account": "Help the customer close their account",
        "lost_or_stolen_phone": "Help the customer secure their account after losing their phone",
    },
    "exchange and currencies": {
        "exchange_charge": "Explain the fee charged for exchanging currencies",
        "exchange_rate": "Explain which exchange rate the bank uses",
        "exchange_via_app": "Help the customer exchange money between currencies in the app",
        "fiat_currency_support": "Tell the customer which currencies the account can hold and exchange",
        "country_support": "Tell the customer in which countries the service is available",
        "supported_cards_and_currencies": "Tell the customer which cards and currencies can be used to add money",
        "visa_or_mastercard": "Tell the customer whether the card is Visa or Mastercard",
    },
}

# Written on 2026-12-01 before any figure of these groups was seen; never changed
# after. They use the test half, like HELD_OUT, and the fifteen Banking77 intents no other group approves
# (as first written, as three groups, two held too few test queries for weeks of 300; merged before any
# figure was printed).
FRESH: dict[str, dict[str, str]] = {
    "cards and wallets": {
        "getting_virtual_card": "Help the customer get a virtual card",
        "get_disposable_virtual_card": "Explain how to get a disposable virtual card for one-off payments",
        "disposable_card_limits": "Explain the limits of disposable virtual cards",
        "virtual_card_not_working": "Help when a virtual card does not work",
        "apple_pay_or_google_pay": "Help the customer use the card with Apple Pay or Google Pay",
        "card_not_working": "Help when the card does not work",
        "contactless_not_working": "Help when contactless payments with the card do not work",
        "compromised_card": "Help the customer who thinks their card details were stolen or misused",
        "lost_or_stolen_card": "Help the customer block and replace a lost or stolen card",
        "card_acceptance": "Tell the customer where the card is accepted",
        "card_linking": "Help the customer link a card to the app or account",
    },
    "statements and deposits": {
        "balance_not_updated_after_cheque_or_cash_deposit": (
            "Explain why the balance has not changed after depositing cash or a cheque"
        ),
        "direct_debit_payment_not_recognised": "Help with a direct debit the customer does not recognise",
        "extra_charge_on_statement": "Explain an unexpected extra charge on the statement",
        "transfer_into_account": "Explain how to transfer money into the account",
    },
}


def role(name: str) -> str:
    """How a group's figures may be read: tuning, held out, or held out and added on 2026-12-01."""
    if name in TUNING:
        return "tuning"
    return "held out (new)" if name in FRESH else "held out"


@cache
def rows() -> tuple[tuple[str, str], ...]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        return tuple((r["text"], r["category"]) for r in csv.DictReader(handle))


def half(text: str) -> str:
    """`tune` or `test`, by a hash of the query text (the split is the same on every machine)."""
    return "tune" if int(hashlib.sha256(("split13|" + text).encode()).hexdigest(), 16) % 2 == 0 else "test"


@dataclass
class Group:
    """One deployment of the simulation: the approved intents of a group, its placement model (five
    examples per intent) and every other query of its half, placed once."""

    name: str
    held_out: bool
    model: ScopeModel
    texts: list[str]
    out_of_scope: np.ndarray  # truth per text
    scores: np.ndarray
    nearest: list[str]  # the approved intent each query resembles most (its placement when in scope)

    def inside(self) -> np.ndarray:
        return np.flatnonzero(~self.out_of_scope)

    def outside(self) -> np.ndarray:
        return np.flatnonzero(self.out_of_scope)


def build_group(name: str, *, references: int = 0, seed: int = 0) -> Group:
    """The group `name` (of TUNING, HELD_OUT or FRESH) on its half; `references` labelled queries per intent join
    the model as references (item 3 of the issue), taken from the half and left out of its traffic."""
    held_out = name not in TUNING
    approved = {**TUNING, **HELD_OUT, **FRESH}[name]
    pool = [(t, c) for t, c in rows() if half(t) == ("test" if held_out else "tune")]
    rng = random.Random(seed)
    by_intent: dict[str, list[str]] = {}
    for text, intent in pool:
        by_intent.setdefault(intent, []).append(text)
    examples: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    for intent in sorted(approved):
        texts = sorted(by_intent[intent])
        rng.shuffle(texts)
        examples[intent] = texts[:N_EXAMPLES]
        extra[intent] = texts[N_EXAMPLES : N_EXAMPLES + references]
    used = {t for v in (*examples.values(), *extra.values()) for t in v}
    rest = [(t, c) for t, c in pool if t not in used]
    model = ScopeModel.fit(approved, examples, references=extra if references else None)
    texts = [t for t, _ in rest]
    nearest, scores = model.scores(texts)
    names = [model.use_cases[i] for i in nearest]
    return Group(name, held_out, model, texts, np.array([c not in approved for _, c in rest]), scores, names)


@dataclass
class WeekResult:
    truth: float
    inferred: ScopeWeek
    audited: ScopeWeek


def _usage(group: Group, events: np.ndarray, audited: np.ndarray, threshold: float) -> UsageWeek:
    """The week's scope rows as the rollup gives them: placed events per (placement, band), audited ones
    with the person's verdict (the truth)."""
    bands = bands_of(group.scores[events], threshold)
    counts: dict[tuple[str, str | None, int], int] = {}
    for i, event in enumerate(events):
        placed = OUT_OF_SCOPE if bands[i] < 0 else group.nearest[event]
        truth = OUT_OF_SCOPE if group.out_of_scope[event] else "approved"
        key = (placed, truth if audited[i] else None, int(bands[i]))
        counts[key] = counts.get(key, 0) + 1
    return UsageWeek(
        events=len(events),
        mix=[
            MixRow(None, placed, verdict, band, False, placed == OUT_OF_SCOPE, verdict == OUT_OF_SCOPE, n)
            for (placed, verdict, band), n in sorted(counts.items(), key=str)
        ],
    )


def week_size(group: Group) -> int:
    """WEEK_SIZE requests, or fewer (in tens) when the group's half holds fewer approved queries than that
    (statements and deposits: 292, so weeks of 290)."""
    return min(WEEK_SIZE, len(group.inside()) // 10 * 10)


def simulate(group: Group, share: float, *, seed: int, weeks: int = WEEKS) -> Iterator[WeekResult]:
    """`weeks` consecutive weeks of week_size(group) requests with exactly round(share × WEEK_SIZE) out of scope,
    AUDIT of them drawn at random and checked each week. Each week is estimated twice, as the metric does:
    without any audit (calibration), and with the audits of the weeks so far, the threshold recalibrated
    from the audited approved requests once there are enough (ScopeModel.recalibrated)."""
    rng = np.random.default_rng(seed)
    inside, outside = group.inside(), group.outside()
    size = week_size(group)
    history: list[tuple[np.ndarray, np.ndarray]] = []
    audited_inside: list[int] = []
    for _ in range(weeks):
        k = int(round(share * size))
        events = np.concatenate(
            [rng.choice(outside, k, replace=False), rng.choice(inside, size - k, replace=False)]
        )
        rng.shuffle(events)
        audited = np.zeros(size, dtype=bool)
        audited[rng.choice(size, AUDIT, replace=False)] = True
        history.append((events, audited))
        audited_inside += [int(e) for e in events[audited] if not group.out_of_scope[e]]
        plain = scope_week(
            _usage(group, events, np.zeros(size, dtype=bool), group.model.threshold),
            Pooled(),
            group.model.calibration,
        )
        model = group.model.recalibrated(group.scores[audited_inside])
        pooled = Pooled()
        for past_events, past_audited in history:  # re-placed with the current threshold, as placement does
            week = _usage(group, past_events, past_audited, model.threshold)
            pooled.add(week)
        checked = scope_week(week, pooled, model.calibration)
        yield WeekResult(float(group.out_of_scope[events].mean()), plain, checked)
