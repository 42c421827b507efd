"""Text to vectors for scope placement: redaction tokens removed, lower-cased, truncated, then hashed word
1-2-grams and character 3-5-grams (within word boundaries), sublinear counts, each block L2-normalized.
It owns only the featurization; it keeps no state, downloads nothing and never touches a database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from scipy import sparse

# `[EMAIL]`, `[PHONE]`, `[NATIONAL_ID]` ... as written by ingest/redact.py: noise for placement.
REDACTION_TOKEN = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
# Long texts are cut here: the opening of a request says what it is for, and the cost stays bounded.
MAX_CHARS = 1000
N_FEATURES = 2**20  # per block; hash collisions among a deployment's few hundred n-grams are negligible
WORD_WEIGHT = 0.5  # share of the squared norm given to word n-grams; the rest goes to character n-grams


def normalize(text: object) -> str:
    """The text placement sees: redaction tokens dropped, lower case, whitespace collapsed, first MAX_CHARS."""
    if not isinstance(text, str) or not text:  # None, NaN from a data frame, or empty
        return ""
    cleaned = REDACTION_TOKEN.sub(" ", text[: MAX_CHARS * 2])
    return " ".join(cleaned.lower().split())[:MAX_CHARS]


@cache
def _words() -> Any:
    """Word 1-2-gram hashing; scikit-learn is imported on first use (it costs ~1 s, and every command
    that imports ingest would otherwise pay it)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=N_FEATURES,
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",
        alternate_sign=False,
        norm=None,
        lowercase=False,
        dtype=np.float64,
    )


CHAR_NGRAMS = (3, 4, 5)
_MULTIPLIER = np.uint64(1000003)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def char_counts(cleaned: list[str]) -> sparse.csr_matrix:
    """Counts of hashed character 3-5-grams inside space-padded words (like scikit-learn's `char_wb`),
    computed for the whole batch at once with numpy: an n-gram is kept when it holds no text separator
    and no space except at its ends. Deterministic (fixed uint64 polynomial hash, no per-process seed)."""
    padded = [f" {t} " if t else "" for t in cleaned]
    codes = np.frombuffer(("\x00".join(padded) + "\x00").encode("utf-32-le"), dtype=np.uint32).astype(
        np.uint64
    )
    starts = np.concatenate([[0], np.cumsum([len(p) + 1 for p in padded])[:-1]]).astype(np.int64)
    is_sep = codes == 0
    is_space = codes == 32
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        for n in CHAR_NGRAMS:
            m = len(codes) - n + 1
            if m <= 0:
                continue
            hashed = np.zeros(m, dtype=np.uint64)
            bad = np.zeros(m, dtype=bool)
            for k in range(n):
                hashed = hashed * _MULTIPLIER + codes[k : k + m]
                bad |= is_sep[k : k + m]
                if 0 < k < n - 1:
                    bad |= is_space[k : k + m]
            hashed = (hashed + np.uint64(n)) * _MIX
            hashed ^= hashed >> np.uint64(29)
            keep = np.flatnonzero(~bad)
            cols.append((hashed[keep] % np.uint64(N_FEATURES)).astype(np.int64))
            rows.append(np.searchsorted(starts, keep, side="right") - 1)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    counts = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(len(cleaned), N_FEATURES))
    counts.sum_duplicates()
    return counts


def row_norms(matrix: sparse.csr_matrix) -> np.ndarray:
    """The L2 norm of each row, from the stored values alone. (scipy's `multiply` and `@` on a matrix of
    2^20 columns set up work arrays as wide as the matrix on every call: ~10 ms each, most of fitting.)"""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms: np.ndarray = np.sqrt(
        np.bincount(rows, weights=matrix.data * matrix.data, minlength=matrix.shape[0])
    )
    return norms


def scale_rows(matrix: sparse.csr_matrix, factors: np.ndarray) -> sparse.csr_matrix:
    """`matrix` with row i multiplied by factors[i] (in place; the same values as diags(factors) @ matrix)."""
    matrix.data = matrix.data * np.repeat(factors, np.diff(matrix.indptr))
    return matrix


def _weighted(counts: sparse.csr_matrix, weight: float) -> sparse.csr_matrix:
    counts.data = 1.0 + np.log(
        counts.data
    )  # sublinear term frequency: a repeated word is not ten times the evidence
    norms = row_norms(counts)
    norms[norms == 0] = 1.0
    return scale_rows(counts, np.sqrt(weight) / norms)


def vectorize(texts: Sequence[str | None]) -> sparse.csr_matrix:
    """Unit-norm rows (all-zero for a text with nothing left after normalization), shape (len(texts), 2*N_FEATURES)."""
    cleaned = [normalize(t) for t in texts]
    words = _weighted(_words().transform(cleaned).tocsr(), WORD_WEIGHT)
    chars = _weighted(char_counts(cleaned), 1.0 - WORD_WEIGHT)
    matrix: sparse.csr_matrix = sparse.hstack([words, chars], format="csr")
    return matrix
