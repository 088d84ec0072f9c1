"""Transliteration and search folding."""

import pytest

from nlp.translit import fold_for_search, has_cyrillic, to_latin


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
