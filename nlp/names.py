"""Normalised names for actors the registry does not know: nominative case, Latin script, diacritics kept.

News in the region inflects names ("izjava Aleksandra Vulina", "sa Vučićem", "Ане Брнабић"), so the same
person appears in several surface forms. ``normalise_name`` maps each surface back to one nominative form
("Aleksandar Vulin", "Vučić", "Ana Brnabić"), and ``unregistered_id`` turns it into a stable id
("unk:aleksandar-vulin").

People. The last token is the surname, the tokens before it given names. Surname endings that only a
declined masculine or feminine surname has are undone first (``SURNAME_RULES``: -ića/-iću/-ićem → -ić,
-skog/-skom/-skim → -ski, -ija/-iju/-ijem → -i, -ove/-ovoj → -ova, -ske/-skoj → -ska). Given names go
through simplemma's BCMS dictionary (Aleksandru → Aleksandar, Marije → Marija) and, for names it lacks, a
feminine -e/-i/-u/-om → -a rule accepted only when the result is a name simplemma knows (Ane → Ana). The
case that the given name shows then decides ambiguous surname endings: in "Aleksandra Vulina" the given name
is a masculine genitive, so -a is a case ending of the surname too (Vulin). Where nothing says which
reading is right, the surface is kept: "Ivana Jovanović" stays (a woman's name in the nominative, or the
genitive of Ivan: the uninflected -ić surname points to the woman). Foreign names the dictionary lacks
are read as a man's genitive when given name and surname both end in -a and the surname is not a feminine
one ("Ričarda Bartona" → Ričard Barton): a woman's foreign surname does not decline.

An acronym loses its hyphenated case ending everywhere (MUP-a → MUP, ФОН-у → FON). Macedonian names do
not decline; an organisation's head loses its definite article (Министерството за
одбрана → Ministerstvo za odbrana).

Organisations. The head noun, and the adjectives in front of it, go back to the nominative where
simplemma knows the noun (Ministarstva finansija → Ministarstvo finansija, Vlade Srbije → Vlada Srbije,
Ustavnog suda → Ustavni sud); the words after the head (a genitive complement) stay as written. Otherwise
the surface is kept, in Latin.
"""

import re
from functools import lru_cache
from typing import Final

from nlp.translit import fold_diacritics, to_latin

#: simplemma's dictionary for Bosnian, Croatian, Montenegrin and Serbian.
_HBS: Final = "hbs"

#: Surname endings that only a declined surname has: (ending, nominative ending, gender the rule implies).
#: Longest endings first. Female -ić surnames do not decline, so -ića/-iću/-ićem are always masculine;
#: -ija/-iju/-ijem are the BCMS cases of surnames in -i (Kurti, Mickoski's "Kurtija"); -ove/-ovoj and
#: -ske/-skoj are feminine cases of -ova/-ska surnames (a masculine -ov surname makes -ova/-ovu/-ovom,
#: which stay ambiguous and are left alone).
SURNAME_RULES: Final[tuple[tuple[str, str, str], ...]] = (
    ("ićem", "ić", "m"), ("ića", "ić", "m"), ("iću", "ić", "m"),
    ("skoga", "ski", "m"), ("skomu", "ski", "m"), ("skog", "ski", "m"), ("skom", "ski", "m"),
    ("skim", "ski", "m"), ("ckog", "cki", "m"), ("ckom", "cki", "m"), ("ckim", "cki", "m"),
    ("ijem", "i", "m"), ("ija", "i", "m"), ("iju", "i", "m"),
    ("ovoj", "ova", "f"), ("evoj", "eva", "f"), ("ove", "ova", "f"), ("eve", "eva", "f"),
    ("skoj", "ska", "f"), ("ske", "ska", "f"),
)  # fmt: skip
#: Nominative endings of feminine surnames (Zaharova, Mickoska, Dmitrijeva, Tolstaja): a surname in -a
#: that ends so is not a man's surname in the genitive.
FEMININE_SURNAME_ENDINGS: Final = ("ova", "eva", "ska", "cka", "čka", "ina", "aja")
#: Stem endings before -ija that make an abstract noun (-cija, -sija, -zija), never a surname in -i.
NOT_SURNAME_STEMS_BEFORE_IJA: Final = ("c", "s", "z")
#: Masculine case endings a given name and an uninflected-looking surname share ("Aleksandra Vulina",
#: "Aleksandru Vulinu", "Aleksandrom Vulinom"); longest first.
MASCULINE_CASE_ENDINGS: Final = ("om", "em", "a", "u")
#: Feminine oblique endings of given names whose nominative ends in -a (Ane, Ani, Anu, Anom).
FEMININE_OBLIQUE_ENDINGS: Final = ("om", "oj", "e", "i", "u")
#: Macedonian definite articles on a noun, in Latin transliteration: (ending, what stays). Only the
#: head of an organisation name gets them stripped (Komisijata → Komisija, Institutot → Institut).
MACEDONIAN_ARTICLES: Final = (("oto", "o"), ("eto", "e"), ("ata", "a"), ("iot", "i"), ("ot", ""))
#: A stem left after removing an ending must keep at least this many letters ("Vulin", not "Vu").
MIN_STEM_CHARS: Final = 3

