"""The weekly digest as its readers get it: an e-mail subject, a plain-text body, an HTML body that mail
clients show as meant (tables and inline styles only: no stylesheet, no script, no image) and the
webhook's JSON (a `text` field that Slack and Teams show, plus the structured `deployments`). Pure: a
`Digest` in, text out; what is sent to whom is `actions.notify`.
"""

from __future__ import annotations

import html
from typing import Any

from postlaunch import fmt
from postlaunch.catalog import ACTIONS
from report import layout
from report.digest import Digest, Entry

MAX_REASONS = 3
MAX_ALERTS = 5
LEVEL_WORD = {"critical": "CRITICAL", "warn": "WARNING", "unknown": "UNKNOWN", "ok": "OK"}
LEVEL_COLOR = {**layout.STATUS_COLOR, "unknown": "#8c8c8c"}


def _counts(digest: Digest) -> str:
    """`1 stop, 1 pause, 1 limit, 1 expand` (and `1 without data`)."""
    actions = [e.recommendation for e in digest.entries]
    parts = [f"{actions.count(a)} {a}" for a in reversed(ACTIONS) if a in actions]
    if None in actions:
        parts.append(f"{actions.count(None)} without data")
    return ", ".join(parts)


def headline(digest: Digest) -> str:
    """`4 deployments: 1 stop, 1 pause, 1 limit, 1 expand · 1 review overdue · 1 reporting deadline passed`."""
    parts = [f"{fmt.plural(len(digest.entries), 'deployment')}: {_counts(digest)}"]
    if digest.overdue_reviews:
        parts.append(f"{fmt.plural(len(digest.overdue_reviews), 'review')} overdue")
    passed = sum(1 for _, d in digest.deadlines if d.overdue)
    if passed:
        parts.append(f"{fmt.plural(passed, 'reporting deadline')} passed")
    return " · ".join(parts)


def subject(digest: Digest) -> str:
    """One deployment: its name and recommendation; several: the week and the counts."""
    if len(digest.entries) == 1:
        e = digest.entries[0]
        what = (e.recommendation or "no data").upper()
        alerts = _alert_counts(e)
        return f"[postlaunch] {digest.week} {e.name}: {what}" + (f" ({alerts})" if alerts else "")
    return f"[postlaunch] {digest.week} digest: {_counts(digest)}"


def _alert_counts(e: Entry) -> str:
    parts = [f"{e.critical} critical" if e.critical else "", f"{e.warn} warn" if e.warn else ""]
    return ", ".join(p for p in parts if p)


def _review_line(e: Entry) -> str:
    parts = []
    if e.next_review:
        parts.append(f"next review {e.next_review}" + (" — OVERDUE" if e.review_overdue else ""))
    if e.decision is not None:
        parts.append(f"decided this week: {e.decision.decision.upper()} by {e.decision.decided_by}")
    elif e.last_decision:
        parts.append(f"last decision {e.last_decision.upper()} ({e.last_decision_week})")
    else:
        parts.append("no decision recorded yet")
    return " · ".join(parts)


# --- plain text ------------------------------------------------------------------------------------------


def _text_entry(e: Entry) -> list[str]:
    what = (e.recommendation or "no data").upper()
    lines = [
        f"== {LEVEL_WORD.get(e.level, e.level)} · {e.name} — {what} ==",
        f"{e.risk_tier} risk · owner {e.owner}",
    ]
    if e.note:
        lines.append(f"No review: {e.note}.")
    if e.reasons:
        lines.append("Why:")
        lines += [f"  - {r}" for r in e.reasons[:MAX_REASONS]]
        if len(e.reasons) > MAX_REASONS:
            lines.append(f"  - and {len(e.reasons) - MAX_REASONS} more (see the review)")
    others = e.other_alerts
    if others:
        lines.append(f"{'Other alerts' if e.reasons else 'Alerts'} ({_alert_counts(e)} in all):")
        lines += [f"  - {a.level.upper()} {a.message}" for a in others[:MAX_ALERTS]]
        if len(others) > MAX_ALERTS:
            lines.append(f"  - and {len(others) - MAX_ALERTS} more")
    if e.deadlines:
        lines.append("Reporting deadlines of serious incidents:")
        lines += [
            f"  - {d.incident_id} ({d.severity}) {d.title or ''}: {d.text}".replace(" :", ":")
            for d in e.deadlines
        ]
    lines.append("Review: " + _review_line(e))
    if e.numbers:
        lines.append("This week: " + " · ".join(f"{label} {value}" for label, value in e.numbers))
    lines += [f"{view.capitalize()}: {url}" for view, url in e.links.items() if view != "evidence"]
    if e.pack:
        lines.append(f"Attached: {e.pack[0]} (the review pack)")
    return lines


