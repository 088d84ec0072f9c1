"""Decoding pages whose charset is missing or wrong."""

import pytest

from crawlers.charset import decode_html
from crawlers.fixture_web import INVALID_UTF8_PAGE

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


def test_the_fixture_utf8_page_with_stray_bytes_keeps_its_diacritics() -> None:
    decoded = decode_html(INVALID_UTF8_PAGE, "text/html; charset=utf-8", ("Latn", "Cyrl"))
    assert "Računi" in decoded.text
    assert "Građani čekaju \ufffd\ufffdračune za struju\ufffd od četvrtka." in decoded.text
    assert (decoded.encoding, decoded.outcome, decoded.stray_bytes) == ("utf-8", "repaired", 3)
    assert "3 bytes are not valid utf-8" in decoded.note


def test_a_long_utf8_page_with_one_stray_byte_per_thousand_is_repaired_as_utf8() -> None:
    paragraph = "<p>Vlada je usvojila proračun za školstvo i zdravstvo; građani čekaju odluku.</p>"
    body = (paragraph * 40).encode()
    damaged = body[:1500] + b"\x9c" + body[1500:]  # one byte of a pasted windows-1250 fragment
    decoded = decode_html(damaged, "text/html", ("Latn",))
    assert decoded.outcome == "repaired" and decoded.encoding == "utf-8"
    assert decoded.text.count("proračun") == 40 and decoded.text.count("\ufffd") == 1


@pytest.mark.parametrize("codec", ["windows-1250", "iso-8859-2"])
def test_legacy_pages_declared_as_utf8_are_not_mistaken_for_damaged_utf8(codec: str) -> None:
    decoded = decode_html(CROATIAN.encode(codec), "text/html; charset=utf-8", ("Latn",))
    assert decoded.text == CROATIAN and "\ufffd" not in decoded.text
    assert decoded.outcome == "repaired" and decoded.stray_bytes == 0


def test_a_long_legacy_page_with_few_diacritics_is_not_read_as_damaged_utf8() -> None:
    markup = "<script>var x = 1;</script>" * 400  # ~11 KB of ASCII around five diacritics
    page = CROATIAN.replace("<body>", f"<body>{markup}")
    decoded = decode_html(page.encode("windows-1250"), "text/html; charset=utf-8", ("Latn",))
    assert decoded.text == page and decoded.encoding == "windows-1250"
