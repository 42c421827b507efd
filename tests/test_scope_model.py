"""Scope placement (ingest/scope): determinism, placement on a tiny hand-made registry, threshold override,
fingerprint, empty and redacted texts, the share estimator, clustering, and a Banking77 regression floor."""

from __future__ import annotations

import csv
import random

import numpy as np
import pytest
from shared_data import shared_file

from scopetext import OUT_OF_SCOPE, ScopeModel, cluster_texts
from scopetext.calibration import adjusted_share, calibration_scores, held_out_scores, threshold_from
from scopetext.share import estimate_share
from scopetext.text import normalize, vectorize

BANKING77 = shared_file("banking77/banking77_train.csv")

DESCRIPTIONS = {
    "ticket_classification": "Assign an incoming support ticket to a product area and a priority",
    "routing_suggestion": "Suggest which support team should handle an incoming ticket",
}
EXAMPLES = {
    "ticket_classification": [
        "Classify this ticket: the printer on floor 3 is not working",
        "What priority is this ticket: VPN is down for all users",
        "Which product area is this ticket about: billing page shows the wrong invoice",
        "Classify this support ticket: password reset email never arrives",
        "Set the priority of this ticket: the mobile app crashes at login",
    ],
    "routing_suggestion": [
        "Which team should handle this ticket about single sign-on",
        "Route this ticket to the right support team: refund request",
        "Which support team handles tickets about the mobile app",
        "Suggest the team for this ticket: invoice shows the wrong VAT",
        "Who should take this ticket about a broken VPN connection",
    ],
}
IN_SCOPE = [
    ("Classify this ticket: the billing page shows the wrong invoice total", "ticket_classification"),
    ("Which support team should handle this ticket about the VPN", "routing_suggestion"),
]
OUT_OF_SCOPE_TEXTS = [
    "Write a birthday poem for my grandmother",
    "Translate this recipe for lasagne into Italian",
    "Draft a performance review for my direct report",
]


@pytest.fixture(scope="module")
def model() -> ScopeModel:
    return ScopeModel.fit(DESCRIPTIONS, EXAMPLES)


def test_place_is_deterministic(model: ScopeModel) -> None:
    texts = [t for t, _ in IN_SCOPE] + OUT_OF_SCOPE_TEXTS
    again = ScopeModel.fit(dict(reversed(list(DESCRIPTIONS.items()))), EXAMPLES)
    labels_a, scores_a = model.place(texts)
    labels_b, scores_b = again.place(texts)
    assert labels_a == labels_b
    np.testing.assert_array_equal(scores_a, scores_b)
    assert model.threshold == again.threshold
    assert model.fingerprint() == again.fingerprint()


@pytest.mark.parametrize(("text", "use_case"), IN_SCOPE)
def test_obvious_in_scope_text_gets_its_use_case(model: ScopeModel, text: str, use_case: str) -> None:
    labels, scores = model.place([text])
    assert labels == [use_case]
    assert scores[0] >= model.threshold


@pytest.mark.parametrize("text", OUT_OF_SCOPE_TEXTS)
def test_obvious_out_of_scope_text_is_flagged(model: ScopeModel, text: str) -> None:
    labels, scores = model.place([text])
    assert labels == [OUT_OF_SCOPE]
    assert scores[0] < model.threshold


def test_never_returns_an_unapproved_use_case(model: ScopeModel) -> None:
    rng = random.Random(7)
    words = [
        "ticket",
        "team",
        "poem",
        "invoice",
        "route",
        "classify",
        "vpn",
        "recipe",
        "priority",
        "sign-on",
        "app",
        "the",
        "a",
        "of",
    ]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(300)]
    labels, scores = model.place(texts)
    assert set(labels) <= set(DESCRIPTIONS) | {OUT_OF_SCOPE}
    assert len(labels) == len(texts) == len(scores)
    assert np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize("override", [0.0, 0.05, 0.9, 1.0])
def test_threshold_override_is_respected(override: float) -> None:
    fitted = ScopeModel.fit(DESCRIPTIONS, EXAMPLES, threshold=override)
    assert fitted.threshold == override
    assert fitted.calibration["threshold"] == override
    assert fitted.calibration["threshold_source"] == "registry scope_threshold"
    assert "calibrated_threshold" in fitted.calibration  # still computed for display
    labels, scores = fitted.place([t for t, _ in IN_SCOPE] + OUT_OF_SCOPE_TEXTS)
    for label, score in zip(labels, scores, strict=True):
        assert (label == OUT_OF_SCOPE) == (score < override or score == 0.0)


