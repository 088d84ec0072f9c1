"""The fixture web covers what the pipeline must find, and its registry matches the manifest."""

from pathlib import Path

from crawlers.fixture_web import load_fixture_web, render_sources_registry
from hybridwatch.taxonomy import COUNTRIES, NARRATIVE_IDS

DEMO_REGISTRY = Path(__file__).resolve().parents[2] / "config" / "sources.demo.yaml"


def test_the_demo_registry_is_generated_from_the_manifest() -> None:
    assert DEMO_REGISTRY.read_text(encoding="utf-8") == render_sources_registry(load_fixture_web())


def test_coverage_of_countries_scripts_channels_and_state_media() -> None:
    web = load_fixture_web()
    assert len(web.outlets) >= 14
    assert {o.country for o in web.outlets} == set(COUNTRIES)
    assert {a.script for a in web.articles} == {"Cyrl", "Latn"}
    assert len(web.channels) >= 2
    assert sum("foreign-state-media" in o.tags for o in web.outlets) >= 2


def test_every_narrative_is_planted_and_fact_checks_carry_none() -> None:
    web = load_fixture_web()
    planted = {n for a in web.articles for n in a.narratives} | {n for p in web.posts for n in p.narratives}
    assert planted == set(NARRATIVE_IDS)
    fact_checks = [a for a in web.articles if "fact-checker" in a.outlet.tags]
    assert fact_checks and all(not a.narratives for a in fact_checks)
    assert any(not a.narratives for a in web.articles if "fact-checker" not in a.outlet.tags)


def test_republication_groups_include_a_latin_copy_of_a_cyrillic_story() -> None:
    web = load_fixture_web()
    groups: dict[str, list[str]] = {}
    for article in web.articles:
        if article.group:
            groups.setdefault(article.group, []).append(article.script)
    assert any({"Cyrl", "Latn"} <= set(scripts) for scripts in groups.values())
    assert any(len(scripts) >= 3 for scripts in groups.values())  # original, Latin copy, rewritten copy


def test_plain_http_telegram_previews_are_for_local_sources_only() -> None:
    import pytest
    from pydantic import ValidationError

    from hybridwatch.config import Source

    fields = {
        "id": "tg-x", "name": "X", "country": "RS", "languages": ["sr"], "scripts": ["Cyrl"],
        "type": "telegram", "homepage": "http://t.me/s/kanal_x", "tags": ["telegram-channel"],
    }  # fmt: skip
    assert Source.model_validate({**fields, "local": True}).telegram_channel == "kanal_x"
    with pytest.raises(ValidationError, match="public preview"):
        Source.model_validate(fields)
