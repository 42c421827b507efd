"""The out-of-scope share of a week's placed requests, with an honest 95% interval, from additive counts:
the week's placed requests per score band (the score's distance to the threshold), and the requests a
person checked (the audit sample) per band and verdict. Pure numpy on counts; no text, no database.

With audited requests (this week's or earlier weeks'), the error rates of placement are learned from
every audited request of the deployment: how often an approved request and an out-of-scope request fall
in each score band. The week's share is the mix of the two that best explains its bands (maximum
likelihood), and its interval adds the week's own noise to the uncertainty of those learned rates
(delta method). Without any audit, the share is corrected with the calibration's false-flag rate and
the interval allows the real false-flag rate to be up to FPR_SPREAD times what the examples predict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scopetext.share import MIN_DETECTION, RAMP_END, RAMP_START, detection_rate

Z95 = 1.959963984540054
BAND_WIDTH = 0.05  # score bands are this wide, counted from the threshold
BAND_LOW = (
    -4
)  # band of a score below threshold - 0.2 (and of an empty text); bands < 0 are placed out of scope
BAND_HIGH = 3  # band of a score at or above threshold + 0.15
N_BANDS = BAND_HIGH - BAND_LOW + 1
# Prior weight, in requests, of the calibration examples' bands for approved requests, and of a flat
# shape for out-of-scope requests (mostly below the threshold): they steer the first audited weeks only.
PRIOR_IN_WEIGHT = 5.0
PRIOR_OUT_WEIGHT = 2.0
# Without audit, the real false-flag rate may be this many times what the calibration predicts, and the
# detection rate this much above its estimate. Set on the tuning groups (docs/scope.md).
FPR_SPREAD = 1.5
DETECTION_SPREAD = 0.15


def band_of(score: float, threshold: float, out_of_scope: bool) -> int:
    """The score band of a placement: floor((score - threshold) / BAND_WIDTH), clipped to the range, and
    always negative for a request placed out of scope (so the bands agree with the placement)."""
    band = math.floor((score - threshold) / BAND_WIDTH)
    band = min(max(band, BAND_LOW), BAND_HIGH)
    return min(band, -1) if out_of_scope else max(band, 0)


def bands_of(scores: np.ndarray, threshold: float) -> np.ndarray:
    """band_of for an array of scores placed with `threshold` (out of scope below it, or at 0)."""
    scores = np.asarray(scores, dtype=float)
    raw = np.clip(np.floor((scores - threshold) / BAND_WIDTH), BAND_LOW, BAND_HIGH).astype(int)
    outside = (scores < threshold) | (scores <= 0.0)
    bands: np.ndarray = np.where(outside, np.minimum(raw, -1), np.maximum(raw, 0))
    return bands


def band_vector(counts: Mapping[int, float]) -> np.ndarray:
    """Counts keyed by band as a vector indexed from BAND_LOW."""
    vec = np.zeros(N_BANDS)
    for band, value in counts.items():
        vec[min(max(int(band), BAND_LOW), BAND_HIGH) - BAND_LOW] += float(value)
    return vec


@dataclass(frozen=True)
class ShareInterval:
    """An estimated share with its 95% interval and how it was made."""

    share: float
    low: float
    high: float
    method: str  # "audited": error rates learned from audited requests; "calibration": from the examples


@dataclass(frozen=True)
class AuditRates:
    """Placement error rates learned from audited requests: the share of approved (`inside`) and of
    out-of-scope (`outside`) requests in each score band, and the requests each rests on (prior included)."""

    inside: np.ndarray
    outside: np.ndarray
    n_inside: float
    n_outside: float

    @property
    def false_flag_rate(self) -> float:
        return float(self.inside[:-BAND_LOW].sum())

    @property
    def detection_rate(self) -> float:
        return float(self.outside[:-BAND_LOW].sum())


def prior_inside(calibration_bands: Sequence[float] | None) -> np.ndarray:
    """PRIOR_IN_WEIGHT requests spread like the calibration examples' bands (flat without them)."""
    base = np.asarray(calibration_bands if calibration_bands is not None else np.ones(N_BANDS), dtype=float)
    if base.shape != (N_BANDS,) or base.sum() <= 0:
        base = np.ones(N_BANDS)
    prior: np.ndarray = base / base.sum() * PRIOR_IN_WEIGHT + 0.05
    return prior


def prior_outside() -> np.ndarray:
    """PRIOR_OUT_WEIGHT requests, three times as likely in each band below the threshold as above it."""
    shape = np.where(np.arange(N_BANDS) < -BAND_LOW, 1.0, 1.0 / 3.0)
    prior: np.ndarray = shape / shape.sum() * PRIOR_OUT_WEIGHT
    return prior


def learn_rates(
    audited_inside: np.ndarray, audited_outside: np.ndarray, calibration_bands: Sequence[float] | None = None
) -> AuditRates:
    """Band shares of approved and out-of-scope requests from the audited counts per band (pooled over
    weeks), each smoothed with its prior."""
    inside = np.asarray(audited_inside, dtype=float) + prior_inside(calibration_bands)
    outside = np.asarray(audited_outside, dtype=float) + prior_outside()
    return AuditRates(
        inside / inside.sum(), outside / outside.sum(), float(inside.sum()), float(outside.sum())
    )


