"""Feedback rows (user, reviewer, customer) on a sample deployment's events, as JSON-ready dicts.

Accepted and negative rows are exact counts per week, so acceptance and negative-feedback shares
come out as the deployment's story says; every row names the event it rates. Writes nothing.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from samplegen.events import DAY, Events, epoch
from samplegen.org import DEPLOYMENTS, model_switch_week
from samplegen.templates import COMMENTS

ACCEPTED_MIN = 36  # rows with `accepted` set per week: above the minimum n of 30 for feedback rates


def _iso(ts: int) -> str:
    return str(np.datetime64(int(ts), "s")) + "Z"


def _acceptance(ev: Events, week: int, n_weeks: int) -> float:
    switch = model_switch_week(ev.dep, n_weeks)
    if switch is not None and week >= switch:
        return min(ev.dep.acceptance + 0.08, 0.95)  # the dearer model writes better emails
    return ev.dep.acceptance


def generate(ev: Events, mondays: list, seed: int) -> list[dict[str, Any]]:
    """Feedback rows of one deployment, sorted by time, with ids `f-<deployment>-<n>`."""
    dep = ev.dep
    rng = np.random.default_rng([seed, DEPLOYMENTS.index(dep), 2])
    trng = random.Random(f"{seed}/{dep.id}/comments")
    sources = list(dep.sources)
    sp = np.array(list(dep.sources.values()))
    rows: list[tuple[int, dict[str, Any]]] = []
    for i, monday in enumerate(mondays):
        pool = np.flatnonzero((ev.week == i) & (ev.requests == 0))
        extra = int(rng.integers(0, dep.feedback_floor // 3 + 1))
        f = min(len(pool), max(dep.feedback_floor, round(dep.feedback_rate * len(pool))) + extra)
        p_acc = float(np.clip(_acceptance(ev, i, len(mondays)) + rng.normal(0, 0.025), 0.05, 0.97))
        p_neg = float(np.clip(dep.negative_share + rng.normal(0, 0.012), 0.01, 0.5))
        chosen = np.sort(rng.choice(pool, size=f, replace=False))
        src = np.array(sources, dtype=object)[rng.choice(len(sources), size=f, p=sp / sp.sum())]
        # accepted: exact count set, exact count true
        a_set = _mask(rng, f, min(f, max(ACCEPTED_MIN, round(0.75 * f))))
        accepted = np.full(f, None, dtype=object)
        idx = np.flatnonzero(a_set)
        true = _mask(rng, len(idx), round(p_acc * len(idx)))
        accepted[idx] = [bool(x) for x in true]
        has_rating = (src == "customer") | (rng.random(f) < 0.8)
        has_thumbs = (src == "user") & (rng.random(f) < 0.55)
        either = np.flatnonzero(has_rating | has_thumbs)
        # negative: exact count among rows with a rating or thumbs, not-accepted rows first
        rank = np.array([0 if accepted[j] is False else (1 if accepted[j] is None else 2) for j in either])
        order = either[np.lexsort((rng.random(len(either)), rank))]
        negative = np.zeros(f, dtype=bool)
        negative[order[: round(p_neg * len(either))]] = True
        week_end = epoch(monday) + 7 * DAY
        for j in range(f):
            e = chosen[j]
            delay = min(int(rng.exponential(3 * 3600)) + 60, week_end - int(ev.ts[e]) - 60)
            rating = None
            if has_rating[j]:
                rating = int(
                    rng.choice([1, 2], p=[0.4, 0.6])
                    if negative[j]
                    else rng.choice([3, 4, 5], p=[0.15, 0.45, 0.40])
                )
            thumbs = ("down" if negative[j] else "up") if has_thumbs[j] else None
            rework = None
            if accepted[j] is not None and (src[j] == "reviewer" or rng.random() < 0.3):
                rework = (
                    int(rng.integers(5, 45))
                    if accepted[j] is False
                    else (0 if rng.random() < 0.8 else int(rng.integers(2, 6)))
                )
            comment = None
            if rng.random() < (0.8 if negative[j] else 0.35):
                in_scope = ev.use_case[e] in dep.approved
                kind = "bad" if negative[j] else ("good" if in_scope else "off_scope")
                comment = trng.choice(COMMENTS[dep.id][kind])
            rows.append(
                (
                    int(ev.ts[e]) + max(delay, 0),
                    {
                        "timestamp": "",
                        "deployment": dep.id,
                        "feedback_id": "",
                        "event_id": ev.event_id[e],
                        "source": src[j],
                        "rating": rating,
                        "thumbs": thumbs,
                        "accepted": None if accepted[j] is None else bool(accepted[j]),
                        "rework_minutes": rework,
                        "comment": comment,
                    },
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]["event_id"]))
    out = []
    for n, (ts, row) in enumerate(rows, start=1):
        row["timestamp"] = _iso(ts)
        row["feedback_id"] = f"f-{dep.id}-{n:05d}"
        out.append(row)
    return out


def _mask(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if k > 0:
        mask[rng.choice(n, size=min(k, n), replace=False)] = True
    return mask
