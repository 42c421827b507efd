"""Grouping of out-of-scope request texts for the Scope page: TF-IDF of words, k-means with a fixed seed,
the number of groups chosen by silhouette, each group named by its top terms. Deterministic for a given
input and seed; no database, no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

from scopetext.text import normalize

NO_TEXT_LABEL = "(no text)"
SILHOUETTE_SAMPLE = 1000  # texts used to choose the number of groups; k-means itself sees every text
N_LABEL_TERMS = 3
N_EXAMPLES = 3


@dataclass(frozen=True)
class Cluster:
    label_terms: list[str]
    count: int
    examples: list[str]


def cluster_texts(texts: Sequence[str | None], max_clusters: int = 8, seed: int = 0) -> list[Cluster]:
    """Groups of similar texts, largest first; every text is counted in exactly one group.

    Texts with nothing left after normalization (empty, only redaction tokens) form their own group,
    labelled NO_TEXT_LABEL. Examples are the texts nearest the group's centre, as given (not normalized).
    """
    if max_clusters < 1:
        raise ValueError(f"max_clusters must be at least 1, got {max_clusters}")
    originals = ["" if t is None else str(t) for t in texts]
    cleaned = [normalize(t) for t in originals]
    with_text = [i for i, t in enumerate(cleaned) if t]
    clusters: list[Cluster] = []
    if with_text:
        clusters = _cluster_nonempty(
            [originals[i] for i in with_text], [cleaned[i] for i in with_text], max_clusters, seed
        )
    empty = len(originals) - len(with_text)
    if empty:
        clusters.append(Cluster([NO_TEXT_LABEL], empty, []))
    return sorted(clusters, key=lambda c: (-c.count, c.label_terms))


def _vectorizer(min_df: int) -> Any:
    # scikit-learn is imported here, not at module load: it costs ~1 s, and every command that imports
    # ingest (the whole CLI) would pay it; only the Scope page clusters.
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b[^\W\d_][\w'-]*\b",  # words, not numbers or ids
        stop_words="english",
        sublinear_tf=True,
        min_df=min_df,
        max_features=20000,
        lowercase=False,
    )


def _cluster_nonempty(
    originals: list[str], cleaned: list[str], max_clusters: int, seed: int
) -> list[Cluster]:
    matrix = None
    terms: np.ndarray | None = None
    for min_df in (2, 1) if len(cleaned) >= 50 else (1,):
        try:
            vectorizer = _vectorizer(min_df)
            matrix = vectorizer.fit_transform(cleaned)
            terms = vectorizer.get_feature_names_out()
            break
        except ValueError:  # empty vocabulary: only stop words or numbers
            matrix = None
    if matrix is None or terms is None or matrix.shape[1] == 0:
        return [Cluster([], len(originals), _first_distinct(originals, range(len(originals))))]
    k_max = min(max_clusters, len(set(cleaned)))
    labels = np.zeros(len(cleaned), dtype=int)
    if k_max >= 2:
        labels = _best_kmeans(matrix, k_max, seed)
    clusters = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        centre = np.asarray(matrix[members].mean(axis=0)).ravel()
        top = [str(terms[i]) for i in np.argsort(-centre, kind="stable")[:N_LABEL_TERMS] if centre[i] > 0]
        closeness = np.asarray(matrix[members] @ centre).ravel()
        order = members[np.argsort(-closeness, kind="stable")]
        clusters.append(Cluster(top, len(members), _first_distinct(originals, order.tolist())))
    return clusters


def _best_kmeans(matrix: sparse.csr_matrix, k_max: int, seed: int) -> np.ndarray:
    """k-means for k = 2..k_max; keep the labels with the best cosine silhouette on a seeded sample."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    n = matrix.shape[0]
    sample = np.sort(rng.choice(n, size=min(n, SILHOUETTE_SAMPLE), replace=False))
    best_labels = np.zeros(n, dtype=int)
    best_score = -np.inf
    for k in range(2, k_max + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(matrix)
        sample_labels = labels[sample]
        if len(np.unique(sample_labels)) < 2 or len(np.unique(sample_labels)) >= len(sample):
            continue
        score = silhouette_score(matrix[sample], sample_labels, metric="cosine")
        if score > best_score + 1e-9:
            best_score, best_labels = score, labels
    return best_labels


def _first_distinct(originals: Sequence[str], order: Sequence[int] | range) -> list[str]:
    seen: list[str] = []
    for i in order:
        text = originals[int(i)]
        if text not in seen:
            seen.append(text)
        if len(seen) == N_EXAMPLES:
            break
    return seen
