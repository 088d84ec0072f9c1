"""Loaders of config/actors.yaml and config/narratives.yaml: errors name file, line and field."""

from pathlib import Path

import pytest

from hybridwatch.config import load_actors, load_narratives
from hybridwatch.errors import ConfigError
from hybridwatch.settings import DEFAULT_REGISTRY_DIR
from hybridwatch.taxonomy import ACTOR_TYPES, NARRATIVE_IDS


def _write(tmp_path: Path, text: str, name: str = "actors.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_actor_fields_are_validated_with_file_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "actors:\n  - id: Bad_Id\n    name: X\n    type: person\n    aliases: {sr: [Xy]}\n",
    )
    with pytest.raises(ConfigError, match=r"actors.yaml:2: actors\[0\]\.id = 'Bad_Id'"):
        load_actors(path)


def test_unknown_actor_type_and_short_alias(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "actors:\n  - id: a\n    name: A\n    type: wizard\n    aliases:\n      sr: [X]\n",
    )
    with pytest.raises(ConfigError) as info:
        load_actors(path)
    assert "actors[0].type = 'wizard'" in str(info.value)
    assert "actors[0].aliases.sr[0] = 'X'" in str(info.value)


def test_duplicate_actor_id_is_rejected(tmp_path: Path) -> None:
    entry = "  - id: nato\n    name: NATO\n    type: international-org\n    aliases: {en: [NATO]}\n"
    path = _write(tmp_path, "actors:\n" + entry + entry.replace("[NATO]", "[OTAN]"))
    with pytest.raises(
        ConfigError, match=r"actors.yaml:6: actors\[1\]\.id = 'nato': duplicate id \(first at line 2\)"
    ):
        load_actors(path)


def test_alias_claimed_by_two_actors_is_rejected_across_scripts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "actors:\n"
        "  - id: ivica-dacic\n    name: Ivica Dačić\n    type: person\n    aliases: {sr: [Dačić]}\n"
        "  - id: other-dacic\n    name: Other\n    type: person\n    aliases: {sr: [Дачић]}\n",
    )
    with pytest.raises(ConfigError, match=r"alias already belongs to actor 'ivica-dacic'"):
        load_actors(path)


def test_shipped_narratives_registry_covers_the_taxonomy() -> None:
    registry = load_narratives(DEFAULT_REGISTRY_DIR / "narratives.yaml")
    assert [n.id for n in registry] == list(NARRATIVE_IDS)
    for narrative in registry:
        assert len(narrative.exemplars) >= 8
        assert len({e.lang for e in narrative.exemplars}) >= 4
        assert narrative.rules
    assert registry.counterexamples


def test_shipped_actors_registry_is_valid_and_large_enough() -> None:
    registry = load_actors(DEFAULT_REGISTRY_DIR / "actors.yaml")
    assert len(registry) >= 500
    assert {actor.type for actor in registry} == set(ACTOR_TYPES)


def test_narrative_rule_shorthand_and_errors(tmp_path: Path) -> None:
    good = (
        "narratives:\n  - id: migrant-threat\n    description: Migrants as an invasion.\n    threshold: 0.5\n"
        "    rules:\n      bcms: ['migrant* invazij*', {terms: [najezd*], weight: 0.3}]\n"
        "    exemplars:\n      - {lang: sr, text: 'Migranti su invazija koja preplavljuje granice.'}\n"
    )
    registry = load_narratives(_write(tmp_path, good, "narratives.yaml"))
    rules = registry.get("migrant-threat").rules["bcms"]
    assert rules[0].terms == ("migrant*", "invazij*") and rules[1].weight == 0.3
    bad = good.replace("id: migrant-threat", "id: migrants").replace("threshold: 0.5", "threshold: 2")
    with pytest.raises(ConfigError) as info:
        load_narratives(_write(tmp_path, bad, "narratives.yaml"))
    assert "narratives.yaml:2: narratives[0].id = 'migrants'" in str(info.value)
    assert "narratives.yaml:4: narratives[0].threshold = 2" in str(info.value)
