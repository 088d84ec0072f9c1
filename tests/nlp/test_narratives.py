"""Narrative scoring: lexicon rules on lemmas, distancing cues, hard negatives, method and evidence."""

from typing import Any

import numpy as np
import pytest

from hybridwatch.config import NarrativeRegistry
from nlp.lemmas import tokenize
from nlp.narratives import (
    NarrativeScorer,
    SparseHead,
    TokenView,
    compile_rule,
    match_rule,
    sparse_features,
    train_head,
    train_sparse_head,
)


@pytest.fixture(scope="module")
def lexicon_scorer(narrative_registry: NarrativeRegistry) -> NarrativeScorer:
    return NarrativeScorer(narrative_registry, encoder=None)


@pytest.fixture(scope="module")
def full_scorer(narrative_registry: NarrativeRegistry, encoder) -> NarrativeScorer:  # type: ignore[no-untyped-def]
    from nlp.narratives import load_head, load_sparse_head

    return NarrativeScorer(
        narrative_registry, encoder=encoder, head=load_head(), sparse_head=load_sparse_head()
    )


def _ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.id for r in results]


def test_rule_terms_match_lemmas_prefixes_and_both_scripts() -> None:
    rule = compile_rule("migrant-threat", ["migran*", "invazij*|najezd*"], 0.5, 8)
    for text, lang in (
        ("Ово је најезда миграната на нашу земљу", "sr"),
        ("Migranti su prava invazija", "hr"),
    ):
        assert match_rule(rule, TokenView.build(tokenize(text), lang)) is not None
    far = "Migranti " + "su došli i otišli mirno kao i svi ostali ljudi u gradu " * 2 + "invazija"
    assert match_rule(rule, TokenView.build(tokenize(far), "hr")) is None


def test_lexicon_finds_advancing_text_in_several_languages(lexicon_scorer: NarrativeScorer) -> None:
    texts = [
        "NATO agresija na Srbiju nikada nije prestala, a Zapad nas i danas ponižava.",
        "Вакцине су експеримент над народом, у њима су чипови за депопулацију.",
        "Rodna ideologija razara obitelj i djecu, to je napad na naš narod.",
    ]
    results = lexicon_scorer.score_batch(texts, ["sr", "sr", "hr"])
    assert _ids(results[0]) == ["west-hostile"]
    assert _ids(results[1]) == ["health-conspiracy"]
    assert _ids(results[2]) == ["gender-ideology-threat"]
    assert results[0][0].method == "lexicon"
    assert any(e.startswith("rule: ") and "NATO" in e for e in results[0][0].evidence)


def test_fact_check_of_a_claim_is_a_hard_negative(lexicon_scorer: NarrativeScorer) -> None:
    rebuttal = (
        "Provera činjenica: tvrdnja da vakcine sadrže čipove za depopulaciju je netačna, za nju nema dokaza."
    )
    assert lexicon_scorer.score_batch([rebuttal], ["sr"]) == [[]]


def test_neutral_news_carries_no_narrative(lexicon_scorer: NarrativeScorer) -> None:
    text = "Vlada je usvojila budžet za narednu godinu, a ministar finansija najavio je povećanje penzija."
    assert lexicon_scorer.score_batch([text], ["sr"]) == [[]]


def test_embedding_and_head_add_to_lexicon_with_evidence(full_scorer: NarrativeScorer) -> None:
    text = "Ovo nije izbeglička kriza nego invazija migranata koji preplavljuju naše granice i gradove."
    [results] = full_scorer.score_batch([text], ["sr"])
    assert _ids(results)[:1] == ["migrant-threat"]
    top = results[0]
    assert {"lexicon", "sparse", "embedding"} <= set(top.method.split("+"))
    assert any(e.startswith("nearest exemplar") for e in top.evidence)
    assert any(e.startswith("sparse p=") for e in top.evidence)


def _recording_scorer(full: NarrativeScorer, calls: list[list[str]], **options: Any) -> NarrativeScorer:
    """The full scorer's parts, with an encoder that records the texts it is asked to embed."""
    real = full.encoder

    class Recording:
        name = real.name
        dim = real.dim

        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return real.encode(texts)

    return NarrativeScorer(
        full.registry, encoder=Recording(), head=full.head, sparse_head=full.sparse_head, **options
    )


