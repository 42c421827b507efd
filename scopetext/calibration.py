"""Calibration of the out-of-scope threshold from a deployment's own approved examples: each example is
scored as if it were a new request (leave-one-out, with a jackknife correction for the example it loses),
and the threshold is a low percentile of those scores. Pure numpy on the examples' Gram matrix; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_PERCENTILE = 5.0  # about 1 in 20 genuinely approved requests is expected to fall below the threshold
MIN_CALIBRATION_EXAMPLES = 5  # fewer examples than this: use DEFAULT_THRESHOLD, said so in `calibration`
# Threshold used when a deployment gives too few examples to calibrate. Measured on Banking77 with
# descriptions only (benchmarks/scope.py prints the figure it rests on); a rough prior, not a calibration.
DEFAULT_THRESHOLD = 0.12


def combined_score(max_ref: np.ndarray, max_centroid: np.ndarray, global_sim: np.ndarray) -> np.ndarray:
    """The similarity score: mean of the best single reference, the best use-case centroid and the centroid
    of everything approved. Used by placement and by calibration so that both speak the same scale."""
    score: np.ndarray = (max_ref + max_centroid + global_sim) / 3.0
    return score


def held_out_scores(gram: np.ndarray, groups: np.ndarray, query: int, drop: Sequence[int]) -> float:
    """Score of reference `query` against the references minus `drop` (which contains `query`).

    gram: inner products of the unit-norm reference vectors; groups: use-case index of each reference.
    Centroid similarities are computed from the Gram matrix: x·sum(S) / ||sum(S)||.
    """
    keep = np.ones(len(groups), dtype=bool)
    keep[list(drop)] = False
    row = gram[query]
    best_ref = 0.0
    best_centroid = 0.0
    for group in np.unique(groups):
        members = keep & (groups == group)
        if not members.any():
            continue
        best_ref = max(best_ref, float(row[members].max()))
        norm_sq = float(gram[np.ix_(members, members)].sum())
        if norm_sq > 1e-12:
            best_centroid = max(best_centroid, float(row[members].sum()) / np.sqrt(norm_sq))
    global_sim = 0.0
    norm_sq = float(gram[np.ix_(keep, keep)].sum())
    if keep.any() and norm_sq > 1e-12:
        global_sim = float(row[keep].sum()) / np.sqrt(norm_sq)
    return float(combined_score(np.array(best_ref), np.array(best_centroid), np.array(global_sim)))


def calibration_scores(
    gram: np.ndarray, groups: np.ndarray, is_example: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(leave-one-out score, jackknife-corrected score) of every example.

    A new request is compared with all n examples of its use case, a held-out example only with n-1, so
    leave-one-out scores run low. The jackknife extrapolates one step: corrected = LOO + (LOO - L2O), where
    L2O is the mean score with one more example of the same use case left out. Without a second example in
    the use case the LOO score is kept as it is. Same results as `held_out_scores`, computed from sums of
    the Gram matrix so that 200 examples take milliseconds.
    """
    n = len(groups)
    labels = np.unique(groups)
    onehot = (groups[:, None] == labels[None, :]).astype(float)
    group_sums = gram @ onehot  # (n, m): x_k · sum of group v
    group_norm2 = np.einsum("km,kl,lm->m", onehot, gram, onehot)  # ||sum of group v||^2
    total = gram.sum(axis=1)
    total_norm2 = float(gram.sum())
    position = {int(g): i for i, g in enumerate(labels)}
    examples = np.flatnonzero(is_example)
    loo = np.empty(len(examples))
    corrected = np.empty(len(examples))
    for pos, i in enumerate(examples):
        u = position[int(groups[i])]
        members = np.flatnonzero(groups == groups[i])
        others = [v for v in range(len(labels)) if v != u]
        best_ref_other = max((float(gram[i, groups == labels[v]].max()) for v in others), default=0.0)
        best_cent_other = max(
            (group_sums[i, v] / np.sqrt(group_norm2[v]) for v in others if group_norm2[v] > 1e-12),
            default=0.0,
        )
        rest = members[members != i]
        # drop sets {i} (j = -1) and {i, j} for every sibling example j
        siblings = rest[is_example[rest]]
        drops = np.concatenate([[-1], siblings])
        q_ij = np.where(drops >= 0, gram[i, np.maximum(drops, 0)], 0.0)
        q_jj = np.where(drops >= 0, gram[np.maximum(drops, 0), np.maximum(drops, 0)], 0.0)
        r_j = np.where(drops >= 0, group_sums[np.maximum(drops, 0), u], 0.0)
        t_j = np.where(drops >= 0, total[np.maximum(drops, 0)], 0.0)
        q_ii, r_i = gram[i, i], group_sums[i, u]
        sum_u = group_sums[i, u] - q_ii - q_ij
        norm2_u = group_norm2[u] - 2 * (r_i + r_j) + q_ii + q_jj + 2 * q_ij
        sum_g = total[i] - q_ii - q_ij
        norm2_g = total_norm2 - 2 * (total[i] + t_j) + q_ii + q_jj + 2 * q_ij
        # best remaining reference of the own use case, with j left out as well
        values = gram[i, rest]
        ref_u = np.empty(len(drops))
        for d, j in enumerate(drops):
            remaining = values[rest != j]
            ref_u[d] = remaining.max() if len(remaining) else 0.0
        cent_u = np.where(norm2_u > 1e-12, sum_u / np.sqrt(np.maximum(norm2_u, 1e-12)), 0.0)
        cent_u = np.where(len(rest) - (drops >= 0) > 0, cent_u, 0.0)
        glob = np.where(
            (norm2_g > 1e-12) & (n - 1 - (drops >= 0) > 0), sum_g / np.sqrt(np.maximum(norm2_g, 1e-12)), 0.0
        )
        scores = combined_score(np.maximum(ref_u, best_ref_other), np.maximum(cent_u, best_cent_other), glob)
        loo[pos] = scores[0]
        corrected[pos] = scores[0] + (scores[0] - scores[1:].mean()) if len(scores) > 1 else scores[0]
    return loo, corrected


def threshold_from(scores: np.ndarray, percentile: float = DEFAULT_PERCENTILE) -> float:
    return float(np.percentile(scores, percentile))


def below_rate(scores: np.ndarray, threshold: float) -> float:
    """Fraction of calibration scores under the threshold: the expected rate of approved requests flagged."""
    return float(np.mean(scores < threshold)) if len(scores) else 0.0


def adjusted_share(observed: float, false_flag_rate: float, detection_rate: float = 1.0) -> float:
    """Adjusted classify-and-count: (observed - fpr) / (tpr - fpr), clipped to [0, 1].

    observed: share of the batch flagged out of scope; false_flag_rate: share of approved requests flagged
    (from calibration); detection_rate: share of out-of-scope requests flagged. Nothing tells us the last
    from approved examples alone, so the default 1.0 makes the estimate a lower bound when detection is poor.
    """
    denominator = detection_rate - false_flag_rate
    if denominator <= 1e-9:
        return float(min(max(observed, 0.0), 1.0))
    return float(min(max((observed - false_flag_rate) / denominator, 0.0), 1.0))
