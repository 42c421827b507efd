"""The deliberately bad rows of the sample, a fixed number of each kind (see MESSY_ROWS).

Each function takes the clean rows of one file and returns them with the messy rows in place;
messy rows never touch support-triage and never replace a clean row, so no story changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ingest.kinds import KINDS

# kind -> reason -> rows injected, whatever --weeks, --seed and --scale are.
MESSY_ROWS: dict[str, dict[str, int]] = {
    "usage": {"unknown_deployment": 24, "bad_timestamp": 6, "negative_tokens": 1, "duplicate": 40},
    "feedback": {"bad_rating": 3, "unknown_deployment": 4, "bad_timestamp": 2, "duplicate": 8},
    "cost": {"unknown_deployment": 2},
    "training": {"unknown_deployment": 2, "expires_before_completion": 1},
}
UNKNOWN_DEPLOYMENT = "legacy-bot"
BAD_TIMESTAMPS = [
    "not recorded",
    "2026-02-30T10:00:00Z",
    "31/13/2026 09:15",
    "yesterday 14:00",
    "TBD",
    "2026-13-01T08:00:00Z",
]
BAD_FEEDBACK_TIMESTAMPS = ["last Tuesday", "2026-11-31T09:00:00Z"]
BAD_RATINGS = [0, 6, 7]
SPARE = ("hr-assistant", "sales-email-drafter", "claims-summarizer")  # deployments messy rows may touch
LEGACY_TEXTS = [
    "Where do I find the VPN setup guide?",
    "How do I reset my laptop password?",
    "What are the office opening hours on Friday?",
    "Who do I ask for a new monitor?",
]

# usage.csv columns, in the order the contract declares them (ingest/kinds.py)
USAGE_COLUMNS = KINDS["usage"].names
_I = {c: i for i, c in enumerate(USAGE_COLUMNS)}


def _spare(rows: list[Any], deployment_of: Any, rng: np.random.Generator, k: int) -> list[int]:
    """k distinct indices of rows from deployments the messy rows may touch, in file order."""
    idx = [i for i, r in enumerate(rows) if deployment_of(r) in SPARE]
    return sorted(int(x) for x in rng.choice(idx, size=k, replace=False))


def _insert(rows: list[Any], extra: list[tuple[int, Any]]) -> list[Any]:
    """Insert each (after_index, row) after the clean row at after_index (-1 = at the top)."""
    by_pos: dict[int, list[Any]] = {}
    for pos, row in extra:
        by_pos.setdefault(pos, []).append(row)
    out = list(by_pos.get(-1, []))
    for i, row in enumerate(rows):
        out.append(row)
        out.extend(by_pos.get(i, []))
    return out


def usage(rows: list[list[str]], seed: int) -> list[list[str]]:
    rng = np.random.default_rng([seed, 99, 1])
    m = MESSY_ROWS["usage"]
    extra: list[tuple[int, list[str]]] = []
    for k in range(m["unknown_deployment"]):
        pos = int(rng.integers(0, len(rows)))
        extra.append(
            (
                pos,
                [
                    rows[pos][0],
                    UNKNOWN_DEPLOYMENT,
                    f"emp-{int(rng.integers(10000, 99999))}",
                    f"u-{UNKNOWN_DEPLOYMENT}-{k + 1:06d}",
                    "support-l1",
                    "faq_answer",
                    LEGACY_TEXTS[k % len(LEGACY_TEXTS)],
                    "gpt-3.5-turbo",
                    str(int(rng.integers(200, 900))),
                    str(int(rng.integers(40, 200))),
                    str(int(rng.integers(400, 1500))),
                    "ok",
                    "internal",
                    "0.000800",
                    "",
                ],
            )
        )
    picks = _spare(rows, lambda r: r[1], rng, m["bad_timestamp"] + m["negative_tokens"] + m["duplicate"])
    rng.shuffle(picks)
    bad_ts, neg, dup = (
        picks[: m["bad_timestamp"]],
        picks[m["bad_timestamp"] : m["bad_timestamp"] + 1],
        picks[m["bad_timestamp"] + 1 :],
    )
    for k, pos in enumerate(bad_ts):
        row = list(rows[pos])
        row[_I["timestamp"]] = BAD_TIMESTAMPS[k % len(BAD_TIMESTAMPS)]
        row[_I["event_id"]] = f"u-{row[1]}-x{k + 1:04d}"
        extra.append((pos, row))
    for k, pos in enumerate(neg):
        row = list(rows[pos])
        row[_I["input_tokens"]] = "-120"
        row[_I["event_id"]] = f"u-{row[1]}-x{100 + k + 1:04d}"
        extra.append((pos, row))
    extra.extend((pos, list(rows[pos])) for pos in dup)
    return _insert(rows, extra)


def feedback(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([seed, 99, 2])
    m = MESSY_ROWS["feedback"]
    extra: list[tuple[int, dict[str, Any]]] = []
    picks = _spare(
        rows, lambda r: r["deployment"], rng, m["bad_rating"] + m["bad_timestamp"] + m["duplicate"]
    )
    rng.shuffle(picks)
    bad_r, bad_ts, dup = (
        picks[: m["bad_rating"]],
        picks[m["bad_rating"] : m["bad_rating"] + m["bad_timestamp"]],
        picks[m["bad_rating"] + m["bad_timestamp"] :],
    )
    for k, pos in enumerate(bad_r):
        row = dict(rows[pos], rating=BAD_RATINGS[k % len(BAD_RATINGS)], thumbs=None)
        row["feedback_id"] = f"f-{row['deployment']}-x{k + 1:03d}"
        extra.append((pos, row))
    for k, pos in enumerate(bad_ts):
        row = dict(rows[pos], timestamp=BAD_FEEDBACK_TIMESTAMPS[k % len(BAD_FEEDBACK_TIMESTAMPS)])
        row["feedback_id"] = f"f-{row['deployment']}-x{10 + k + 1:03d}"
        extra.append((pos, row))
    for k in range(m["unknown_deployment"]):
        pos = int(rng.integers(0, len(rows)))
        extra.append(
            (
                pos,
                {
                    "timestamp": rows[pos]["timestamp"],
                    "deployment": UNKNOWN_DEPLOYMENT,
                    "feedback_id": f"f-{UNKNOWN_DEPLOYMENT}-{k + 1:05d}",
                    "event_id": f"u-{UNKNOWN_DEPLOYMENT}-{k + 1:06d}",
                    "source": "user",
                    "rating": 4,
                    "thumbs": "up",
                    "accepted": None,
                    "rework_minutes": None,
                    "comment": None,
                },
            )
        )
    extra.extend((pos, dict(rows[pos])) for pos in dup)
    return _insert(rows, extra)


def cost(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([seed, 99, 3])
    extra = []
    for k in range(MESSY_ROWS["cost"]["unknown_deployment"]):
        pos = int(rng.integers(0, len(rows)))
        extra.append(
            (
                pos,
                {
                    "date": rows[pos]["date"],
                    "deployment": UNKNOWN_DEPLOYMENT,
                    "amount": "35.00",
                    "category": "subscription",
                    "currency": "USD",
                    "description": f"Legacy chatbot hosting, invoice {k + 1} of {MESSY_ROWS['cost']['unknown_deployment']}",
                },
            )
        )
    return _insert(rows, extra)


def training(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Training records for `legacy-bot`, and one whose expiry precedes its completion."""
    rng = np.random.default_rng([seed, 99, 4])
    m = MESSY_ROWS["training"]
    extra: list[tuple[int, dict[str, Any]]] = []
    for _ in range(m["unknown_deployment"]):
        pos = int(rng.integers(0, len(rows)))
        extra.append((pos, {**rows[pos], "user_id": f"emp-{int(rng.integers(10000, 99999))}",
                            "deployment": UNKNOWN_DEPLOYMENT, "course": "Legacy bot basics"}))  # fmt: skip
    for pos in _spare(rows, lambda r: r["deployment"], rng, m["expires_before_completion"]):
        row = dict(rows[pos])
        row["expires_at"], row["completed_at"] = row["completed_at"], row["expires_at"]
        row["user_id"] = f"{row['user_id']}-x1"
        extra.append((pos, row))
    return _insert(rows, extra)
