"""Transliteration to Latin script and folding for script- and diacritic-insensitive search.

Cyrillic → Latin is deterministic for Serbian and Macedonian (one letter maps to one Latin letter or
digraph), so it is a table. The reverse direction is ambiguous (``nj`` in "konjunkcija" is n+j, not
њ) and is not needed for search: everything is compared in folded Latin form.
"""

import unicodedata
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


def has_cyrillic(text: str) -> bool:
    """Return True if the text contains at least one Cyrillic letter."""
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def to_latin(text: str) -> str:
    """Transliterate Cyrillic letters to Latin; everything else passes through unchanged.

    Upper-case digraph letters follow their neighbour: "Љубав" → "Ljubav", "ЉУБАВ" → "LJUBAV".
    """
    if not has_cyrillic(text):
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        lower = ch.lower()
        latin = _CYRILLIC_TO_LATIN.get(lower)
        if latin is None:
            out.append(ch)
            continue
        if ch == lower or not latin:
            out.append(latin)
            continue
        if len(latin) > 1:
            nxt = text[i + 1] if i + 1 < len(text) else ""
            prev = text[i - 1] if i > 0 else ""
            all_caps = nxt.isupper() or (not nxt.isalpha() and prev.isupper())
            out.append(latin.upper() if all_caps else latin[0].upper() + latin[1:])
        else:
            out.append(latin.upper())
    return "".join(out)


def fold_diacritics(text: str) -> str:
    """Strip diacritics ("Vučić" → "Vucic", "Đoković" → "Djokovic", "ë" → "e")."""
    text = "".join(_FOLD_EXTRA.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_for_search(text: str) -> str:
    """Return the form both stores index and query: Latin script, no diacritics, lower case."""
    return fold_diacritics(to_latin(text)).lower()
