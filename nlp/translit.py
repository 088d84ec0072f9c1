"""Transliteration to Latin script and folding for script- and diacritic-insensitive search.

Cyrillic → Latin is deterministic for Serbian and Macedonian (one letter maps to one Latin letter or
digraph), so it is a table. Search compares everything in folded Latin form. The reverse direction
(``to_cyrillic``, Serbian only) is ambiguous: ``nj`` in "konjunkcija" is n+j, not њ, and ``dž`` in
"nadživeti" is d+ž, not џ; foreign names, acronyms, URLs and quoted Latin stay in Latin.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

# Serbian (Gaj's Latin alphabet), Macedonian (its official romanisation with gj/kj/dz), and the
# Russian/Ukrainian letters that appear in quotes and in foreign state media.
_CYRILLIC_TO_LATIN: Final[dict[str, str]] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
    # Macedonian
    "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    # Russian, Ukrainian, Bulgarian
    "ё": "jo", "й": "j", "щ": "šč", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju", "я": "ja",
    "є": "je", "і": "i", "ї": "ji", "ґ": "g",
}  # fmt: skip

_FOLD_EXTRA: Final[dict[str, str]] = {"đ": "dj", "Đ": "Dj", "ß": "ss", "ı": "i"}

# Folding is on the indexing hot path of every item. A chain of str.replace calls, each skipped when
# its letter is absent, measured 5x faster than str.translate with a dict table on article-length text.
_TO_LATIN_PAIRS: Final = (
    *_CYRILLIC_TO_LATIN.items(),
    *((c.upper(), v[:1].upper() + v[1:]) for c, v in _CYRILLIC_TO_LATIN.items() if c.upper() != c),
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_COMBINING_MARKS = re.compile("[\u0300-\u036f]")
# Upper-case letters that become two Latin letters: their case depends on the neighbours.
_UPPER_DIGRAPH = re.compile(
    "[" + "".join(c.upper() for c, v in _CYRILLIC_TO_LATIN.items() if len(v) > 1) + "]"
)


def _replace_all(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


def has_cyrillic(text: str) -> bool:
    """Return True if the text contains at least one Cyrillic letter."""
    return _CYRILLIC.search(text) is not None


def _upper_digraph(match: re.Match[str]) -> str:
    text, at = match.string, match.start()
    latin = _CYRILLIC_TO_LATIN[match.group().lower()]
    nxt = text[at + 1] if at + 1 < len(text) else ""
    prev = text[at - 1] if at > 0 else ""
    all_caps = nxt.isupper() or (not nxt.isalpha() and prev.isupper())
    return latin.upper() if all_caps else latin[0].upper() + latin[1:]


def to_latin(text: str) -> str:
    """Transliterate Cyrillic letters to Latin; everything else passes through unchanged.

    Upper-case digraph letters follow their neighbour: "Љубав" → "Ljubav", "ЉУБАВ" → "LJUBAV".
    """
    if not has_cyrillic(text):
        return text
    if _UPPER_DIGRAPH.search(text):
        text = _UPPER_DIGRAPH.sub(_upper_digraph, text)
    return _replace_all(text, _TO_LATIN_PAIRS)


def fold_diacritics(text: str) -> str:
    """Strip diacritics ("Vučić" → "Vucic", "Đoković" → "Djokovic", "ë" → "e")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", _replace_all(text, _FOLD_EXTRA.items()))
    return _COMBINING_MARKS.sub("", decomposed)


def fold_for_search(text: str) -> str:
    """Return the form both stores index and query: Latin script, no diacritics, lower case."""
    return fold_diacritics(to_latin(text)).lower()


#: Distinct words whose folded form is kept; word forms repeat heavily across a batch of news.
FOLD_CACHE_WORDS: Final = 300_000


@lru_cache(maxsize=FOLD_CACHE_WORDS)
def fold_word(word: str) -> str:
    """``fold_for_search`` for one word, cached (the analyser folds every token of every item)."""
    return fold_for_search(word)