def test_threshold_override_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError, match="outside 0-1"):
        ScopeModel.fit(DESCRIPTIONS, EXAMPLES, threshold=1.5)


def test_calibrated_threshold_is_the_low_percentile_of_held_out_scores(model: ScopeModel) -> None:
    info = model.calibration
    assert info["n_examples"] == 10
    assert info["percentile"] == 5.0
    assert info["threshold_source"].startswith("leave-one-out")
    assert info["corrected_quantiles"]["p0"] <= model.threshold <= info["corrected_quantiles"]["p25"]
    assert 0.0 < model.threshold < 1.0


def test_too_few_examples_fall_back_to_the_documented_default() -> None:
    fitted = ScopeModel.fit(DESCRIPTIONS, {"routing_suggestion": ["Which team takes this ticket"]})
    assert fitted.calibration["basis"].startswith("default")
    assert fitted.threshold == fitted.calibration["calibrated_threshold"]


def test_use_case_without_description_or_examples_is_described_by_its_name() -> None:
    fitted = ScopeModel.fit({"invoice_summary": ""})
    labels, _ = fitted.place(["give me an invoice summary", "write a poem about the sea"])
    assert labels == ["invoice_summary", OUT_OF_SCOPE]


def test_no_use_case_is_refused() -> None:
    with pytest.raises(ValueError, match="no approved use case"):
        ScopeModel.fit({}, {})


def _fingerprint(descriptions=DESCRIPTIONS, examples=EXAMPLES, threshold=None) -> str:  # type: ignore[no-untyped-def]
    return ScopeModel.fit(descriptions, examples, threshold=threshold).fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"descriptions": {**DESCRIPTIONS, "routing_suggestion": "Suggest a team for a ticket"}},
        {"descriptions": {**DESCRIPTIONS, "new_use": "Summarize a ticket thread"}},
        {"examples": {**EXAMPLES, "routing_suggestion": EXAMPLES["routing_suggestion"][:-1]}},
        {"examples": {**EXAMPLES, "routing_suggestion": [*EXAMPLES["routing_suggestion"], "Route to L2"]}},
        {"threshold": 0.3},
    ],
)
def test_fingerprint_changes_with_what_placement_depends_on(change: dict) -> None:  # type: ignore[type-arg]
    assert _fingerprint(**change) != _fingerprint()
    assert len(_fingerprint()) == 64


@pytest.mark.parametrize(
    "text", ["", "   ", None, "[EMAIL]", "[EMAIL] [PHONE] [CARD]", "\n\t[NATIONAL_ID]\n"]
)
def test_empty_or_only_redacted_text_is_out_of_scope_with_score_zero(
    model: ScopeModel, text: str | None
) -> None:
    labels, scores = model.place([text])
    assert labels == [OUT_OF_SCOPE]
    assert scores[0] == 0.0


def test_redaction_tokens_are_noise(model: ScopeModel) -> None:
    plain = "Which support team should handle this ticket about the VPN"
    _, with_tokens = model.place([f"[EMAIL] {plain} [PHONE]"])
    _, without = model.place([plain])
    assert with_tokens[0] == pytest.approx(without[0])
    assert normalize("Call [PHONE] or mail [EMAIL] NOW") == "call or mail now"


def test_long_text_is_truncated_not_refused(model: ScopeModel) -> None:
    text = "Classify this ticket: the VPN is down. " * 2000
    labels, _ = model.place([text])
    assert labels == ["ticket_classification"]


def test_empty_batch(model: ScopeModel) -> None:
    labels, scores = model.place([])
    assert labels == [] and scores.shape == (0,)
    assert model.estimate_out_of_scope_share([]) == 0.0


def test_vectors_are_unit_norm_or_zero() -> None:
    matrix = vectorize(["hello world", "", "[EMAIL]", "a"])
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, [1.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("observed", "fpr", "tpr", "expected"),
    [
        (0.05, 0.05, 1.0, 0.0),  # exactly the false flags: nothing out of scope
        (0.525, 0.05, 1.0, 0.5),  # (0.525 - 0.05) / 0.95
        (0.40, 0.10, 0.70, 0.5),  # (0.40 - 0.10) / 0.60
        (0.01, 0.05, 1.0, 0.0),  # below the false-flag rate: clipped at 0
        (0.99, 0.05, 0.5, 1.0),  # clipped at 1
    ],
)
def test_adjusted_share_by_hand(observed: float, fpr: float, tpr: float, expected: float) -> None:
    assert adjusted_share(observed, fpr, tpr) == pytest.approx(expected)


