"""Decoding pages whose charset is missing or wrong."""

import pytest

from crawlers.charset import decode_html

CROATIAN = (
    "<html><body><p>Predsjednik Vlade Andrej Plenković: proračun, školstvo, žičara, đak.</p></body></html>"
)
MACEDONIAN = "<html><body><p>Премиерот Христијан Мицкоски најави инвестиции, ѓ ќ џ љ њ ѕ.</p></body></html>"


@pytest.mark.parametrize("codec", ["windows-1250", "iso-8859-2", "utf-8"])
def test_latin_pages_without_charset(codec: str) -> None:
    decoded = decode_html(CROATIAN.encode(codec), "text/html", ("Latn",))
    assert decoded.text == CROATIAN
    assert decoded.outcome == ("declared" if codec == "utf-8" else "guessed")


@pytest.mark.parametrize("codec", ["windows-1251", "iso-8859-5"])
def test_cyrillic_pages_without_charset(codec: str) -> None:
    decoded = decode_html(MACEDONIAN.encode(codec), "text/html", ("Cyrl",))
    assert decoded.text == MACEDONIAN
    assert decoded.encoding == codec and decoded.outcome == "guessed"


def test_a_wrong_utf8_declaration_is_repaired() -> None:
    decoded = decode_html(CROATIAN.encode("windows-1250"), "text/html; charset=utf-8", ("Latn",))
    assert decoded.text == CROATIAN
    assert decoded.outcome == "repaired" and "utf-8" in decoded.note


def test_a_meta_charset_is_honoured() -> None:
    page = MACEDONIAN.replace("<html>", '<html><head><meta charset="iso-8859-5"></head>')
    decoded = decode_html(page.encode("iso-8859-5"), "text/html", ("Cyrl",))
    assert decoded.text == page and decoded.outcome == "declared"
