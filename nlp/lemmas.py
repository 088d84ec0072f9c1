"""Lemmas with simplemma, cached: word forms repeat heavily across a batch of news.

simplemma knows Croatian and Serbian together as ``hbs`` (Latin script), Macedonian (``mk``), Albanian
(``sq``), Russian and English. Serbian and Montenegrin Cyrillic are transliterated to Latin first, so a
lemma is always in Latin for BCMS; lexicon rules are written in the same form.
"""

import re
from functools import lru_cache
from typing import Final

from nlp.translit import to_latin

#: Item language → simplemma language code.
SIMPLEMMA_LANGUAGE: Final[dict[str, str]] = {
    "sr": "hbs", "hr": "hbs", "bs": "hbs", "cnr": "hbs", "mk": "mk", "sq": "sq", "ru": "ru", "en": "en",
}  # fmt: skip
#: Distinct (word, language) pairs kept; about 60 MB at most with simplemma's short strings.
LEMMA_CACHE_SIZE: Final = 200_000

_WORD = re.compile(r"\w+(?:[-']\w+)*")


def tokenize(text: str) -> list[str]:
    """Split text into word tokens (letters, digits, inner hyphens and apostrophes)."""
    return _WORD.findall(text)


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def lemma_of(word: str, lang: str) -> str:
    """Return the lower-case lemma of a word in an item language (the word itself when unknown)."""
    import simplemma

    code = SIMPLEMMA_LANGUAGE.get(lang)
    lower = word.lower()
    if code is None:
        return lower
    if code == "hbs":
        lower = to_latin(lower)
    return simplemma.lemmatize(lower, lang=code).lower()


def lemmatize(text: str, lang: str) -> list[str]:
    """Return the lemmas of the text's words, in order."""
    return [lemma_of(token, lang) for token in tokenize(text)]
