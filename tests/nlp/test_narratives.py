"""Narrative scoring: lexicon rules on lemmas, distancing cues, hard negatives, method and evidence."""

import numpy as np
import pytest

from hybridwatch.config import NarrativeRegistry
from nlp.lemmas import tokenize
from nlp.narratives import NarrativeScorer, TokenView, compile_rule, match_rule, train_head


@pytest.fixture(scope="module")
def lexicon_scorer(narrative_registry: NarrativeRegistry) -> NarrativeScorer:
    return NarrativeScorer(narrative_registry, encoder=None)


@pytest.fixture(scope="module")
def full_scorer(narrative_registry: NarrativeRegistry, encoder) -> NarrativeScorer:  # type: ignore[no-untyped-def]
    from nlp.narratives import load_head

    return NarrativeScorer(narrative_registry, encoder=encoder, head=load_head())


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
    assert "lexicon" in top.method and "embedding" in top.method
    assert any(e.startswith("nearest exemplar") for e in top.evidence)


def test_without_embed_all_only_rule_matches_are_embedded_once_per_cluster(
    full_scorer: NarrativeScorer,
) -> None:
    calls: list[int] = []
    real = full_scorer.encoder

    class Counting:
        name = real.name
        dim = real.dim

        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return real.encode(texts)

    scorer = NarrativeScorer(full_scorer.registry, encoder=Counting(), head=full_scorer.head, embed_all=False)
    scorer.score_batch(["Danas je sunčano i toplo, a sutra se očekuje kiša na jugu."], ["sr"])
    assert calls == []
    scorer.score_batch(
        ["NATO agresija traje.", "NATO agresija traje i danas."], ["sr", "sr"], share_embedding_with=[0, 0]
    )
    assert calls == [1]


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
