"""Small statistics the metrics rest on: the 95% Wilson interval of a proportion, the 95% Student-t
interval of a mean, and the Jensen-Shannon distance between two categorical mixes. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

Z95 = 1.959963984540054


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """95% Wilson score interval for successes/n; None when n is 0."""
    if n <= 0:
        return None
    p = min(max(successes / n, 0.0), 1.0)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # Floating error must not push the bounds past the estimate (the interval always contains it).
    return min(low, p), max(high, p)


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom (exact for 1-2, Cornish-Fisher
    expansion otherwise: error below 1e-3 from df 3)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df == 1:
        return 12.706204736174705
    if df == 2:
        return 4.302652729749464
    z, v = Z95, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def mean_interval(
    n: int, total: float, total_sq: float, lo: float | None = None, hi: float | None = None
) -> tuple[float, tuple[float, float] | None] | None:
    """(mean, 95% t interval) from n, sum and sum of squares; None when n is 0, no interval when n is 1.

    The interval is clipped to [lo, hi] when given (a rating cannot leave 1-5).
    """
    if n <= 0:
        return None
    mean = total / n
    if n == 1:
        return mean, None
    var = max(0.0, (total_sq - n * mean * mean) / (n - 1))
    half = t_quantile_975(n - 1) * math.sqrt(var / n)
    low, high = mean - half, mean + half
    if lo is not None:
        low = max(lo, low)
    if hi is not None:
        high = min(hi, high)
    return mean, (min(low, mean), max(high, mean))


def js_distance(p: Mapping[str, float], q: Mapping[str, float]) -> float | None:
    """Jensen-Shannon distance (square root of the divergence, base 2, so within [0, 1]) between two
    mixes given as category -> weight (normalized here); None when either mix is empty."""
    p_total = sum(v for v in p.values() if v > 0)
    q_total = sum(v for v in q.values() if v > 0)
    if p_total <= 0 or q_total <= 0:
        return None
    divergence = 0.0
    for key in set(p) | set(q):
        pi = max(p.get(key, 0.0), 0.0) / p_total
        qi = max(q.get(key, 0.0), 0.0) / q_total
        mi = (pi + qi) / 2
        if pi > 0:
            divergence += 0.5 * pi * math.log2(pi / mi)
        if qi > 0:
            divergence += 0.5 * qi * math.log2(qi / mi)
    return min(1.0, math.sqrt(max(0.0, divergence)))
