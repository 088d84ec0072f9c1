"""Language and script identification for the region's languages, on articles and short posts.

Three layers, each doing what it is good at:

1. script: the share of Cyrillic and Latin letters;
2. language family: letters only one language uses decide first (ѓ ќ ѕ Macedonian, ђ ћ Serbian, ы э
   Russian, ë Albanian, ś ź Montenegrin); then a low-accuracy ``lingua`` over 24 languages spots text
   from outside the region (Czech, Spanish, ... → ``other``), and a high-accuracy ``lingua`` over the
   region's languages plus Bulgarian picks the family;
3. variety within Bosnian/Croatian/Serbian/Montenegrin: the character n-gram model of ``nlp.variety``,
   jat-reflex and lexical markers (vreme/vrijeme, tisuća/hiljada, tjedan/sedmica/nedelja, Croatian month
   names) and Montenegrin forms (đe, śutra), then outlet metadata. A source that declares a single
   variety is trusted (Serbian from Republika Srpska is ijekavian and looks Bosnian to the model);
   several declared varieties, or the country when there is no source, restrict the choice; ijekavian
   text from Montenegro is Montenegrin, which text alone cannot tell from Bosnian.
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from nlp.translit import to_latin
from nlp.variety import default_variety_model

#: The Bosnian/Croatian/Serbian/Montenegrin (BCMS) standard varieties.
BCMS: Final = ("sr", "hr", "bs", "cnr")
#: Characters of text given to lingua; its accuracy is flat beyond a few sentences and cost grows.
LINGUA_MAX_CHARS: Final = 400
#: Characters given to the variety model: markers recur, and n-gram scoring costs ~8 ms per 1000 chars.
VARIETY_MAX_CHARS: Final = 800
#: Weight of a variety a multi-variety source does not declare (outlets quote neighbours).
UNDECLARED_VARIETY_WEIGHT: Final = 0.15
#: Weight of a variety that is not the usual one of the source's country (no declared languages).
COUNTRY_OFF_VARIETY_WEIGHT: Final = 0.15

#: Prior weight of Bosnian/Montenegrin for Cyrillic BCMS text (Serbian outlets write most of it).
CYRILLIC_NON_SERBIAN_WEIGHT: Final = 0.3

_COUNTRY_VARIETIES: Final[dict[str, tuple[str, ...]]] = {
    "RS": ("sr",),
    "HR": ("hr",),
    "BA": ("bs", "sr", "hr"),
    "ME": ("cnr", "sr"),
    "XK": ("sr",),
    "MK": ("sr",),
    "AL": ("sr",),
}

_MACEDONIAN_LETTERS = re.compile("[ѓќѕЃЌЅѐЀ]")
_SERBIAN_CYRILLIC_LETTERS = re.compile("[ђћЂЋ]")
_RUSSIAN_LETTERS = re.compile("[ыэЫЭёЁ]")
_UKRAINIAN_LETTERS = re.compile("[іїєґІЇЄҐ]")
_ALBANIAN_LETTERS = re.compile("[ëË]")
_MONTENEGRIN_MARKERS = re.compile(
    r"[śźŚŹ]|\b(?:đe|đe god|śutra|ńegov\w*|ńih|ńoj|ńemu|ovđe|ónđe|sjutra)\b", re.IGNORECASE
)
# Reflexes of jat (ekavian vreme/mesto/dete vs ijekavian vrijeme/mjesto/dijete) in frequent news words,
# and lexical markers of the standards (Croatian months and words; Serbian/Bosnian shared words).
_EKAVIAN = (
    r"vreme\w*|vremen\w*|mest[aoiu]\w*|dete|deca|dec[eiu]\w*|rek[aeu]|rec[ie]\w*|lep\w*|svet\b|sveta\b|svetu|"
    r"svetsk\w*|mlek\w*|telo\w*|cen[aeiu]\b|cenama|vest\b|vesti\w*|posle|pre\b|gde|hteo|htela|nedelj\w*|"
    r"sredstv\w*ek|primer\w*|smer\w*|mer[aeiu]\b|merama|uspe\w*|razume\w*|dve|deo|delo\w*|delova|pesm\w*|"
    r"zahtev\w*|odel\w*|ocen\w*|ponedeljak|ponedeljka|reš\w*en\w*|seć\w*|sever\w*|vek\w*|bel[aeiou]\w*|"
    r"izveštaj\w*|izveštava\w*|obavešt\w*|pesm\w*|predsedni\w*|predstavnik\w*|verovat\w*|videti|želeo|umeo"
)
_IJEKAVIAN = (
    r"vrijeme\w*|vremen\w*ij|mjest\w*|dijete|djec\w*|rijek\w*|riječ\w*|lijep\w*|svijet\w*|svjetsk\w*|"
    r"mlijek\w*|tijel\w*|cijen\w*|vijest\w*|poslije|prije|gdje|htio|htjela|primjer\w*|smjer\w*|mjer[aeiu]\w*|"
    r"uspje\w*|razumije\w*|dvije|dio|djel\w*|pjesm\w*|zahtjev\w*|odjel\w*|ocjen\w*|sjever\w*|vijek\w*|"
    r"bijel\w*|izvješ\w*|izvještaj\w*|obavješt\w*|predsjedni\w*|vjerovat\w*|vidjeti|želio|umio|sjedni\w*"
)
_CROATIAN_LEXICON = (
    r"tisuć\w*|tjed\w*|vlak\w*|kruh\w*|sveučiliš\w*|siječ\w*|veljač\w*|ožuj\w*|travnj\w*|travanj|"
    r"svib\w*|lipanj|lipnj\w*|srpanj|srpnj\w*|kolovoz\w*|rujan|rujn\w*|listopad\w*|studen\w*|prosin\w*|"
    r"tko|glede|obitelj\w*|zrakoplov\w*|nogomet\w*|glazb\w*|kazališ\w*|vojarn\w*|tvrtk\w*|izvanredn\w*|"
    r"povijes\w*|znanstv\w*|gospodarst\w*|gospodarsk\w*|postot\w*|proračun\w*|vanjsk\w*|sabor\w*|"
    r"općenit\w*|zaštit\w*|ravnatelj\w*|priopć\w*|izvijes\w*|uvjet\w*|općin\w*|tijekom|iznimn\w*"
)
_EASTERN_LEXICON = (
    r"hiljad\w*|porodic\w*|muzik\w*|fudbal\w*|univerzitet\w*|avion\w*|uslov\w*|"
    r"pozoriš\w*|istorij\w*|historij\w*|saopšt\w*|saopć\w*|procen\w*|odsto|ekonomij\w*|ekonomsk\w*|"
    r"januar\w*|februar\w*|mart\w*|april\w*|jun[aiu]?\b|jul[aiu]?\b|avgust\w*|august\w*|septemb\w*|oktob\w*|"
    r"novemb\w*|decemb\w*|spoljn\w*|vanjsk\w*politik|ko\b|šta\b"
)
_SERBIAN_LEXICON = r"opštin\w*|bezbednost\w*|saopšt\w*|spoljn\w*|nedelj\w*|hleb\w*|voz\b|vozom|vozu|stanic\w*"
_BOSNIAN_LEXICON = r"sedmic\w*|hljeb\w*|historij\w*|općin\w*|kahv\w*|mahal\w*|saopćen\w*|sigurnosn\w*"
_MARKERS: Final = {
    name: re.compile(rf"\b(?:{pattern})\b")
    for name, pattern in (
        ("ekavian", _EKAVIAN),
        ("ijekavian", _IJEKAVIAN),
        ("croatian", _CROATIAN_LEXICON),
        ("eastern", _EASTERN_LEXICON),
        ("serbian", _SERBIAN_LEXICON),
        ("bosnian", _BOSNIAN_LEXICON),
    )
}
#: Below this many words the n-gram model's variety guess is flattened towards uniform.
SHORT_TEXT_WORDS: Final = 12
#: Count of one marker family that stops adding evidence.
MARKER_CAP: Final = 3
#: Log-odds added per marker hit (capped), chosen by hand from the linguistics, not fitted. DSLCC set A
#: bs/hr/sr: 0.810 with them, 0.794 with the n-gram model alone.
MARKER_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "sr": {"ekavian": 1.2, "ijekavian": -1.0, "croatian": -0.8, "eastern": 0.3, "serbian": 0.6},
    "hr": {
        "ekavian": -1.2,
        "ijekavian": 0.4,
        "croatian": 0.8,
        "eastern": -0.6,
        "bosnian": -0.6,
        "serbian": -0.6,
    },
    "bs": {"ekavian": -1.2, "ijekavian": 0.4, "croatian": -0.6, "eastern": 0.4, "bosnian": 0.8},
}

_CYRILLIC_LETTER = re.compile("[\u0400-\u04ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
#: Any letter: a word character that is not a digit or the underscore.
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class LanguageResult:
    """The detected language (ITEM_LANGUAGES), its confidence (0–1), the script, and how it was decided."""

    lang: str
    confidence: float
    script: str
    method: str


def detect_script(text: str) -> str:
    """Return ``Cyrl``, ``Latn`` or ``other`` by the majority of Cyrillic vs Latin letters."""
    cyrillic = len(_CYRILLIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    letters = len(_LETTER.findall(text))
    if cyrillic + latin == 0 or (cyrillic + latin) < 0.5 * letters:
        return "other"
    return "Cyrl" if cyrillic >= latin else "Latn"


@lru_cache(maxsize=1)
def _regional_detector():  # type: ignore[no-untyped-def]
    """High-accuracy lingua over the region's languages (+ Bulgarian, which Macedonian is told from)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.SERBIAN, Language.CROATIAN, Language.BOSNIAN, Language.MACEDONIAN, Language.ALBANIAN,
        Language.RUSSIAN, Language.ENGLISH, Language.BULGARIAN,
    ]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


