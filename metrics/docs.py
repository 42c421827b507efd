"""docs/metrics.md, generated from the metric declarations (postlaunch.catalog) so the two never
disagree: `python -m metrics.docs > docs/metrics.md`. A test compares the file with `metrics_doc()`.
"""

from __future__ import annotations

import inspect

from metrics import api
from metrics.recommend import EXPAND_MAX_BURN, EXPAND_MIN_WEEKS
from postlaunch.catalog import CATEGORIES, DEFAULT_THRESHOLDS, METRICS, Metric

_INTRO = """# Metrics

Generated from `postlaunch/catalog.py` by `python -m metrics.docs`; do not edit by hand.

One row per deployment and ISO week. Rules that hold for every metric:

- **Weeks.** `YYYY-Www`, Monday 00:00 to the next Monday 00:00 in the configured `timezone`; stored
  timestamps are UTC and are assigned to the local week, DST included. Cost records are dated by local
  calendar day and each day belongs to its ISO week.
- **History.** A deployment's weeks run from its first week with usage events to the week reviewed;
  weeks between without events are kept (events 0).
- **Counting.** A usage row stands for `requests` requests: every usage count, numerator and
  denominator is a sum of `requests`; `active_users` counts distinct `user_id`.
- **Use case** of an event: its `use_case` label if set, else `inferred_use_case` (the placement of its
  text; `out_of_scope` is never approved).
- **Every result** carries `value`, `n` (the sample it rests on), `ci` (95% Wilson interval for
  proportions, Student-t for `mean_rating`, else null), `status`, `warn`, `critical`, `direction`,
  `previous` (the value the week before), `category`, `unit`, plus metric-specific fields.
- **Thresholds**: the tier default below, overridden level by level by the settings
  (`[thresholds.METRIC.TIER]`), overridden by the registry (`[deployments.X.thresholds.METRIC]`).
- **Statuses**: `no_threshold` without thresholds; `insufficient_data` without a value or with n below
  the minimum (`min_n.feedback` 30, `min_n.events` 100, `min_n.drift` 200); proportions are `critical`
  or `warn` only when the whole 95% Wilson interval lies beyond that level, `watch` when only the
  estimate does (shown, not alerted), else `ok`; counts alert at `>=` (value), everything else at `>`
  (value); for direction below read `<=` and `<`. Only `warn` and `critical` make alerts; an alert
  counts the weeks in a row at its level or worse.
"""


def _alert_rule(m: Metric) -> str:
    if m.name not in DEFAULT_THRESHOLDS:
        return "—"
    if m.kind == "proportion":
        return "Wilson interval wholly " + ("above" if m.direction == "above" else "below")
    if m.kind == "count":
        return "value " + (">=" if m.direction == "above" else "<=")
    return "value " + (">" if m.direction == "above" else "<")


def _defaults(m: Metric) -> str:
    tiers = DEFAULT_THRESHOLDS.get(m.name)
    if not tiers:
        return "—"

    def level(x: float | None) -> str:
        return "—" if x is None else f"{x:g}"

    shown = "; ".join(f"{tier} {level(w)} / {level(c)}" for tier, (w, c) in tiers.items())
    missing = [tier for tier in ("low", "medium", "high") if tier not in tiers]
    return shown + "".join(f"; {tier} — / —" for tier in missing)


def metrics_doc() -> str:
    """The Markdown reference of every metric, its thresholds and the recommendation rules."""
    lines = [_INTRO]
    for category in CATEGORIES:
        lines.append(f"## {category}\n")
        lines.append(
            "| metric | definition | unit | bad when | n | min n | alerts on | default warn / critical |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for m in METRICS:
            if m.category != category:
                continue
            lines.append(
                f"| `{m.name}` | {m.definition} | {m.unit} | {m.direction} | {m.n} | "
                f"{m.min_n or '—'} | {_alert_rule(m)} | {_defaults(m)} |"
            )
        lines.append("")
    lines.append(
        f"""## Recommendation

First matching rule wins; every alert (or condition) that made it fire is listed as a reason
`{{rule, action, metric, value, threshold, week, text}}`.

1. **stop** — a critical alert in quality or risk in each of the last three weeks (this week and the two before).
2. **pause** — a critical alert in risk or scope this week, or in quality this week and the week before.
3. **limit** — any other critical alert this week, or a warn in scope this week.
4. **expand** — at least {EXPAND_MIN_WEEKS} weeks with usage events up to this week, no warn or critical
   alert (any metric) in the last four weeks, `acceptance_rate` status `ok`, and `budget_burn` at most
   {EXPAND_MAX_BURN} (a deployment without a weekly_budget cannot be expanded).
5. **continue** — otherwise; the reasons say which expand condition failed.
"""
    )
    lines.append(_api_section())
    return "\n".join(lines)


def _api_section() -> str:
    """The façade's functions with the first paragraph of their docstrings."""
    out = ["## Python API (`metrics.api`)\n"]
    for name in api.__all__:
        obj = getattr(api, name)
        if not inspect.isfunction(obj):
            continue
        doc = " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())
        signature = str(inspect.signature(obj)).replace("'", "")
        out.append(f"- `{name}{signature}` — {doc}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(metrics_doc(), end="")