#: Endings of a definite adjective in an oblique case, and the stem they leave (Ustavnog → Ustavn-).
_ADJECTIVE_OBLIQUE: Final = ("oga", "omu", "og", "om", "im", "oj", "e", "u")
#: Nominative adjective ending for the gender of the head noun's lemma.
_ADJECTIVE_NOMINATIVE: Final = {"m": "i", "f": "a", "n": "o"}
#: Oblique endings of adjectives derived with -ski/-čki/-cki (from place and person names).
_DERIVED_ADJECTIVE_OBLIQUE: Final = tuple(
    stem + ending for stem in ("sk", "čk", "ck") for ending in ("og", "oga", "om", "omu", "im", "oj", "ih")
)
#: Endings only adjectives have (nouns decline with -a, -u, -om, -e, -i, -ama, -ima).
ADJECTIVE_ONLY_ENDINGS: Final = ("og", "oga", "omu", "oj", "ih", "im")
_WORD: Final = re.compile(r"\S+")
_ACRONYM_CASE_ENDING: Final = re.compile(r"\b([A-ZČĆŽŠĐ0-9]{2,})-[a-zčćžšđ]{1,4}\b")
_SPACES: Final = re.compile(r"\s+")


def normalise_name(surface: str, label: str, lang: str) -> str:
    """Return the nominative, Latin-script, title-case form of a PER or ORG entity.

    ``lang`` is the item's language: BCMS (sr, hr, bs, cnr) and Macedonian transliterations are declined
    back; for other languages the surface is only transliterated and title-cased.
    """
    latin = _SPACES.sub(" ", to_latin(surface)).strip(" ,.;:!?\"'“”„«»()")
    latin = _ACRONYM_CASE_ENDING.sub(r"\1", latin)  # "MUP-a", "ФОН-у": the acronym itself
    tokens = _WORD.findall(latin)
    if not tokens:
        return latin
    if lang == "mk" and label == "ORG":
        return " ".join([_without_macedonian_article(tokens[0]), *tokens[1:]])
    if lang not in ("sr", "hr", "bs", "cnr"):
        return " ".join(_title_token(t) for t in tokens) if label == "PER" else latin
    if label == "PER":
        return " ".join(_title_token(t) for t in _person_nominative([_title_token(t) for t in tokens]))
    return " ".join(_organisation_nominative(tokens))


def _without_macedonian_article(word: str) -> str:
    """Drop the Macedonian definite article from an organisation's head (Министерството → Ministerstvo)."""
    lower = word.lower()
    for ending, bare in MACEDONIAN_ARTICLES:
        if lower.endswith(ending) and len(word) - len(ending) >= MIN_STEM_CHARS:
            return word[: -len(ending)] + bare
    return word


