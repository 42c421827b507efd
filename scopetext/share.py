"""Out-of-scope share of a batch, corrected for the placement's two error rates: approved requests that
fall below the threshold (false flags, known from calibration) and out-of-scope requests that score above
it (missed, estimated from the batch's own scores). Pure numpy/scipy on score arrays; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scopetext.calibration import adjusted_share, below_rate

MIN_DETECTION = 0.5  # never assume the threshold catches fewer than half of the out-of-scope requests
# The detection rate is estimated only once the batch shows a clear excess of flagged requests: below
# RAMP_START the lower bound is returned, above RAMP_END the corrected figure, linearly in between.
RAMP_START = 0.05
RAMP_END = 0.15
EM_ITERATIONS = 200


@dataclass(frozen=True)
class ShareEstimate:
    """The out-of-scope share of a batch and what it was computed from (for display next to the metric)."""

    share: float  # the estimate
    observed: float  # plain classify-and-count: share of texts placed out of scope
    lower_bound: float  # corrected for false flags only (as if every out-of-scope request were caught)
    false_flag_rate: float  # share of approved requests expected below the threshold (calibration)
    detection_rate: float  # estimated share of out-of-scope requests below the threshold
    n: int


def detection_rate(scores: np.ndarray, calibration: np.ndarray, threshold: float) -> float:
    """Share of the batch's out-of-scope requests that score below `threshold`.

    The batch's scores are fitted as a mixture of two normals: approved requests, whose mean and spread
    are fixed from the calibration scores, and out-of-scope requests, whose mean (kept below the approved
    mean) and spread are fitted by EM. The answer is the out-of-scope normal's mass below the threshold.
    """
    mean_in = float(np.mean(calibration))
    sd_in = max(float(np.std(calibration, ddof=1)) if len(calibration) > 1 else 0.1, 0.02)
    share = 0.5
    mean_out = min(float(np.percentile(scores, 10)), mean_in - sd_in)
    sd_out = sd_in
    for _ in range(EM_ITERATIONS):
        p_in = (1.0 - share) * _normal_pdf(scores, mean_in, sd_in)
        p_out = share * _normal_pdf(scores, mean_out, sd_out)
        resp = p_out / (p_in + p_out + 1e-300)
        share = float(resp.mean())
        weight = float(resp.sum())
        if weight < 1.0:
            break
        mean_out = min(float((resp * scores).sum() / weight), mean_in - 0.5 * sd_in)
        spread = float(np.sqrt((resp * (scores - mean_out) ** 2).sum() / weight))
        sd_out = min(max(spread, 0.02), 1.5 * sd_in)
    return float(max(_normal_cdf(threshold, mean_out, sd_out), MIN_DETECTION))


def estimate_share(scores: np.ndarray, calibration: np.ndarray, threshold: float) -> ShareEstimate:
    """Adjusted classify-and-count: (observed - false flags) / (detection - false flags), blended with the
    false-flag-only lower bound while the excess of flagged requests is small (see RAMP_START/RAMP_END)."""
    n = len(scores)
    if n == 0:
        return ShareEstimate(0.0, 0.0, 0.0, 0.0, 1.0, 0)
    flagged = (scores < threshold) | (scores <= 0.0)
    observed = float(flagged.mean())
    fpr = below_rate(calibration, threshold) if len(calibration) else 0.0
    lower = adjusted_share(observed, fpr, 1.0)
    if len(calibration) < 2 or lower <= RAMP_START:
        return ShareEstimate(lower, observed, lower, fpr, 1.0, n)
    tpr = detection_rate(scores, calibration, threshold)
    corrected = adjusted_share(observed, fpr, tpr)
    weight = min((lower - RAMP_START) / (RAMP_END - RAMP_START), 1.0)
    share = (1.0 - weight) * lower + weight * corrected
    return ShareEstimate(float(share), observed, lower, fpr, tpr, n)


def _normal_pdf(x: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """The normal density (scipy.stats would cost ~0.4 s of import for two formulas)."""
    z = (np.asarray(x, dtype=float) - mean) / sd
    return np.exp(-0.5 * z * z) / (sd * math.sqrt(2.0 * math.pi))


def _normal_cdf(x: float, mean: float, sd: float) -> float:
    return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))
