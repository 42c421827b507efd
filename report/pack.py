"""The review pack: the Weekly review as ONE self-contained HTML file to attach to the minutes or to an
e-mail — inline CSS, charts as inline SVG, no script and no external resource, so it opens offline.
`render_html` renders the `Review` it is given; `build_pack` gathers its trends and change records
through `metrics` on a connection it is handed. Nothing here writes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from metrics.api import trend
from metrics.evidence import change_records
from metrics.model import Review
from metrics.pages import week_bounds_utc
from postlaunch import fmt
from postlaunch.catalog import BY_NAME, CATEGORIES
from postlaunch.config import Context
from postlaunch.decisions import DecisionRecord, standing_decision
from report import layout
from report.decision import decision_lines, record_line
from report.svg import Marker, Point, trend_svg

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
.up-bad{color:#c62828} .good{color:#2e7d32} .neutral{color:#666}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f3f4f6;font-weight:600}
.badge{display:inline-block;white-space:nowrap;padding:1px 7px;border-radius:10px;color:#fff;font-size:11px;font-weight:600;background:var(--c)}
.empty{color:#777;font-style:italic}
svg.trend{display:block;margin:6px 0 14px;font-family:inherit}
.minutes td{height:28px} footer{margin-top:32px;color:#777;font-size:12px}
@media print{body{background:#fff} main{padding:0}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _badge(status: str, quiet_when_unjudged: bool = False) -> str:
    if quiet_when_unjudged and status == "no_threshold":
        return ""
    color = layout.STATUS_COLOR.get(status, "#8c8c8c")
    return f'<span class="badge" style="--c:{color}">{_e(layout.STATUS_LABEL.get(status, status))}</span>'


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(review: Review) -> str:
    info = review.deployment_info
    parts = [f"<h1>{_e(info.name)} · {_e(fmt.week_label(review.week))}</h1>"]
    parts.append(
        f'<p class="sub">deployment <b>{_e(review.deployment)}</b> · risk <b>{_e(info.risk_tier.upper())}</b> · '
        f"owner <b>{_e(info.owner)}</b> · status {_e(info.status)} · launched {_e(info.launched)}</p>"
    )
    approved = ", ".join(info.approved_use_cases) or "—"
    teams = ", ".join(info.approved_teams) or "any team"
    budget = (
        f" · weekly budget {_e(fmt.money(info.weekly_budget, review.currency))}" if info.weekly_budget else ""
    )
    parts.append(
        f'<p class="sub">Approved: {_e(approved)} · teams {_e(teams)} · max data: {_e(info.max_data_class)}'
        f"{budget}</p>"
    )
    return "".join(parts)


def _recommendation(review: Review) -> str:
    rec = review.recommendation
    action = rec.action if rec else "continue"
    color = layout.ACTION_COLOR.get(action, "#1565c0")
    items = "".join(f"<li>{_e(r.text)}</li>" for r in (rec.reasons if rec else ()))
    return (
        f'<section class="rec" style="--c:{color}"><div>Recommendation: <span class="action">{_e(action)}</span></div>'
        f"<ul>{items or '<li>no rule fired</li>'}</ul>"
        '<p class="sub">The dashboard recommends; the owner decides.</p></section>'
    )


def _readiness(review: Review) -> str:
    rows = []
    for r in review.readiness:
        level = layout.readiness_level(r)
        color = layout.STATUS_COLOR.get(level if level != "unknown" else "insufficient_data", "#8c8c8c")
        label = f'<span class="badge" style="--c:{color}">{_e(layout.readiness_label(r))}</span>'
        rows.append([_e(r.item), label, _e(r.message), _e(r.evidence or ""), _e(r.expires or "")])
    return _table(
        ["item", "status", "what the data says", "evidence", "valid until"], rows, "No readiness recorded."
    )


def _tiles(review: Review) -> str:
    metrics, currency = review.metrics, review.currency
    cells = []
    for category, headline, extra in layout.TILES:
        m = metrics.get(headline)
        status = layout.category_status(dict(metrics), category)
        color = layout.STATUS_COLOR.get(status, "#8c8c8c")
        v, previous = (m.value, m.previous) if m else (None, None)
        delta = fmt.delta(headline, v, previous, currency)
        bad = layout.change_is_bad(headline, v, previous)
        cls = "neutral" if bad is None else ("up-bad" if bad else "good")
        absent = layout.not_loaded(review.feeds, headline, v)
        notes = [layout.cost_note(m.usage_cost_source, m.unpriced_models)] if m and category == "cost" else []
        if category == "risk" and "incidents" in layout.absent_kinds(review.feeds):
            notes.append("no incident data loaded")
        more = " · ".join(
            [_e(n) for n in notes if n]
            + [
                f"{_e(fmt.short(name))} {_e(fmt.value(name, metrics[name].value, currency))}"
                for name in extra
                if name in metrics and not layout.not_loaded(review.feeds, name, metrics[name].value)
            ]
        )
        change = absent or (delta + " vs last week" if delta else "no previous week")
        cells.append(
            f'<div class="tile" style="--c:{color}"><div class="cat">{_e(category)} {_badge(status, True)}</div>'
            f'<div class="val">{_e("no data" if absent else fmt.value(headline, v, currency))}</div>'
            f'<div class="sub">{_e(fmt.short(headline))}</div>'
            f'<div class="delta {cls}">{_e(change)}</div>'
            f'<div class="more">{more}</div></div>'
        )
    return f'<div class="tiles">{"".join(cells)}</div>'


def _alerts(review: Review) -> str:
    rows = []
    for a in review.alerts:
        m = review.metrics.get(a.metric)
        n, ci = (m.n, m.ci) if m else (a.n, a.ci)
        rows.append(
            [
                _e(a.metric),
                _badge(a.level),
                _e(fmt.with_n(a.metric, a.value, n, ci, review.currency)),
                _e(fmt.threshold_text(a.metric, a.level, a.threshold)),
                _e(fmt.since_text(a.weeks_in_a_row, a.since)),
            ]
        )
    return _table(["metric", "level", "value (n, CI)", "threshold", "since"], rows, "No alerts this week.")


def _incidents(review: Review) -> str:
    rows = []
    for i in review.open_incidents:
        deadline = fmt.deadline_text(i)
        rows.append(
            [
                _e(i.incident_id),
                _e(i.severity),
                _e(i.category),
                _e(i.status),
                _e(i.title),
                _e(fmt.as_date(i.opened_at)),
                f"<b>{_e(deadline)}</b>" if i.overdue else _e(deadline),
            ]
        )
    return _table(
        ["incident", "severity", "category", "status", "title", "opened", "reporting deadline"],
        rows,
        "No open incidents.",
    )


def _out_of_scope(review: Review) -> str:
    metric = review.metric("out_of_scope_share")
    how = fmt.estimate_text(metric.estimate, metric.estimate_basis) if metric is not None else None
    note = f'<p class="note">How the out-of-scope share was made: {_e(how)}</p>' if how else ""
    rows = []
    for ex in review.out_of_scope_examples:
        shown = "<br>".join(f"“{_e(t)}”" for t in ex.examples[:3])
        rows.append([_e(ex.use_case), _e(ex.source), _e(f"{ex.events:,}"), shown])
    return note + _table(
        ["use case", "how known", "requests", "examples"], rows, "No requests outside the approved use."
    )


def _changes(review: Review) -> str:
    rows = [
        [
            _e((c.ts or "")[:16]),
            _e(c.kind),
            _e(c.summary),
            _e(c.changed_by),
            _e(c.approved_by or "not recorded"),
        ]
        for c in review.changes
    ]
    return _table(
        ["when", "kind", "summary", "changed by", "approved by"], rows, "No change records this week."
    )


def _all_metrics(review: Review) -> str:
    order = {c: i for i, c in enumerate(CATEGORIES)}
    names = sorted(review.metrics, key=lambda n: (order.get(review.metrics[n].category, 9), n))
    rows = []
    for name in names:
        m = review.metrics[name]
        levels = " / ".join(fmt.value(name, level) for level in (m.warn, m.critical))
        rows.append(
            [
                _e(m.category),
                _e(name),
                _e(fmt.with_n(name, m.value, m.n, m.ci, review.currency)),
                _e(fmt.value(name, m.previous, review.currency)),
                _e(levels),
                _badge(m.status),
                _e(BY_NAME[name].definition if name in BY_NAME else ""),
            ]
        )
    return _table(
        ["category", "metric", "this week", "last week", "warn / critical", "status", "definition"],
        rows,
        "No metrics.",
    )


def pack_metrics(review: Review, available: set[str]) -> list[str]:
    """The charts worth a page in the minutes: each tile's headline, budget burn, and every metric
    that alerts this week — in that order, only those with a trend in `available`."""
    wanted = [headline for _, headline, _ in layout.TILES] + ["budget_burn"]
    wanted += [a.metric for a in review.alerts]
    return [
        m for m in dict.fromkeys(wanted) if m in available and not layout.not_loaded(review.feeds, m, None)
    ]


def points_of(trends: pd.DataFrame, metric: str) -> tuple[list[Point], float | None, float | None]:
    """A metric's rows of `metrics.api.trend` as chart points, with its latest warn and critical."""
    rows = trends[trends["metric"] == metric].sort_values("week")

    def number(v: Any) -> float | None:
        return None if fmt.missing(v) else float(v)

    points = [
        Point(
            week=str(r["week"]),
            value=number(r["value"]),
            ci_low=number(r["ci_low"]),
            ci_high=number(r["ci_high"]),
            n=None if fmt.missing(r["n"]) else int(r["n"]),
            status=str(r["status"] or "no_threshold"),
        )
        for r in rows.to_dict("records")
    ]
    warn = rows["warn"].dropna()
    critical = rows["critical"].dropna()
    return (
        points,
        float(warn.iloc[-1]) if len(warn) else None,
        float(critical.iloc[-1]) if len(critical) else None,
    )


