"""The sources registry: the shipped file is valid and broad; broken copies fail with file, line and field."""

import shutil
from collections import Counter
from pathlib import Path

import pytest

from hybridwatch.config import load_sources
from hybridwatch.errors import ConfigError
from hybridwatch.settings import DEFAULT_REGISTRY_DIR
from hybridwatch.taxonomy import COUNTRIES

SOURCES = DEFAULT_REGISTRY_DIR / "sources.yaml"


def test_shipped_registry_is_valid_and_covers_the_region() -> None:
    registry = load_sources(SOURCES)
    news = [s for s in registry if s.type == "news"]
    telegram = [s for s in registry if s.type == "telegram"]
    assert len(news) >= 60
    assert len(telegram) >= 10
    per_country = Counter(s.country for s in news)
    assert all(per_country[c] >= 5 for c in COUNTRIES), per_country
    tags = Counter(tag for s in registry for tag in s.tags)
    for needed in ("public-broadcaster", "foreign-state-media", "tabloid", "fact-checker", "independent"):
        assert tags[needed] >= 2, needed
    assert {s.id for s in registry if "foreign-state-media" in s.tags} >= {"rt-balkan", "sputnik-srbija"}
    assert all(s.telegram_channel for s in telegram)


def _broken_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """Copy the registry with the first occurrence of ``old`` replaced; return path and line of the change."""
    text = SOURCES.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "sources.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, line


def _first_source_block() -> tuple[str, int]:
    """The id line of the third source, and that source's index."""
    registry = load_sources(SOURCES)
    return f"id: {registry.sources[2].id}\n", 2


def test_unknown_country_names_file_line_and_field(tmp_path: Path) -> None:
    registry = load_sources(SOURCES)
    source = registry.sources[2]
    text = SOURCES.read_text(encoding="utf-8")
    start = text.index(f"id: {source.id}\n")
    country_at = text.index(f"country: {source.country}", start)
    path = tmp_path / "sources.yaml"
    path.write_text(text[:country_at] + "country: SRB" + text[country_at + 11 :], encoding="utf-8")
    line = text[:country_at].count("\n") + 1
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: sources[2].country = 'SRB': ")
    assert "'RS'" in message and "'XK'" in message


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("languages: [sr]", "languages: [sr, srp]", "languages[1]", "'cnr'"),
        ("homepage: https://", "homepage: htps://", "homepage", "absolute http(s) URL"),
        ("tags: [", "tags: [propaganda, ", "tags[0]", "'public-broadcaster'"),
        ("type: news", "type: blog", "type", "'telegram'"),
    ],
)
def test_bad_values_are_located(tmp_path: Path, old: str, new: str, field: str, expected: str) -> None:
    path, line = _broken_copy(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    message = str(err.value)
    assert f"{path}:{line}: sources[" in message
    assert f"].{field}" in message
    assert expected in message


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    registry = load_sources(SOURCES)
    first, second = registry.sources[0].id, registry.sources[1].id
    path, line = _broken_copy(tmp_path, f"id: {second}\n", f"id: {first}\n")
    text = SOURCES.read_text(encoding="utf-8")
    first_line = text[: text.index(f"id: {first}\n")].count("\n") + 1
    with pytest.raises(
        ConfigError,
        match=rf":{line}: sources\[1\]\.id = '{first}': duplicate id \(first at line {first_line}\)",
    ):
        load_sources(path)


def test_unknown_field_and_duplicate_key(tmp_path: Path) -> None:
    path, line = _broken_copy(tmp_path, "    tags: [", "    tagz: [x]\n    tags: [")
    with pytest.raises(ConfigError, match=rf":{line}: sources\[\d+\]\.tagz: Extra inputs"):
        load_sources(path)
    path, line = _broken_copy(tmp_path, "    tags: [", "    type: news\n    tags: [")
    with pytest.raises(ConfigError, match=rf":{line}: sources\[\d+\]\.type: duplicate key"):
        load_sources(path)


def test_yaml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: a\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\.yaml:\d+: not valid YAML"):
        load_sources(path)
    with pytest.raises(ConfigError, match="registry file not found"):
        load_sources(tmp_path / "missing.yaml")


def test_telegram_homepage_must_be_the_preview(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    shutil.copy(SOURCES, path)
    path.write_text(
        "sources:\n"
        "  - id: tg-x\n    name: X\n    country: RS\n    languages: [sr]\n    scripts: [Latn]\n"
        "    type: telegram\n    homepage: https://t.me/xchannel\n    tags: [telegram-channel]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r":2: sources\[0\]: .*t\.me/s/<channel>"):
        load_sources(path)


def test_select_by_country_and_type() -> None:
    registry = load_sources(SOURCES)
    montenegro = registry.select(countries=["me"])
    assert montenegro and all(s.country == "ME" for s in montenegro)
    with pytest.raises(ConfigError, match="unknown country"):
        registry.select(countries=["YU"])
    with pytest.raises(ConfigError, match="no source with id 'nope'"):
        registry.select(ids=["nope"])
