"""Decode HTML bytes whose charset is missing or wrong, as is common on regional sites.

Outlets in the region still serve windows-1250/1251 and ISO-8859-2/5 pages, sometimes with no charset
at all and sometimes declaring UTF-8 for bytes that are not. ``decode_html`` trusts a declaration only
when the bytes decode under it and read as plausible text for the source's scripts; otherwise it picks
the regional codec whose decoding looks most like the expected language, and says what it did.

A UTF-8 page with a few stray bytes (a truncated character, a pasted fragment) is still UTF-8: its
non-ASCII bytes almost all form valid sequences, while a legacy page's almost never do. Such a page is
decoded as UTF-8 with replacement characters (``repaired``) rather than as windows-1250, which would
garble every č, š, ž and đ to keep three bytes.
"""

import re
from dataclasses import dataclass
from typing import Final

#: Codecs tried when the declared one fails or is missing, in order of how common they are here.
REGIONAL_CODECS: Final = ("utf-8", "windows-1250", "windows-1251", "iso-8859-2", "iso-8859-5", "windows-1252")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
#: Letters that only appear when Latin-script South Slavic or Albanian text decoded correctly.
_REGIONAL_LATIN = re.compile("[čćžšđČĆŽŠĐëçËÇ]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
#: Characters that betray a wrong guess: C1 controls, box drawing, and symbols rare in news text.
#: A lower-case letter followed by an upper-case one inside a word: the mark of a wrong Cyrillic
#: codec (windows-1251 and ISO-8859-5 both map to Cyrillic, but with the cases shifted).
_CASE_FLIP = re.compile("[\u0430-\u045f][\u0400-\u042f]|[a-zčćžšđ][A-ZČĆŽŠĐ]")
_MOJIBAKE = re.compile("[\u0080-\u009f\u2500-\u257f¤¦§¨©«¬®°±´µ¶·¸»¼½¾¿ÃÂÐÑÞßðñþ\ufffd]")
#: Stray bytes a UTF-8 page may hold and still be decoded as UTF-8: one per 1,000 bytes of the page
#: (an article page is 20-200 KB, so a handful of damaged characters), and on short pages a few.
MAX_STRAY_BYTES_PER_BYTE: Final = 1 / 1000
STRAY_BYTES_ALWAYS_ALLOWED: Final = 8
#: Share of the non-ASCII bytes that must form valid UTF-8 sequences. Windows-1250/ISO-8859-2 text
#: almost never forms them (a lead byte such as č = 0xE8 needs two continuation bytes 0x80-0xBF, mostly
#: punctuation there), so a legacy page scores near 0 however much ASCII markup surrounds its text.
MIN_VALID_NON_ASCII_SHARE: Final = 0.75
_REPLACEMENT_BYTES: Final = "\ufffd".encode()
_ASCII_BYTES: Final = bytes(range(0x80))


@dataclass(frozen=True)
class DecodedHtml:
    """Decoded text, the codec used, and what happened: declared | guessed | repaired."""

    text: str
    encoding: str
    outcome: str
    declared: str | None
    #: Bytes replaced by U+FFFD (a UTF-8 page with a few invalid bytes).
    stray_bytes: int = 0

    @property
    def note(self) -> str:
        if self.outcome == "declared":
            return f"decoded as declared {self.encoding}"
        if self.outcome == "guessed":
            return f"no charset declared; decoded as {self.encoding}"
        if self.stray_bytes:
            return f"{self.stray_bytes} bytes are not valid {self.encoding}; replaced with U+FFFD"
        return f"declared {self.declared} does not fit the bytes; decoded as {self.encoding}"


def _normalise(codec: str | None) -> str | None:
    if not codec:
        return None
    lowered = codec.strip().lower()
    aliases = {"utf8": "utf-8", "cp1250": "windows-1250", "cp1251": "windows-1251", "latin2": "iso-8859-2"}
    return aliases.get(lowered, lowered)


def declared_charset(content_type: str | None, body: bytes) -> str | None:
    """The charset from the Content-Type header, else from a ``<meta>`` in the first 4 KiB."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
        if match:
            return _normalise(match.group(1))
    meta = _META_CHARSET.search(body[:4096])
    return _normalise(meta.group(1).decode("ascii", "ignore")) if meta else None


def plausibility(text: str, scripts: tuple[str, ...]) -> float:
    """Score how much decoded text looks like regional language: expected letters minus mojibake."""
    if not text:
        return 0.0
    expected = 0
    if "Cyrl" in scripts:
        expected += len(_CYRILLIC.findall(text))
    if "Latn" in scripts:
        expected += 3 * len(_REGIONAL_LATIN.findall(text))
    penalty = 20 * len(_MOJIBAKE.findall(text)) + 5 * len(_CASE_FLIP.findall(text))
    return (expected - penalty) / len(text)


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def utf8_with_few_stray_bytes(body: bytes) -> tuple[str, int] | None:
    """Decode bytes that are UTF-8 but for a few invalid bytes; ``None`` when they are not UTF-8."""
    text = body.decode("utf-8", "replace")
    # U+FFFD already in the page is text, not a repair.
    stray = text.count("\ufffd") - body.count(_REPLACEMENT_BYTES)
    if stray <= 0:
        return None
    if stray > max(len(body) * MAX_STRAY_BYTES_PER_BYTE, STRAY_BYTES_ALWAYS_ALLOWED):
        return None
    non_ascii = len(body.translate(None, _ASCII_BYTES))
    valid = len(text.encode("utf-8")) - len(text.encode("ascii", "ignore")) - 3 * text.count("\ufffd")
    if valid < MIN_VALID_NON_ASCII_SHARE * non_ascii:
        return None
    return text, stray


def decode_html(body: bytes, content_type: str | None, scripts: tuple[str, ...]) -> DecodedHtml:
    """Decode page bytes for a source writing in ``scripts``; never raises on bad bytes."""
    declared = declared_charset(content_type, body)
    if declared in (None, "utf-8"):
        utf8 = _try(body, "utf-8")
        # Bytes that decode strictly as UTF-8 are UTF-8 (legacy regional text almost never forms valid
        # sequences), so the other codecs are compared only when the result still reads as mojibake.
        if utf8 is not None and plausibility(utf8, scripts) >= 0:
            return DecodedHtml(utf8, "utf-8", "declared", declared)
        repaired = utf8_with_few_stray_bytes(body) if utf8 is None else None
        if repaired is not None:
            return DecodedHtml(repaired[0], "utf-8", "repaired", declared, stray_bytes=repaired[1])
    candidates: dict[str, float] = {}
    for codec in REGIONAL_CODECS:
        text = _try(body, codec)
        if text is not None:
            candidates[codec] = plausibility(text, scripts)
    if declared:
        text = _try(body, declared)
        if text is not None and plausibility(text, scripts) >= max(candidates.values(), default=0.0):
            return DecodedHtml(text, declared, "declared", declared)
    if not candidates:
        return DecodedHtml(
            body.decode("utf-8", "replace"), "utf-8", "repaired" if declared else "guessed", declared
        )
    # UTF-8 wins ties: it is strict, so bytes that decode under it almost certainly are UTF-8.
    best = max(candidates, key=lambda codec: (candidates[codec], codec == "utf-8"))
    if declared and best == declared:
        return DecodedHtml(_try(body, best) or "", best, "declared", declared)
    outcome = "repaired" if declared else "guessed"
    if not declared and best == "utf-8":
        outcome = "declared"  # undeclared UTF-8 is the web's default, not a repair worth reporting
    return DecodedHtml(_try(body, best) or "", best, outcome, declared)