def test_threshold_from_percentile_by_hand() -> None:
    # 5th percentile of 0.0, 0.1, ..., 1.0 (linear interpolation): 0.05
    assert threshold_from(np.linspace(0, 1, 11), 5.0) == pytest.approx(0.05)


def test_share_estimate_corrects_false_flags_on_synthetic_scores() -> None:
    rng = np.random.default_rng(3)
    calibration = rng.normal(0.42, 0.09, 200)
    threshold = float(np.percentile(calibration, 5))
    approved = rng.normal(0.42, 0.09, 2000)
    for share in (0.0, 0.3):
        k = int(share * 2000)
        batch = np.concatenate([rng.normal(0.12, 0.05, k), approved[: 2000 - k]])
        est = estimate_share(batch, calibration, threshold)
        assert est.observed >= est.lower_bound
        assert est.share == pytest.approx(share, abs=0.03)
        assert est.lower_bound <= est.share + 1e-12


def test_share_of_obvious_mix(model: ScopeModel) -> None:
    texts = [t for t, _ in IN_SCOPE] * 10 + OUT_OF_SCOPE_TEXTS * 10  # 20 in, 30 out
    est = model.share_estimate(texts)
    assert est.observed == pytest.approx(0.6)
    assert 0.55 <= est.share <= 0.65
    assert est.n == 50


CLUSTER_TEXTS = [
    "write a poem about my cat",
    "poem about dogs for a birthday card",
    "write a short poem about love",
    "translate this email into french",
    "translate the contract into german",
    "please translate this sentence into spanish",
    "[EMAIL]",
]


def test_clustering_groups_obviously_similar_texts() -> None:
    clusters = cluster_texts(CLUSTER_TEXTS, max_clusters=4)
    assert sum(c.count for c in clusters) == len(CLUSTER_TEXTS)
    groups = [set(c.examples) for c in clusters if c.examples]
    poems = {t for t in CLUSTER_TEXTS if "poem" in t}
    translations = {t for t in CLUSTER_TEXTS if "translate" in t}
    assert poems in groups and translations in groups
    named = {c.label_terms[0] for c in clusters}
    assert {"poem", "translate", "(no text)"} <= named


def test_clustering_is_deterministic_and_bounded() -> None:
    rng = random.Random(11)
    topics = ["poem about {}", "translate {} into french", "recipe for {}", "tax return for {}"]
    things = ["cats", "my boss", "the weekend", "a wedding", "chocolate cake", "the garden"]
    texts = [rng.choice(topics).format(rng.choice(things)) for _ in range(400)]
    first = cluster_texts(texts, max_clusters=6, seed=0)
    assert first == cluster_texts(texts, max_clusters=6, seed=0)
    assert 2 <= len(first) <= 6
    assert sum(c.count for c in first) == 400


@pytest.mark.parametrize(
    ("texts", "expected_counts"), [([], []), (["", None], [2]), (["same text"] * 3, [3])]
)
def test_clustering_edge_cases(texts: list, expected_counts: list[int]) -> None:  # type: ignore[type-arg]
    assert [c.count for c in cluster_texts(texts)] == expected_counts


def test_banking77_top_up_auroc_floor() -> None:
    """Ten top-up intents approved with five examples each (seeded); other intents out of scope. A small
    seeded subset of the rest is placed; AUROC of the out-of-scope score must stay above 0.85 (0.93 on the
    whole file, see docs/scope.md). Data: PolyAI-LDN/task-specific-datasets, CC-BY-4.0."""
    with BANKING77.open(newline="", encoding="utf-8") as handle:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    approved = sorted({c for _, c in rows if "top_up" in c or c == "topping_up_by_card"})
    assert len(approved) == 10
    rng = random.Random(0)
    by_intent: dict[str, list[str]] = {}
    for text, intent in rows:
        by_intent.setdefault(intent, []).append(text)
    examples = {}
    for intent in approved:
        pool = sorted(by_intent[intent])
        rng.shuffle(pool)
        examples[intent] = pool[:5]
    used = {t for ex in examples.values() for t in ex}
    rest = [(t, c) for t, c in rows if t not in used]
    subset = random.Random(1).sample(rest, 1500)
    fitted = ScopeModel.fit({i: i.replace("_", " ") for i in approved}, examples)
    _, scores = fitted.place([t for t, _ in subset])
    outside = np.array([c not in approved for _, c in subset])
    # AUROC by the rank formula (Mann-Whitney U): P(score of an out-of-scope query < score of an in-scope one)
    lower = scores[outside][:, None] < scores[~outside][None, :]
    ties = scores[outside][:, None] == scores[~outside][None, :]
    auroc = float((lower.sum() + 0.5 * ties.sum()) / lower.size)
    print(f"banking77 subset AUROC {auroc:.4f}")
    assert auroc > 0.85, auroc


