"""Placement of unlabeled requests: each text gets the approved use case it most resembles, or
OUT_OF_SCOPE when its similarity to everything the deployment is approved for falls below a threshold
calibrated from the deployment's own examples. Pure and deterministic: no database, no network, no state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import sparse

from postlaunch.rules import OUT_OF_SCOPE
from scopetext import calibration as cal
from scopetext.estimate import BAND_LOW, N_BANDS, bands_of
from scopetext.share import ShareEstimate, estimate_share
from scopetext.text import row_norms, scale_rows, vectorize

# Bump when scoring, featurization or calibration changes: the fingerprint changes and placement is re-run.
METHOD_VERSION = "tfidf-hash-w12-c35-mix3-jk/2"  # /2: score bands, threshold from audited traffic
CHUNK = 10_000  # texts featurized at once
# Audited approved requests needed before the threshold is set from real traffic instead of the examples.
MIN_TRAFFIC_CALIBRATION = 50


@dataclass(frozen=True)
class Placement:
    use_case: str
    score: float


def _name_as_text(use_case: str) -> str:
    return use_case.replace("_", " ").replace("-", " ")


@dataclass(eq=False)  # holds sparse matrices; compare fingerprints instead
class ScopeModel:
    """Fitted placement model of one deployment. Build it with `ScopeModel.fit`."""

    use_cases: tuple[str, ...]
    descriptions: dict[str, str]
    examples: dict[str, tuple[str, ...]]
    threshold: float
    calibration: dict[str, Any]
    threshold_override: float | None
    references: dict[str, tuple[str, ...]]
    _refs: sparse.csr_matrix = field(repr=False)
    _ref_starts: np.ndarray = field(repr=False)
    _centroids: sparse.csr_matrix = field(repr=False)
    _calibration_scores: np.ndarray = field(repr=False)
    _keys: sparse.csc_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # references and centroids as columns, built once: place() is one sparse product per batch
        self._keys = sparse.vstack([self._refs, self._centroids], format="csr").T.tocsc()

    @classmethod
    def fit(
        cls,
        descriptions: Mapping[str, str],
        examples: Mapping[str, Sequence[str]] | None = None,
        threshold: float | None = None,
        percentile: float = cal.DEFAULT_PERCENTILE,
        references: Mapping[str, Sequence[str]] | None = None,
    ) -> ScopeModel:
        """Approved use cases are the keys of `descriptions` and `examples`; a use case with neither a
        description nor examples is described by its own name. `threshold` overrides the calibration
        (the registry's `scope_threshold`); the calibration is still computed and shown. `references` are
        more texts of an approved use case (labelled requests) that requests are compared with, like the
        descriptions: the calibration scores only `examples`, against all of them."""
        examples = dict(examples or {})
        references = {
            uc: refs for uc, refs in (references or {}).items() if uc in descriptions or uc in examples
        }
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"scope threshold {threshold!r} is outside 0-1")
        use_cases = tuple(sorted(set(descriptions) | set(examples)))
        if not use_cases:
            raise ValueError(
                "no approved use case to place requests in: descriptions and examples are both empty"
            )
        texts: list[str] = []
        groups: list[int] = []
        is_example: list[bool] = []
        starts: list[int] = []
        clean_desc: dict[str, str] = {}
        clean_ex: dict[str, tuple[str, ...]] = {}
        clean_refs: dict[str, tuple[str, ...]] = {}
        for index, use_case in enumerate(use_cases):
            starts.append(len(texts))
            description = (descriptions.get(use_case) or "").strip()
            case_examples = tuple(str(e) for e in (examples.get(use_case) or ()) if str(e).strip())
            clean_desc[use_case] = description
            clean_ex[use_case] = case_examples
            if description or not case_examples:
                texts.append(description or _name_as_text(use_case))
                groups.append(index)
                is_example.append(False)
            for example in case_examples:
                texts.append(example)
                groups.append(index)
                is_example.append(True)
            extra = tuple(str(r) for r in (references.get(use_case) or ()) if str(r).strip())
            clean_refs[use_case] = extra
            for reference in extra:
                texts.append(reference)
                groups.append(index)
                is_example.append(False)
        refs = vectorize(texts)
        group_arr = np.array(groups)
        centroids = _centroid_rows(refs, group_arr, len(use_cases))
        gram = (refs @ refs.T).toarray()
        example_mask = np.array(is_example)
        loo, corrected = cal.calibration_scores(gram, group_arr, example_mask)
        info: dict[str, Any] = {
            "method": METHOD_VERSION,
            "n_use_cases": len(use_cases),
            "n_examples": len(loo),
            "n_references": sum(len(r) for r in clean_refs.values()),
        }
        if len(loo) >= cal.MIN_CALIBRATION_EXAMPLES:
            calibrated = cal.threshold_from(corrected, percentile)
            info.update(
                basis="leave-one-out similarity of each example to the rest, jackknife-corrected",
                percentile=percentile,
                calibrated_threshold=round(calibrated, 6),
                loo_quantiles=_quantiles(loo),
                corrected_quantiles=_quantiles(corrected),
                per_use_case_median={
                    uc: round(float(np.median(corrected[group_arr[example_mask] == i])), 6)
                    for i, uc in enumerate(use_cases)
                    if np.any(group_arr[example_mask] == i)
                },
            )
        else:
            calibrated = cal.DEFAULT_THRESHOLD
            info.update(
                basis=f"default: fewer than {cal.MIN_CALIBRATION_EXAMPLES} examples to calibrate from",
                calibrated_threshold=calibrated,
            )
        final = float(threshold) if threshold is not None else calibrated
        info["threshold"] = round(final, 6)
        info["threshold_source"] = "registry scope_threshold" if threshold is not None else info["basis"]
        info["expected_false_flag_rate"] = (
            round(cal.below_rate(corrected, final), 6) if len(corrected) else None
        )
        info["bands"] = _band_counts(corrected, final)
        return cls(
            use_cases=use_cases,
            descriptions=clean_desc,
            examples=clean_ex,
            threshold=final,
            calibration=info,
            threshold_override=None if threshold is None else float(threshold),
            references=clean_refs,
            _refs=refs,
            _ref_starts=np.array(starts),
            _centroids=centroids,
            _calibration_scores=corrected,
        )

    def recalibrated(self, traffic_scores: np.ndarray, percentile: float | None = None) -> ScopeModel:
        """This model with its threshold set from real traffic: the `percentile` (default the calibration's)
        of the scores of audited requests a person found approved, once there are MIN_TRAFFIC_CALIBRATION
        of them; the registry's scope_threshold still wins. Unchanged otherwise."""
        scores = np.asarray(traffic_scores, dtype=float)
        if self.threshold_override is not None or len(scores) < MIN_TRAFFIC_CALIBRATION:
            return self
        pct = float(
            percentile
            if percentile is not None
            else self.calibration.get("percentile", cal.DEFAULT_PERCENTILE)
        )
        threshold = round(cal.threshold_from(scores, pct), 3)  # rounded: a few more audits rarely move it
        info = dict(self.calibration)
        info.update(
            threshold=threshold,
            threshold_source=f"{pct:g}th percentile of the scores of {len(scores)} audited approved requests",
            traffic_n=len(scores),
            traffic_threshold=threshold,
            expected_false_flag_rate=round(cal.below_rate(scores, threshold), 6),
            bands=_band_counts(scores, threshold),
        )
        return replace(self, threshold=threshold, calibration=info, _calibration_scores=scores)

    def scores(self, texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """(index of the nearest use case, similarity score in [0, 1]) per text; no threshold applied."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if len(texts) > CHUNK:  # bounded memory for big batches; results do not depend on the chunking
            parts = [self.scores(texts[i : i + CHUNK]) for i in range(0, len(texts), CHUNK)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        matrix = vectorize(texts)
        n_refs = self._refs.shape[0]
        sims = (matrix @ self._keys).toarray()
        ref_sims = sims[:, :n_refs]
        per_case_ref = np.maximum.reduceat(ref_sims, self._ref_starts, axis=1)
        per_case_centroid = sims[:, n_refs : n_refs + len(self.use_cases)]
        global_sim = sims[:, -1]
        score = cal.combined_score(per_case_ref.max(axis=1), per_case_centroid.max(axis=1), global_sim)
        nearest = np.argmax(per_case_ref + per_case_centroid, axis=1)
        empty = np.diff(matrix.indptr) == 0
        score[empty] = 0.0
        return nearest, np.clip(score, 0.0, 1.0)

    def place(self, texts: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
        """The approved use case, or OUT_OF_SCOPE, and the similarity score of each text. A text with
        nothing left after normalization (empty, only redaction tokens) is out of scope with score 0."""
        nearest, score = self.scores(texts)
        names = (
            np.array(self.use_cases, dtype=object)[nearest] if len(nearest) else np.array([], dtype=object)
        )
        inside = (score >= self.threshold) & (score > 0.0)
        labels = [str(name) if ok else OUT_OF_SCOPE for name, ok in zip(names, inside, strict=True)]
        return labels, score

    def placements(self, texts: Sequence[str | None]) -> list[Placement]:
        labels, score = self.place(texts)
        return [Placement(label, float(s)) for label, s in zip(labels, score, strict=True)]

    def share_estimate(self, texts: Sequence[str | None]) -> ShareEstimate:
        """Out-of-scope share of a batch, corrected for approved requests below the threshold and for
        out-of-scope requests above it (see ingest/scope/share.py)."""
        _, score = self.scores(texts)
        return estimate_share(score, self._calibration_scores, self.threshold)

    def estimate_out_of_scope_share(self, texts: Sequence[str | None]) -> float:
        return self.share_estimate(texts).share

    def fingerprint(self) -> str:
        """sha256 of what placement depends on: method version, descriptions, examples, threshold override.
        (The calibrated threshold is a function of these, so it needs no entry of its own.)"""
        payload = {
            "method": METHOD_VERSION,
            "descriptions": {uc: self.descriptions[uc] for uc in self.use_cases},
            "examples": {uc: list(self.examples[uc]) for uc in self.use_cases},
            "references": {uc: list(self.references.get(uc, ())) for uc in self.use_cases},
            "threshold_override": self.threshold_override,
            "traffic_threshold": self.calibration.get("traffic_threshold"),
            "percentile": self.calibration.get("percentile"),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _centroid_rows(refs: sparse.csr_matrix, groups: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """One unit-norm centroid row per use case, then the centroid of all references (last row): the sums
    of one product with a membership matrix whose last row takes every reference."""
    n = len(groups)
    membership = sparse.csr_matrix(
        (np.ones(2 * n), (np.concatenate([groups, np.full(n, n_groups)]), np.tile(np.arange(n), 2))),
        shape=(n_groups + 1, n),
    )
    sums: sparse.csr_matrix = (membership @ refs).tocsr()
    sums.sort_indices()
    norms = row_norms(sums)
    norms[norms == 0] = 1.0
    return scale_rows(sums, 1.0 / norms)


def _band_counts(scores: np.ndarray, threshold: float) -> list[int]:
    """How many of `scores` fall in each score band of scopetext.estimate (the approved requests' shape)."""
    bands = bands_of(np.asarray(scores, dtype=float), threshold) - BAND_LOW
    return [int(c) for c in np.bincount(bands, minlength=N_BANDS)]


def _quantiles(values: np.ndarray) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(values, q)), 6) for q in (0, 5, 25, 50, 75, 100)}
