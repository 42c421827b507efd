"""How a week's scope figures are made (DESIGN §12): the out-of-scope share of labelled, audited and
placed requests with its interval, the use-case mix that drift compares, and the `estimate` that says what
they rest on. Placed requests are corrected with error rates learned from every audited request of the
deployment up to the week, or, before any audit, with the calibration (scopetext.estimate). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metrics.queries import UsageWeek
from metrics.stats import wilson
from scopetext.estimate import (
    N_BANDS,
    ShareInterval,
    audited_share,
    band_vector,
    calibrated_share,
    learn_rates,
)

OUT = "out_of_scope"


@dataclass
class Pooled:
    """Audited requests of the weeks so far, per score band: approved and out of scope by a person."""

    inside: np.ndarray = field(default_factory=lambda: np.zeros(N_BANDS))
    outside: np.ndarray = field(default_factory=lambda: np.zeros(N_BANDS))

    def add(self, usage: UsageWeek) -> None:
        for row in usage.mix:
            if row.kind == "audited" and row.band is not None:
                target = self.outside if row.audited_out else self.inside
                target += band_vector({row.band: row.events})

    @property
    def n(self) -> float:
        return float(self.inside.sum() + self.outside.sum())


@dataclass
class ScopeWeek:
    """One week's scope figures: the share (value, n, ci), its parts and the corrected use-case mix."""

    value: float | None
    n: int
    ci: tuple[float, float] | None
    estimate: dict[str, Any]
    split: dict[str, dict[str, int]]
    mix: dict[str, float]
    labelled_mix: dict[str, float]
    basis: str | None  # in words: what corrected the placement (None: nothing was placed)

    @property
    def method(self) -> str:
        return str(self.estimate["method"])


def _counts(usage: UsageWeek) -> dict[str, dict[str, int]]:
    split = {k: {"n": 0, "out_of_scope": 0} for k in ("labelled", "audited", "inferred")}
    for row in usage.mix:
        kind = row.kind
        if kind == "unplaced":
            continue
        split[kind]["n"] += row.events
        split[kind]["out_of_scope"] += row.events if row.out_of_scope else 0
    return split


def _inferred_share(
    usage: UsageWeek, pooled: Pooled, calibration: dict[str, Any] | None, split: dict[str, dict[str, int]]
) -> tuple[ShareInterval | None, str]:
    """The out-of-scope share of the week's audited and placed requests, and what it rests on, in words."""
    bands = band_vector({})
    unbanded = 0
    for row in usage.mix:
        if row.kind == "inferred":
            if row.band is None:
                unbanded += row.events
            else:
                bands += band_vector({row.band: row.events})
    cal_bands = (calibration or {}).get("bands")
    cal_bands = cal_bands if isinstance(cal_bands, list) and len(cal_bands) == N_BANDS else None
    audited = split["audited"]
    if pooled.n > 0 and not unbanded:
        rates = learn_rates(pooled.inside, pooled.outside, cal_bands)
        share = audited_share(bands, audited["n"] - audited["out_of_scope"], audited["out_of_scope"], rates)
        checked = f"{int(pooled.n):,} requests people checked up to this week"
        return share, (
            f"placement corrected with the error rates learned from {checked} (approved ones flagged "
            f"{rates.false_flag_rate:.0%}, out-of-scope ones caught {rates.detection_rate:.0%}; few checks "
            "lean on a prior)"
        )
    rate = (calibration or {}).get("expected_false_flag_rate")
    if rate is None or unbanded:
        return None, "placed by text; no calibration stored to correct it"
    share = calibrated_share(bands, float(rate), cal_bands)
    return share, (
        f"placed by text, corrected for the {float(rate):.0%} of approved requests the examples predict "
        "are flagged"
    )


def scope_week(usage: UsageWeek, pooled: Pooled, calibration: dict[str, Any] | None) -> ScopeWeek:
    """The week's scope figures; `pooled` holds the audited requests of the weeks up to this one."""
    split = _counts(usage)
    labelled, audited, inferred = split["labelled"], split["audited"], split["inferred"]
    placed = audited["n"] + inferred["n"]
    n = labelled["n"] + placed
    method = "audited" if audited["n"] else "inferred" if inferred["n"] else "labelled"
    estimate = {
        "method": method,
        "audited_n": audited["n"],
        "inferred_n": inferred["n"],
        "labelled_n": labelled["n"],
    }
    labelled_mix = _mix(usage, kinds=("labelled",))
    if n == 0:
        return ScopeWeek(None, 0, None, estimate, split, {}, labelled_mix, None)
    share: ShareInterval | None = None
    basis = None
    if placed:
        share, basis = _inferred_share(usage, pooled, calibration, split)
    if share is None:  # only labels, or placements that cannot be corrected: the plain count
        bad = labelled["out_of_scope"] + audited["out_of_scope"] + inferred["out_of_scope"]
        return ScopeWeek(bad / n, n, wilson(bad, n), estimate, split, _mix(usage), labelled_mix, basis)
    part = placed / n
    if labelled["n"]:
        p_l = labelled["out_of_scope"] / labelled["n"]
        lo_l, hi_l = wilson(labelled["out_of_scope"], labelled["n"]) or (p_l, p_l)
    else:
        p_l = lo_l = hi_l = 0.0
    value = (1 - part) * p_l + part * share.share
    ci = ((1 - part) * lo_l + part * share.low, (1 - part) * hi_l + part * share.high)
    ci = (min(ci[0], value), max(ci[1], value))
    mix = _corrected_mix(usage, share, audited, inferred["n"])
    return ScopeWeek(value, n, ci, estimate, split, mix, labelled_mix, basis)


def _mix(usage: UsageWeek, kinds: Sequence[str] = ("labelled", "audited", "inferred")) -> dict[str, float]:
    mix: dict[str, float] = {}
    for row in usage.mix:
        if row.kind in kinds and row.use_case is not None and row.events > 0:
            mix[row.use_case] = mix.get(row.use_case, 0) + row.events
    return mix


def _corrected_mix(
    usage: UsageWeek, share: ShareInterval, audited: dict[str, int], inferred_n: int
) -> dict[str, float]:
    """Labelled and audited requests by their label; placed ones by their placement, with the out-of-scope
    part scaled to the estimate (and the approved part to the rest, in the placement's proportions)."""
    mix = _mix(usage, kinds=("labelled", "audited"))
    if inferred_n <= 0:
        return mix
    placed = audited["n"] + inferred_n
    outside = min(max(share.share * placed - audited["out_of_scope"], 0.0), float(inferred_n))
    approved: dict[str, float] = {}
    for row in usage.mix:
        if row.kind == "inferred" and row.placed is not None and not row.placed_out:
            approved[row.placed] = approved.get(row.placed, 0) + row.events
    total = sum(approved.values())
    inside = inferred_n - outside
    if total <= 0:
        outside = float(inferred_n)
    for use_case, events in approved.items():
        mix[use_case] = mix.get(use_case, 0) + inside * events / total
    if outside > 0:
        mix[OUT] = mix.get(OUT, 0) + outside
    return mix