def markers_of(changes: pd.DataFrame | None) -> list[Marker]:
    if changes is None or not len(changes):
        return []
    return [
        Marker(pd.Timestamp(r["ts"]).to_pydatetime(), str(r["kind"]), str(r["summary"]))
        for r in changes.to_dict("records")
    ]


def _figures(review: Review, trends: pd.DataFrame | None, changes: Sequence[Marker]) -> str:
    if trends is None or len(trends) == 0:
        return ""
    absent = sorted(
        {
            f"no {layout.FEED_WORDS[k]} data loaded"
            for k in layout.absent_kinds(review.feeds)
            if k in ("cost", "feedback")
        }
    )
    parts = [
        '<h2>Trends</h2><p class="sub">Shaded bands: warn (amber) and critical (red). '
        "Purple dashed lines: change records (hover for the summary). Bars: 95% intervals."
        + (f" Not charted: {_e('; '.join(absent))}." if absent else "")
        + "</p>"
    ]
    shown = set(trends.dropna(subset=["value"])["metric"])  # a metric with no value in any week: no chart
    for metric in pack_metrics(review, shown):
        points, warn, critical = points_of(trends, metric)
        parts.append(trend_svg(metric, points, warn, critical, changes, review.currency))
    return "".join(parts)


def _decision(decision: DecisionRecord | None) -> str:
    """The week's standing decision, or blank lines to fill in for the minutes."""
    rows = [[_e(label), _e(value)] for label, value in decision_lines(decision)]
    if decision is None:
        return (
            '<h2>Decision (for the minutes)</h2><div class="minutes">' + _table(["", ""], rows, "") + "</div>"
        )
    color = layout.ACTION_COLOR.get(decision.decision, "#555")
    return (
        f'<h2>Decision</h2><div class="rec" style="--c:{color}"><p class="sub">Recorded as '
        f"{_e(record_line(decision))}.</p>" + _table(["", ""], rows, "") + "</div>"
    )


