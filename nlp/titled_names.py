"""Albanian and Macedonian people named after a title ("kryeministri Edi Rama", "претседателот на Србија
Александар Вучиќ"), and Albanian institutions named by their head noun ("Ministria e Mbrojtjes").

No trained named-entity model exists here for Albanian, and Macedonian gets only a transliterated best effort
from the BCMS one, so for these two languages a rule finds the people that news introduces by office: a title
or honorific, optionally a complement naming the office's country or portfolio ("i Serbisë", "на Владата",
"за надворешни работи"), an optional comma, then one to three capitalised words.

After a complement marker (sq i/e/së/të, mk на/за/од/во) the capitalised word that follows is the complement,
not the name ("presidenti i Serbisë Aleksandar Vuçiq"); the words of a multi-word place (Северна Македонија,
Crna Gora) are skipped together (``PLACE_FIRST_WORDS``). Names are returned as found; ``albanian_nominative``
undoes the Albanian definite case endings that are unambiguous on a surname (Kurtit → Kurti, Ramës → Rama).

Albanian institutions: a capitalised head noun from ``SQ_INSTITUTION_HEADS`` in any definite case
(Ministria, Ministrisë, Ministrinë), followed by capitalised words, each optionally after a genitive link
(e, i, të, së): "Komisioni Qendror i Zgjedhjeve", "Ambasada e SHBA-së". The head alone ("Ministria") is
generic and not returned. ``albanian_institution_nominative`` puts the head back in the nominative.
"""

import re
from dataclasses import dataclass
from typing import Final

#: Albanian office titles (stems); the endings cover definite forms in every case and the feminine forms
#: (kryeministri, kryeministrit, kryeministrin, kryeministrja, kryeministres), not the plural ones
#: (ambasadorët: several people follow, if any). "ish-" (former) may precede.
SQ_TITLE_STEMS: Final = (
    "kryeministr", "zëvendëskryeministr", "zevendeskryeministr", "zëvendësministr", "zevendesministr",
    "ministr", "president", "zëvendëspresident", "deputet", "ambasador", "kryetar", "zëdhënës", "zedhenes",
    "lider", "sekretar", "drejtor", "kryeprokuror", "prokuror", "gjyqtar", "komandant", "kryenegociator",
    "negociator", "kryeparlamentar", "kreu", "ministër", "kryeministër",
)  # fmt: skip
SQ_TITLE_ENDINGS: Final = ("", "i", "it", "in", "ja", "es", "en", "e", "ës")
#: Macedonian office titles (stems); endings: -от (definite masculine), -ката/-ка (feminine), none.
MK_TITLE_STEMS: Final = (
    "премиер", "вицепремиер", "претседател", "потпретседател", "министер", "заменик-министер", "амбасадор",
    "пратеник", "пратенич", "градоначалник", "градоначалнич", "лидер", "шеф", "портпарол", "директор",
    "обвинител", "јавен обвинител", "судија", "генерален секретар", "советник", "координатор",
)  # fmt: skip
MK_TITLE_ENDINGS: Final = ("", "от", "ката", "ка", "та")
#: Words after which the next capitalised word is the office's complement, not the name (genitive
#: links and prepositions: "i Serbisë", "në Prishtinë", "на Владата").
COMPLEMENT_MARKERS: Final = frozenset(
    {"i", "e", "së", "të", "se", "te", "per", "për", "në", "ne", "nga", "на", "за", "од", "во", "в"}
)
#: Words joining two complements ("Bosnje dhe Hercegovinës", "Косово и Метохија").
COMPLEMENT_JOINERS: Final = frozenset({"dhe", "и", "e"})
#: First words of multi-word places, skipped with the word after them.
PLACE_FIRST_WORDS: Final = frozenset(
    {"северна", "severna", "sjeverna", "crna", "црна", "bosna", "босна", "republika", "република",
     "sjedinjene", "обединетите", "обединетото", "mbretëria", "shtetet", "европската", "evropska", "europska"}
)  # fmt: skip
#: Lower-case words that may sit between a title and the name without being a complement ("ministri i
#: Jashtëm", "министерот за надворешни работи Тимчо Муцунски").
MAX_SKIPPED_WORDS: Final = 5
#: A name is at most this many capitalised words.
MAX_NAME_WORDS: Final = 3

