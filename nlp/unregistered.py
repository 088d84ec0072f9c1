"""Actors beyond the registry: people and organisations that a named-entity model or a rule finds and
``config/actors.yaml`` does not know.

``ActorFinder`` computes an item's ``actors`` list in one place: registry matches first (they keep their
canonical English names), then unregistered PER and ORG entities that overlap no registry match, each under
its normalised name (``nlp.names``) and an ``unk:`` id. Within one text, the mentions of one person in
different cases and scripts become one entry, and a bare surname joins the full name it belongs to.

Which languages get what:
- sr, hr, bs, cnr: the named-entity model on the text;
- mk: the model on the Latin transliteration (it was trained on BCMS; a best effort) and the title rule;
- sq: the title rule and the institution rule (``nlp.titled_names``);
- every language: representations of registry actors ("Ambasada SAD", "Delegacija EU", "US Embassy");
- anything else: registry matches only.

Before the checks, titles and a sentence-opening ordinary word are dropped from the front of a person
("Gradonačelnik Bihaća", "Izjava Alijua"), and a "person" holding an organisation's head noun becomes an
organisation ("Skupština Kantona Sarajevo"). Every entity ends under one outcome, counted in
``ActorFinder.counts``: ``unregistered-actor``, or the reason it is not one: ``registry-actor``,
``not-an-actor-label`` (LOC, MISC), ``place`` (the gazetteer ``PLACE_NAMES`` in any case, or a "person" right
after a preposition of place), ``group-of-people`` ("Srbima"), ``not-a-name`` (clauses, run-on spans,
lower-case words in a person's name), ``common-word`` and ``sentence-initial-common-word`` (one ordinary
word alone: "Alijansa", "Boga"), ``not-an-actor`` (treaties, wars, weapons, currencies),
``generic-organisation-word`` ("Ministria": which one?) and ``not-an-organisation`` ("Evropska komesarka").
An unregistered actor whose normalised name is a registry alias is counted once more, as
``registry-actor-by-normalised-name``, and reported as that registry actor.
"""

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Final, Protocol

from nlp.actors import ActorMatch, ActorMatcher, inflected_forms
from nlp.names import (
    ADJECTIVE_ONLY_ENDINGS,
    FEMININE_SURNAME_ENDINGS,
    is_known_name,
    normalise_name,
    unregistered_id,
)
from nlp.titled_names import (
    SQ_INSTITUTION_HEADS,
    albanian_institution_nominative,
    albanian_nominative,
    find_albanian_institutions,
    find_titled_names,
)
from nlp.translit import fold_word, has_cyrillic, to_latin

log = logging.getLogger(__name__)

#: Languages the named-entity model reads as written.
NER_LANGUAGES: Final = frozenset({"sr", "hr", "bs", "cnr"})
#: Languages the model reads in Latin transliteration (best effort: the model knows BCMS only).
TRANSLITERATED_NER_LANGUAGES: Final = frozenset({"mk"})
_ALL_NER_LANGUAGES: Final = NER_LANGUAGES | TRANSLITERATED_NER_LANGUAGES
#: Languages where people introduced by a title are found by rule (``nlp.titled_names``).
TITLED_NAME_LANGUAGES: Final = frozenset({"sq", "mk"})
#: Entity labels that can be actors; LOC and MISC never are.
ACTOR_LABELS: Final = frozenset({"PER", "ORG"})
ACTOR_RULES_VERSION: Final = "hybridwatch.actor_rules.v2"
#: Head nouns of an institution's representation: "Ambasada SAD", "Delegacija EU", "Veleposlanstvo SAD".
REPRESENTATION_HEADS: Final = frozenset(
    """ambasada veleposlanstvo delegacija kancelarija ured misija predstavnistvo konzulat""".split()
)
#: The same in English, where the head follows the state or organisation: "US Embassy", "EU Delegation".
ENGLISH_REPRESENTATION_HEADS: Final = frozenset({"embassy", "delegation", "mission", "consulate", "office"})