def render_html(
    review: Review,
    trends: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    decision: DecisionRecord | None = None,
) -> str:
    """The review pack for `review`: header, recommendation, tiles, alerts, incidents, out-of-scope
    examples, changes, trend charts (when `trends`, rows of `metrics.api.trend`, is given; `changes` are
    the change records to mark on them), every metric, and the week's standing `decision` (blank lines
    to fill in without one). One file."""
    title = f"{review.deployment_info.name} · {review.week}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        _header(review),
        _recommendation(review),
        "<h2>Readiness</h2>",
        _readiness(review),
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
        _figures(review, trends, markers_of(changes)),
        "<h2>Every metric</h2>",
        _all_metrics(review),
        _decision(decision),
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


def build_pack(conn: duckdb.DuckDBPyConnection, ctx: Context, review: Review) -> str:
    """The pack of `review` with the trends of its metrics up to its week, every change record in that
    range and the week's standing decision (the dashboard's download, `postlaunch review --format html`
    and the digest's attachments all call this)."""
    history = trend(conn, ctx, review.deployment, list(review.metrics), end_week=review.week)
    first = str(history["week"].min()) if len(history) else review.week
    start, end = week_bounds_utc(first, review.week, ctx.settings.timezone)
    decision = standing_decision(conn, review.deployment, review.week)
    return render_html(review, history, change_records(conn, review.deployment, start, end), decision)