#: Albanian definite endings that are unambiguous on a surname: (ending, nominative ending). "-in" is not
#: here: too many names end in it in the nominative (Putin, Albin).
SQ_SURNAME_ENDINGS: Final = (("ajt", "aj"), ("ajn", "aj"), ("ës", "a"), ("ën", "a"), ("it", "i"), ("ut", "u"))

#: Heads of Albanian institution names, in the definite nominative.
SQ_INSTITUTION_HEADS: Final = (
    "Ministria", "Komisioni", "Ambasada", "Gjykata", "Prokuroria", "Agjencia", "Instituti", "Universiteti",
    "Policia", "Drejtoria", "Zyra", "Këshilli", "Kuvendi", "Qeveria", "Bashkia", "Komuna", "Partia",
    "Lëvizja", "Fondacioni", "Shoqata", "Qendra", "Banka", "Dhoma", "Autoriteti", "Inspektorati",
    "Spitali", "Akademia", "Presidenca", "Kryeministria", "Avokati", "Kolegji",
)  # fmt: skip
#: Genitive links between the words of an Albanian institution name.
SQ_LINKS: Final = frozenset({"e", "i", "të", "së"})
#: Most words an institution name may have after its head.
MAX_INSTITUTION_WORDS: Final = 6

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|[,;:.!?()\"“”„«»]")
_SQ_TITLE = re.compile(
    r"(?i)^(?:ish-)?(?:"
    + "|".join(SQ_TITLE_STEMS)
    + r")(?:"
    + "|".join(e for e in SQ_TITLE_ENDINGS if e)
    + r")?$"
)
_MK_TITLE = re.compile(
    r"(?i)^(?:поранешни(?:от|ата)?-)?(?:"
    + "|".join(s for s in MK_TITLE_STEMS if " " not in s)
    + r")(?:"
    + "|".join(e for e in MK_TITLE_ENDINGS if e)
    + r")?$"
)
#: The tokens that stop a name: a sentence or clause boundary.
_BOUNDARY: Final = frozenset(',;:.!?()"“”„«»')


@dataclass(frozen=True)
class TitledName:
    """A person named after a title; character offsets into the text. Shaped like a named entity."""

    text: str
    start: int
    end: int
    label: str = "PER"


def find_titled_names(text: str, lang: str) -> list[TitledName]:
    """Return the people introduced by a title in an Albanian (sq) or Macedonian (mk) text."""
    title = _SQ_TITLE if lang == "sq" else _MK_TITLE if lang == "mk" else None
    if title is None:
        return []
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    found: list[TitledName] = []
    index = 0
    while index < len(tokens):
        if title.match(tokens[index][0]) and not tokens[index][0].isupper():
            name = _name_after(tokens, index + 1)
            if name:
                first, last = name
                start, end = tokens[first][1], tokens[last][2]
                found.append(TitledName(text[start:end], start, end))
                index = last
        index += 1
    return found


def _name_after(tokens: list[tuple[str, int, int]], at: int) -> tuple[int, int] | None:
    """Token range of the name following a title at ``at``, or None."""
    skipped = 0
    after_marker = False
    while at < len(tokens) and skipped <= MAX_SKIPPED_WORDS:
        word = tokens[at][0]
        if word == ",":
            at += 1
            after_marker = False
            continue
        if word in _BOUNDARY:
            return None
        lower = word.lower()
        if after_marker and word[:1].isupper():
            # The complement: one capitalised word or acronym, or a multi-word place, possibly joined by
            # "dhe"/"и".
            at += 2 if lower in PLACE_FIRST_WORDS else 1
            if at < len(tokens) and tokens[at][0].lower() in COMPLEMENT_JOINERS:
                at += 1
                continue
            after_marker = False
            continue
        if lower in COMPLEMENT_MARKERS:
            after_marker = True
            at += 1
            skipped += 1
            continue
        if _is_capitalised(word):
            last = at
            while (
                last + 1 < len(tokens)
                and last + 1 - at < MAX_NAME_WORDS
                and _is_capitalised(tokens[last + 1][0])
            ):
                last += 1
            return at, last
        if word[:1].isupper():
            return None  # an acronym or a capitalised non-name (SHBA, НАТО)
        after_marker = False  # "за надворешни работи": the complement is lower case
        at += 1
        skipped += 1
    return None