@pytest.mark.parametrize("seed", range(12))
def test_fast_calibration_matches_the_direct_held_out_computation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 40)), int(rng.integers(1, 6))
    vectors = np.abs(rng.normal(size=(n, 30)))
    vectors[rng.random(n) < 0.1] = 0.0  # some references with nothing left after normalization
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms == 0, 1.0, norms)
    gram, groups, is_example = vectors @ vectors.T, np.sort(rng.integers(0, m, n)), rng.random(n) < 0.8
    loo, corrected = calibration_scores(gram, groups, is_example)
    examples = np.flatnonzero(is_example)
    for pos, i in enumerate(examples):
        direct = held_out_scores(gram, groups, int(i), [int(i)])
        siblings = [int(j) for j in examples if j != i and groups[j] == groups[i]]
        if siblings:
            l2o = float(np.mean([held_out_scores(gram, groups, int(i), [int(i), j]) for j in siblings]))
            expected = direct + (direct - l2o)
        else:
            expected = direct
        assert loo[pos] == pytest.approx(direct, abs=1e-9)
        assert corrected[pos] == pytest.approx(expected, abs=1e-9)


def test_results_do_not_depend_on_batch_size(model: ScopeModel, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ([t for t, _ in IN_SCOPE] + OUT_OF_SCOPE_TEXTS + ["", "[EMAIL]"]) * 7
    labels, scores = model.place(texts)
    monkeypatch.setattr("scopetext.model.CHUNK", 3)
    labels_chunked, scores_chunked = model.place(texts)
    assert labels == labels_chunked
    np.testing.assert_allclose(scores, scores_chunked, rtol=0, atol=1e-12)
    single = [model.place([t])[1][0] for t in texts[:7]]
    np.testing.assert_allclose(scores[:7], single, rtol=0, atol=1e-12)


@pytest.mark.parametrize("value", [float("nan"), 3, b"bytes"])
def test_non_text_values_count_as_no_text(model: ScopeModel, value: object) -> None:
    labels, scores = model.place([value])  # type: ignore[list-item]
    assert labels == [OUT_OF_SCOPE] and scores[0] == 0.0


def test_word_hashing_is_scikit_learns_hashing_vectorizer() -> None:
    # the placement's word features were scikit-learn's HashingVectorizer; scopetext now hashes them with its
    # own MurmurHash3 (no 1.2 s import): the same columns and counts, so stored placements stay valid
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.utils import murmurhash3_32

    from scopetext.text import N_FEATURES, murmur3_32, word_counts

    with BANKING77.open(newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)][:3000]
    texts += [
        "",
        "a",
        "ab",
        "abc",
        "abcd",
        "abcde",
        "Ünïcödé wörds ñ 日本語",
        "x" * 1000,
        "emoji 😀 ok",
        "a_b c-d",
    ]
    cleaned = [normalize(t) for t in texts]
    reference = HashingVectorizer(
        n_features=N_FEATURES, ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", alternate_sign=False,
        norm=None, lowercase=False, dtype=np.float64,
    ).transform(cleaned).tocsr()  # fmt: skip
    ours = word_counts(cleaned)
    reference.sort_indices()
    ours.sort_indices()
    assert ours.shape == reference.shape
    assert (ours != reference).nnz == 0
    keys = [
        k.encode("utf-8") for k in ["", "a", "ab", "abc", "abcd", "abcde", "top up", "Ünï", "😀", "x" * 37]
    ]
    assert [int(np.int32(h)) for h in murmur3_32(keys)] == [murmurhash3_32(k, seed=0) for k in keys]
