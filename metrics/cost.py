"""A week's cost (DESIGN §5, §19): the cost records of the week by category; where no record of category
usage exists, the usage events' own cost fills that category, and tokens of rows without a cost are
costed at the settings' prices and marked as estimated. Money is never counted twice. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from metrics.queries import ModelTokens, UsageWeek
from postlaunch.settings import ModelPrice

DIGITS = 9
NO_MODEL = "(no model)"


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def priced(tokens: list[ModelTokens], prices: dict[str, ModelPrice]) -> tuple[float, int, dict[str, int]]:
    """(estimated cost, events it covers, events per model without a price) of tokens without a cost."""
    cost, covered = 0.0, 0
    unpriced: dict[str, int] = {}
    for row in tokens:
        price = prices.get(row.model) if row.model is not None else None
        if price is None:
            name = row.model or NO_MODEL
            unpriced[name] = unpriced.get(name, 0) + row.events
            continue
        cost += (
            row.input_tokens * price.input_per_million / 1e6
            + row.output_tokens * price.output_per_million / 1e6
        )
        covered += row.events
    return cost, covered, dict(sorted(unpriced.items()))


def weekly_cost(
    records: dict[str, float], usage: UsageWeek | None, prices: dict[str, ModelPrice], currency: str
) -> tuple[float | None, dict[str, Any]]:
    """(cost_total, its details): `split` by category, where the usage category came from
    (`usage_cost_source`: records, events, prices, events+prices), and for estimates the estimated part
    and the events of models without a price."""
    split = {cat: _r(amount) for cat, amount in sorted(records.items())}
    details: dict[str, Any] = {}
    source: str | None = "records" if "usage" in records else None
    if "usage" not in records and usage is not None:
        parts: list[str] = []
        amount = 0.0
        if usage.cost_rows > 0:
            amount += usage.usage_cost
            parts.append("events")
        estimate, covered, unpriced = priced(usage.uncosted, prices)
        if covered:
            amount += estimate
            parts.append("prices")
            details["estimated_cost"] = _r(estimate)
        if unpriced:
            details["unpriced_models"] = unpriced
        if parts:
            split["usage"] = _r(amount)
            source = "+".join(parts)
    split = dict(sorted(split.items()))
    total = sum(split.values()) if split else None
    return total, {"split": split, "usage_cost_source": source, "currency": currency, **details}
