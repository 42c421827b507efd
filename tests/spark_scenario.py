"""A seeded scenario for the Spark rollup's equality test: 7 deployments over 12 weeks in Europe/Berlin,
2026-W43 (the clocks go back on Sunday 25 October) to 2027-W01 (across 2026-W53 and New Year), written
as Parquet the way a lake holds raw logs (text columns, one double): bad rows of every kind, duplicates
within and across files, conflicting event ids, rows without ids repeated, several requests per row,
personal data in request texts, unlabeled requests to place, timestamps as ISO with a zone, an offset
or none (some in the repeated hour), and as Unix seconds and milliseconds.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

TIMEZONE = "Europe/Berlin"
FIRST_MONDAY = datetime(2026, 10, 19)  # 2026-W43, local
WEEKS = 12  # to 2027-W01
ZONE = ZoneInfo(TIMEZONE)

DEPLOYMENTS = {
    "support-triage": (["ticket_classification", "routing_suggestion"], ["support-l1", "support-l2"], "internal", "high"),
    "hr-assistant": (["policy_question"], ["hr"], "confidential", "low"),
    "code-helper": (["code_review", "test_generation"], ["eng"], "internal", "medium"),
    "sales-email": (["email_draft"], ["sales"], "internal", "medium"),
    "claims-summarizer": (["claim_summary"], ["claims"], "restricted", "high"),
    "legal-search": (["clause_lookup"], ["legal"], "confidential", "high"),
    "it-helpdesk": (["password_reset", "access_request"], ["it"], "internal", "low"),
}  # fmt: skip
TEXTS = {
    "ticket_classification": "Classify this support ticket about a failed login after the app update",
    "routing_suggestion": "Which team should handle a refund request for a duplicate card charge",
    "policy_question": "How many days of parental leave does the company policy allow",
    "code_review": "Review this pull request that changes the retry logic of the payment client",
    "test_generation": "Write unit tests for the invoice rounding function",
    "email_draft": "Draft a follow-up email to a customer who asked for a product demo",
    "claim_summary": "Summarize the insurance claim for water damage in the kitchen",
    "clause_lookup": "Find the termination clause in the supplier agreement",
    "password_reset": "I forgot my password and cannot log in to the laptop",
    "access_request": "Please give me access to the finance shared drive",
    "off_scope": "Write a birthday poem for my colleague and suggest a restaurant for dinner",
}
PII = [" contact jane.doe@example.com", " call +44 20 7946 0958", " card 4111 1111 1111 1111", ""]


def registry() -> str:
    lines = [f'timezone = "{TIMEZONE}"', ""]
    for i, (dep, (cases, teams, max_class, tier)) in enumerate(DEPLOYMENTS.items()):
        lines += [
            f"[deployments.{dep}]",
            f'name = "{dep.replace("-", " ").title()}"',
            f'owner = "Owner {i}"',
            f'risk_tier = "{tier}"',
            "launched = 2026-09-01",
            f"approved_use_cases = {cases!r}".replace("'", '"'),
            f"approved_teams = {teams!r}".replace("'", '"'),
            f'max_data_class = "{max_class}"',
            f"weekly_budget = {200.0 + 50 * i}",
            "",
        ]
        if i % 2 == 0:  # these place unlabeled requests
            lines.append(f"[deployments.{dep}.use_case_descriptions]")
            lines += [f'{uc} = "{TEXTS[uc]}"' for uc in cases]
            lines.append("")
    return "\n".join(lines)


def _stamp(rng: random.Random, local: datetime) -> str:
    """The instant of `local` (Berlin wall clock, the later one when repeated) in one of the forms logs use."""
    instant = local.replace(tzinfo=ZONE, fold=1).astimezone(UTC)
    form = rng.random()
    if form < 0.35:
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form < 0.55:
        return local.replace(tzinfo=ZONE, fold=1).isoformat()
    if form < 0.75:
        return local.strftime("%Y-%m-%d %H:%M:%S")  # no zone: the configured one
    if form < 0.9:
        return str(int(instant.timestamp()))
    return str(int(instant.timestamp() * 1000))


def _local_time(rng: random.Random, week: int) -> datetime:
    monday = FIRST_MONDAY + timedelta(weeks=week)
    pick = rng.random()
    if pick < 0.08:  # the last half hour of the week or the first of the next
        edge = monday + timedelta(weeks=1)
        return edge + timedelta(minutes=rng.randint(-30, 29), seconds=rng.randint(0, 59))
    if week == 0 and pick < 0.16:  # the hour the clocks repeat, Sunday 25 October 02:00-03:00
        return datetime(2026, 10, 25, 2, rng.randint(0, 59), rng.randint(0, 59))
    return monday + timedelta(seconds=rng.randint(0, 7 * 86400 - 1))


def _usage_row(rng: random.Random, dep: str, week: int, n: int) -> dict[str, object]:
    cases, teams, max_class, _ = DEPLOYMENTS[dep]
    labelled = rng.random()
    if labelled < 0.55:
        use_case, text_case = rng.choice(cases), None
    elif labelled < 0.62:
        use_case, text_case = "off_scope_task", "off_scope"
    else:
        use_case, text_case = (
            None,
            rng.choice([*cases, "off_scope"] if rng.random() < 0.85 else ["off_scope"]),
        )
    case = use_case if use_case in TEXTS else text_case
    text = None
    if case is not None and rng.random() < 0.9:
        text = f"{TEXTS[case]} ({dep} {week} {n % 17}){rng.choice(PII) if rng.random() < 0.2 else ''}"
    cost = round(rng.uniform(0.001, 0.05), 5) if rng.random() < 0.8 else None
    return {
        "event_id": f"e-{dep}-{week}-{n}" if rng.random() < 0.85 else None,
        "timestamp": _stamp(rng, _local_time(rng, week)),
        "deployment": dep,
        "user_id": f"u{rng.randint(1, 40)}",
        "team": rng.choice([*teams, *teams, "contractors", None]),
        "use_case": use_case,
        "request_text": text,
        "model": rng.choice(["gpt-4o-mini", "claude-haiku-4-5"]),
        "input_tokens": str(rng.randint(50, 900)),
        "output_tokens": str(rng.randint(10, 300)),
        "latency_ms": str(rng.randint(200, 4000)),
        "outcome": rng.choice(["ok"] * 8 + ["error", "escalated", "refused", "OK"]),
        "data_class": rng.choice(["public", "internal", "internal", "confidential", "restricted", None]),
        "cost": cost,
        "requests": "3" if rng.random() < 0.05 else ("1" if rng.random() < 0.7 else None),
    }


BAD_USAGE = [
    {"deployment": "legacy-bot"},
    {"timestamp": "yesterday afternoon"},
    {"timestamp": "2026-11-31 10:00:00"},
    {"user_id": ""},
    {"outcome": "maybe"},
    {"input_tokens": "-5"},
    {"input_tokens": "12.5"},
    {"requests": "1.5"},
    {"data_class": "secret"},
    {"latency_ms": "fast"},
]


def _feedback_row(rng: random.Random, dep: str, week: int, n: int) -> dict[str, object]:
    return {
        "feedback_id": f"f-{dep}-{week}-{n}" if rng.random() < 0.9 else None,
        "timestamp": _stamp(rng, _local_time(rng, week)),
        "deployment": dep,
        "source": rng.choice(["user", "reviewer", "customer", None]),
        "rating": rng.choice(["1", "2", "3", "4", "5", "5", None]),
        "thumbs": rng.choice(["up", "down", None, "UP"]),
        "accepted": rng.choice(["true", "false", "yes", "no", "1", None]),
        "rework_minutes": rng.choice(["0", "5", "12.5", None]),
        "comment": rng.choice([None, "useful", "wrong answer, mail me at a.b@example.org"]),
    }


BAD_FEEDBACK = [
    {"rating": "7"},
    {"rating": "2.5"},
    {"accepted": "maybe"},
    {"deployment": "nowhere"},
    {"timestamp": ""},
]


def _write(path: Path, rows: list[dict[str, object]], doubles: tuple[str, ...] = ()) -> None:
    columns = list(rows[0])
    pq.write_table(
        pa.table(
            {
                c: pa.array([r.get(c) for r in rows], pa.float64() if c in doubles else pa.string())
                for c in columns
            }
        ),
        path,
    )


def write(folder: Path, seed: int = 14) -> dict[str, list[Path]]:
    """Registry and Parquet files in `folder`; file names sort in the order they are ingested."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "postlaunch.toml").write_text(registry(), encoding="utf-8")
    usage: list[dict[str, object]] = []
    feedback: list[dict[str, object]] = []
    for dep in DEPLOYMENTS:
        for week in range(WEEKS):
            volume = rng.randint(40, 120) if not (dep == "sales-email" and week == 7) else 0  # a feed gap
            usage += [_usage_row(rng, dep, week, n) for n in range(volume)]
            feedback += [_feedback_row(rng, dep, week, n) for n in range(rng.randint(5, 25))]
    for i, bad in enumerate(BAD_USAGE * 3):
        usage.insert(
            rng.randrange(len(usage)), {**_usage_row(rng, "hr-assistant", i % WEEKS, 90_000 + i), **bad}
        )
    for i, bad in enumerate(BAD_FEEDBACK * 2):
        feedback.insert(
            rng.randrange(len(feedback)), {**_feedback_row(rng, "hr-assistant", i % WEEKS, 90_000 + i), **bad}
        )
    rng.shuffle(usage)
    parts = [usage[i::4] for i in range(4)]
    # the same rows again in a later file (duplicates), rows without id repeated, and conflicting ids
    repeats = rng.sample(parts[0], 60) + [r for r in parts[1] if r["event_id"] is None][:20]
    conflicts = [
        {**r, "outcome": "error" if r["outcome"] != "error" else "ok"}
        for r in rng.sample(parts[2], 15)
        if r["event_id"]
    ]
    parts[3] += repeats + conflicts + parts[3][:10]  # and repeats inside one file
    files: dict[str, list[Path]] = {"usage": [], "feedback": []}
    for i, part in enumerate(parts, start=1):
        path = folder / f"usage-{i:02d}.parquet"
        _write(path, part, doubles=("cost",))
        files["usage"].append(path)
    rng.shuffle(feedback)
    fparts = [feedback[::2], feedback[1::2] + rng.sample(feedback, 30)]
    for i, part in enumerate(fparts, start=1):
        path = folder / f"feedback-{i:02d}.parquet"
        _write(path, part)
        files["feedback"].append(path)
    return files
