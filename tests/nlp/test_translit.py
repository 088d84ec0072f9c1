"""Transliteration and search folding."""

import pytest

from nlp.translit import fold_for_search, has_cyrillic, latin_share, to_cyrillic, to_latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Вучић је рекао", "Vučić je rekao"),
        ("Љубљана и Њујорк", "Ljubljana i Njujork"),
        ("ЉУБЉАНА", "LJUBLJANA"),
        ("Џ", "Dž"),
        ("Ђоковић", "Đoković"),
        ("Ѓорѓе Петров, Ќустендил, Ѕвезда", "Gjorgje Petrov, Kjustendil, Dzvezda"),
        ("Србија и NATO", "Srbija i NATO"),
        ("Щукин, объявил", "Ščukin, objavil"),
    ],
)
def test_to_latin(cyrillic: str, latin: str) -> None:
    assert to_latin(cyrillic) == latin


def test_latin_text_is_unchanged() -> None:
    text = "Plenković: Hrvatska ostaje u EU"
    assert not has_cyrillic(text)
    assert to_latin(text) is text


@pytest.mark.parametrize("variant", ["Вучић", "Vučić", "Vucic", "VUČIĆ", "вучић"])
def test_fold_makes_script_case_and_diacritics_irrelevant(variant: str) -> None:
    assert fold_for_search(variant) == "vucic"


def test_fold_spells_dj_and_albanian_letters() -> None:
    assert fold_for_search("Đukanović") == fold_for_search("Ђукановић") == "djukanovic"
    assert fold_for_search("Shqipëria çështje") == "shqiperia ceshtje"


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Ljubljana i Njujork", "Љубљана и Њујорк"),
        ("LJUBAV", "ЉУБАВ"),
        ("Džon i džemper", "Џон и џемпер"),
        # Prefix boundaries: two letters, not one.
        ("konjunkcija", "конјункција"),
        ("injekcija", "инјекција"),
        ("nadživeti", "надживети"),
        ("odžaliti", "оджалити"),
        ("Đoković je čekao", "Ђоковић је чекао"),
    ],
)
def test_to_cyrillic_handles_digraph_traps(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic


def test_to_cyrillic_keeps_foreign_words_acronyms_links_and_quotes() -> None:
    text = 'Vučić je za "New York Times" rekao da NATO i Twitter, www.rts.rs i #Srbija ostaju'
    assert (
        to_cyrillic(text)
        == 'Вучић је за "New York Times" рекао да NATO и Twitter, www.rts.rs и #Srbija остају'
    )


def test_cyrillic_round_trip_of_plain_serbian() -> None:
    text = "Predsednik vlade je u sredu razgovarao sa ambasadorima o njihovim zahtevima."
    assert to_latin(to_cyrillic(text)) == text


def test_quoted_latin_inside_cyrillic_survives_to_latin() -> None:
    assert to_latin("Лист „Washington Post“ пише") == "List „Washington Post“ piše"


def test_latin_share() -> None:
    assert latin_share("Вучић") == 0.0
    assert latin_share("Vučić") == 1.0
    assert latin_share("1234") == 0.0
