"""The week's standing decision as the minutes, the pack and the digest show it: one list of labelled
lines, filled from the decision record, or blank lines to fill in when nothing is decided yet. Pure:
a `DecisionRecord` (or None) in, text out; it never reads the log (`postlaunch.decisions` does).
"""

from __future__ import annotations

from postlaunch.decisions import DecisionRecord

LABELS = ("decision", "rationale", "decided by", "attendees", "actions", "next review")
BLANK = "______________________"


def decision_lines(record: DecisionRecord | None) -> list[tuple[str, str]]:
    """(label, value) per line of the Decision section; blank values when no decision stands."""
    if record is None:
        return [(label, "") for label in LABELS]
    return [
        ("decision", record.decision.upper()),
        ("rationale", record.rationale),
        ("decided by", record.decided_by),
        ("attendees", ", ".join(record.attendee_list) or "not recorded"),
        ("actions", record.actions or "none recorded"),
        ("next review", record.next_review.isoformat() if record.next_review else "not set"),
    ]


def record_line(record: DecisionRecord) -> str:
    """`decision #12, recorded 2026-11-30 14:02 UTC (supersedes #11), hash 3f2a9c1e04b7…`."""
    supersedes = f" (supersedes #{record.supersedes})" if record.supersedes else ""
    return (
        f"decision #{record.seq}, recorded {record.decided_at:%Y-%m-%d %H:%M} UTC{supersedes}, "
        f"hash {record.hash[:12]}…"
    )
