"""Actors beyond the registry: entities from a named-entity model (here a real spaCy pipeline with an
entity ruler the test builds) and the title rule, merged, typed, guarded and wired into the analyser."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import spacy

from hybridwatch.config import ActorRegistry, NarrativeRegistry, load_actors
from hybridwatch.schema import ActorMention, AnalysedItem
from nlp.actors import ActorMatcher
from nlp.evaluate import actor_scores
from nlp.pipeline import build_analyser
from nlp.unregistered import ActorFinder

#: What the test model recognises: (pattern, label). Names are invented; the registry fixture knows
#: Vučić, Kurti, Rama, NATO, the EU, Danas, the Government of Serbia and Russia.
PATTERNS = [
    ("Milorad Tomić", "PER"), ("Milorada Tomića", "PER"), ("Милораду Томићу", "PER"), ("Tomić", "PER"),
    ("Tomića", "PER"), ("Ane Petrović", "PER"), ("Ana Petrović", "PER"), ("Petrović", "PER"),
    ("Ministarstva finansija", "ORG"), ("Srpske napredne stranke", "ORG"), ("Fondacije Solidarnost", "ORG"),
    ("Vlada", "ORG"), ("Vlada Srbije", "ORG"), ("Beogradu", "LOC"), ("Danas", "PER"), ("Vučić", "PER"),
    ("Aleksandar Vučić", "PER"), ("Zoran Ilievski", "PER"), ("Mediapress", "MISC"), ("Danilo Vučić", "PER"),
    ("Predsednik Vučić", "PER"), ("Aleksandra Vučića", "PER"), ("Srbima", "PER"), ("Kosjeriću", "PER"),
    ("Dejtonskog sporazuma", "ORG"), ("Evropska komesarka", "ORG"), ("Delegacija EU", "ORG"),
    ("Gradonačelnik Bihaća", "PER"), ("Ministar Goran Rakić", "PER"), ("Vlada Divac", "PER"),
    ("Skupština Kantona Sarajevo", "PER"), ("Aneksom 10", "ORG"), ("Rafali", "PER"), ("KM", "ORG"),
    ("Kičevo-Ohrid", "ORG"), ("Amerikancite", "PER"), ("Infektivnoj", "ORG"), ("Izjava Zorana Ilića", "PER"),
    ("Vera Nikolić", "PER"), ("Van Rompuya", "PER"), ("NIS", "ORG"), ("Profesorka Pravnog fakulteta", "PER"),
    ("Stockholmskog instituta", "ORG"), ("Večeras konferencija u Delegaciji EU", "MISC"), ("BARU", "ORG"),
]  # fmt: skip


@dataclass(frozen=True)
class _Entity:
    text: str
    label: str
    start: int
    end: int


class RulerRecogniser:
    """A spaCy pipeline with an entity ruler behind the ``entities_batch`` interface; counts its calls."""

    version = "test-ruler.v1"

    def __init__(self, patterns: Sequence[tuple[str, str]]) -> None:
        self.nlp = spacy.blank("hr")
        ruler = self.nlp.add_pipe("entity_ruler")
        ruler.add_patterns([{"label": label, "pattern": text} for text, label in patterns])  # type: ignore[attr-defined]
        self.calls: list[int] = []

    def entities_batch(self, texts: Sequence[str]) -> list[list[_Entity]]:
        self.calls.append(len(texts))
        return [
            [_Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]
            for doc in self.nlp.pipe(texts)
        ]


@pytest.fixture(scope="module")
def recogniser() -> RulerRecogniser:
    return RulerRecogniser(PATTERNS)


@pytest.fixture
def finder(actor_registry: ActorRegistry, recogniser: RulerRecogniser) -> ActorFinder:
    return ActorFinder(ActorMatcher.from_registry(actor_registry), ner=recogniser)


def _by_id(actors: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {actor["id"]: actor for actor in actors}


def test_one_person_across_cases_scripts_and_bare_surname(finder: ActorFinder) -> None:
    text = (
        "Milorad Tomić je potvrdio ostavku. Izjava Milorada Tomića stigla je kasno, a Милораду Томићу "
        "su zamerili ćutanje. Tomić nije odgovorio."
    )
    [actors] = finder.find_batch([text], ["sr"])
    tomic = _by_id(actors)["unk:milorad-tomic"]
    assert tomic["name"] == "Milorad Tomić" and tomic["type"] == "person"
    assert tomic["count"] == 4
    assert tomic["mentions"] == ["Milorad Tomić", "Milorada Tomića", "Милораду Томићу", "Tomić"]
    assert len(actors) == 1


def test_feminine_name_and_organisations(finder: ActorFinder) -> None:
    text = (
        "Ministarka Ane Petrović iz Srpske napredne stranke kritikovala je odluku Ministarstva finansija, "
        "a Fondacije Solidarnost su protestovale."
    )
    [actors] = finder.find_batch([text], ["sr"])
    found = {(a["id"], a["name"], a["type"]) for a in actors}
    assert found == {
        ("unk:ana-petrovic", "Ana Petrović", "person"),
        ("unk:srpska-napredna-stranka", "Srpska napredna stranka", "party"),
        ("unk:ministarstvo-finansija", "Ministarstvo finansija", "government"),
        ("unk:fondacija-solidarnost", "Fondacija Solidarnost", "ngo"),
    }


def test_registry_keeps_priority_and_junk_is_dropped(finder: ActorFinder) -> None:
    text = (
        "Danas je Aleksandar Vučić u Beogradu rekao da Vlada Srbije odlučuje, a Vlada ćuti. List "
        "Mediapress piše da Srbima u Kosjeriću smeta Dejtonskog sporazuma tekst. Evropska komesarka nije "
        "došla, a Delegacija EU jeste."
    )
    [actors] = finder.find_batch([text], ["sr"])
    # Registry matches keep their canonical English names. "Delegacija EU" is another organisation than
    # the EU it names, so both are there. Everything else the model found is dropped, each with a reason.
    assert [(a["id"], a["name"]) for a in actors] == [
        ("aleksandar-vucic", "Aleksandar Vučić"),
        ("unk:delegacija-eu", "Delegacija EU"),
        ("european-union", "European Union"),
        ("government-of-serbia", "Government of Serbia"),
    ]
    assert dict(finder.counts) == {
        "registry-actor": 2,  # "Aleksandar Vučić", "Vlada Srbije"
        "sentence-initial-common-word": 1,  # "Danas"
        "common-word": 1,  # "Vlada" alone: an ordinary word (and which government?)
        "not-an-actor-label": 2,  # "Beogradu" (LOC), "Mediapress" (MISC)
        "group-of-people": 1,  # "Srbima"
        "place": 1,  # "u Kosjeriću"
        "not-an-actor": 1,  # "Dejtonskog sporazuma": a treaty
        "not-an-organisation": 1,  # "Evropska komesarka": a phrase
        "unregistered-actor": 1,
    }
    assert sum(finder.counts.values()) == len(finder.ner.entities_batch([text])[0])  # type: ignore[union-attr]


def test_titles_are_not_names_and_a_headed_person_is_an_organisation(finder: ActorFinder) -> None:
    text = (
        "Gradonačelnik Bihaća je došao. Ministar Goran Rakić je otišao, a Vlada Divac je ostao. "
        "Sednica: Skupština Kantona Sarajevo zasjeda."
    )
    [actors] = finder.find_batch([text], ["bs"])
    # "Bihaća" without the title is a place; "Vlada" is an organisation head but also a given name.
    assert {(a["id"], a["name"], a["type"]) for a in actors} == {
        ("unk:goran-rakic", "Goran Rakić", "person"),
        ("unk:vlada-divac", "Vlada Divac", "person"),
        ("unk:skupstina-kantona-sarajevo", "Skupština Kantona Sarajevo", "government"),
    }
    assert _by_id(actors)["unk:goran-rakic"]["mentions"] == ["Goran Rakić"]


def test_acronyms_derived_adjectives_titled_organisations_and_rules_over_long_spans(
    finder: ActorFinder,
) -> None:
    text = (
        "NIS je podigao cijene. Analizu Stockholmskog instituta citirala je Profesorka Pravnog fakulteta. "
        "Večeras konferencija u Delegaciji EU."
    )
    [actors] = finder.find_batch([text], ["sr"])
    assert {(a["name"], a["type"]) for a in actors} == {
        ("NIS", "ngo"),  # an acronym, not the town Niš in capitals
        ("Stockholmski institut", "ngo"),  # an adjective from a name no dictionary knows, declined back
        ("Pravni fakultet", "ngo"),  # the title dropped, the rest an organisation the model called PER
        ("Delegacija EU", "government"),  # the rule's organisation wins over the model's longer MISC
        ("European Union", "international-org"),
    }


def test_an_ordinary_word_opening_a_sentence_is_not_a_given_name(finder: ActorFinder) -> None:
    text = "Izjava Zorana Ilića stigla je kasno. Vera Nikolić je odgovorila. Van Rompuya nije bilo."
    [actors] = finder.find_batch([text], ["sr"])
    # "Izjava" (a statement) before a genitive is dropped; "Vera" (also "faith") before a nominative -ić
    # surname is a given name; "Van" is a name particle (the genitive "Rompuya" stays as written).
    assert {a["name"] for a in actors} == {"Zoran Ilić", "Vera Nikolić", "Van Rompuya"}


def test_treaties_weapons_currencies_places_and_groups_are_not_actors(finder: ActorFinder) -> None:
    [sr, mk] = finder.find_batch(
        [
            "Prema Aneksom 10 odluke važe. Rafali su stigli, koštali su milijarde KM. Linija Kičevo-Ohrid "
            "je zatvorena, a ljudi iz Infektivnoj klinici čekaju. PROTEST U BARU.",
            "Оружјето што го испраќаат Американците.",
        ],
        ["sr", "mk"],
    )
    assert sr == [] and mk == []
    assert dict(finder.counts) == {
        "not-an-actor": 3,  # "Aneksom 10" (annex), "Rafali" (jets), "KM" (the currency)
        "place": 2,  # "Kičevo-Ohrid"; "BARU" in capitals, a short word that is still the town
        "not-an-organisation": 1,  # "Infektivnoj": an adjective whose noun the model left out
        "group-of-people": 1,  # "Американците": the Americans, with the Macedonian article
    }


def test_a_registry_alias_reached_by_normalising_the_name(actors_file: Path) -> None:
    path = actors_file.parent / "actors-with-police.yaml"
    path.write_text(
        actors_file.read_text(encoding="utf-8")
        + "  - id: kosovo-police\n    name: Kosovo Police\n    type: government\n    country: XK\n"
        "    aliases:\n      sq: [Policia e Kosovës]\n",
        encoding="utf-8",
    )
    finder = ActorFinder(ActorMatcher.from_registry(load_actors(path)), ner=None)
    # The registry knows the nominative only; the institution rule finds the accusative and normalises it.
    [actors] = finder.find_batch(["KFOR kontaktoi Policinë e Kosovës. Policia e Kosovës tha jo."], ["sq"])
    assert [(a["id"], a["count"], a["mentions"]) for a in actors] == [
        ("kosovo-police", 2, ["Policia e Kosovës", "Policinë e Kosovës"])
    ]
    assert finder.counts["registry-actor-by-normalised-name"] == 1


def test_a_longer_name_is_another_person_than_the_registered_namesake(finder: ActorFinder) -> None:
    [son, title, inflected] = finder.find_batch(
        [
            "Danilo Vučić je viđen na utakmici.",  # the registered Vučić is Aleksandar
            "Predsednik Vučić je rekao.",  # a title the model took into the name: still the registry's
            "Izjava Aleksandra Vučića.",  # the registered person's own given name
        ],
        ["sr", "sr", "sr"],
    )
    assert [(a["id"], a["mentions"]) for a in son] == [("unk:danilo-vucic", ["Danilo Vučić"])]
    assert [a["id"] for a in title] == ["aleksandar-vucic"]
    assert [a["id"] for a in inflected] == ["aleksandar-vucic"]


def test_languages_batching_and_macedonian_transliteration(
    finder: ActorFinder, recogniser: RulerRecogniser
) -> None:
    texts = [
        "Milorad Tomić je rekao.",  # sr: the model
        "Milorad Tomić said so in English.",  # en: registry only
        "Градоначалникот Зоран Илиевски и Курти.",  # mk: the model on Latin, and the title rule
        "Ministri Arben Gashi takoi kryeministrin Kurtit në Ministrinë e Mbrojtjes.",  # sq: rules
    ]
    calls_before = len(recogniser.calls)
    results = finder.find_batch(texts, ["sr", "en", "mk", "sq"])
    assert recogniser.calls[calls_before:] == [2]  # one model call for the batch: sr and mk
    assert [a["id"] for a in results[0]] == ["unk:milorad-tomic"]
    assert results[1] == []
    ilievski = _by_id(results[2])["unk:zoran-ilievski"]
    # Found twice (model on the transliteration, title rule on the text), reported as written.
    assert ilievski["name"] == "Zoran Ilievski" and ilievski["mentions"] == ["Зоран Илиевски"]
    assert ilievski["count"] == 1  # one mention, though both the model and the rule found it
    assert "albin-kurti" in _by_id(results[2])
    assert {(a["id"], a["name"], a["type"]) for a in results[3]} == {
        ("unk:arben-gashi", "Arben Gashi", "person"),
        ("albin-kurti", "Albin Kurti", "person"),
        ("unk:ministria-e-mbrojtjes", "Ministria e Mbrojtjes", "government"),
    }


def test_representations_of_registry_actors(finder: ActorFinder) -> None:
    [latin, cyrillic, lower] = finder.find_batch(
        [
            "Konferencija je održana u Delegaciji EU, a Delegacija Evropske unije je izdala saopštenje.",
            "Делегација ЕУ је саопштила.",
            "Ta delegacija EU nije došla.",  # lower case: not a name
        ],
        ["sr", "sr", "sr"],
    )
    assert {(a["id"], a["name"], a["type"], a["count"]) for a in latin} == {
        ("european-union", "European Union", "international-org", 2),
        ("unk:delegacija-eu", "Delegacija EU", "government", 1),
        ("unk:delegacija-evropske-unije", "Delegacija Evropske unije", "government", 1),
    }
    assert [(a["id"], a["mentions"]) for a in cyrillic if a["id"].startswith("unk:")] == [
        ("unk:delegacija-eu", ["Делегација ЕУ"])
    ]
    assert [a["id"] for a in lower] == ["european-union"]


def test_english_representations_name_the_organisation_first(finder: ActorFinder) -> None:
    [kosovo, lower] = finder.find_batch(
        [
            "The NATO Mission in Kosovo and the EU Delegation called for calm.",
            "The EU delegation said nothing.",  # lower case: not a name
        ],
        ["en", "en"],
    )
    assert {(a["id"], a["name"], a["type"]) for a in kosovo} == {
        ("nato", "NATO", "international-org"),
        ("unk:nato-mission", "NATO Mission", "government"),
        ("european-union", "European Union", "international-org"),
        ("unk:eu-delegation", "EU Delegation", "government"),
    }
    assert [a["id"] for a in lower] == ["european-union"]


def test_without_a_model_only_the_registry_and_titles(actor_registry: ActorRegistry) -> None:
    finder = ActorFinder(ActorMatcher.from_registry(actor_registry), ner=None)
    [sr, sq] = finder.find_batch(["Milorad Tomić i Vučić.", "Ministri Arben Gashi tha."], ["sr", "sq"])
    assert [a["id"] for a in sr] == ["aleksandar-vucic"]
    assert [a["id"] for a in sq] == ["unk:arben-gashi"]
    assert finder.version == "hybridwatch.actor_rules.v2"


def test_analyser_reports_unregistered_actors_and_model_version(
    actor_registry: ActorRegistry, narrative_registry: NarrativeRegistry, recogniser: RulerRecogniser
) -> None:
    analyser = build_analyser(actor_registry, narrative_registry, encoder=None, ner=recogniser)
    [item] = analyser.analyse([{"text": "Vučić je primio Milorada Tomića."}])
    assert isinstance(item, AnalysedItem)
    assert [(a.id, a.name) for a in item.actors] == [
        ("aleksandar-vucic", "Aleksandar Vučić"),
        ("unk:milorad-tomic", "Milorad Tomić"),
    ]
    assert item.versions["unregistered_actors"] == "test-ruler.v1+hybridwatch.actor_rules.v2"


def test_actor_scores_separate_registered_and_unregistered() -> None:
    def item(*actors: tuple[str, str]) -> Any:
        @dataclass
        class _Item:
            actors: list[ActorMention]

        return _Item([ActorMention(id=i, name=n, type="person", count=1) for i, n in actors])

    gold = [{"Aleksandar Vučić", "Milorad Tomić"}, {"Albin Kurti", "Arben Gashi"}]
    analysed = [
        item(("aleksandar-vucic", "Aleksandar Vučić"), ("unk:milorad-tomic", "Milorad Tomić")),
        item(("unk:arben-gash", "Arben Gash"), ("unk:zoran-ilievski", "Zoran Ilievski")),
    ]
    scores = actor_scores(gold, analysed, {"Aleksandar Vučić", "Albin Kurti"})
    assert (scores["actors"]["tp"], scores["actors"]["fp"], scores["actors"]["fn"]) == (2, 2, 2)
    registered = scores["actors_registered_only"]
    assert (registered["tp"], registered["fp"], registered["fn"]) == (1, 0, 1)
    unregistered = scores["actors_unregistered_only"]
    assert (unregistered["tp"], unregistered["fp"], unregistered["fn"]) == (1, 2, 1)
    assert unregistered["gold_names"] == 2
    assert scores["actor_errors"]["spurious"] == {"Arben Gash": 1, "Zoran Ilievski": 1}
