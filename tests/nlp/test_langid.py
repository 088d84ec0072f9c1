"""Language and script identification."""

import pytest

from nlp.langid import detect_language, detect_script, variety_scores


@pytest.mark.parametrize(
    ("text", "script"),
    [("Вучић је рекао", "Cyrl"), ("Vučić je rekao", "Latn"), ("12345 !!!", "other"), ("שלום עולם", "other")],
)
def test_script(text: str, script: str) -> None:
    assert detect_script(text) == script


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Претседателот на Владата изјави дека ќе има нови мерки за земјоделците.", "mk"),
        ("Председник Владе изјавио је да ће бити нових мера за пољопривреднике.", "sr"),
        ("Kryeministri tha se qeveria do të marrë masa të reja për fermerët.", "sq"),
        ("Президент заявил, что правительство примет новые меры для фермеров.", "ru"),
        ("The prime minister said the government would take new measures for farmers.", "en"),
        ("Premiér uvedl, že vláda přijme nová opatření pro zemědělce a jejich rodiny.", "other"),
    ],
)
def test_language_families_from_text_alone(text: str, lang: str) -> None:
    assert detect_language(text).lang == lang


def test_croatian_lexicon_and_ijekavian_is_croatian() -> None:
    text = "Vlak je kasnio tjedan dana, a tisuću putnika čekalo je na kolodvoru u Zagrebu do siječnja."
    assert detect_language(text).lang == "hr"


def test_ekavian_serbian_latin_is_serbian() -> None:
    text = "Voz je kasnio nedelju dana, a hiljadu putnika je čekalo na stanici da vide šta će biti."
    assert detect_language(text).lang == "sr"


def test_montenegrin_letters_decide_cnr_without_metadata() -> None:
    assert detect_language("Đe si bio juče? Śutra ćemo vidjeti šta će biti sa ńegovom kućom.").lang == "cnr"


def test_outlet_metadata_separates_ijekavian_varieties() -> None:
    text = "Vlada je sedmicu dana raspravljala o budžetu, a premijer je rekao da nema vremena za čekanje."
    assert detect_language(text, country="ME", declared=["cnr"]).lang == "cnr"
    assert detect_language(text, country="BA", declared=["bs"]).lang == "bs"


def test_one_declared_variety_wins_without_asking_the_variety_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.langid

    asked: list[str] = []
    real = nlp.langid.variety_scores
    monkeypatch.setattr(nlp.langid, "variety_scores", lambda text: asked.append(text) or real(text))
    ekavian = "Vlada je nedelju dana raspravljala o budžetu, a premijer je rekao da nema vremena."
    result = detect_language(ekavian, country="BA", declared=["bs", "en"])
    assert (result.lang, result.method.endswith("+source-language"), asked) == ("bs", True, [])
    # Cyrillic rules Croatian out, leaving Serbian the one declared variety.
    assert detect_language("Влада је расправљала о буџету.", declared=["hr", "sr"]).lang == "sr"
    assert asked == []
    assert detect_language(ekavian, declared=["bs", "sr"]).lang == "sr"  # two: the text decides
    assert asked == [ekavian]


def test_declared_language_does_not_override_clear_text_of_another_family() -> None:
    result = detect_language(
        "Kryeministri tha se qeveria do të marrë masa të reja.", country="RS", declared=["sr"]
    )
    assert result.lang == "sq"


def test_cyrillic_is_never_croatian() -> None:
    assert detect_language("Влада је недељу дана расправљала о буџету.", declared=["hr", "sr"]).lang == "sr"


def test_short_social_post() -> None:
    assert detect_language("Ово је срамота, народе!").lang == "sr"
    assert detect_language("Turp për qeverinë!").lang == "sq"


def test_variety_scores_are_a_distribution() -> None:
    scores = variety_scores("Ministar je rekao da će tisuću eura biti isplaćeno u prosincu.")
    assert set(scores) == {"sr", "hr", "bs", "cnr"}
    assert sum(scores.values()) == pytest.approx(1.0)
    assert max(scores, key=scores.__getitem__) == "hr"


def test_confidence_is_a_probability() -> None:
    result = detect_language("Председник Владе изјавио је да ће бити нових мера.")
    assert 0.0 < result.confidence <= 1.0
    assert result.script == "Cyrl"
