"""Actor detection: find registry actors in text across inflection, scripts, case and diacritics.

Each alias becomes a sequence of folded tokens (Latin, no diacritics, lower case). Each alias token
expands to the inflected forms that BCMS, Macedonian, Albanian and Russian grammar give a name
(Vučić → Vučića/Vučiću/Vučićem/Vučićev; Kurti → Kurtija/Kurtiju/Kurtit; Rama → Rame/Ramu/Ramës;
Путин → Путина/Путиным), plus the registry's explicit ``forms``. Matching then looks folded text tokens
up in that table.

Guards against false positives, in order:
- acronyms and aliases of three letters or fewer match only in exact case, optionally with a hyphenated
  case ending ("NATO-a", "EU-ja", "НАТО-у");
- a capitalised alias token matches only a capitalised (or all upper case) token, so "rame" (shoulder)
  never matches "Rame" (Edi Rama);
- ``ambiguous_aliases``, and aliases that are common words (``COMMON_WORDS``), match only in exact case,
  uninflected, and never at the start of a sentence (all-capitals ones such as "SAD" may start one);
- at a sentence start, an inflected form that is an ordinary word with another lemma ("Rame", shoulders)
  is that word;
- overlapping matches keep the longest (so "Vlada Srbije" is not also "Srbija").
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from nlp.translit import fold_diacritics, fold_word, to_latin

#: Endings added to a consonant-final name: BCMS cases and possessive adjectives (-ov/-ev/-in),
#: Albanian definite forms (-i, -it, -in, -ut), Russian instrumental (-ym/-om).
_CONSONANT_ENDINGS: Final = (
    "a", "u", "e", "om", "em", "i", "ima", "ov", "ova", "ovu", "ovo", "ove", "ovi", "ovom", "ovih", "ev",
    "eva", "evu", "evo", "eve", "evi", "evom", "evih", "it", "in", "ut", "un", "ym", "im", "ovog", "evog",
)  # fmt: skip
#: Endings replacing the final -a (Rama, Rusija, Albanija): BCMS feminine cases, Albanian -ës/-ën.
_A_STEM_ENDINGS: Final = (
    "a", "e", "i", "u", "om", "oj", "in", "ina", "inu", "ine", "ini", "inom", "es", "en", "s", "n", "ës",
)  # fmt: skip
#: Endings replacing the final -o (Milo, Kosovo): BCMS masculine/neuter cases.
_O_STEM_ENDINGS: Final = ("o", "a", "u", "om", "e", "ov", "ova", "ovu", "ovog", "ovom", "ova", "on", "os")
#: Endings added to a final -i (Kurti, Mickoski): BCMS -ja/-ju/-jem, Albanian -t/-n/-u, and the
#: adjectival declension of -ski names (Mickoskog, Mickoskom) via the stem without -i.
_I_ENDINGS: Final = ("ja", "ju", "jem", "je", "ji", "jom", "jev", "jeva", "jevu", "t", "n", "u", "ut", "se")
_SKI_ENDINGS: Final = ("og", "oga", "om", "omu", "e", "a", "ih", "ima")
_E_ENDINGS: Final = ("a", "u", "om", "ov", "ova", "s", "n", "t", "ja", "ju", "jem")
#: Alias tokens shorter than this are not inflected (only exact or hyphenated matches).
MIN_INFLECTED_CHARS: Final = 4
#: Capitalised words of ordinary text that registries use as names of outlets or institutions; such
#: aliases match only when they are clearly names (exact case, not sentence-initial).
COMMON_WORDS: Final = frozenset(
    """dan danas vesti vijesti pravda sloboda nova novi nasa politika vlada skupstina sabor zapad istok
    jug sever narod rat mir unija savez front pokret glas info kurir blic telegram express jutarnji
    vecernji index nedelja nedeljnik vreme vrijeme forum centar alternativa most mreza fokus reporter
    pobjeda pobeda dnevnik presing informer alo espreso mondo""".split()
)

#: A word with inner hyphens and apostrophes (NATO-a, D'Alema), but not an English possessive: "Rama's" is
#: "Rama" and "s", so that the name matches.
_TOKEN = re.compile(r"\w+(?:-\w+|['’](?![sS]\b)\w+)*")
_SENTENCE_END = re.compile(r"[.!?:;\n«»\"“”„(]\s*$")


def _fold(token: str) -> str:
    return fold_word(token)


@lru_cache(maxsize=50_000)
def _exact(token: str) -> str:
    """Script- and diacritic-folded, case kept: how acronyms and ambiguous aliases are compared."""
    return fold_diacritics(to_latin(token))


def inflected_forms(folded: str) -> set[str]:
    """Return a folded alias token and the inflected forms matching may accept for it."""
    forms = {folded}
    if len(folded) < MIN_INFLECTED_CHARS or not folded.isalpha():
        return forms
    last = folded[-1]
    if last == "a":
        forms.update(folded[:-1] + ending for ending in _A_STEM_ENDINGS)
    elif last == "o":
        forms.update(folded[:-1] + ending for ending in _O_STEM_ENDINGS)
        forms.update(folded + ending for ending in ("s", "n", "t"))
    elif last == "i":
        forms.update(folded + ending for ending in _I_ENDINGS)
        if folded.endswith(("ski", "ski", "cki", "ski")):
            forms.update(folded[:-1] + ending for ending in _SKI_ENDINGS)
    elif last == "e":
        forms.update(folded + ending for ending in _E_ENDINGS)
    elif last in "uy":
        forms.update(folded + ending for ending in ("a", "u", "om", "ja", "ju"))
    else:
        forms.update(folded + ending for ending in _CONSONANT_ENDINGS)
    return {form.replace("ë", "e") for form in forms}


@dataclass(frozen=True)
class ActorSpec:
    """What the matcher needs to know about one actor (a plain, serialisable view of the registry)."""

    id: str
    name: str
    type: str
    aliases: tuple[str, ...]
    forms: tuple[str, ...] = ()
    ambiguous_aliases: tuple[str, ...] = ()

    @classmethod
    def from_actor(cls, actor: Any) -> "ActorSpec":
        return cls(
            id=actor.id,
            name=actor.name,
            type=actor.type,
            aliases=tuple(actor.all_aliases()),
            forms=tuple(actor.forms),
            ambiguous_aliases=tuple(actor.ambiguous_aliases),
        )


@dataclass(frozen=True)
class _Pattern:
    actor_id: str
    # Per token: the accepted folded forms, or (for exact patterns) the case-kept form.
    tokens: tuple[frozenset[str], ...]
    exact: bool  # compare case-kept tokens (acronyms, ambiguous aliases)
    capitalised: tuple[bool, ...]  # token must start upper case in the text
    not_sentence_start: bool
    base: tuple[str, ...] = ()  # the alias's own folded tokens


@dataclass(frozen=True)
class ActorMatch:
    """One mention: the actor, the character span in the text and the text as written."""

    actor_id: str
    start: int
    end: int
    surface: str


def _is_acronym(alias_token: str) -> bool:
    latin = to_latin(alias_token)
    upper = sum(1 for c in latin if c.isupper())
    return (upper >= 2 and upper >= len([c for c in latin if c.isalpha()]) - 1) or len(latin) <= 3


@dataclass
class ActorMatcher:
    """Finds registry actors in text; build once per process (``from_specs``) and reuse."""

    specs: dict[str, ActorSpec]
    _by_first: dict[str, list[_Pattern]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def from_specs(cls, specs: Iterable[ActorSpec]) -> "ActorMatcher":
        matcher = cls(specs={spec.id: spec for spec in specs})
        for spec in matcher.specs.values():
            ambiguous = {_fold(alias) for alias in spec.ambiguous_aliases}
            for alias in spec.aliases:
                matcher._add(spec.id, alias, ambiguous=_fold(alias) in ambiguous, inflect=True)
            for form in spec.forms:
                matcher._add(spec.id, form, ambiguous=_fold(form) in ambiguous, inflect=False)
        return matcher

    @classmethod
    def from_registry(cls, registry: Iterable[Any]) -> "ActorMatcher":
        return cls.from_specs(ActorSpec.from_actor(actor) for actor in registry)

    def _add(self, actor_id: str, alias: str, *, ambiguous: bool, inflect: bool) -> None:
        tokens = _TOKEN.findall(alias)
        if not tokens:
            return
        folded = [_fold(t) for t in tokens]
        common = len(tokens) == 1 and folded[0] in COMMON_WORDS
        if ambiguous or common:
            # An all-capitals alias (SAD, CRTA) is safe at a sentence start: the ordinary word is lower case.
            all_caps = all(to_latin(t).isupper() for t in tokens)
            exact = tuple(frozenset({_exact(t)}) for t in tokens)
            pattern = _Pattern(actor_id, exact, True, (False,) * len(tokens), not all_caps)
            self._by_first[folded[0]].append(pattern)
            return
        if len(tokens) == 1 and _is_acronym(tokens[0]):
            pattern = _Pattern(actor_id, (frozenset({_exact(tokens[0])}),), True, (False,), False)
            self._by_first[folded[0]].append(pattern)
            return
        accepted = tuple(frozenset(inflected_forms(f) if inflect else {f}) for f in folded)
        capitalised = tuple(t[:1].isupper() for t in tokens)
        pattern = _Pattern(actor_id, accepted, False, capitalised, False, tuple(folded))
        for first in accepted[0]:
            self._by_first[first].append(pattern)

    def find(self, text: str) -> list[ActorMatch]:
        """Return non-overlapping mentions in text order (the longest match wins an overlap)."""
        spans = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        folded = [_fold(surface) for _, _, surface in spans]
        candidates: list[tuple[int, int, str]] = []  # (first token, token count, actor)
        for index, key in enumerate(folded):
            head = key.split("-", 1)[0] if "-" in key else None
            for pattern in [*self._by_first.get(key, ()), *(self._by_first.get(head, ()) if head else ())]:
                if self._matches(pattern, text, spans, folded, index):
                    candidates.append((index, len(pattern.tokens), pattern.actor_id))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        taken: set[int] = set()
        found: list[ActorMatch] = []
        for first, count, actor_id in candidates:
            covered = set(range(first, first + count))
            if covered & taken:
                continue
            taken |= covered
            start, end = spans[first][0], spans[first + count - 1][1]
            found.append(ActorMatch(actor_id, start, end, text[start:end]))
        found.sort(key=lambda m: m.start)
        return found

    def _matches(
        self,
        pattern: _Pattern,
        text: str,
        spans: Sequence[tuple[int, int, str]],
        folded: Sequence[str],
        index: int,
    ) -> bool:
        count = len(pattern.tokens)
        if index + count > len(spans):
            return False
        if pattern.not_sentence_start and _is_sentence_start(text, spans[index][0]):
            return False
        for offset, accepted in enumerate(pattern.tokens):
            surface = spans[index + offset][2]
            if pattern.exact:
                exact = _exact(surface)
                if exact not in accepted and exact.split("-", 1)[0] not in accepted:
                    return False
                continue
            if folded[index + offset] not in accepted:
                return False
            if pattern.capitalised[offset] and not surface[:1].isupper():
                return False
        if (
            count == 1
            and not pattern.exact
            and folded[index] != pattern.base[0]
            and _is_sentence_start(text, spans[index][0])
        ):
            # "Rame su ga boljele": a sentence-initial capital says nothing; an inflected form that is an
            # ordinary word with another lemma is that word.
            return not _is_other_word(spans[index][2], pattern.base[0])
        return True

    def mentions(self, text: str) -> list[dict[str, Any]]:
        """Return ``[{id, name, type, count, mentions}]`` (the ActorMention shape), most mentioned first."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for match in self.find(text):
            grouped[match.actor_id].append(match.surface)
        result = []
        for actor_id, surfaces in grouped.items():
            spec = self.specs[actor_id]
            distinct = list(dict.fromkeys(surfaces))
            result.append(
                {
                    "id": spec.id,
                    "name": spec.name,
                    "type": spec.type,
                    "count": len(surfaces),
                    "mentions": distinct,
                }
            )
        result.sort(key=lambda m: (-m["count"], m["name"]))
        return result


@lru_cache(maxsize=50_000)
def _is_other_word(surface: str, base: str) -> bool:
    import simplemma

    lower = to_latin(surface.lower())
    for lang in _WORD_LIST_LANGUAGES:
        if simplemma.is_known(lower, lang=lang):
            return _fold(simplemma.lemmatize(lower, lang=lang)) != base
    return False


#: simplemma dictionaries consulted for the sentence-start guard (BCMS, Macedonian, Albanian).
_WORD_LIST_LANGUAGES: Final = ("hbs", "mk", "sq")


def _is_sentence_start(text: str, at: int) -> bool:
    before = text[max(0, at - 4) : at]
    return at == 0 or not before.strip() or _SENTENCE_END.search(before) is not None
