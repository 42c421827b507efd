"""Property tests: intervals contain their estimate, JS distance stays in [0, 1], approved use never
raises the out-of-scope share, and more data never brings insufficient_data back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.queries import MixRow, UsageWeek
from metrics.scope_estimate import Pooled, scope_week
from metrics.stats import js_distance, mean_interval, wilson
from metrics.status import Levels, status_of

counts = st.integers(min_value=0, max_value=10**7)


@given(st.data())
def test_wilson_is_a_proportion_interval_around_the_estimate(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=10**7))
    x = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson(x, n)  # type: ignore[misc]
    assert 0.0 <= low <= x / n <= high <= 1.0


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=200))
def test_mean_interval_contains_the_mean(ratings: list[int]) -> None:
    result = mean_interval(len(ratings), float(sum(ratings)), float(sum(r * r for r in ratings)), 1, 5)
    assert result is not None
    mean, ci = result
    assert 1 <= mean <= 5
    if ci is not None:
        assert 1 <= ci[0] <= mean <= ci[1] <= 5


mixes = st.dictionaries(st.sampled_from("abcdefg"), st.integers(min_value=0, max_value=10**6), min_size=1)


@given(mixes, mixes)
def test_js_distance_bounds(p: dict[str, int], q: dict[str, int]) -> None:
    d = js_distance(p, q)
    if sum(p.values()) == 0 or sum(q.values()) == 0:
        assert d is None
        return
    assert d is not None and 0.0 <= d <= 1.0
    assert js_distance(q, p) == d or abs(js_distance(q, p) - d) < 1e-12  # type: ignore[operator]
    assert js_distance(p, p) == 0.0
    scaled = {k: v * 3 for k, v in p.items()}
    assert js_distance(p, scaled) < 1e-7  # type: ignore[operator]


APPROVED = ("a", "b")


def row(use_case: str | None, labelled: bool, events: int) -> MixRow:
    """A mix row as rollup_mix.sql gives it: labelled, else placed (its out-of-scope flags are
    pl_out_of_scope of the use case)."""
    out = use_case is not None and use_case not in APPROVED
    if labelled:
        return MixRow(use_case, None, None, None, out, False, False, events)
    return MixRow(
        None, use_case, None, None if use_case is None else (-1 if out else 1), False, out, False, events
    )


mix_rows = st.lists(
    st.builds(row, st.sampled_from(["a", "b", "x", "out_of_scope", None]), st.booleans(), st.integers(1, 50)),
    max_size=20,
)


@given(mix_rows, st.sampled_from(APPROVED), st.booleans(), st.integers(1, 50))
def test_approved_use_never_raises_out_of_scope_share(
    rows: list[MixRow], use_case: str, labelled: bool, k: int
) -> None:
    before = scope_week(UsageWeek(mix=list(rows)), Pooled(), None).value
    after = scope_week(UsageWeek(mix=[*rows, row(use_case, labelled, k)]), Pooled(), None).value
    assert after is not None
    assert before is None or after <= before + 1e-12


@settings(max_examples=200)
@given(st.integers(0, 1000), st.integers(1, 1000), st.integers(0, 1000), st.sampled_from([30, 100, 200]))
def test_more_data_never_brings_insufficient_data_back(n1: int, extra: int, x: int, min_n: int) -> None:
    levels = Levels(0.05, 0.15)
    n2 = n1 + extra
    x1 = min(x, n1)
    first = status_of("out_of_scope_share", x1 / n1 if n1 else None, n1, wilson(x1, n1), levels, min_n)
    x2 = x1 + (x % (extra + 1))
    second = status_of("out_of_scope_share", x2 / n2, n2, wilson(x2, n2), levels, min_n)
    if first != "insufficient_data":
        assert second != "insufficient_data"