#: Organisation type by a (folded) word of its name, checked in this order; an organisation none of these
#: words describe is an ``ngo``, the taxonomy's type for an organisation outside the state, parties, media
#: and faiths (it has no type for companies, clubs or universities).
ORGANISATION_TYPE_WORDS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("religious-org", frozenset(
        "crkva eparhija mitropolija biskupija nadbiskupija patrijarsija islamska mesihat rijaset rijaset "
        "manastir kisha bashkesia".split()
    )),
    ("party", frozenset("stranka partija pokret koalicija lista partia levizja levica".split())),
    ("ngo", frozenset("udruzenje udruga fondacija zaklada fondacioni shoqata".split())),
    ("media", frozenset(
        "televizija radio tv portal novine magazin nedeljnik tjednik casopis dnevnik "
        "radiotelevizija radio-televizija televizioni gazeta".split()
    )),
    ("armed-group", frozenset("brigada bataljon odred legija paravojna".split())),
    ("government", frozenset(
        "ministarstvo vlada skupstina sabor parlament sud tuzilastvo komisija agencija uprava policija "
        "opstina opcina savjet savet vijece vece direkcija zavod kancelarija ured ambasada konzulat "
        "predsjednistvo predsednistvo vojska inspektorat kabinet ombudsman zastitnik narodna centralna "
        "ministria qeveria kuvendi gjykata prokuroria komuna komisioni agjencia policia drejtoria zyra "
        "keshilli bashkia presidenca kryeministria inspektorati autoriteti dhoma delegacija misija "
        "veleposlanstvo predstavnistvo embassy delegation mission consulate office".split()
    )),
)  # fmt: skip
#: Head nouns of organisation names (folded, nominative; BCMS, Macedonian in Latin, Albanian): an
#: organisation name of several words holds one, and a one-word name that is only one is generic.
ORGANISATION_HEAD_WORDS: Final = frozenset(
    {w for _, words in ORGANISATION_TYPE_WORDS for w in words}
    - {"narodna", "centralna", "islamska", "paravojna"}
    | set(
        """fakultet univerzitet sveuciliste institut centar klinika bolnica skola banka fond savez sluzba
        udruzenje udruga fondacija zaklada organizacija inicijativa mreza komitet odbor telo tijelo
        delegacija misija kancelarija ministerstvo sobranie sojuz zdruzenie armija vojska""".split()
    )
    | {fold_word(head) for head in SQ_INSTITUTION_HEADS}
)
#: Lemmas of things that are not actors though a model may label them ORG: treaties, laws, wars,
#: operations, events, weapons and places in a city.
NON_ACTOR_LEMMAS: Final = frozenset(
    """sporazum deklaracija rat ustav zakon rezolucija operacija oluja plan strategija projekat projekt
    konferencija samit festival izbor izbori referendum pakt investicija depopulacija vakcinacija vakcina
    trg ulica aneks rafal tenk avion lovac""".split()
)
#: Acronyms that a model may label ORG and that are never actors: currencies and economic measures.
NON_ACTOR_ACRONYMS: Final = frozenset(
    {"KM", "BAM", "EUR", "USD", "RSD", "HRK", "MKD", "CHF", "GBP", "BDP", "PDV"}
)
#: Titles and offices a model takes into a person's name ("Gradonačelnik Bihaća", "Ministar Petrović"),
#: as folded dictionary lemmas; dropped from the front of a PER entity, so the name is what follows.
TITLE_LEMMAS: Final = frozenset(
    """predsjednik predsednik predsjednica predsednica potpredsjednik potpredsednik premijer premijerka
    ministar ministarka gradonacelnik gradonacelnica nacelnik nacelnica direktor direktorica direktorka
    ambasador ambasadorka veleposlanik portparol portparolka glasnogovornik glasnogovornica lider
    liderka sef general pukovnik sudija sudac tuzilac tuzitelj profesor profesorica profesorka doktor dr prof
    gospodin gospodja patrijarh episkop biskup nadbiskup mitropolit kancelar kancelarka sekretar
    zamjenik zamenik poslanik zastupnik savjetnik savetnik""".split()
)
#: Organisation heads that are also given names ("Vlada Divac"): a PER entity starting with one stays PER.
HEADS_THAT_ARE_GIVEN_NAMES: Final = frozenset({"vlada"})
#: Macedonian plural definite articles (folded): "Amerikancite" is "Amerikanci" + "-te".
_MACEDONIAN_PLURAL_ARTICLES: Final = ("ite", "te")
#: Longest all-capitals word that may be an acronym: in capitals, a place name this short must match with its
#: diacritics ("NIS" is the oil company, "NIŠ" the town); longer ones ("CACAK") are compared folded.
MAX_ACRONYM_CHARS: Final = 4
#: Prepositions of place (folded; BCMS and Macedonian): a "person" right after one is a place.
PLACE_PREPOSITIONS: Final = frozenset({"u", "na", "iz", "do", "kod", "ka", "vo", "kon"})
#: Places that news names as subjects ("Brisel traži", "Beograd odgovara") and a named-entity model
#: therefore often labels ORG or PER: the region's states, entities, cities and memorial sites, capitals
#: in the news, and the geopolitical directions. Compared folded, any case ending on each word.
PLACE_NAMES: Final = frozenset(
    """Srbija; Hrvatska; Bosna i Hercegovina; Bosna; Hercegovina; Crna Gora; Kosovo; Kosovo i Metohija;
    Metohija; Makedonija; Severna Makedonija; Sjeverna Makedonija; Albanija; Republika Srpska; Federacija
    BiH; Vojvodina; Sandžak; Jugoslavija; Beograd; Novi Beograd; Zagreb; Sarajevo; Podgorica; Skopje;
    Tirana; Priština; Novi Sad; Niš; Kragujevac; Subotica; Banja Luka; Banjaluka; Mostar; Tuzla; Zenica;
    Bihać; Split; Rijeka; Osijek; Zadar; Dubrovnik; Vukovar; Knin; Nikšić; Cetinje; Ulcinj; Budva; Bar;
    Herceg Novi; Ohrid; Bitola; Tetovo; Kumanovo; Struga; Drač; Skadar; Mitrovica; Kosovska Mitrovica;
    Severna Mitrovica; Gračanica; Prizren; Peć; Srebrenica; Potočari; Jasenovac; Bleiburg; Ovčara; Brisel;
    Bruxelles; Moskva; Kijev; Vašington; Berlin; Pariz; London; Rim; Beč; Budimpešta; Ankara; Peking;
    Ženeva; Hag; Strazbur; Njujork; Atina; Sofija; Bukurešt; Ljubljana; Varšava; Donbas; Donjeck;
    Luhansk; Odesa; Krim; Harkov; Harkiv; Evropa; Europa; Zapad; Istok; Balkan; Zapadni Balkan; Amerika;
    Federacija; Zemun; Kikinda; Sombor; Pančevo; Čačak; Valjevo; Šabac; Smederevo; Leskovac; Vranje;
    Zrenjanin; Kraljevo; Novi Pazar; Užice; Preševo; Bujanovac; Bor; Bijeljina; Brčko; Prijedor; Doboj;
    Trebinje; Goražde; Travnik; Bugojno; Jajce; Grbavica; Manjača; Pula; Šibenik; Karlovac; Sisak; Krk;
    Lika; Slavonija; Dalmacija; Istra; Kotor; Tivat; Berane; Rožaje; Pljevlja; Bijelo Polje; Gostivar;
    Veles; Štip; Prilep; Elbasan; Vlora; Shkodër; Durrës; Gjakova; Peja; Ferizaj; Gjilan; Zvečan; Zubin
    Potok; Leposavić; Jarinje; Poljud; Dubrava; Kremlj; Bela kuća; Bijela kuća; Drina; Sava; Dunav;
    Podrinje; Gevgelija; Kičevo; Strumica; Dejton; Hrasno; Majdan; Prijepolje; Kosjerić; Kolašin;
    Avganistan; Afganistan; Pakistan; Iran; Irak; Sirija; Izrael; Palestina; Gaza; Egipat; Maroko; Libija;
    Indija; Japan; Kanada; Australija; Brazil; Meksiko; Španija; Španjolska; Portugal; Holandija;
    Nizozemska; Belgija; Švajcarska; Švicarska; Švedska; Norveška; Finska; Danska; Poljska; Češka;
    Slovačka; Rumunija; Rumunjska; Moldavija; Belorusija; Bjelorusija; Gruzija; Jermenija; Azerbejdžan;
    Kazahstan; Letonija; Latvija; Litvanija; Estonija; Irska; Škotska; Kipar; Malta; Island""".split(";")
)
#: Place acronyms: BiH, the Republika Srpska (RS), the Federation (FBiH), historical states.
PLACE_ACRONYMS: Final = frozenset({"BiH", "RS", "FBiH", "RH", "CG", "KiM", "SFRJ", "SRJ", "NDH", "SAD"})
#: Nationalities and faiths as groups of people ("Srbi", "Albancima"): not actors. Compared with the
#: folded dictionary lemma (simplemma maps "Srbima" to "Srbin").
DEMONYMS: Final = frozenset(
    """srbin srbi hrvat hrvati bosnjak bosnjaci albanac albanci siptar crnogorac crnogorci makedonac
    makedonci makedonec rus rusi amerikanac amerikanci ukrajinac ukrajinci nijemac njemac nemac nijemci
    nemci kinez kinezi turcin turci madjar madjari rom romi jevrej jevreji zidov zidovi evropljanin
    evropljani europljanin englez englezi francuz francuzi bugarin bugari grk grci slovenac slovenci
    musliman muslimani katolik katolici pravoslavac pravoslavci albanec""".split()
)
#: Words a sentence may start with that a model can take into a name ("Dok Brisel", "Ako Srbi"):
#: conjunctions, prepositions, pronouns and adverbs (folded). Dropped from either end of an entity.
LEADING_FUNCTION_WORDS: Final = frozenset(
    """a i ali ako dok da kad kada jer pa te ni niti iako mada nego vec sada tada zato ipak ovo to taj
    ta ovaj ova ovi ove ti oni one mi vi on ona ono u na sa s za od iz kod do po pre prije posle poslije
    nakon bez kroz zbog prema protiv uoci uvece juce jucer danas sutra jos samo cak evo eto kako gde
    gdje sto sta ko tko""".split()
)
#: Most words an entity may have; longer spans are a model running on past the name.
MAX_ENTITY_WORDS: Final = {"PER": 4, "ORG": 10}
#: Auxiliaries and common verbs of reporting (folded): a span holding one runs past the name.
VERB_WORDS: Final = frozenset(
    """je su se ce bi nije nisu sam smo ste bio bila bilo bili jeste kaze kazao kazala rekao rekla izjavio
    izjavila tvrdi navodi dodao dodala slavi trazi ima imaju""".split()
)
#: Lower-case words a person's name may contain (folded).
NAME_PARTICLES: Final = frozenset({"de", "van", "von", "der", "da", "di", "la", "le", "bin", "al", "el"})
_WORD: Final = re.compile(r"\w+(?:[-'’]\w+)*")
_CLAUSE_INSIDE: Final = re.compile(r"[.!?;,]\s|\n")
_LAST_WORD: Final = re.compile(r"(\w+)\s+$")
_NEXT_WORD: Final = re.compile(r"[ \t]+(\w+)")
_SENTENCE_END: Final = re.compile(r"[.!?:;\n«»\"“”„(]\s*$")
#: Case endings of place names (BCMS cases, Macedonian definite -ot/-ta/-to), folded.
_PLACE_CASE_ENDINGS: Final = frozenset(
    {"", "a", "e", "i", "o", "u", "om", "em", "oj", "ima", "ama", "ot", "ta", "to"}
)
_PALATAL: Final = {"k": "c", "g": "z", "h": "s"}


