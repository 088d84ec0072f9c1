"""Actor matching: inflection, scripts, case, diacritics, and the false-positive guards."""

import pytest

from hybridwatch.config import ActorRegistry
from nlp.actors import ActorMatcher, inflected_forms


@pytest.fixture(scope="module")
def matcher(actor_registry: ActorRegistry) -> ActorMatcher:
    return ActorMatcher.from_registry(actor_registry)


def _found(matcher: ActorMatcher, text: str) -> list[tuple[str, str]]:
    return [(m.actor_id, m.surface) for m in matcher.find(text)]


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Opozicija je kritikovala Vučića zbog toga.", "Vučića"),
        ("Новинари су разговарали са Вучићем јуче.", "Вучићем"),
        ("Sastanak sa Vucicem nije zakazan.", "Vucicem"),
        ("PREDSEDNIK VUČIĆ NAJAVIO IZBORE", "VUČIĆ"),
        ("Takozvani Vučićev plan propao je.", "Vučićev"),
        ("Takimi me Vuçiqin në Bruksel.", "Vuçiqin"),
        ("Средба со Вучиќ во Скопје.", "Вучиќ"),
    ],
)
def test_vucic_in_every_form(matcher: ActorMatcher, text: str, surface: str) -> None:
    assert ("aleksandar-vucic", surface) in _found(matcher, text)


@pytest.mark.parametrize(
    "text", ["Beograd je pozvao Kurtija na dijalog.", "Разговор са Куртијем.", "Qeveria e Kurtit ra."]
)
def test_kurti_inflected(matcher: ActorMatcher, text: str) -> None:
    assert [actor for actor, _ in _found(matcher, text)] == ["albin-kurti"]


def test_acronyms_match_exact_case_and_hyphenated_endings(matcher: ActorMatcher) -> None:
    found = _found(matcher, "Srbija nije članica NATO-a, a EU-a i ЕУ traže reforme. Nato tome, eu.")
    assert found == [("nato", "NATO-a"), ("european-union", "EU-a"), ("european-union", "ЕУ")]


def test_ordinary_words_are_not_actors(matcher: ActorMatcher) -> None:
    # "Rame" (shoulders) at a sentence start; "rama" lower case; "danas" (today) anywhere.
    text = "Rame su ga boljele. Danas je lijepo. Okvir i rama su novi. Vidimo se danas."
    assert _found(matcher, text) == []


def test_ambiguous_alias_needs_exact_case_and_not_a_sentence_start(matcher: ActorMatcher) -> None:
    assert _found(matcher, "Prema pisanju lista Danas, vlada pada.") == [("danas", "Danas")]
    assert _found(matcher, "Takimi i Ramës me Kurtin.") == [("edi-rama", "Ramës"), ("albin-kurti", "Kurtin")]
    assert _found(matcher, "Sot Rama tha se.") == [("edi-rama", "Rama")]


def test_an_english_possessive_is_the_name(matcher: ActorMatcher) -> None:
    text = "Prime Minister Edi Rama's party and Vučić’s allies met D'Alema."
    assert _found(matcher, text) == [("edi-rama", "Edi Rama"), ("aleksandar-vucic", "Vučić")]


def test_longest_match_wins(matcher: ActorMatcher) -> None:
    assert _found(matcher, "Odluka Vlade Srbije i Rusije.") == [
        ("government-of-serbia", "Vlade Srbije"),
        ("russia", "Rusije"),
    ]


def test_mentions_are_grouped_by_actor_with_canonical_name(matcher: ActorMatcher) -> None:
    mentions = matcher.mentions("Vučić je rekao. Vučića su pitali. Вучић је отишао. Putin nije.")
    assert mentions == [
        {
            "id": "aleksandar-vucic",
            "name": "Aleksandar Vučić",
            "type": "person",
            "count": 3,
            "mentions": ["Vučić", "Vučića", "Вучић"],
        }
    ]


def test_inflected_forms_follow_the_stem() -> None:
    assert {"vucica", "vucicu", "vucicem", "vucicev"} <= inflected_forms("vucic")
    assert {"kurtija", "kurtiju", "kurtit", "kurtin"} <= inflected_forms("kurti")
    assert {"rame", "ramu", "ramom", "rames"} <= inflected_forms("rama")
    assert inflected_forms("eu") == {"eu"}
