"""Usage events of one sample deployment, column-wise, from seeded generators.

Story-critical quantities (out-of-scope requests, personal data, unapproved teams, data-class
violations) are exact counts per week, so the stories fire with margin at any scale. Writes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from postlaunch.rules import DATA_CLASSES
from samplegen import texts
from samplegen.org import (
    DEPLOYMENTS,
    MS_PER_TOKEN,
    PRICES,
    Deployment,
    model_switch_week,
    out_of_scope_share,
)

OUTCOMES = ("ok", "error", "refused", "escalated")
DAY = 86_400
GROWTH = {"hr-assistant": 0.15}  # relative growth of weekly volume over the whole period
SWITCHED_MODEL = "gpt-4.1-mini"
SWITCH_SECONDS = 7 * 3600 + 45 * 60  # Monday 07:45Z


@dataclass
class Events:
    """One deployment's usage rows, sorted by time; `requests` 0 means the column is left empty."""

    dep: Deployment
    ts: np.ndarray
    week: np.ndarray
    user: np.ndarray
    team: np.ndarray
    use_case: np.ndarray  # the true use case, labelled or not
    labelled: np.ndarray
    text: np.ndarray
    pii: np.ndarray
    model: np.ndarray
    tokens_in: np.ndarray
    tokens_out: np.ndarray
    latency: np.ndarray
    outcome: np.ndarray
    data_class: np.ndarray
    cost: np.ndarray
    requests: np.ndarray
    event_id: np.ndarray


def epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _exact(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """A boolean mask of length n with exactly k True at random places."""
    mask = np.zeros(n, dtype=bool)
    if k > 0:
        mask[rng.choice(n, size=min(k, n), replace=False)] = True
    return mask


def _use_cases(rng: np.random.Generator, dep: Deployment, n: int, p_off: float) -> np.ndarray:
    approved = [u for u in dep.mix if u in dep.approved]
    other = [u for u in dep.mix if u not in dep.approved]
    k_off = round(p_off * n)
    pa = np.array([dep.mix[u] for u in approved])
    po = np.array([dep.mix[u] for u in other])
    counts = list(rng.multinomial(n - k_off, pa / pa.sum())) + list(rng.multinomial(k_off, po / po.sum()))
    out = np.repeat(np.array(approved + other, dtype=object), counts)
    return out[rng.permutation(n)]


def _users(rng: np.random.Generator, dep: Deployment) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per team: user ids and Zipf-like activity weights."""
    total = sum(dep.team_users.values())
    numbers = rng.choice(90_000, size=total, replace=False) + 10_000
    out, at = {}, 0
    for team, size in dep.team_users.items():
        ids = np.array([f"emp-{x}" for x in numbers[at : at + size]], dtype=object)
        w = 1.0 / np.arange(1, size + 1) ** 0.7
        out[team] = (ids, w / w.sum())
        at += size
    return out


def _week(
    rng: np.random.Generator,
    dep: Deployment,
    i: int,
    n_weeks: int,
    monday: date,
    scale: float,
    users: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, np.ndarray]:
    trend = 1.0 + GROWTH.get(dep.id, 0.0) * i / max(n_weeks - 1, 1)
    n = max(
        dep.floor_events,
        round(dep.base_events * scale * trend * float(np.clip(rng.normal(1, 0.03), 0.9, 1.1))),
    )
    day_p = np.array([1, 1, 1, 1, 0.95, dep.weekend_weight, dep.weekend_weight * 0.7])
    days = rng.choice(7, size=n, p=day_p / day_p.sum())
    secs = rng.normal(13 * 3600, 3.2 * 3600, size=n)
    outside = (secs < 5.5 * 3600) | (secs > 22 * 3600)
    secs[outside] = rng.uniform(5.5 * 3600, 22 * 3600, int(outside.sum()))
    secs = secs.astype(np.int64)
    ts = epoch(monday) + days * DAY + secs

    # Teams and users: an exact number of events from unapproved teams.
    off_team = _exact(rng, n, round(dep.unapproved_team_share * n))
    team = np.empty(n, dtype=object)
    user = np.empty(n, dtype=object)
    approved = [t for t in dep.approved_teams if t in dep.team_users]  # a new team starts later (new_team)
    sizes = np.array([dep.team_users[t] for t in approved], dtype=float)
    team[~off_team] = np.array(approved, dtype=object)[
        rng.choice(len(approved), size=int((~off_team).sum()), p=sizes / sizes.sum())
    ]
    team[off_team] = np.array(dep.unapproved_teams, dtype=object)[
        rng.integers(0, len(dep.unapproved_teams), int(off_team.sum()))
    ]
    for t, (ids, w) in users.items():
        sel = team == t
        user[sel] = ids[rng.choice(len(ids), size=int(sel.sum()), p=w)]

    # Use cases: labelled and unlabeled groups each carry exactly the week's out-of-scope share.
    p_off, story = out_of_scope_share(dep, i, n_weeks)
    if not story:  # ordinary weeks wobble a little; story weeks are exact
        p_off *= float(np.clip(rng.normal(1, 0.2), 0.6, 1.4))
    unlabeled = _exact(rng, n, round(dep.unlabeled_share * n))
    use_case = np.empty(n, dtype=object)
    use_case[~unlabeled] = _use_cases(rng, dep, int((~unlabeled).sum()), p_off)
    use_case[unlabeled] = _use_cases(rng, dep, int(unlabeled.sum()), p_off)
    has_text = unlabeled | (rng.random(n) < dep.text_share)

    # Personal data: exact counts among texts, in scope and out of scope.
    in_scope = np.isin(use_case, list(dep.approved))
    pii = np.zeros(n, dtype=bool)
    wobble = float(np.clip(rng.normal(1, 0.12), 0.75, 1.25))
    for group, share in (
        (has_text & in_scope, dep.pii_share),
        (has_text & ~in_scope, dep.pii_share_off_scope),
    ):
        idx = np.flatnonzero(group)
        pii[idx[_exact(rng, len(idx), round(share * wobble * len(idx)))]] = True

    p_out = np.array([1 - sum(dep.outcomes.values()), *(dep.outcomes.get(o, 0.0) for o in OUTCOMES[1:])])
    outcome = np.array(OUTCOMES, dtype=object)[rng.choice(4, size=n, p=p_out)]
    classes = list(dep.data_class_mix)
    pc = np.array(list(dep.data_class_mix.values()))
    data_class = np.array(classes, dtype=object)[rng.choice(len(classes), size=n, p=pc / pc.sum())]
    above = DATA_CLASSES[min(DATA_CLASSES.index(dep.max_data_class) + 1, len(DATA_CLASSES) - 1)]
    data_class[_exact(rng, n, round(dep.violation_share * n))] = above

    model = np.full(n, dep.model, dtype=object)
    switch = model_switch_week(dep, n_weeks)
    if switch is not None and i > switch:
        model[:] = SWITCHED_MODEL
    elif switch is not None and i == switch:
        model[ts >= epoch(monday) + SWITCH_SECONDS] = SWITCHED_MODEL
    tin = np.round(dep.tokens[0] * rng.lognormal(0, 0.45, n)).astype(np.int64)
    tout = np.round(dep.tokens[1] * rng.lognormal(0, 0.5, n)).astype(np.int64)
    tout[outcome == "error"] = 0
    refused = outcome == "refused"
    tout[refused] = rng.integers(20, 60, int(refused.sum()))
    ms = np.array([MS_PER_TOKEN[m] for m in model])
    latency = np.round(250 + tout * ms * rng.lognormal(0, 0.25, n)).astype(np.int64)
    err = outcome == "error"
    latency[err] = np.where(
        rng.random(int(err.sum())) < 0.5, 30_000, rng.integers(300, 2_000, int(err.sum()))
    )
    return {
        "ts": ts,
        "user": user,
        "team": team,
        "use_case": use_case,
        "labelled": ~unlabeled,
        "has_text": has_text,
        "pii": pii,
        "model": model,
        "tokens_in": tin,
        "tokens_out": tout,
        "latency": latency,
        "outcome": outcome,
        "data_class": data_class,
        "requests": np.zeros(n, np.int64),
    }


def _bulk(rng: np.random.Generator, dep: Deployment, monday: date) -> dict[str, np.ndarray]:
    """Nightly batch rows standing for many requests (`requests` > 1), no request text."""
    k = dep.bulk_rows_per_week
    days = np.array([1, 4, 2, 3, 0][:k])
    ts = epoch(monday) + days * DAY + 2 * 3600 + rng.integers(0, 1800, k)
    req = rng.integers(12, 41, k).astype(np.int64)
    approved = list(dep.approved)
    return {
        "ts": ts,
        "user": np.full(k, "svc-nightly-batch", dtype=object),
        "team": np.array([dep.approved_teams[j % len(dep.approved_teams)] for j in range(k)], dtype=object),
        "use_case": np.full(k, approved[0], dtype=object),
        "labelled": np.ones(k, bool),
        "has_text": np.zeros(k, bool),
        "pii": np.zeros(k, bool),
        "model": np.full(k, dep.model, dtype=object),
        "tokens_in": req * dep.tokens[0],
        "tokens_out": req * dep.tokens[1],
        "latency": rng.integers(4_000, 9_000, k).astype(np.int64),
        "outcome": np.full(k, "ok", dtype=object),
        "data_class": np.full(k, dep.max_data_class, dtype=object),
        "requests": req,
    }


def new_team_users(dep: Deployment) -> list[str]:
    """The user ids of the deployment's new team (none without one)."""
    if dep.new_team is None:
        return []
    team, size, _, _ = dep.new_team
    return [f"emp-{team}-{k + 1:02d}" for k in range(size)]


def _new_team(
    rng: np.random.Generator, dep: Deployment, cols: dict[str, np.ndarray], week: np.ndarray, n_weeks: int
) -> None:
    """A new team takes over an exact share of each of the last weeks' single requests (its own rng, so
    every other column and story stays as it was): same requests, new team and users."""
    assert dep.new_team is not None
    team, _, share, weeks_back = dep.new_team
    users = np.array(new_team_users(dep), dtype=object)
    for i in range(n_weeks - weeks_back, n_weeks):
        idx = np.flatnonzero(
            (week == i) & (cols["requests"] == 0) & np.isin(cols["team"], dep.approved_teams)
        )
        picks = idx[_exact(rng, len(idx), round(share * int((week == i).sum())))]
        cols["team"][picks] = team
        cols["user"][picks] = users[rng.integers(0, len(users), len(picks))]


def generate(dep: Deployment, mondays: list[date], scale: float, seed: int) -> Events:
    """All usage rows of one deployment over the given weeks."""
    rng = np.random.default_rng([seed, DEPLOYMENTS.index(dep), 1])
    users = _users(rng, dep)
    parts, weeks = [], []
    for i, monday in enumerate(mondays):
        for part in (
            _week(rng, dep, i, len(mondays), monday, scale, users),
            _bulk(rng, dep, monday) if dep.bulk_rows_per_week else None,
        ):
            if part is not None:
                parts.append(part)
                weeks.append(np.full(len(part["ts"]), i, dtype=np.int64))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    week = np.concatenate(weeks)
    order = np.argsort(cols["ts"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    week = week[order]

    if dep.new_team is not None:
        _new_team(np.random.default_rng([seed, DEPLOYMENTS.index(dep), 2]), dep, cols, week, len(mondays))

    trng = random.Random(f"{seed}/{dep.id}/text")
    text = np.full(len(week), "", dtype=object)
    for j in np.flatnonzero(cols["has_text"]):
        text[j] = texts.request_text(dep.id, cols["use_case"][j], trng, bool(cols["pii"][j]))

    pin = np.array([PRICES[m][0] for m in cols["model"]])
    pout = np.array([PRICES[m][1] for m in cols["model"]])
    raw = (cols["tokens_in"] * pin + cols["tokens_out"] * pout) / 1e6
    switch = model_switch_week(dep, len(mondays))
    base_weeks = switch if switch is not None else len(mondays)
    per_week = np.bincount(week, weights=raw, minlength=len(mondays))[:base_weeks]
    cost = np.round(raw * dep.usage_cost / per_week.mean(), 6)
    ids = np.array([f"u-{dep.id}-{j:06d}" for j in range(1, len(week) + 1)], dtype=object)
    return Events(
        dep=dep,
        ts=cols["ts"],
        week=week,
        user=cols["user"],
        team=cols["team"],
        use_case=cols["use_case"],
        labelled=cols["labelled"],
        text=text,
        pii=cols["pii"],
        model=cols["model"],
        tokens_in=cols["tokens_in"],
        tokens_out=cols["tokens_out"],
        latency=cols["latency"],
        outcome=cols["outcome"],
        data_class=cols["data_class"],
        cost=cost,
        requests=cols["requests"],
        event_id=ids,
    )