# --- Latin → Serbian Cyrillic ----------------------------------------------------------------------

_LATIN_TO_CYRILLIC: Final[dict[str, str]] = {
    "a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ", "e": "е", "f": "ф", "g": "г",
    "h": "х", "i": "и", "j": "ј", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р",
    "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "z": "з", "ž": "ж",
}  # fmt: skip
_DIGRAPHS_TO_CYRILLIC: Final = {"lj": "љ", "nj": "њ", "dž": "џ"}

#: Word prefixes (folded to lower case) in which lj/nj/dž are two letters, not one: prefix boundaries
#: (nad-, od-, pod-, pred-, in-, kon-) in "nadživeti", "odžaliti", "podjarmiti", "injekcija",
#: "konjunkcija". Source: the standard exception list of Serbian transliteration tools.
_SPLIT_DIGRAPH_PREFIXES: Final = (
    "nadž",
    "odž",
    "podž",
    "predž",
    "injek",
    "konjug",
    "konjunk",
    "konjuk",
    "tanjug",
    "vanjezič",
    "injun",
    "panjevropsk",
    "panjelin",
)
#: A word is kept in Latin when it uses letters Serbian does not (q w x y), or looks like an acronym,
#: a URL, an e-mail address, or a hashtag or mention.
_FOREIGN_LETTERS = re.compile("[qwxyQWXYäöüÄÖÜëËçÇ]")
#: Acronyms are up to five capitals (NATO, OEBS, UNMIK); a longer all-capitals word is a shouted word.
_KEEP_LATIN_TOKEN = re.compile(
    r"^(?:[A-Z0-9][A-Z0-9.&]{1,4}(?:-\w+)?[,.;:!?)]*|\S+@\S+|https?://\S+|www\.\S+|[#@]\w+)$"
)
_WORD_OR_OTHER = re.compile(r"\S+|\s+")
#: Latin inside quotation marks (a foreign title, a slogan) stays as written.
_QUOTED = re.compile(r"(\"[^\"]*\"|“[^”]*”|„[^“”]*[“”]|«[^»]*»)")


def _word_to_cyrillic(word: str) -> str:
    if _FOREIGN_LETTERS.search(word) or _KEEP_LATIN_TOKEN.match(word):
        return word
    lower = word.lower()
    split = any(lower.startswith(prefix) for prefix in _SPLIT_DIGRAPH_PREFIXES)
    out: list[str] = []
    at = 0
    while at < len(word):
        pair = lower[at : at + 2]
        if not split and pair in _DIGRAPHS_TO_CYRILLIC:
            letter = _DIGRAPHS_TO_CYRILLIC[pair]
            out.append(letter.upper() if word[at].isupper() else letter)
            at += 2
            continue
        char = word[at]
        mapped = _LATIN_TO_CYRILLIC.get(char.lower())
        if mapped is None:
            out.append(char)
        else:
            out.append(mapped.upper() if char.isupper() else mapped)
        at += 1
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """Transliterate Serbian Latin to Serbian Cyrillic, keeping foreign words, acronyms and quotes.

    "Ljubljana i konjunkcija" → "Љубљана и конјункција"; "NATO" and "Twitter" stay as written.
    """
    parts = _QUOTED.split(text)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 1:  # a quotation: kept verbatim
            out.append(part)
            continue
        out.append("".join(_word_to_cyrillic(token) for token in _WORD_OR_OTHER.findall(part)))
    return "".join(out)


def latin_share(text: str) -> float:
    """Return the share of letters that are Latin (0.0 when the text has no letters)."""
    latin = cyrillic = 0
    for char in text:
        if char.isalpha():
            if "\u0400" <= char <= "\u04ff":
                cyrillic += 1
            elif char.isascii() or "\u00c0" <= char <= "\u024f":
                latin += 1
    letters = latin + cyrillic
    return latin / letters if letters else 0.0