def unregistered_id(name: str) -> str:
    """Return the id of an unregistered actor: ``unk:`` and the ASCII-folded kebab-case name."""
    folded = fold_diacritics(to_latin(name)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return f"unk:{slug or 'unnamed'}"


def _title_token(token: str) -> str:
    """Title-case one name token; mixed-case tokens (McCain, DiCaprio) keep their inner capitals."""
    parts = re.split(r"([-'’])", token)
    out = []
    for part in parts:
        if part.isupper() and len(part) > 1:
            part = part.capitalize()
        elif part[:1].islower() and part.isalpha() and len(parts) == 1:
            part = part[:1].upper() + part[1:]
        out.append(part)
    return "".join(out)


# --- people ----------------------------------------------------------------------------------------


def _person_nominative(tokens: list[str]) -> list[str]:
    surname, given = tokens[-1], tokens[:-1]
    if not given:
        return [surname if _is_nominative_name(surname) else _undo_surname_rule(surname)[0]]
    new_surname, gender = _undo_surname_rule(surname)
    if gender is None:
        ending = _shared_masculine_ending(given[0], surname)
        if ending:
            # "Aleksandra Vulina": the given name is a man's name in the genitive, so the surname's
            # matching ending is a case ending too.
            new_surname, gender = surname[: -len(ending)], "m"
        elif _is_foreign_masculine_genitive(given, surname):
            return [*(name[:-1] for name in given), surname[:-1]]
    return [*(_given_nominative(name, gender) for name in given), new_surname]


def _is_foreign_masculine_genitive(given: list[str], surname: str) -> bool:
    """ "Ričarda Bartona", "Fatmira Sejdiua": every given name unknown to the dictionary and ending in -a
    after a consonant, and the surname in -a too (not a feminine one): a man's foreign name in the
    genitive. A woman's foreign surname does not decline ("Kondoliza Rajs"), and names the dictionary knows
    (Nikola Tesla, Ivana) are left to it."""
    lower = surname.lower()
    if not lower.endswith("a") or lower.endswith(FEMININE_SURNAME_ENDINGS) or len(surname) <= MIN_STEM_CHARS:
        return False
    return all(
        name.lower().endswith("a")
        and len(name) > MIN_STEM_CHARS
        and name[-2:-1].lower() not in "aeiou"
        and _name_lemma(name) is None
        for name in given
    )


def _shared_masculine_ending(given: str, surname: str) -> str | None:
    """The masculine case ending that a declined given name and its surname share, if any."""
    lemma = _name_lemma(given)
    if not lemma or lemma == given or lemma.lower().endswith(("a", "e", "o")):
        return None
    lower = given.lower()
    ending = next((e for e in MASCULINE_CASE_ENDINGS if lower.endswith(e)), None)
    if ending is None or not surname.lower().endswith(ending) or _is_nominative_name(surname):
        return None
    return ending if len(surname) - len(ending) >= MIN_STEM_CHARS else None


def _undo_surname_rule(surname: str) -> tuple[str, str | None]:
    """Apply the first matching ``SURNAME_RULES`` entry; return the surname and the gender it implies."""
    lower = surname.lower()
    for ending, nominative, gender in SURNAME_RULES:
        if lower.endswith(ending) and len(surname) - len(ending) >= MIN_STEM_CHARS:
            if ending.startswith("ij") and lower[: -len(ending)].endswith(NOT_SURNAME_STEMS_BEFORE_IJA):
                continue  # Vakcinacija, Federacija: a noun in -cija, not a surname in -i
            return surname[: -len(ending)] + nominative, gender
    return surname, None


def _given_nominative(name: str, surname_gender: str | None) -> str:
    """The nominative of a given name, told by the dictionary or by the surname's gender."""
    lemma = _name_lemma(name)
    if lemma and lemma != name:
        if name.lower().endswith("a") and not lemma.lower().endswith("a"):
            # "Ivana", "Aleksandra": a woman's name, or a man's in the genitive; only a declined
            # masculine surname settles it.
            return lemma if surname_gender == "m" else name
        return lemma
    if lemma == name:
        return name
    if surname_gender != "m":
        for ending in FEMININE_OBLIQUE_ENDINGS:
            if name.lower().endswith(ending) and len(name) - len(ending) >= MIN_STEM_CHARS - 1:
                candidate = name[: -len(ending)] + "a"
                if _name_lemma(candidate) == candidate:
                    return candidate
    if surname_gender == "m":
        for ending in MASCULINE_CASE_ENDINGS:
            if name.lower().endswith(ending) and len(name) - len(ending) >= MIN_STEM_CHARS:
                return name[: -len(ending)]
    return name


def is_known_name(token: str) -> bool:
    """Whether simplemma's BCMS dictionary knows a capitalised token as a name (Nada, Vesna, Luka)."""
    return _name_lemma(token) is not None


def _is_nominative_name(token: str) -> bool:
    return _name_lemma(token) == token


@lru_cache(maxsize=20_000)
def _name_lemma(token: str) -> str | None:
    """simplemma's lemma of a capitalised token when it is a name (a capitalised lemma), else None."""
    import simplemma

    if not simplemma.is_known(token, lang=_HBS):
        return None
    lemma = simplemma.lemmatize(token, lang=_HBS)
    return lemma if lemma[:1].isupper() else None


# --- organisations ---------------------------------------------------------------------------------


def _organisation_nominative(tokens: list[str]) -> list[str]:
    """Put the head noun and the adjectives before it in the nominative where that is reliable."""
    for head_at, token in enumerate(tokens[:4]):
        lemma = _noun_lemma(token)
        if lemma is None:
            if _is_adjective(token):
                continue
            return tokens  # a word that is neither: no reliable reading ("Telekoma Srbije")
        gender = _gender_of(lemma)
        adjectives = [_adjective_nominative(t, gender) for t in tokens[:head_at]]
        if any(a is None for a in adjectives):
            return tokens
        return [*[a for a in adjectives if a], _with_case_of(token, lemma), *tokens[head_at + 1 :]]
    return tokens


@lru_cache(maxsize=20_000)
def _noun_lemma(token: str) -> str | None:
    """The lemma of a common noun (Vlade → vlada, suda → sud), or None for other words."""
    import simplemma

    lower = token.lower()
    if len(lower) < MIN_STEM_CHARS or not lower.isalpha() or lower.endswith(ADJECTIVE_ONLY_ENDINGS):
        return None
    if not simplemma.is_known(lower, lang=_HBS):
        return None
    lemma = simplemma.lemmatize(lower, lang=_HBS)
    stem = max(1, len(lemma) - 2)
    if lemma[:stem] != lower[:stem]:
        return None  # a reading with another stem (veća → velik): not a case form of this noun
    return None if _is_adjective_lemma(lemma, lower) else lemma


@lru_cache(maxsize=20_000)
def _is_adjective(token: str) -> bool:
    import simplemma

    lower = token.lower()
    if len(lower) < MIN_STEM_CHARS or not lower.isalpha():
        return False
    if lower.endswith(_DERIVED_ADJECTIVE_OBLIQUE):
        return True  # an adjective from a name, known to no dictionary: Stockholmskog, Visbadenskom
    if not simplemma.is_known(lower, lang=_HBS):
        return False
    return lower.endswith(ADJECTIVE_ONLY_ENDINGS) or _is_adjective_lemma(
        simplemma.lemmatize(lower, lang=_HBS), lower
    )


def _is_adjective_lemma(lemma: str, surface: str) -> bool:
    """simplemma lemmatises adjectives to the indefinite masculine (ustavnog → ustavan, srpske → srpski)."""
    if lemma.endswith(("ski", "ški", "čki", "cki")):
        return True
    return lemma.endswith(("an", "en", "ni", "ki", "ći", "ji")) and not surface.startswith(lemma)


def _gender_of(lemma: str) -> str:
    if lemma.endswith("a"):
        return "f"
    if lemma.endswith(("o", "e")):
        return "n"
    return "m"


def _adjective_nominative(token: str, gender: str) -> str | None:
    lower = token.lower()
    for ending in _ADJECTIVE_OBLIQUE:
        if lower.endswith(ending) and len(token) - len(ending) >= MIN_STEM_CHARS:
            return token[: -len(ending)] + _ADJECTIVE_NOMINATIVE[gender]
    if lower.endswith(_ADJECTIVE_NOMINATIVE[gender]):
        return token  # already nominative, and agreeing with the head
    return None


def _with_case_of(token: str, lemma: str) -> str:
    if token.isupper() and len(token) > 1:
        return lemma.upper()
    return lemma[:1].upper() + lemma[1:] if token[:1].isupper() else lemma