def text(digest: Digest, audience: str = "") -> str:
    """The plain-text body."""
    lines = [f"postlaunch weekly digest · {fmt.week_label(digest.week)}", headline(digest)]
    if digest.links:
        lines.append(f"Portfolio: {digest.links['portfolio']}")
    for e in digest.entries:
        lines += [""] + _text_entry(e)
    lines += ["", "The dashboard recommends; the owner decides."]
    if audience:
        lines.append(audience)
    if not digest.dashboard_url:
        lines.append("(No links: set dashboard_url to the dashboard's address.)")
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------------------------

_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif;"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pill(word: str, color: str) -> str:
    return (
        f'<span style="display:inline-block;padding:2px 8px;border-radius:10px;background:{color};color:#fff;'
        f'font-size:12px;font-weight:700;letter-spacing:.03em;white-space:nowrap">{_e(word)}</span>'
    )


def _link(url: str, label: str) -> str:
    return f'<a href="{_e(url)}" style="color:#1f4e79;font-weight:600">{_e(label)}</a>'


def _row(e: Entry) -> str:
    action = e.recommendation or "no data"
    cell = 'style="padding:6px 8px;border-bottom:1px solid #e6e6e6;vertical-align:top"'
    name = _link(e.links["weekly review"], e.name) if e.links else _e(e.name)
    review = _e(e.next_review or "—") + (' <b style="color:#c62828">OVERDUE</b>' if e.review_overdue else "")
    return (
        f"<tr><td {cell}>{_pill(e.level, LEVEL_COLOR.get(e.level, '#8c8c8c'))}</td>"
        f'<td {cell}>{name}<br><span style="color:#666;font-size:12px">{_e(e.risk_tier)} risk · {_e(e.owner)}</span></td>'
        f"<td {cell}>{_pill(action.upper(), layout.ACTION_COLOR.get(action, '#8c8c8c'))}</td>"
        f"<td {cell}>{_e(_alert_counts(e) or 'none')}</td><td {cell}>{review}</td></tr>"
    )


def _section(e: Entry) -> str:
    action = e.recommendation or "no data"
    color = layout.ACTION_COLOR.get(action, "#8c8c8c")
    parts = [
        f'<div style="border-left:6px solid {color};background:#fafafa;padding:10px 14px;margin:14px 0">',
        f'<div style="font-size:16px;font-weight:700">{_e(e.name)} — '
        f'<span style="color:{color}">{_e(action.upper())}</span></div>',
        f'<div style="color:#666;font-size:12px;margin-bottom:6px">{_e(e.risk_tier)} risk · owner {_e(e.owner)} · '
        f"{_e(LEVEL_WORD.get(e.level, e.level))}</div>",
    ]
    if e.note:
        parts.append(f'<p style="margin:4px 0">No review: {_e(e.note)}.</p>')
    if e.reasons:
        items = "".join(f"<li>{_e(r)}</li>" for r in e.reasons[:MAX_REASONS])
        more = (
            f"<li>and {len(e.reasons) - MAX_REASONS} more (see the review)</li>"
            if len(e.reasons) > MAX_REASONS
            else ""
        )
        parts.append(
            f'<div style="font-weight:600;margin-top:6px">Why</div><ul style="margin:2px 0 4px 18px;padding:0">{items}{more}</ul>'
        )
    others = e.other_alerts
    if others:
        items = "".join(
            f"<li>{_pill(a.level, LEVEL_COLOR.get(a.level, '#8c8c8c'))} {_e(a.message)}</li>"
            for a in others[:MAX_ALERTS]
        )
        more = f"<li>and {len(others) - MAX_ALERTS} more</li>" if len(others) > MAX_ALERTS else ""
        title = "Other alerts" if e.reasons else "Alerts"
        parts.append(
            f'<div style="font-weight:600;margin-top:6px">{title} ({_e(_alert_counts(e))} in all)</div>'
            f'<ul style="margin:2px 0 4px 18px;padding:0;line-height:1.6">{items}{more}</ul>'
        )
    if e.deadlines:
        items = "".join(
            f"<li><b>{_e(d.incident_id)}</b> ({_e(d.severity)}) {_e(d.title or '')}: "
            f'<span style="color:{"#c62828" if d.overdue else "#ef8f00"};font-weight:700">{_e(d.text)}</span></li>'
            for d in e.deadlines
        )
        parts.append(
            f'<div style="font-weight:600;margin-top:6px">Reporting deadlines of serious incidents</div>'
            f'<ul style="margin:2px 0 4px 18px;padding:0">{items}</ul>'
        )
    overdue = "color:#c62828;font-weight:700;" if e.review_overdue else ""
    parts.append(f'<div style="margin-top:6px;{overdue}">Review: {_e(_review_line(e))}</div>')
    if e.numbers:
        numbers = " · ".join(f"{_e(label)} <b>{_e(value)}</b>" for label, value in e.numbers)
        parts.append(f'<div style="margin-top:4px;color:#333">This week: {numbers}</div>')
    if e.links:
        views = " · ".join(
            _link(url, f"Open the {view}") for view, url in e.links.items() if view != "evidence"
        )
        parts.append(f'<div style="margin-top:6px">{views}</div>')
    if e.pack:
        parts.append(
            f'<div style="margin-top:4px;color:#555;font-size:12px">Attached: {_e(e.pack[0])} (the review pack)</div>'
        )
    parts.append("</div>")
    return "".join(parts)


