"""Risk formula and flag reasons."""

from nlp.score import RiskPolicy, score_risk


def test_no_signal_no_risk() -> None:
    result = score_risk([], [], False, None)
    assert result.risk == 0.0 and not result.flagged and result.flag_reasons == []


def test_narrative_alone_below_threshold_is_not_flagged() -> None:
    result = score_risk([{"id": "west-hostile", "score": 0.5}], ["commercial"], False, None)
    assert result.risk == 0.5 and not result.flagged


def test_narrative_on_state_media_is_flagged_with_every_reason() -> None:
    result = score_risk(
        [{"id": "west-hostile", "score": 0.5}],
        ["foreign-state-media", "pro-kremlin"],
        False,
        {"views": 50_000},
    )
    assert result.flagged
    assert result.risk == round(1 - 0.5 * 0.65 * (1 - result_engagement(50_000)), 4)
    assert result.flag_reasons[:3] == [
        "narrative:west-hostile",
        "source:foreign-state-media",
        "source:pro-kremlin",
    ]
    assert "engagement" in result.flag_reasons


def result_engagement(views: int) -> float:
    from nlp.score import engagement_signal

    return engagement_signal({"views": views}, RiskPolicy())


def test_coordination_flags_even_without_narrative() -> None:
    result = score_risk([], [], True, None)
    assert result.flagged and result.flag_reasons == ["coordinated-publication"]


def test_policy_is_configurable() -> None:
    strict = RiskPolicy(flag_threshold=0.4)
    assert score_risk([{"id": "eu-futility", "score": 0.45}], [], False, None, strict).flagged
