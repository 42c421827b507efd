"""The scope estimate (scopetext.estimate through metrics.scope_estimate, DESIGN §12): score bands that
agree with the placement, the estimate by hand on counts, the interval's coverage in a seeded simulation
on held-out Banking77 groups, no warn or critical at a true share of 0 with and without audit, and an alert
resting on placement alone recommending at most limit with "check a sample"."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from shared_data import shared_file

from metrics.model import Alert
from metrics.queries import MixRow, UsageWeek
from metrics.recommend import WeekSignals, recommend
from metrics.scope_estimate import Pooled, scope_week
from metrics.status import Levels, status_of
from scopetext.estimate import (
    BAND_LOW,
    N_BANDS,
    audited_share,
    band_of,
    bands_of,
    calibrated_share,
    learn_rates,
)

shared_file("banking77/banking77_train.csv")  # the simulation reads it: fail loudly when it is missing
sys.path.append(
    str(Path(__file__).resolve().parents[1] / "benchmarks")
)  # after the project: benchmarks/ingest.py must not shadow the package
import scope_sim as sim  # noqa: E402

MEDIUM = Levels(0.05, 0.15)


@pytest.mark.parametrize(
    ("score", "threshold", "out", "band"),
    [(0.31, 0.25, False, 1), (0.2501, 0.25, False, 0), (0.2499, 0.25, True, -1), (0.0, 0.25, True, -4),
     (0.9, 0.25, False, 3), (0.01, 0.25, True, -4), (0.24, 0.0, False, 3)],
)  # fmt: skip
def test_band_of_agrees_with_the_placement(score: float, threshold: float, out: bool, band: int) -> None:
    assert band_of(score, threshold, out) == band
    if not (score <= 0.0 and threshold <= 0.0):
        assert bands_of(np.array([score]), threshold)[0] == band_of(
            score, threshold, score < threshold or score <= 0
        )


def test_audited_share_by_hand() -> None:
    # placement that never errs: approved requests all in band +1, out-of-scope all in band -2
    inside, outside = np.zeros(N_BANDS), np.zeros(N_BANDS)
    inside[1 - BAND_LOW], outside[-2 - BAND_LOW] = 900, 100
    rates = learn_rates(inside, outside)
    week = np.zeros(N_BANDS)
    week[1 - BAND_LOW], week[-2 - BAND_LOW] = 180, 20  # 10% of the unchecked ones out of scope
    share = audited_share(week, 36, 4, rates)  # and 4 of the 40 checked ones
    assert share.share == pytest.approx(24 / 240, abs=0.002)
    assert share.low <= 0.1 <= share.high and share.high - share.low < 0.05


def test_calibrated_share_without_flags_is_zero_and_cannot_alert() -> None:
    week = np.zeros(N_BANDS)
    week[2 - BAND_LOW] = 300
    share = calibrated_share(week, 0.06, None)
    assert (share.share, share.low) == (0.0, 0.0) and share.high > 0


def _week(rows: list[MixRow]) -> UsageWeek:
    return UsageWeek(events=sum(r.events for r in rows), mix=rows)


def test_labelled_audited_and_placed_parts_combine() -> None:
    calibration = {"expected_false_flag_rate": 0.05, "bands": [0, 0, 0, 5, 20, 30, 20, 25]}
    rows = [
        MixRow("a", None, None, None, False, False, False, 90),
        MixRow("x", None, None, None, True, False, False, 10),
        MixRow(None, "a", None, 1, False, False, False, 180),
        MixRow(None, "out_of_scope", None, -1, False, True, False, 20),
    ]
    plain = scope_week(_week(rows), Pooled(), calibration)
    assert plain.estimate == {"method": "inferred", "audited_n": 0, "inferred_n": 200, "labelled_n": 100}
    assert plain.ci is not None and plain.ci[0] <= plain.value <= plain.ci[1]  # type: ignore[operator]
    audited = [
        *rows,
        MixRow(None, "a", "a", 1, False, False, False, 36),
        MixRow(None, "a", "x", 0, False, False, True, 4),
    ]
    pooled = Pooled()
    pooled.add(_week(audited))
    checked = scope_week(_week(audited), pooled, calibration)
    assert checked.estimate == {"method": "audited", "audited_n": 40, "inferred_n": 200, "labelled_n": 100}
    assert checked.split["audited"] == {"n": 40, "out_of_scope": 4}
    assert sum(checked.mix.values()) == pytest.approx(340)


@pytest.fixture(scope="module")
def held_out() -> dict[str, sim.Group]:
    return {name: sim.build_group(name) for name in ("transfers", "cash withdrawals")}


@pytest.mark.slow
def test_interval_coverage_in_a_seeded_simulation(held_out: dict[str, sim.Group]) -> None:
    covered = []
    for group in held_out.values():
        for share in (0.10, 0.30):
            for run in range(3):
                for week in sim.simulate(group, share, seed=77 + 1000 * run + int(share * 100)):
                    low, high = week.audited.ci  # type: ignore[misc]
                    covered.append(low - 1e-9 <= week.truth <= high + 1e-9)
    assert len(covered) == 240
    assert np.mean(covered) >= 0.90, np.mean(covered)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["transfers", "cash withdrawals"])
def test_no_warn_or_critical_at_a_true_share_of_zero(held_out: dict[str, sim.Group], name: str) -> None:
    for week in sim.simulate(held_out[name], 0.0, seed=5):
        assert week.truth == 0.0
        for estimate in (week.inferred, week.audited):
            assert status_of("out_of_scope_share", estimate.value, estimate.n, estimate.ci, MEDIUM, 100) in (
                "ok", "watch",
            )  # fmt: skip


def _alert(metric: str, level: str = "critical") -> Alert:
    return Alert(
        metric=metric, level=level, value=0.2, threshold=0.15, message=f"{metric} 0.20 above critical 0.15",  # type: ignore[arg-type]
        n=300, ci=(0.16, 0.25), weeks_in_a_row=1, since="2026-W47", category="scope", week="2026-W47",
    )  # fmt: skip


def test_an_alert_on_placement_alone_recommends_limit_and_check_a_sample() -> None:
    alert = _alert("out_of_scope_share")
    checked = recommend([WeekSignals("2026-W47", (alert,))], "ok", 0.9, 0.5, True)
    assert checked.action == "pause"
    unchecked = recommend(
        [WeekSignals("2026-W47", (alert,), unconfirmed=frozenset({"out_of_scope_share"}))],
        "ok",
        0.9,
        0.5,
        True,
    )
    assert unchecked.action == "limit"
    assert [r.rule for r in unchecked.reasons] == [3]
    assert "check a sample" in unchecked.reasons[0].text
    # another critical scope alert that does not rest on placement still pauses
    both = recommend(
        [WeekSignals("2026-W47", (alert, _alert("data_class_violation_share")), unconfirmed=frozenset({"out_of_scope_share"}))],
        "ok", 0.9, 0.5, True,
    )  # fmt: skip
    assert both.action == "pause" and [r.metric for r in both.reasons] == ["data_class_violation_share"]