def test_only_items_worth_it_are_embedded_once_per_cluster(full_scorer: NarrativeScorer) -> None:
    calls: list[list[str]] = []
    scorer = _recording_scorer(full_scorer, calls)
    weather = "Danas je sunčano i toplo, a sutra se očekuje kiša na jugu."
    scorer.score_batch([weather], ["sr"])
    assert calls == []  # no rule matched, and the sparse head finds no narrative plausible
    scorer.score_batch(
        ["NATO agresija traje.", "NATO agresija traje i danas."], ["sr", "sr"], share_embedding_with=[0, 0]
    )
    assert calls == [["NATO agresija traje."]]  # a rule matched: embedded, once for the cluster
    calls.clear()
    _recording_scorer(full_scorer, calls, embed_all=True).score_batch([weather], ["sr"])
    assert calls == [[weather]]


def test_a_rule_match_is_embedded_only_when_the_sparse_head_agrees_on_its_narrative(
    full_scorer: NarrativeScorer,
) -> None:
    # Ordinary news that mentions a protectorate: the west-hostile rule matches one word.
    history = (
        "Na skupu u Novom Sadu govorilo se o istoriji protektorata u Africi. Dekan je otvorio skup, a "
        "radovi će biti objavljeni u zborniku. Učestvovalo je četrdeset istoričara iz osam zemalja."
    )
    view = TokenView.build(tokenize(history), "sr")
    assert "west-hostile" in full_scorer._lexicon(view, "sr")
    sparse_head = full_scorer.sparse_head
    assert sparse_head is not None
    [probabilities] = sparse_head.probabilities([sparse_features(view)])
    agreement = float(probabilities[sparse_head.narrative_ids.index("west-hostile")])
    assert agreement < full_scorer.embed_gate_with_rule < full_scorer.embed_gate

    calls: list[list[str]] = []
    _recording_scorer(full_scorer, calls).score_batch([history], ["sr"])
    assert calls == []
    _recording_scorer(full_scorer, calls, embed_gate_with_rule=agreement + 0.01).score_batch(
        [history], ["sr"]
    )
    assert calls == []
    _recording_scorer(full_scorer, calls, embed_gate_with_rule=agreement - 0.01).score_batch(
        [history], ["sr"]
    )
    assert calls == [[history]]


def test_sparse_head_matches_scikit_learn_and_survives_a_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [
        ("Migranti su invazija koja nas zamenjuje.", ["migrant-threat"]),
        ("Најезда миграната пријети нашим градовима.", ["migrant-threat"]),
        ("Invazija migranata ugrožava naše granice.", ["migrant-threat"]),
        ("Vlada je usvojila budžet za narednu godinu.", []),
        ("Kiša i hladno vrijeme na jugu zemlje.", []),
        ("Ministar finansija najavio je povećanje penzija.", []),
    ]
    features = [sparse_features(TokenView.build(tokenize(text), "sr")) for text, _ in texts]
    labels = [ids for _, ids in texts]
    head = train_sparse_head(features, labels, ["migrant-threat", "health-conspiracy"])
    matrix = TfidfVectorizer(analyzer=list, sublinear_tf=True).fit_transform(features)
    target = [1, 1, 1, 0, 0, 0]
    reference = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000).fit(matrix, target)
    probabilities = head.probabilities(features)
    assert np.allclose(probabilities[:, 0], reference.predict_proba(matrix)[:, 1], atol=1e-6)
    assert (probabilities[:, 1] < 0.01).all()  # no positives: never predicted
    unseen = sparse_features(TokenView.build(tokenize("Миграната је све више, то је инвазија."), "sr"))
    assert head.probabilities([unseen])[0, 0] > 0.5  # both scripts fold to the same lemmas
    head.save(tmp_path / "sparse.npz")
    loaded = SparseHead.load(tmp_path / "sparse.npz")
    assert np.allclose(loaded.probabilities(features), probabilities, atol=1e-5)


def test_head_learns_separable_labels() -> None:
    rng = np.random.default_rng(3)
    positives = rng.normal(1.0, 0.3, size=(20, 8))
    negatives = rng.normal(-1.0, 0.3, size=(20, 8))
    embeddings = np.vstack([positives, negatives])
    labels = [["migrant-threat"]] * 20 + [[]] * 20
    head = train_head(embeddings, labels, ["migrant-threat", "health-conspiracy"], "test-encoder")
    probs = head.probabilities(embeddings)
    assert (probs[:20, 0] > 0.5).all() and (probs[20:, 0] < 0.5).all()
    assert (probs[:, 1] < 0.05).all()  # no positives: never predicted
