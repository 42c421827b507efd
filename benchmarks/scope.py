"""Benchmark of scope placement (ingest/scope) on real customer queries: Banking77 (PolyAI-LDN/
task-specific-datasets, banking_data/train.csv, CC-BY-4.0; Casanueva et al. 2020, "Efficient Intent
Detection with Dual Sentence Encoders"), read in place from ../shared/data/banking77. Prints figures.

A deployment is approved for the ten top-up intents, each with a one-sentence description written here
and five example queries (first five of a seeded shuffle); the other 67 intents are out of scope. Every
query not used as an example is placed. Run: .venv/bin/python benchmarks/scope.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scopetext import ScopeModel  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "banking77" / "banking77_train.csv"
SEED = 0
N_EXAMPLES = 5
MIXES = (0.0, 0.05, 0.20, 0.50)
MIX_SIZE = 1000
MIX_SEEDS = 5

# A "top-up assistant": ten intents about putting money into the account. They are related (all top-up),
# so telling them apart is a real test of assignment, and the out-of-scope side holds near neighbours
# (transfer_into_account, supported_cards_and_currencies, apple_pay_or_google_pay mention topping up).
TOP_UP = {
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
}
# A second, independent set for robustness: a "card delivery and activation" assistant.
CARD_DELIVERY = {
    "activate_my_card": "Help the customer activate a card that has arrived",
    "card_arrival": "Tell the customer where their ordered card is and what to do if it has not arrived",
    "card_delivery_estimate": "Estimate how long delivery of a new card takes",
    "card_about_to_expire": "Explain how to get a replacement for a card that is about to expire",
    "get_physical_card": "Explain how to get a physical card for an account that has a virtual one",
    "order_physical_card": "Help the customer order a physical card, where it can be sent and what it costs",
    "getting_spare_card": "Explain how to get an additional or spare card on the account",
    "change_pin": "Help the customer change the PIN of their card",
    "pin_blocked": "Help unblock a card PIN after too many wrong attempts",
}


def load() -> list[tuple[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def split(
    rows: list[tuple[str, str]], approved: dict[str, str]
) -> tuple[dict[str, list[str]], list[str], np.ndarray, list[str]]:
    """(examples per approved intent, test texts, is-out-of-scope flags, true intents) for one approved set."""
    rng = random.Random(SEED)
    by_intent: dict[str, list[str]] = {}
    for text, intent in rows:
        by_intent.setdefault(intent, []).append(text)
    examples: dict[str, list[str]] = {}
    for intent in sorted(approved):
        pool = sorted(by_intent[intent])
        rng.shuffle(pool)
        examples[intent] = pool[:N_EXAMPLES]
    used = {t for ex in examples.values() for t in ex}
    test = [(t, c) for t, c in rows if t not in used]
    return (
        examples,
        [t for t, _ in test],
        np.array([c not in approved for _, c in test]),
        [c for _, c in test],
    )


_WORKER_MODEL: ScopeModel | None = None


def _init_worker(model: ScopeModel) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _place_chunk(texts: list[str]) -> int:
    assert _WORKER_MODEL is not None
    labels, _ = _WORKER_MODEL.place(texts)
    return len(labels)


def throughput(model: ScopeModel, texts: list[str], workers: int, chunk: int = 1000) -> float:
    """Requests per second of full place() calls (featurization included) over `texts` in chunks; with
    2 workers each process holds the model once, as an ingest worker would."""
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    if workers == 1:
        _init_worker(model)
        start = time.perf_counter()
        done = sum(_place_chunk(c) for c in chunks)
        return done / (time.perf_counter() - start)
    with mp.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(model,)) as pool:
        pool.map(_place_chunk, chunks[:workers])  # warm the workers
        start = time.perf_counter()
        done = sum(pool.map(_place_chunk, chunks))
        return done / (time.perf_counter() - start)


def mix_errors(model: ScopeModel, texts: list[str], oos: np.ndarray) -> list[tuple[float, ...]]:
    """Per mix: true share, then mean and max |error| of the estimate, the lower bound and the plain count."""
    inside = [t for t, o in zip(texts, oos, strict=True) if not o]
    outside = [t for t, o in zip(texts, oos, strict=True) if o]
    result = []
    for p in MIXES:
        estimates, plain, lower = [], [], []
        for s in range(MIX_SEEDS):
            rng = random.Random(1000 * s + int(p * 100))
            k = round(p * MIX_SIZE)
            batch = rng.sample(outside, k) + rng.sample(inside, MIX_SIZE - k)
            est = model.share_estimate(batch)
            estimates.append(est.share)
            plain.append(est.observed)
            lower.append(est.lower_bound)
        row: list[float] = [p]
        for values in (estimates, lower, plain):
            row += [float(np.mean(values)), float(np.max(np.abs(np.array(values) - p)))]
        result.append(tuple(row))
    return result


def evaluate(
    name: str, approved: dict[str, str], rows: list[tuple[str, str]], quick: bool, with_examples: bool = True
) -> None:
    examples, texts, oos, intents = split(rows, approved)
    model = ScopeModel.fit(approved, examples if with_examples else None)
    labels, score = model.place(texts)
    auroc = roc_auc_score(oos, -score)
    inside = ~oos
    correct = np.mean([pred == true for pred, true, i in zip(labels, intents, inside, strict=True) if i])
    assigned = model.scores(texts)[0]
    nearest_ok = np.mean(
        [model.use_cases[a] == t for a, t, i in zip(assigned, intents, inside, strict=True) if i]
    )
    flagged_in = float(np.mean(score[inside] < model.threshold))
    caught_out = float(np.mean(score[oos] < model.threshold))
    print(
        f"\n== {name}: {len(approved)} approved intents, {sum(len(v) for v in examples.values()) if with_examples else 0} examples, "
        f"{len(texts):,} test queries ({oos.mean():.1%} out of scope)"
    )
    print(
        f"threshold {model.threshold:.3f} ({model.calibration['threshold_source']}); "
        f"calibration expects {model.calibration['expected_false_flag_rate']} of approved flagged"
    )
    print(f"AUROC of out-of-scope score        {auroc:.4f}")
    print(f"in-scope accuracy (placed, right)  {correct:.3f}   nearest use case right: {nearest_ok:.3f}")
    print(
        f"approved queries flagged (FPR)     {flagged_in:.3f}   out-of-scope caught (TPR): {caught_out:.3f}"
    )
    if quick:
        return
    print(
        f"{'true share':>10} {'estimate':>9} {'max|err|':>9} {'lower bd':>9} {'max|err|':>9} {'plain':>7} {'max|err|':>9}"
        f"   ({MIX_SEEDS} seeded mixes of {MIX_SIZE} each)"
    )
    for p, est, err, low, lerr, plain, perr in mix_errors(model, texts, oos):
        print(
            f"{p:>10.0%} {est:>9.3f} {err * 100:>7.1f}pp {low:>9.3f} {lerr * 100:>7.1f}pp {plain:>7.3f} {perr * 100:>7.1f}pp"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the share mixes and the second set")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"Banking77 not found at {DATA}")
        return 1
    rows = load()
    print(
        f"scope benchmark — {time.strftime('%Y-%m-%d')} — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    evaluate("top-up assistant", TOP_UP, rows, args.quick)
    examples, texts, _, _ = split(rows, TOP_UP)
    model = ScopeModel.fit(TOP_UP, examples)
    long_texts = [" ".join(texts[i : i + 10]) for i in range(0, 20000, 10)][:2000]
    print(
        f"\nplace() throughput, {len(texts):,} queries (mean {np.mean([len(t) for t in texts]):.0f} chars), chunks of 1,000:"
    )
    for workers in (1, 2):
        runs = [throughput(model, texts, workers) for _ in range(3)]
        print(
            f"  {workers} process(es): {max(runs):>8,.0f} requests/s (best of 3; runs {', '.join(f'{r:,.0f}' for r in runs)})"
        )
    print(
        f"  long texts (mean {np.mean([len(t) for t in long_texts]):.0f} chars), 2 processes: "
        f"{max(throughput(model, long_texts, 2) for _ in range(3)):,.0f} requests/s (best of 3)"
    )
    if not args.quick:
        evaluate(
            "top-up assistant, descriptions only (no examples)", TOP_UP, rows, quick=True, with_examples=False
        )
        evaluate("card delivery assistant (second set)", CARD_DELIVERY, rows, quick=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
