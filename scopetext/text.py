"""Text to vectors for scope placement: redaction tokens removed, lower-cased, truncated, then hashed word
1-2-grams and character 3-5-grams (within word boundaries), sublinear counts, each block L2-normalized.
It owns only the featurization; it keeps no state, downloads nothing and never touches a database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


WORD = re.compile(r"(?u)\b\w+\b")
_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def word_counts(cleaned: list[str]) -> sparse.csr_matrix:
    """Counts of hashed word 1-2-grams (words: runs of word characters; a pair is two words joined by a
    space), each hashed with MurmurHash3 (x86, 32 bit, seed 0) of its UTF-8 bytes into column
    |hash| mod N_FEATURES: the same matrix as scikit-learn's HashingVectorizer(ngram_range=(1, 2),
    token_pattern WORD, alternate_sign=False, norm=None, lowercase=False), without importing
    scikit-learn (about 1.2 s) on every ingest that places text."""
    grams: list[str] = []
    sizes = np.zeros(len(cleaned), dtype=np.int64)
    for i, text in enumerate(cleaned):
        words = WORD.findall(text)
        grams.extend(words)
        grams.extend(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
        sizes[i] = 2 * len(words) - 1 if words else 0
    hashes = murmur3_32([g.encode("utf-8") for g in grams])
    # |h| mod n, with |-2^31| taken as 2^31 (scikit-learn's rule for the one value abs() cannot hold)
    col = np.abs(hashes.astype(np.int32).astype(np.int64)) % N_FEATURES
    row = np.repeat(np.arange(len(cleaned)), sizes)
    return _counted(row, col, len(cleaned))


def murmur3_32(keys: list[bytes], seed: int = 0) -> np.ndarray:
    """MurmurHash3 x86 32-bit of every key, as uint32, vectorized over the keys (numpy, wrapping uint32)."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=n)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    data = np.frombuffer(b"".join(keys) + b"\0\0\0\0", dtype=np.uint8).astype(np.uint32)
    h = np.full(n, seed, dtype=np.uint32)
    blocks = lengths // 4
    with np.errstate(over="ignore"):
        for j in range(int(blocks.max())):
            live = np.flatnonzero(blocks > j)
            at = starts[live] + 4 * j
            k = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)
            k = _rotl(k * _C1, 15) * _C2
            x = _rotl(h[live] ^ k, 13)
            h[live] = x * np.uint32(5) + np.uint32(0xE6546B64)
        rest = lengths & 3
        tail = starts + 4 * blocks
        k = np.zeros(n, dtype=np.uint32)
        for byte in (2, 1, 0):
            has = rest > byte
            k[has] ^= data[tail[has] + byte] << (8 * byte)
        has = rest > 0
        h[has] ^= _rotl(k[has] * _C1, 15) * _C2
        h ^= lengths.astype(np.uint32)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    rotated: np.ndarray = (x << np.uint32(r)) | (x >> np.uint32(32 - r))
    return rotated


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
    return _counted(row, col, len(cleaned))


def _counted(row: np.ndarray, col: np.ndarray, n_rows: int) -> sparse.csr_matrix:
    """How often each (row, hashed column) pair occurs, as an (n_rows, N_FEATURES) matrix."""
    counts = sparse.csr_matrix((np.ones(len(col)), (row, col)), shape=(n_rows, N_FEATURES))
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
    words = _weighted(word_counts(cleaned), WORD_WEIGHT)
    chars = _weighted(char_counts(cleaned), 1.0 - WORD_WEIGHT)
    matrix: sparse.csr_matrix = sparse.hstack([words, chars], format="csr")
    return matrix