def _is_capitalised(word: str) -> bool:
    """A name word: an upper-case initial followed by lower case (not an acronym such as NATO or BE)."""
    return len(word) > 1 and word[0].isupper() and any(c.islower() for c in word[1:])


def albanian_nominative(name: str) -> str:
    """Undo the unambiguous Albanian definite endings on the surname (Kurtit → Kurti, Ramës → Rama)."""
    tokens = name.split()
    if not tokens:
        return name
    surname = tokens[-1]
    for ending, nominative in SQ_SURNAME_ENDINGS:
        if surname.lower().endswith(ending) and len(surname) - len(ending) >= 3:
            tokens[-1] = surname[: -len(ending)] + nominative
            break
    given = [t[:-2] + "a" if t.lower().endswith(("ës", "ën")) and len(t) > 4 else t for t in tokens[:-1]]
    return " ".join([*given, tokens[-1]])


def _albanian_oblique_forms(head: str) -> dict[str, str]:
    """The definite case forms of an institution head, each mapped to the nominative."""
    if head.endswith("i"):  # Komisioni → Komisionit, Komisionin
        forms = (head, head[:-1] + "it", head[:-1] + "in")
    elif head.endswith("ia"):  # Ministria → Ministrisë, Ministrinë
        forms = (head, head[:-1] + "së", head[:-1] + "në")
    elif head.endswith("ja"):  # Lëvizja → Lëvizjes, Lëvizjen
        forms = (head, head[:-1] + "es", head[:-1] + "en")
    else:  # Ambasada → Ambasadës, Ambasadën
        forms = (head, head[:-1] + "ës", head[:-1] + "ën")
    return {form: head for form in forms}


_SQ_HEAD_FORMS: Final = {
    form: head for head in SQ_INSTITUTION_HEADS for form, head in _albanian_oblique_forms(head).items()
}


def find_albanian_institutions(text: str) -> list[TitledName]:
    """Return Albanian institution names (ORG) found by their head noun."""
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    found: list[TitledName] = []
    index = 0
    while index < len(tokens):
        if tokens[index][0] in _SQ_HEAD_FORMS:
            last = _institution_end(tokens, index)
            if last > index:
                start, end = tokens[index][1], tokens[last][2]
                found.append(TitledName(text[start:end], start, end, label="ORG"))
                index = last
        index += 1
    return found


def _institution_end(tokens: list[tuple[str, int, int]], head: int) -> int:
    """Index of the last word of the institution name whose head is at ``head``."""
    last = at = head
    while at + 1 < len(tokens) and at - head < MAX_INSTITUTION_WORDS:
        word = tokens[at + 1][0]
        if word in SQ_LINKS and at + 2 < len(tokens) and tokens[at + 2][0][:1].isupper():
            at += 2
        elif word[:1].isupper() and word not in _BOUNDARY:
            at += 1
        else:
            break
        last = at
    return last


def albanian_institution_nominative(name: str) -> str:
    """Put the head of an Albanian institution name in the nominative (Ministrisë e … → Ministria e …)."""
    head, _, rest = name.partition(" ")
    nominative = _SQ_HEAD_FORMS.get(head, head)
    if not rest:
        return nominative
    link, _, tail = rest.partition(" ")
    if nominative != head and link in ("së", "të") and tail:
        # The link agrees with the head: "Ministrisë së Shëndetësisë" → "Ministria e Shëndetësisë",
        # "Komisionit të Zgjedhjeve" → "Komisioni i Zgjedhjeve".
        rest = f"{'i' if nominative.endswith('i') else 'e'} {tail}"
    return f"{nominative} {rest}"
