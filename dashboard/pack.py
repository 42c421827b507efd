"""The review pack: the Weekly review as ONE self-contained HTML file to attach to the minutes —
inline CSS, plotly's JavaScript inlined once, no external resource, so it opens offline.
`render_html` renders the review JSON it is given; `build_pack` gathers its trends and change
records through `metrics` on a connection it is handed. Nothing here writes.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from dashboard import charts, fmt
from metrics.catalog import BY_NAME, CATEGORIES

_CSS = """
body{font-family:Inter,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e3e3;padding-bottom:4px}
.sub{color:#555;font-size:13px;margin:2px 0}
.rec{border-left:8px solid var(--c);background:#fafafa;border-radius:6px;padding:12px 16px;margin:18px 0}
.rec .action{font-size:20px;font-weight:700;color:var(--c);text-transform:uppercase;letter-spacing:.04em}
.rec ul{margin:6px 0 0 18px;padding:0}
.tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.tile{border:1px solid #e3e3e3;border-top:5px solid var(--c);border-radius:6px;padding:10px 12px}
.tile .cat{font-size:12px;text-transform:uppercase;color:#666;letter-spacing:.05em}
.tile .val{font-size:22px;font-weight:650;margin:2px 0}
.tile .delta{font-size:12px} .tile .more{font-size:12px;color:#555;margin-top:4px}
.up-bad{color:#c62828} .down-bad{color:#c62828} .good{color:#2e7d32} .neutral{color:#666}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
.badge{display:inline-block;white-space:nowrap;padding:1px 7px;border-radius:10px;color:#fff;font-size:11px;font-weight:600;background:var(--c)}
.empty{color:#777;font-style:italic}
.minutes td{height:28px} footer{margin-top:32px;color:#777;font-size:12px}
@media print{body{background:#fff} main{padding:0}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _badge(status: str, quiet_when_unjudged: bool = False) -> str:
    if quiet_when_unjudged and status == "no_threshold":
        return ""
    color = fmt.STATUS_COLOR.get(status, "#8c8c8c")
    return f'<span class="badge" style="--c:{color}">{_e(fmt.STATUS_LABEL.get(status, status))}</span>'


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(review: dict[str, Any]) -> str:
    info = review.get("deployment_info") or {}
    name = info.get("name") or review.get("deployment", "")
    tier = str(info.get("risk_tier", "")).upper()
    parts = [f"<h1>{_e(name)} · {_e(fmt.week_label(review.get('week', '')))}</h1>"]
    parts.append(
        f'<p class="sub">deployment <b>{_e(review.get("deployment"))}</b> · risk <b>{_e(tier)}</b> · '
        f"owner <b>{_e(info.get('owner', ''))}</b> · status {_e(info.get('status', ''))}"
        + (f" · launched {_e(info.get('launched'))}" if info.get("launched") else "")
        + "</p>"
    )
    approved = ", ".join(info.get("approved_use_cases") or []) or "—"
    teams = ", ".join(info.get("approved_teams") or []) or "any team"
    parts.append(
        f'<p class="sub">Approved: {_e(approved)} · teams {_e(teams)} · max data: {_e(info.get("max_data_class", ""))}'
        + (
            f" · weekly budget {_e(fmt.money(info['weekly_budget'], review.get('currency', 'USD')))}"
            if info.get("weekly_budget")
            else ""
        )
        + "</p>"
    )
    return "".join(parts)


def _recommendation(review: dict[str, Any]) -> str:
    rec = review.get("recommendation") or {}
    action = str(rec.get("action", "continue"))
    color = fmt.ACTION_COLOR.get(action, "#1565c0")
    reasons = rec.get("reasons") or []
    items = "".join(f"<li>{_e(r.get('text') or r.get('rule') or r)}</li>" for r in reasons)
    return (
        f'<section class="rec" style="--c:{color}"><div>Recommendation: <span class="action">{_e(action)}</span></div>'
        f"<ul>{items or '<li>no rule fired</li>'}</ul>"
        '<p class="sub">The dashboard recommends; the owner decides.</p></section>'
    )


def _tiles(review: dict[str, Any]) -> str:
    metrics = review.get("metrics") or {}
    currency = review.get("currency", "USD")
    cells = []
    for category, headline, extra in fmt.TILES:
        m = metrics.get(headline) or {}
        status = fmt.category_status(review, category)
        color = fmt.STATUS_COLOR.get(status, "#8c8c8c")
        delta = fmt.delta(headline, m.get("value"), m.get("previous"), currency)
        cls = "neutral"
        if delta and fmt.delta_color(headline) != "off" and not fmt.missing(m.get("previous")):
            rising = (m.get("value") or 0) > (m.get("previous") or 0)
            bad = rising if fmt.delta_color(headline) == "inverse" else not rising
            cls = "up-bad" if bad else "good"
        more = " · ".join(
            f"{_e(name.replace('_', ' '))} {_e(fmt.value(name, (metrics.get(name) or {}).get('value'), currency))}"
            for name in extra
            if name in metrics
        )
        cells.append(
            f'<div class="tile" style="--c:{color}"><div class="cat">{_e(category)} {_badge(status, True)}</div>'
            f'<div class="val">{_e(fmt.value(headline, m.get("value"), currency))}</div>'
            f'<div class="sub">{_e(headline.replace("_", " "))}</div>'
            f'<div class="delta {cls}">{_e(delta + " vs last week") if delta else "no previous week"}</div>'
            f'<div class="more">{more}</div></div>'
        )
    return f'<div class="tiles">{"".join(cells)}</div>'


def _alerts(review: dict[str, Any]) -> str:
    currency = review.get("currency", "USD")
    metrics = review.get("metrics") or {}
    rows = []
    for a in review.get("alerts") or []:
        m = metrics.get(a.get("metric"), {"value": a.get("value")})
        rows.append(
            [
                _e(a.get("metric")),
                _badge(str(a.get("level", ""))),
                _e(fmt.with_n(a.get("metric", ""), m, currency)),
                _e(fmt.threshold_text(a)),
                _e(fmt.since_text(a)),
            ]
        )
    return _table(["metric", "level", "value (n, CI)", "threshold", "since"], rows, "No alerts this week.")


def _incidents(review: dict[str, Any]) -> str:
    rows = [
        [
            _e(i.get("incident_id")),
            _e(i.get("severity")),
            _e(i.get("category")),
            _e(i.get("status")),
            _e(i.get("title")),
            _e(fmt.as_date(i.get("opened_at"))),
            ("<b>" if i.get("overdue") else "")
            + _e(fmt.deadline_text(i))
            + ("</b>" if i.get("overdue") else ""),
        ]
        for i in review.get("open_incidents") or []
    ]
    return _table(
        ["incident", "severity", "category", "status", "title", "opened", "reporting deadline"],
        rows,
        "No open incidents.",
    )


def _out_of_scope(review: dict[str, Any]) -> str:
    rows = []
    for ex in review.get("out_of_scope_examples") or []:
        examples = ex.get("examples") or []
        shown = "<br>".join(f"“{_e(t)}”" for t in examples[:3])
        rows.append([_e(ex.get("use_case")), _e(ex.get("source")), _e(f"{ex.get('events', 0):,}"), shown])
    return _table(
        ["use case", "how known", "requests", "examples"], rows, "No requests outside the approved use."
    )


def _changes(review: dict[str, Any]) -> str:
    rows = [
        [
            _e(str(c.get("ts", ""))[:16]),
            _e(c.get("kind")),
            _e(c.get("summary")),
            _e(c.get("changed_by")),
            _e(c.get("approved_by") or "not recorded"),
        ]
        for c in review.get("changes") or []
    ]
    return _table(
        ["when", "kind", "summary", "changed by", "approved by"], rows, "No change records this week."
    )


def _all_metrics(review: dict[str, Any]) -> str:
    currency = review.get("currency", "USD")
    metrics = review.get("metrics") or {}
    order = {c: i for i, c in enumerate(CATEGORIES)}
    names = sorted(metrics, key=lambda n: (order.get(metrics[n].get("category", ""), 9), n))
    rows = []
    for name in names:
        m = metrics[name]
        levels = " / ".join(
            fmt.value(name, m.get(k)) if not fmt.missing(m.get(k)) else "—" for k in ("warn", "critical")
        )
        rows.append(
            [
                _e(m.get("category")),
                _e(name),
                _e(fmt.with_n(name, m, currency)),
                _e(fmt.value(name, m.get("previous"), currency)),
                _e(levels),
                _badge(str(m.get("status", ""))),
                _e(BY_NAME[name].definition if name in BY_NAME else ""),
            ]
        )
    return _table(
        ["category", "metric", "this week", "last week", "warn / critical", "status", "definition"],
        rows,
        "No metrics.",
    )


def pack_metrics(review: dict[str, Any], trends: pd.DataFrame) -> list[str]:
    """The charts worth a page in the minutes: each tile's headline, budget burn, and every metric
    that alerts this week — in that order, only those `trends` holds."""
    wanted = [headline for _, headline, _ in fmt.TILES] + ["budget_burn"]
    wanted += [a.get("metric") for a in review.get("alerts") or [] if a.get("metric")]
    present = set(trends["metric"].tolist())
    return [m for m in dict.fromkeys(wanted) if m in present]


def _figures(review: dict[str, Any], trends: pd.DataFrame | None, changes: Any) -> str:
    if trends is None or len(trends) == 0:
        return ""
    currency = review.get("currency", "USD")
    marks = changes if changes is not None else review.get("changes")
    parts = [
        '<h2>Trends</h2><p class="sub">Shaded bands: warn (amber) and critical (red). '
        "Purple triangles: change records (hover for the summary). Bars: 95% intervals.</p>"
    ]
    first = True
    for metric in pack_metrics(review, trends):
        fig = charts.trend_figure(trends, metric, marks, currency=currency, height=260)
        parts.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=first,
                include_mathjax=False,
                config={"displaylogo": False, "responsive": True},
            )
        )
        first = False
    return "".join(parts)


def render_html(review: dict[str, Any], trends: pd.DataFrame | None = None, changes: Any = None) -> str:
    """The review pack for `review` (the DESIGN §9 JSON): header, recommendation, tiles, alerts,
    incidents, out-of-scope examples, changes, trend charts (when `trends`, rows of `metrics.api.trend`,
    is given; `changes` are the change records to mark on them, default the week's), every metric,
    and blank lines for the decision. One file, no external resources."""
    title = f"{(review.get('deployment_info') or {}).get('name') or review.get('deployment')} · {review.get('week')}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        _header(review),
        _recommendation(review),
        "<h2>This week by category</h2>",
        _tiles(review),
        "<h2>Alerts</h2>",
        _alerts(review),
        "<h2>Outside the approved use</h2>",
        _out_of_scope(review),
        "<h2>Open incidents</h2>",
        _incidents(review),
        "<h2>Changes this week</h2>",
        _changes(review),
        _figures(review, trends, changes),
        "<h2>Every metric</h2>",
        _all_metrics(review),
        "<h2>Decision (for the minutes)</h2>",
        '<div class="minutes">'
        + _table(
            ["", ""],
            [
                [_e(k), ""]
                for k in (
                    "decision (expand / continue / limit / pause / stop)",
                    "rationale",
                    "decided by",
                    "attendees",
                    "actions",
                    "next review",
                )
            ],
            "",
        )
        + "</div>",
        f"<footer>postlaunch review pack · generated {generated} · the dashboard recommends; the owner decides."
        "</footer>",
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        + "".join(body)
        + "</main></body></html>"
    )


def build_pack(conn: Any, ctx: Any, review: dict[str, Any]) -> str:
    """The pack of `review` with the trends of its metrics up to its week and every change record in
    that range (the dashboard's download and `postlaunch review --format html` both call this)."""
    from metrics.api import trend
    from metrics.evidence import change_records
    from metrics.pages import week_bounds_utc

    deployment, week = review["deployment"], review["week"]
    history = trend(conn, ctx, deployment, list(review["metrics"]), end_week=week)
    first = str(history["week"].min()) if len(history) else week
    start, end = week_bounds_utc(first, week, ctx.settings.timezone)
    return render_html(review, history, change_records(conn, deployment, start, end))