class EntityLike(Protocol):
    """A named entity: its text, its label (PER, ORG, LOC, MISC) and character offsets."""

    text: str
    label: str
    start: int
    end: int


class EntityRecogniser(Protocol):
    """What the finder needs from a named-entity model (``nlp.ner.NerModel`` is one)."""

    version: str

    def entities_batch(self, texts: Sequence[str]) -> Sequence[Sequence[EntityLike]]: ...


@dataclass(frozen=True)
class _Candidate:
    name: str  # normalised
    label: str
    surface: str  # as written in the item


@dataclass
class ActorFinder:
    """Registry actors plus unregistered people and organisations; build once and reuse per batch."""

    registry: ActorMatcher | None
    ner: EntityRecogniser | None = None
    #: The rule-based finders: titles and institutions (sq, mk), representations ("Ambasada SAD").
    rules: bool = True
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @cached_property
    def _people(self) -> frozenset[str]:
        """Ids of the registry's people."""
        specs = self.registry.specs.values() if self.registry else ()
        return frozenset(spec.id for spec in specs if spec.type == "person")

    @property
    def version(self) -> str:
        parts = [self.ner.version] if self.ner is not None else []
        if self.rules:
            parts.append(ACTOR_RULES_VERSION)
        return "+".join(parts) or "off"

    def find_batch(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Return each text's actors as ``[{id, name, type, count, mentions}]``, most mentioned first."""
        registry = [self.registry.find(text) if self.registry else [] for text in texts]
        entities = self._entities(texts, langs)
        out = []
        for text, lang, matches, found in zip(texts, langs, registry, entities, strict=True):
            if self.rules:
                found = [*found, *self._representations(text, matches)]
            found = _without_overlaps(found)
            matches = self._without_namesakes(matches, found, lang)
            entries = self._registry_entries(matches)
            unregistered = _unregistered_entries(text, lang, matches, found, self.counts, self._people)
            entries = self._with_registry_names(entries, unregistered)
            entries.sort(key=lambda m: (-m["count"], m["name"]))
            out.append(entries)
        log.debug("actor entity outcomes so far: %s", dict(self.counts))
        return out

    def _registry_entries(self, matches: Sequence[ActorMatch]) -> list[dict[str, Any]]:
        if self.registry is None:
            return []
        grouped: dict[str, list[str]] = defaultdict(list)
        for match in matches:
            grouped[match.actor_id].append(match.surface)
        specs = self.registry.specs
        return [
            _entry(actor_id, specs[actor_id].name, specs[actor_id].type, surfaces)
            for actor_id, surfaces in grouped.items()
        ]

    def _with_registry_names(
        self, registered: list[dict[str, Any]], unregistered: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Registry entries plus the unregistered ones, where an unregistered name in the nominative is a
        registry alias ("Policinë e Kosovës" → "Policia e Kosovës"): an inflected form the registry lacks,
        counted as that registry actor."""
        by_id = {entry["id"]: entry for entry in registered}
        out = list(registered)
        for entry in unregistered:
            actor_id = self._registry_actor_named(entry["name"])
            if actor_id is None:
                out.append(entry)
                continue
            self.counts["registry-actor-by-normalised-name"] += 1
            target = by_id.get(actor_id)
            if target is None:
                spec = self.registry.specs[actor_id]  # type: ignore[union-attr]
                target = by_id[actor_id] = _entry(actor_id, spec.name, spec.type, [])
                out.append(target)
            target["count"] += entry["count"]
            target["mentions"] = list(dict.fromkeys([*target["mentions"], *entry["mentions"]]))
        return out

    def _registry_actor_named(self, name: str) -> str | None:
        """The registry actor whose alias is the whole of ``name``, if any."""
        if self.registry is None:
            return None
        matches = self.registry.find(name)
        if len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(name):
            return matches[0].actor_id
        return None

    def _without_namesakes(
        self, matches: Sequence[ActorMatch], entities: Sequence[EntityLike], lang: str
    ) -> list[ActorMatch]:
        """Drop registry surname matches that a longer name shows to be another person.

        "Arben Gashi" is not the registered Afrim Gashi, nor "Danilo Vučić" the registered Aleksandar
        Vučić: when a person entity ends in a one-word registry match of a person, and its given names
        are neither words of that actor's names nor ordinary words ("Predsjednik Vučić"), the entity wins.
        """
        if self.registry is None:
            return list(matches)
        dropped: set[ActorMatch] = set()
        for entity in entities:
            if entity.label != "PER":
                continue
            inside = [m for m in matches if m.start < entity.end and entity.start < m.end]
            if len(inside) != 1 or inside[0].end != entity.end or inside[0].start <= entity.start:
                continue
            match = inside[0]
            spec = self.registry.specs[match.actor_id]
            given = _WORD.findall(_normalised(entity, lang))[:-1]
            if spec.type != "person" or not given or len(_WORD.findall(match.surface)) != 1:
                continue
            known = {fold_word(w) for alias in (spec.name, *spec.aliases) for w in _WORD.findall(alias)}
            if not any(fold_word(w) in known or _is_common_word(w) for w in given):
                dropped.add(match)
        return [m for m in matches if m not in dropped]

    def _representations(self, text: str, matches: Sequence[ActorMatch]) -> list[EntityLike]:
        """ "Ambasada SAD", "Delegaciji EU", "the US Embassy": a representation head right before (in
        English: right after) a registry state or organisation names another organisation (the model often
        tags only the state, as LOC)."""
        found: list[EntityLike] = []
        for match in matches:
            if match.actor_id in self._people:
                continue
            before = _LAST_WORD.search(text, max(0, match.start - 40), match.start)
            head = before.group(1) if before is not None else ""
            if before is not None and head[:1].isupper() and _lemma(head) in REPRESENTATION_HEADS:
                start = before.start(1)
                found.append(_Span(text[start : match.end], "ORG", start, match.end))
            after = _NEXT_WORD.match(text, match.end)
            head = after.group(1) if after is not None else ""
            if after is not None and head.istitle() and head.lower() in ENGLISH_REPRESENTATION_HEADS:
                end = after.end(1)
                found.append(_Span(text[match.start : end], "ORG", match.start, end))
        return found

    def _entities(self, texts: Sequence[str], langs: Sequence[str]) -> list[list[EntityLike]]:
        """Named entities per text, offsets into the text as written (one batched model call)."""
        found: list[list[EntityLike]] = [[] for _ in texts]
        if self.ner is not None:
            chosen = [i for i, lang in enumerate(langs) if lang in _ALL_NER_LANGUAGES]
            inputs = [_model_input(texts[i], langs[i]) for i in chosen]
            for i, entities in zip(chosen, self.ner.entities_batch(inputs), strict=True):
                if langs[i] in TRANSLITERATED_NER_LANGUAGES:
                    found[i].extend(_to_original_offsets(texts[i], entities))
                else:
                    found[i].extend(entities)
        if self.rules:
            for i, lang in enumerate(langs):
                if lang in TITLED_NAME_LANGUAGES:
                    found[i].extend(find_titled_names(texts[i], lang))
                if lang == "sq":
                    found[i].extend(find_albanian_institutions(texts[i]))
        return found


def _without_overlaps(entities: Sequence[EntityLike]) -> list[EntityLike]:
    """One entity per stretch of text: where the model and a rule (or two rules) found overlapping
    spans, the longer one stays, so a mention is counted once; but a person or organisation wins over
    any place or other name (MISC) it overlaps ("Delegacije Evropske unije": LOC to the model, ORG to the
    rule; "u Delegaciji EU" inside a model's long MISC span)."""
    kept: list[EntityLike] = []
    for entity in sorted(entities, key=lambda e: (e.label not in ACTOR_LABELS, -(e.end - e.start), e.start)):
        if all(entity.end <= other.start or other.end <= entity.start for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


def _model_input(text: str, lang: str) -> str:
    return to_latin(text) if lang in TRANSLITERATED_NER_LANGUAGES else text


@dataclass(frozen=True)
class _Span:
    text: str
    label: str
    start: int
    end: int


def _to_original_offsets(text: str, entities: Sequence[EntityLike]) -> list[EntityLike]:
    """Map entities found in ``to_latin(text)`` back to the text as written (a Cyrillic letter becomes
    one or two Latin letters, so offsets shift)."""
    latin_to_original = []
    for index, char in enumerate(text):
        latin_to_original.extend([index] * _latin_length(char))
    latin_to_original.append(len(text))
    out: list[EntityLike] = []
    for entity in entities:
        if 0 <= entity.start < entity.end <= len(latin_to_original) - 1:
            start = latin_to_original[entity.start]
            end = latin_to_original[entity.end - 1] + 1
            out.append(_Span(text[start:end], entity.label, start, end))
    return out


@lru_cache(maxsize=4096)
def _latin_length(char: str) -> int:
    return len(to_latin(char))


def _unregistered_entries(
    text: str,
    lang: str,
    registry: Sequence[ActorMatch],
    entities: Sequence[EntityLike],
    counts: dict[str, int],
    people: frozenset[str],
) -> list[dict[str, Any]]:
    candidates = []
    for found in entities:
        entity = _as_organisation_if_headed(_without_words_before_name(text, _without_function_words(found)))
        reason = _rejection(text, entity, registry, people)
        name = _normalised(entity, lang) if reason is None else ""
        if reason is None and entity.label == "ORG":
            reason = _organisation_rejection(text, entity, name)
        counts[reason or "unregistered-actor"] += 1
        if reason is None:
            candidates.append(_Candidate(name, entity.label, entity.text.strip()))
    groups = _merge(candidates)
    return [
        _entry(unregistered_id(name), name, _actor_type(name, label), surfaces)
        for name, (label, surfaces) in groups.items()
    ]


def _rejection(
    text: str, entity: EntityLike, registry: Sequence[ActorMatch], people: frozenset[str]
) -> str | None:
    """Why an entity is not an unregistered actor (an outcome name), or None when it is one."""
    if entity.label not in ACTOR_LABELS:
        return "not-an-actor-label"
    if _overlaps_registry(entity, registry, people):
        return "registry-actor"
    words = _WORD.findall(entity.text)
    if not words or not any(w[:1].isupper() for w in words) or not any(c.isalpha() for c in entity.text):
        return "not-a-name"
    if _CLAUSE_INSIDE.search(entity.text) or len(words) > MAX_ENTITY_WORDS[entity.label]:
        return "not-a-name"
    if any(fold_word(w) in VERB_WORDS for w in words):
        return "not-a-name"  # a clause, not a name: "Ministarstvo finansija kaže"
    if any(_is_non_actor_word(w) for w in words) or (len(words) == 1 and words[0] in NON_ACTOR_ACRONYMS):
        return "not-an-actor"  # a treaty, a weapon, a currency: "Aneksom 10", "Rafali", "KM"
    if entity.label == "PER" and not all(w[:1].isupper() or fold_word(w) in NAME_PARTICLES for w in words):
        return "not-a-name"
    if _is_place(words) or (entity.label == "PER" and _after_place_preposition(text, entity.start)):
        return "place"
    if len(words) == 1 and _is_demonym(words[0]):
        return "group-of-people"
    if len(words) == 1:
        word = words[0]
        if len(word) < 2:
            return "not-a-name"
        if not word.isupper() and _is_common_word(word):
            # An ordinary word alone ("Alijansa", "Boga", "Komisijata"): capitalised by position, or a
            # name too ambiguous to report without its given name or head.
            return "sentence-initial-common-word" if _is_sentence_start(text, entity.start) else "common-word"
    return None


def _overlaps_registry(entity: EntityLike, registry: Sequence[ActorMatch], people: frozenset[str]) -> bool:
    """Whether the entity is (part of) a registry match. An organisation whose name only contains a
    registry organisation or state after its head ("Ambasada SAD", "Delegacija EU") is another actor,
    found beside the registry's; one that contains a registered person is a model's run-on span."""
    overlapping = [m for m in registry if m.start < entity.end and entity.start < m.end]
    if not overlapping:
        return False
    if entity.label != "ORG":
        return True
    if _is_english_representation(entity, overlapping):
        return False
    return any(m.start <= entity.start or m.end > entity.end or m.actor_id in people for m in overlapping)


def _is_english_representation(entity: EntityLike, overlapping: Sequence[ActorMatch]) -> bool:
    """ "US Embassy": one registry match at the start, and after it only an English representation head."""
    if len(overlapping) != 1 or overlapping[0].start != entity.start:
        return False
    rest = entity.text[overlapping[0].end - entity.start :].split()
    return len(rest) == 1 and rest[0].lower() in ENGLISH_REPRESENTATION_HEADS


def _organisation_rejection(text: str, entity: EntityLike, name: str) -> str | None:
    """Why an ORG entity is not an organisation actor, judged on its normalised name, or None."""
    words = _WORD.findall(name)
    folded = [fold_word(w) for w in words]
    has_head = any(f in ORGANISATION_HEAD_WORDS for f in folded)
    if len(words) == 1:
        if has_head or _lemma(words[0]) in ORGANISATION_HEAD_WORDS:
            return "generic-organisation-word"  # "Vlada", "Komisija": which one?
        if folded[0].endswith(ADJECTIVE_ONLY_ENDINGS) and not words[0].isupper():
            # an adjective in an oblique case, the noun of its name cut off ("Infektivnoj" klinici)
            return "not-an-organisation"
        return None
    if not has_head and (words[-1][:1].islower() or _is_common_word(words[0])):
        # "Evropska komesarka", "Navijači Partizana", "Srpska odlučuje": a phrase, not an organisation
        return "not-an-organisation"
    return None


@lru_cache(maxsize=50_000)
def _lemma(word: str) -> str:
    """Folded BCMS dictionary lemma of a word (Latin or Cyrillic)."""
    import simplemma

    return fold_word(simplemma.lemmatize(to_latin(word).lower(), lang="hbs"))


@lru_cache(maxsize=50_000)
def _is_non_actor_word(word: str) -> bool:
    """Whether a word is a form of a ``NON_ACTOR_LEMMAS`` noun: by its dictionary lemma, or, for forms the
    dictionary lacks ("Aneksom", "Rafali"), as the noun with a case ending."""
    if _lemma(word) in NON_ACTOR_LEMMAS:
        return True
    folded = fold_word(word)
    return any(_is_case_form(folded, lemma, bare_stem=False) for lemma in NON_ACTOR_LEMMAS if len(lemma) > 3)


def _after_place_preposition(text: str, at: int) -> bool:
    """Whether the word before ``at`` is a preposition of place ("u Kosjeriću", "на Дрини", "vo Skopje")."""
    before = _WORD.findall(text[max(0, at - 6) : at])
    return bool(before) and fold_word(before[-1]) in PLACE_PREPOSITIONS and text[at - 1 : at].isspace()


def _without_function_words(entity: EntityLike) -> EntityLike:
    """The entity without the conjunctions, prepositions and adverbs a model took in at either end
    ("Dok Brisel", "Dejtonskog sporazuma i")."""
    all_words = list(_WORD.finditer(entity.text))
    words = [m for m in all_words if fold_word(m.group()) not in LEADING_FUNCTION_WORDS]
    if not words or (words[0].start() == all_words[0].start() and words[-1].end() == all_words[-1].end()):
        return entity
    start, end = entity.start + words[0].start(), entity.start + words[-1].end()
    return _Span(entity.text[words[0].start() : words[-1].end()], entity.label, start, end)


def _without_words_before_name(text: str, entity: EntityLike) -> EntityLike:
    """A person entity without the titles in front of the name ("Gradonačelnik Bihaća" → "Bihaća",
    "Ministar Petrović" → "Petrović") and, at the start of a sentence, without an ordinary word that is no
    known given name, before a name in the genitive ("Izjava Alijua" → "Alijua": capitalised by its
    position, not a name); an entity that is only such words stays as it is."""
    if entity.label != "PER":
        return entity
    words = list(_WORD.finditer(entity.text))
    first = next((i for i, w in enumerate(words) if not _is_title(w.group())), None)
    if first == 0 and len(words) > 1 and _is_sentence_start(text, entity.start):
        word = words[0].group()
        if (
            fold_word(word) not in NAME_PARTICLES
            and not _is_organisation_head(word)
            and _is_common_word(word)
            and not is_known_name(word)
            and _looks_genitive(words[-1].group())
        ):
            first = 1
    if not first:
        return entity
    start = words[first].start()
    return _Span(entity.text[start:], entity.label, entity.start + start, entity.end)


def _looks_genitive(surname: str) -> bool:
    """A noun before a name holds the name in the genitive ("Izjava Alijua", "Vlada Gruevskog"); a surname
    in another form ("Vera Nikolić", "Jana Makraduli") or a feminine one in -a ("Jana Šaranova") says the
    word before it is a given name."""
    folded = fold_word(surname)
    return folded.endswith(("a", "e", "og", "oga")) and not folded.endswith(FEMININE_SURNAME_ENDINGS)


def _is_title(word: str) -> bool:
    return _lemma(word) in TITLE_LEMMAS or fold_word(word).rstrip(".") in TITLE_LEMMAS


def _as_organisation_if_headed(entity: EntityLike) -> EntityLike:
    """A "person" with an organisation's head noun in it ("Skupština Kantona Sarajevo", "Pravnog
    fakulteta" once the title "Profesorka" is gone) is an organisation the model mislabelled."""
    if entity.label != "PER" or not entity.text[:1].isupper():
        return entity
    if any(_is_organisation_head(word) for word in _WORD.findall(entity.text)):
        return _Span(entity.text, "ORG", entity.start, entity.end)
    return entity


def _is_organisation_head(word: str) -> bool:
    """An organisation's head noun in any case, not one that is also a given name (Vlada)."""
    lemma = _lemma(word)
    return lemma in ORGANISATION_HEAD_WORDS and lemma not in HEADS_THAT_ARE_GIVEN_NAMES


def _is_place(words: Sequence[str]) -> bool:
    """A place name, in any case (Beogradu, Crnoj Gori, Banja Luci, Zapadot), a place acronym, or places
    joined by hyphens ("Kičevo-Ohrid")."""
    if len(words) == 1 and words[0].split("-", 1)[0] in PLACE_ACRONYMS:
        return True
    if len(words) == 1 and words[0].isupper() and 1 < len(words[0]) <= MAX_ACRONYM_CHARS:
        return _is_place_in_capitals(words[0])
    if len(words) == 1 and "-" in words[0]:
        parts = [fold_word(part) for part in words[0].split("-")]
        if all(parts) and all(_is_folded_place((part,)) for part in parts):
            return True
    return _is_folded_place(tuple(fold_word(w) for w in words))


@lru_cache(maxsize=20_000)
def _is_place_in_capitals(word: str) -> bool:
    """A short one-word place in capitals ("BAR", "NIŠU"), its diacritics matching the place's: an acronym
    folds to a place name as often ("NIS", the oil company, is not Niš)."""
    folded = fold_word(word)
    lower = to_latin(word).lower()
    for name in _one_word_places():
        if not _is_case_form(folded, fold_word(name)):
            continue
        stem = name[:-1] if name[-1] in "aeiou" else name
        # The stem's last letter may change in a case form (Rijeka → Rijeci); the letters before it not.
        kept = stem[:-1] if stem[-1] in _PALATAL else stem
        if lower.startswith(kept):
            return True
    return False


@lru_cache(maxsize=1)
def _one_word_places() -> tuple[str, ...]:
    """The one-word ``PLACE_NAMES``, lower case, diacritics kept."""
    return tuple(name.strip().lower() for name in PLACE_NAMES if " " not in name.strip())


@lru_cache(maxsize=50_000)
def _is_folded_place(folded: tuple[str, ...]) -> bool:
    candidates = _place_words().get((len(folded), folded[0][:2]), ())
    return any(all(_is_case_form(w, p) for w, p in zip(folded, place, strict=True)) for place in candidates)


@lru_cache(maxsize=1)
def _place_words() -> dict[tuple[int, str], list[tuple[str, ...]]]:
    """``PLACE_NAMES`` folded into word tuples, by word count and first two letters (which no case
    ending changes)."""
    index: dict[tuple[int, str], list[tuple[str, ...]]] = defaultdict(list)
    for place in PLACE_NAMES:
        words = tuple(fold_word(w) for w in place.split())
        index[(len(words), words[0][:2])].append(words)
    return dict(index)


def _is_case_form(word: str, base: str, bare_stem: bool = True) -> bool:
    """Whether a folded word is the folded base word with a case ending (k/g/h → c/z/s before -i,
    fleeting a). ``bare_stem=False`` does not take the stem alone ("ulic" of "ulica") as a case form:
    folded, it is also the stem of surnames (Ulić)."""
    if word == base:
        return True
    stem = base[:-1] if base[-1] in "aeiou" else base
    stems = [stem]
    if stem[-1:] in _PALATAL:
        stems.append(stem[:-1] + _PALATAL[stem[-1]])
    if base.endswith(("ac", "ec")):
        stems.append(base[:-2] + "c")  # the fleeting a: Kragujevac → Kragujevcu, Ukrajinac → Ukrajinca
    endings = _PLACE_CASE_ENDINGS if bare_stem else _PLACE_CASE_ENDINGS - {""}
    return any(len(s) >= 3 and word.startswith(s) and word[len(s) :] in endings for s in stems)


@lru_cache(maxsize=20_000)
def _is_demonym(word: str) -> bool:
    import simplemma

    folded = fold_word(word)
    if any(_is_case_form(folded, demonym) for demonym in DEMONYMS):
        return True
    if has_cyrillic(word):  # Macedonian plural with its article: Американците, Србите
        for ending in _MACEDONIAN_PLURAL_ARTICLES:
            bare = folded[: -len(ending)]
            if folded.endswith(ending) and any(_is_case_form(bare, demonym) for demonym in DEMONYMS):
                return True
    lower = word.lower()
    lemmas = [simplemma.lemmatize(to_latin(lower), lang="hbs")]
    if has_cyrillic(lower):
        lemmas.append(simplemma.lemmatize(lower, lang="mk"))
    return any(fold_word(lemma) in DEMONYMS for lemma in lemmas)


def _normalised(entity: EntityLike, lang: str) -> str:
    if lang == "sq" and entity.label == "ORG":
        return albanian_institution_nominative(entity.text.strip())
    if lang == "sq":
        return normalise_name(albanian_nominative(entity.text.strip()), entity.label, lang)
    return normalise_name(entity.text, entity.label, lang)


def _merge(candidates: Sequence[_Candidate]) -> dict[str, tuple[str, list[str]]]:
    """Group candidates by person/organisation: one key per normalised name, then inflected variants and
    bare surnames folded into the full name they belong to."""
    groups: dict[str, tuple[str, list[str]]] = {}
    by_id: dict[str, str] = {}
    for candidate in candidates:
        key = by_id.setdefault(unregistered_id(candidate.name), candidate.name)
        groups.setdefault(key, (candidate.label, []))[1].append(candidate.surface)
    for name in sorted(groups, key=lambda n: (len(n.split()), n)):
        target = _merge_target(name, groups)
        if target:
            groups[target][1].extend(groups.pop(name)[1])
    return groups


def _merge_target(name: str, groups: dict[str, tuple[str, list[str]]]) -> str | None:
    """The other person this name is a variant of: the same words inflected, or a bare surname."""
    label = groups[name][0]
    if label != "PER":
        return None
    words = [fold_word(w) for w in name.split()]
    targets = []
    for other, (other_label, _) in groups.items():
        if other == name or other_label != "PER":
            continue
        other_words = [fold_word(w) for w in other.split()]
        if len(words) == 1 and len(other_words) > 1:
            if words[0] in inflected_forms(other_words[-1]):
                targets.append(other)
        elif len(words) == len(other_words) and _is_inflection_of(words, other_words):
            targets.append(other)
    return targets[0] if len(targets) == 1 else None


def _is_inflection_of(words: Sequence[str], base: Sequence[str]) -> bool:
    """Each folded word is an inflected form of the base's word, and not the other way round."""
    pairs = list(zip(words, base, strict=True))
    return (
        words != base
        and all(w in inflected_forms(b) for w, b in pairs)
        and not all(b in inflected_forms(w) for w, b in pairs)
    )


def _actor_type(name: str, label: str) -> str:
    if label == "PER":
        return "person"
    words = {fold_word(w) for w in _WORD.findall(name)}
    for actor_type, keywords in ORGANISATION_TYPE_WORDS:
        if words & keywords:
            return actor_type
    return "ngo"


def _entry(actor_id: str, name: str, actor_type: str, surfaces: Sequence[str]) -> dict[str, Any]:
    return {
        "id": actor_id,
        "name": name,
        "type": actor_type,
        "count": len(surfaces),
        "mentions": list(dict.fromkeys(surfaces)),
    }


@lru_cache(maxsize=50_000)
def _is_common_word(word: str) -> bool:
    """A word whose lower-case form simplemma knows as an ordinary word (a lower-case lemma)."""
    import simplemma

    lower = word.lower()
    # simplemma's Macedonian dictionary is in Cyrillic, the BCMS and Albanian ones in Latin; Serbian
    # Cyrillic is read through its transliteration.
    forms = [("hbs", to_latin(lower)), ("sq", to_latin(lower))]
    if has_cyrillic(lower):
        forms.insert(1, ("mk", lower))
    for lang, form in forms:
        if simplemma.is_known(form, lang=lang):
            return simplemma.lemmatize(form, lang=lang)[:1].islower()
    return False


def _is_sentence_start(text: str, at: int) -> bool:
    before = text[max(0, at - 4) : at]
    return at == 0 or not before.strip() or _SENTENCE_END.search(before) is not None