def html_body(digest: Digest, audience: str = "") -> str:
    """The HTML body: headline, the portfolio table, one section per deployment."""
    head = (
        '<tr><th align="left" style="padding:6px 8px;background:#f3f4f6">status</th>'
        '<th align="left" style="padding:6px 8px;background:#f3f4f6">deployment</th>'
        '<th align="left" style="padding:6px 8px;background:#f3f4f6">recommends</th>'
        '<th align="left" style="padding:6px 8px;background:#f3f4f6">alerts</th>'
        '<th align="left" style="padding:6px 8px;background:#f3f4f6">next review</th></tr>'
    )
    portfolio = _link(digest.links["portfolio"], "Open the Portfolio") if digest.links else ""
    table = (  # the portfolio at a glance, when there is more than one deployment to compare
        '<table cellspacing="0" cellpadding="0" style="border-collapse:collapse;width:100%;font-size:13px">'
        f"{head}{''.join(_row(e) for e in digest.entries)}</table>"
        if len(digest.entries) > 1
        else ""
    )
    no_links = (
        ""
        if digest.dashboard_url
        else '<p style="color:#777;font-size:12px">No links: set dashboard_url to the dashboard\'s address.</p>'
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(subject(digest))}</title></head>"
        f'<body style="margin:0;background:#f6f7f9;{_FONT}color:#1b1b1b">'
        f'<div style="max-width:720px;margin:0 auto;background:#fff;padding:20px 24px;font-size:14px;line-height:1.45">'
        f'<div style="color:#666;font-size:12px">postlaunch weekly digest</div>'
        f'<h1 style="font-size:20px;margin:2px 0 6px">{_e(fmt.week_label(digest.week))}</h1>'
        f'<p style="margin:0 0 10px">{_e(headline(digest))}. {portfolio}</p>'
        f"{table}"
        f"{''.join(_section(e) for e in digest.entries)}"
        f'<p style="color:#777;font-size:12px;margin-top:18px">The dashboard recommends; the owner decides. '
        f"{_e(audience)}</p>{no_links}</div></body></html>"
    )


# --- webhook ---------------------------------------------------------------------------------------------


def _short_line(e: Entry) -> str:
    what = (e.recommendation or "no data").upper()
    parts = [f"{LEVEL_WORD.get(e.level, e.level)} {e.name}: {what}"]
    alerts = _alert_counts(e)
    if alerts:
        parts.append(alerts)
    parts += [f"{d.incident_id} {d.text}" for d in e.deadlines]
    if e.review_overdue:
        parts.append(f"review OVERDUE (was due {e.next_review})")
    line = " — ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if len(parts) > 2 else "")
    return line + (f" {e.links['weekly review']}" if e.links else "")


def webhook_payload(digest: Digest) -> dict[str, Any]:
    """One JSON document per webhook: `text` (what Slack and Teams show) and the structured digest."""
    lines = [f"postlaunch weekly digest {fmt.week_label(digest.week)}: {headline(digest)}"]
    lines += [_short_line(e) for e in digest.entries]
    if digest.links:
        lines.append(f"Portfolio: {digest.links['portfolio']}")
    return {
        "text": "\n".join(lines),
        "week": digest.week,
        "level": digest.level,
        "deployments": [
            {
                "deployment": e.deployment,
                "name": e.name,
                "owner": e.owner,
                "risk_tier": e.risk_tier,
                "level": e.level,
                "recommendation": e.recommendation,
                "reasons": e.reasons,
                "alerts": [{"metric": a.metric, "level": a.level, "message": a.message} for a in e.alerts],
                "critical_alerts": e.critical,
                "warn_alerts": e.warn,
                "incident_deadlines": [
                    {
                        "incident_id": d.incident_id,
                        "severity": d.severity,
                        "text": d.text,
                        "overdue": d.overdue,
                    }
                    for d in e.deadlines
                ],
                "next_review": e.next_review,
                "review_overdue": e.review_overdue,
                "decision": e.decision.decision if e.decision else None,
                "note": e.note,
                "links": e.links,
            }
            for e in digest.entries
        ],
    }