@lru_cache(maxsize=1)
def _outside_detector():  # type: ignore[no-untyped-def]
    """Low-accuracy (trigram) lingua over the region's languages and frequent others, to spot text from
    outside the region. High-accuracy models for all of them would take ~750 MB and 17 s to load; the
    trigram models take ~50 MB and under a second, and suffice for sentence-length text."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.SERBIAN, Language.CROATIAN, Language.BOSNIAN, Language.MACEDONIAN, Language.ALBANIAN,
        Language.RUSSIAN, Language.ENGLISH, Language.BULGARIAN, Language.UKRAINIAN, Language.SLOVENE,
        Language.CZECH, Language.SLOVAK, Language.POLISH, Language.GERMAN, Language.FRENCH, Language.ITALIAN,
        Language.SPANISH, Language.PORTUGUESE, Language.TURKISH, Language.HUNGARIAN, Language.ROMANIAN,
        Language.GREEK, Language.INDONESIAN, Language.MALAY,
    ]  # fmt: skip
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


#: Words and confidence from which the low-accuracy detector's "outside the region" verdict is trusted
#: (below them it mistakes short BCMS sentences for Portuguese or Slovak).
OUTSIDE_MIN_WORDS: Final = 8
OUTSIDE_MIN_CONFIDENCE: Final = 0.6
#: Letters that only BCMS uses among the detector's Latin-script languages.
_BCMS_ONLY_LETTERS = re.compile("[ćđĆĐ]")
_REGIONAL_NAMES: Final = frozenset(
    {"SERBIAN", "CROATIAN", "BOSNIAN", "MACEDONIAN", "ALBANIAN", "RUSSIAN", "ENGLISH"}
)


_LINGUA_TO_ITEM: Final = {
    "SERBIAN": "bcms", "CROATIAN": "bcms", "BOSNIAN": "bcms", "MACEDONIAN": "mk", "ALBANIAN": "sq",
    "RUSSIAN": "ru", "ENGLISH": "en",
}  # fmt: skip


def detect_family(text: str, script: str) -> tuple[str, float, str]:
    """Return (``bcms``/mk/sq/ru/en/other, confidence, method) from letters, then lingua."""
    if script == "Cyrl":
        if _MACEDONIAN_LETTERS.search(text):
            return "mk", 0.99, "letters"
        if _SERBIAN_CYRILLIC_LETTERS.search(text):
            return "bcms", 0.99, "letters"
        if _RUSSIAN_LETTERS.search(text):
            return "ru", 0.97, "letters"
        if _UKRAINIAN_LETTERS.search(text):
            return "other", 0.9, "letters"
    elif script == "Latn" and len(_ALBANIAN_LETTERS.findall(text)) >= 2:
        return "sq", 0.99, "letters"
    elif script == "Latn" and _MONTENEGRIN_MARKERS.search(text):
        return "bcms", 0.95, "letters"
    sample = text[:LINGUA_MAX_CHARS]
    if len(sample.split()) >= OUTSIDE_MIN_WORDS and not _BCMS_ONLY_LETTERS.search(sample):
        values = _outside_detector().compute_language_confidence_values(sample)
        if (
            values
            and values[0].language.name not in _REGIONAL_NAMES
            and values[0].value >= OUTSIDE_MIN_CONFIDENCE
        ):
            return "other", round(values[0].value, 4), "lingua-outside"
    values = _regional_detector().compute_language_confidence_values(sample)
    if not values:
        return "other", 0.0, "lingua"
    top = values[0]
    family = _LINGUA_TO_ITEM.get(top.language.name, "other")
    confidence = top.value
    if family == "bcms":
        # lingua splits its confidence between the three BCMS labels; the family holds their sum.
        confidence = sum(v.value for v in values if _LINGUA_TO_ITEM.get(v.language.name) == "bcms")
    return family, min(confidence, 1.0), "lingua"


def marker_counts(latin_lower: str) -> dict[str, int]:
    """Count each marker family in lower-case Latin text (each capped at ``MARKER_CAP``)."""
    return {name: min(len(pattern.findall(latin_lower)), MARKER_CAP) for name, pattern in _MARKERS.items()}


def _marker_adjustment(counts: dict[str, int]) -> dict[str, float]:
    return {
        lang: sum(MARKER_WEIGHTS[lang].get(name, 0.0) * count for name, count in counts.items())
        for lang in ("sr", "hr", "bs")
    }


def variety_scores(text: str) -> dict[str, float]:
    """Return text-only scores for sr/hr/bs/cnr (sum 1): n-gram model, reflex and lexical markers."""
    latin = to_latin(text[:VARIETY_MAX_CHARS])
    model = default_variety_model()
    base = model.scores(latin) if model else {"sr": 1 / 3, "hr": 1 / 3, "bs": 1 / 3}
    words = len(latin.split())
    if words < SHORT_TEXT_WORDS:
        # A few words say little about the variety: flatten the model towards uniform.
        trust = words / SHORT_TEXT_WORDS
        base = {lang: trust * p + (1 - trust) / 3 for lang, p in base.items()}
    adjustment = _marker_adjustment(marker_counts(latin.lower()))
    logits = {lang: math.log(max(base[lang], 1e-6)) + adjustment[lang] for lang in ("sr", "hr", "bs")}
    top = max(logits.values())
    exp = {lang: math.exp(value - top) for lang, value in logits.items()}
    total = sum(exp.values())
    scores = {"sr": exp["sr"] / total, "hr": exp["hr"] / total, "bs": exp["bs"] / total, "cnr": 0.0}
    markers = len(_MONTENEGRIN_MARKERS.findall(latin))
    if markers:
        # Montenegrin-only letters and forms: move ijekavian mass to cnr.
        share = min(0.5 + 0.2 * markers, 0.95)
        for lang in ("bs", "hr", "sr"):
            moved = scores[lang] * share
            scores[lang] -= moved
            scores["cnr"] += moved
    return scores


def is_clearly_ekavian(text: str) -> bool:
    """True when ekavian reflexes outnumber ijekavian ones (vreme/mesto vs vrijeme/mjesto)."""
    counts = marker_counts(to_latin(text[:VARIETY_MAX_CHARS]).lower())
    return counts["ekavian"] > counts["ijekavian"]


def _apply_metadata(
    scores: dict[str, float], text: str, script: str, country: str | None, declared_bcms: Sequence[str]
) -> tuple[dict[str, float], str]:
    """Combine text scores with the outlet when it declares no single variety (``detect_language`` lets a
    single declared variety win outright: Serbian in Republika Srpska and Montenegro is ijekavian, so a
    source that declares only Serbian is trusted over a Bosnian-looking text). ``declared_bcms`` (from
    ``_declared_varieties``) holds none or several: several restrict the choice; Montenegrin sources (or
    Montenegro without a source) are Montenegrin unless the text is clearly ekavian.
    """
    scores = dict(scores)
    method = "variety-model"
    if script == "Cyrl":
        scores["hr"] = 0.0
        if not declared_bcms:
            # Most Cyrillic BCMS text is Serbian; Bosnian and Montenegrin Cyrillic need outlet evidence.
            scores["bs"] *= CYRILLIC_NON_SERBIAN_WEIGHT
    allowed = declared_bcms or list(_COUNTRY_VARIETIES.get(country or "", ()))
    if "cnr" in allowed:
        # Ijekavian text from Montenegro (or a Montenegrin outlet) is Montenegrin.
        ekavian = is_clearly_ekavian(text)
        winner = "sr" if ekavian and "sr" in allowed else "cnr"
        return {lang: float(lang == winner) for lang in scores}, method + "+montenegro-reflex"
    if declared_bcms:
        method += "+source-languages"
        weight = UNDECLARED_VARIETY_WEIGHT
    elif allowed:
        method += "+country"
        weight = COUNTRY_OFF_VARIETY_WEIGHT
    for lang in scores:
        if allowed and lang not in allowed:
            scores[lang] *= weight
    total = sum(scores.values()) or 1.0
    return {lang: value / total for lang, value in scores.items()}, method


def _declared_varieties(script: str, declared: Iterable[str]) -> list[str]:
    """The BCMS varieties the outlet declares that the script allows (Croatian is Latin only)."""
    return [lang for lang in declared if lang in BCMS and not (script == "Cyrl" and lang == "hr")]


def detect_language(text: str, *, country: str | None = None, declared: Iterable[str] = ()) -> LanguageResult:
    """Detect language and script of a text; ``country``/``declared`` come from the outlet when known."""
    script = detect_script(text)
    if script == "other":
        return LanguageResult("other", 0.0, "other", "script")
    family, confidence, method = detect_family(text, script)
    if family != "bcms":
        return LanguageResult(family, round(confidence, 4), script, method)
    declared_bcms = _declared_varieties(script, declared)
    if len(declared_bcms) == 1:
        # The outlet's one variety wins over any text evidence, so the variety model is not asked.
        return LanguageResult(declared_bcms[0], round(confidence, 4), script, f"{method}+source-language")
    scores, variety_method = _apply_metadata(variety_scores(text), text, script, country, declared_bcms)
    lang = max(scores, key=scores.__getitem__)
    return LanguageResult(lang, round(confidence * scores[lang], 4), script, f"{method}+{variety_method}")