def _mle(counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """The share t in [0, 1] maximizing sum(counts * log((1 - t) a + t b)): concave, found by bisection
    on its derivative."""
    diff = b - a

    def slope(t: float) -> float:
        return float((counts * diff / np.maximum((1 - t) * a + t * b, 1e-12)).sum())

    if slope(0.0) <= 0:
        return 0.0
    if slope(1.0) >= 0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if slope(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _delta_variance(t: float, placed: float, rates: AuditRates) -> float:
    """Variance of the estimated share of `placed` requests: their own band noise given the true mix, plus
    the uncertainty of the learned band shares (delta method on the likelihood equation)."""
    a, b = rates.inside, rates.outside
    diff = b - a
    mix = np.maximum((1 - t) * a + t * b, 1e-12)
    expected = placed * mix
    info = float((expected * diff * diff / mix**2).sum())
    if info <= 1e-12:
        return 0.25
    j_counts = diff / mix / info
    cov_counts = placed * (1 - t) * (np.diag(a) - np.outer(a, a)) + placed * t * (np.diag(b) - np.outer(b, b))
    j_a = -expected * b / mix**2 / info
    j_b = expected * a / mix**2 / info
    cov_a = (np.diag(a) - np.outer(a, a)) / rates.n_inside
    cov_b = (np.diag(b) - np.outer(b, b)) / rates.n_outside
    return float(j_counts @ cov_counts @ j_counts + j_a @ cov_a @ j_a + j_b @ cov_b @ j_b)


def audited_share(
    placed_bands: np.ndarray, audited_inside: int, audited_outside: int, rates: AuditRates
) -> ShareInterval:
    """Out-of-scope share of a week's placed requests: `placed_bands` counts the ones nobody checked per
    band, audited_inside/outside the week's checked ones by verdict (known exactly). `rates` are learned
    from every audited request (this week's included)."""
    placed = float(np.sum(placed_bands))
    audited = audited_inside + audited_outside
    total = placed + audited
    if total <= 0:
        return ShareInterval(0.0, 0.0, 0.0, "audited")
    t = _mle(np.asarray(placed_bands, dtype=float), rates.inside, rates.outside) if placed > 0 else 0.0
    se = math.sqrt(max(_delta_variance(t, placed, rates), 0.0)) if placed > 0 else 0.0
    share = (audited_outside + placed * t) / total
    half = placed / total * Z95 * se
    return ShareInterval(share, max(share - half, 0.0), min(share + half, 1.0), "audited")


def wilson(successes: float, n: float) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 1.0
    p = min(max(successes / n, 0.0), 1.0)
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def calibrated_share(
    placed_bands: np.ndarray, false_flag_rate: float, calibration_bands: Sequence[float] | None
) -> ShareInterval:
    """Out-of-scope share of placed requests nobody checked, from the placement alone: flagged requests
    corrected for the calibration's false-flag rate and an estimated detection rate (blended in as in
    scopetext.share), with an interval whose low end allows the real false-flag rate to be FPR_SPREAD
    times the calibrated one and the detection rate DETECTION_SPREAD above its estimate (a week whose true
    share is 0 then does not alert), and whose high end takes every flag as real and half of the
    out-of-scope requests as missed (MIN_DETECTION)."""
    counts = np.asarray(placed_bands, dtype=float)
    n = float(counts.sum())
    if n <= 0:
        return ShareInterval(0.0, 0.0, 0.0, "calibration")
    flagged = float(counts[:-BAND_LOW].sum())
    observed = flagged / n
    fpr = min(max(false_flag_rate, 0.0), 0.5)
    detection = _detection(counts, calibration_bands)
    lower_only = _adjusted(observed, fpr, 1.0)
    if lower_only <= RAMP_START:
        share = lower_only
    else:
        weight = min((lower_only - RAMP_START) / (RAMP_END - RAMP_START), 1.0)
        share = (1 - weight) * lower_only + weight * _adjusted(observed, fpr, detection)
    q_lo, q_hi = wilson(flagged, n)
    low = _adjusted(q_lo, min(fpr * FPR_SPREAD, 0.5), min(detection + DETECTION_SPREAD, 1.0))
    high = max(_adjusted(q_hi, 0.0, MIN_DETECTION), low)  # every flag real, half the out-of-scope missed
    return ShareInterval(min(max(share, low), high), low, high, "calibration")


def _adjusted(observed: float, fpr: float, tpr: float) -> float:
    denominator = tpr - fpr
    if denominator <= 1e-9:
        return float(min(max(observed, 0.0), 1.0))
    return float(min(max((observed - fpr) / denominator, 0.0), 1.0))


def _detection(counts: np.ndarray, calibration_bands: Sequence[float] | None) -> float:
    """The share of out-of-scope requests below the threshold, from a two-normal mixture fitted to the
    week's bands (the approved normal fixed from the calibration bands; scopetext.share)."""
    if calibration_bands is None or float(np.sum(calibration_bands)) < 2:
        return MIN_DETECTION
    mids = (np.arange(BAND_LOW, BAND_HIGH + 1) + 0.5) * BAND_WIDTH
    scores = np.repeat(mids, np.rint(counts).astype(int))
    calibration = np.repeat(mids, np.rint(np.asarray(calibration_bands, dtype=float)).astype(int))
    if len(scores) == 0 or len(calibration) < 2:
        return MIN_DETECTION
    return detection_rate(scores, calibration, 0.0)
