"""Albanian and Macedonian people named after a title, and Albanian definite endings on surnames."""

import pytest

from nlp.titled_names import (
    albanian_institution_nominative,
    albanian_nominative,
    find_albanian_institutions,
    find_titled_names,
)


def _names(text: str, lang: str) -> list[str]:
    found = find_titled_names(text, lang)
    for name in found:
        assert text[name.start : name.end] == name.text and name.label == "PER"
    return [name.text for name in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Kryeministri Albin Kurti tha se presidenti i Serbisë Aleksandar Vuçiq po destabilizon veriun.",
            ["Albin Kurti", "Aleksandar Vuçiq"],
        ),
        (
            "Takimi me ministrin e Jashtëm të Serbisë, Marko Đurić, u anulua. Zëvendëskryeministri Besnik "
            "Bislimi foli për dialogun.",
            ["Marko Đurić", "Besnik Bislimi"],
        ),
        ("Deklarata e kryetarit të Komunës së Mitrovicës Veton Ramadanit u prit mirë.", ["Veton Ramadanit"]),
        ("Ambasadorja e SHBA-së Anna Levine takoi kryeministrin Kurti.", ["Anna Levine", "Kurti"]),
        ("presidentja Osmani dhe ministri i Punëve të Brendshme Xhelal Sveçla", ["Osmani", "Xhelal Sveçla"]),
        ("Kryeministri tha se nuk ka takim me NATO.", []),  # a title without a name
        ("Ministri i Jashtëm i SHBA-së nuk erdhi.", []),  # the complement is not a name
        ("Kurti takoi sot ambasadorët e Quintit në Prishtinë.", []),  # a plural title names no one
        ("Ish-kryeministër Sali Berisha foli.", ["Sali Berisha"]),
    ],
)
def test_albanian(text: str, expected: list[str]) -> None:
    assert _names(text, "sq") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Премиерот Христијан Мицкоски изјави дека претседателот на Србија Александар Вучиќ е пријател.",
            ["Христијан Мицкоски", "Александар Вучиќ"],
        ),
        (
            "Министерот за надворешни работи Тимчо Муцунски и градоначалничката Ирена Стојановска.",
            ["Тимчо Муцунски", "Ирена Стојановска"],
        ),
        ("претседателката на Северна Македонија Гордана Сиљановска-Давкова", ["Гордана Сиљановска-Давкова"]),
        ("пратеникот на ВМРО-ДПМНЕ Антонио Милошоски рече дека", ["Антонио Милошоски"]),
        ("Премиерот изјави дека ЕУ чека.", []),
    ],
)
def test_macedonian(text: str, expected: list[str]) -> None:
    assert _names(text, "mk") == expected


def test_other_languages_get_nothing() -> None:
    assert find_titled_names("Premijer Goran Rakić je rekao", "sr") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kurtit", "Kurti"),  # -it → -i
        ("Veton Ramadanit", "Veton Ramadani"),
        ("Ramës", "Rama"),  # -ës → -a
        ("Vjosës Osmanit", "Vjosa Osmani"),  # a given name in -ës as well
        ("Haradinajt", "Haradinaj"),  # -ajt → -aj
        ("Haxhiut", "Haxhiu"),  # -ut → -u
        ("Putin", "Putin"),  # -in is left alone: many nominatives end in it
        ("Albin Kurti", "Albin Kurti"),
    ],
)
def test_albanian_nominative(name: str, expected: str) -> None:
    assert albanian_nominative(name) == expected


def test_albanian_institutions() -> None:
    text = (
        "Ministria e Mbrojtjes njoftoi se Komisioni Qendror i Zgjedhjeve dhe Ambasada e SHBA-së folën. "
        "Deklarata e Ministrisë së Shëndetësisë dhe e Komisionit të Pavarur u prit. Ministria tha se jo."
    )
    found = find_albanian_institutions(text)
    assert all(text[f.start : f.end] == f.text and f.label == "ORG" for f in found)
    # The bare head ("Ministria tha") is generic and not returned.
    assert [albanian_institution_nominative(f.text) for f in found] == [
        "Ministria e Mbrojtjes",
        "Komisioni Qendror i Zgjedhjeve",
        "Ambasada e SHBA-së",
        "Ministria e Shëndetësisë",  # oblique head and link back to the nominative
        "Komisioni i Pavarur",
    ]
