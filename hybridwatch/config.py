"""Registries as data: load and validate ``config/*.yaml`` into typed, frozen objects.

This is the only module that opens registry files. Every error names the file, the line, the field
path and the bad value, e.g. ``config/sources.yaml:42: sources[17].country: 'SRB': Input should be
'RS', 'HR', ...``.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from hybridwatch.errors import ConfigError
from hybridwatch.taxonomy import COUNTRIES, SCRIPTS, SOURCE_LANGUAGES, SOURCE_TAGS, SOURCE_TYPES

SOURCE_ID_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_TELEGRAM_PREVIEW = re.compile(r"^https://t\.me/s/(?P<channel>[A-Za-z0-9_]{4,64})/?$")

#: Path of a value inside a YAML document: keys and list indexes from the root.
YamlPath = tuple[str | int, ...]
#: A registry entry model (Source, Actor, Narrative): a pydantic model with an ``id``.
EntryModel = TypeVar("EntryModel", bound=BaseModel)


# --- YAML with line numbers ------------------------------------------------------------------------


@dataclass(frozen=True)
class LocatedYaml:
    """A parsed YAML document plus the line (1-based) of every value in it."""

    path: Path
    data: Any
    lines: dict[YamlPath, int]

    def line_of(self, where: YamlPath) -> int:
        """Return the line of the value at ``where``, or of its nearest located parent."""
        while where and where not in self.lines:
            where = where[:-1]
        return self.lines.get(where, 1)


def load_located_yaml(path: Path) -> LocatedYaml:
    """Parse a YAML file, keeping line numbers; duplicate keys are an error (YAML keeps the last)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: registry file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"{path}:1: the file is empty")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()
    lines: dict[YamlPath, int] = {(): node.start_mark.line + 1}
    _collect_lines(path, node, (), lines)
    return LocatedYaml(path=path, data=data, lines=lines)


def _collect_lines(path: Path, node: yaml.Node, where: YamlPath, lines: dict[YamlPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = format_yaml_path((*where, key))
                raise ConfigError(f"{path}:{line}: {dotted}: duplicate key (first at line {seen[key]})")
            seen[key] = line
            lines[(*where, key)] = line
            _collect_lines(path, value_node, (*where, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            lines[(*where, index)] = child.start_mark.line + 1
            _collect_lines(path, child, (*where, index), lines)


def format_yaml_path(where: Iterable[str | int]) -> str:
    """Render a path as ``sources[17].country``."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _value_at(data: Any, where: YamlPath) -> Any:
    for part in where:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def validation_error_to_config_error(exc: ValidationError, doc: LocatedYaml, prefix: YamlPath) -> ConfigError:
    """Name file, line, field and value for every problem pydantic found."""
    problems = []
    for err in exc.errors():
        where = (*prefix, *(p for p in err["loc"] if isinstance(p, str | int)))
        line = doc.line_of(where)
        value = _value_at(doc.data, where)
        shown = f" = {value!r}" if value is not None and not isinstance(value, dict | list) else ""
        problems.append(f"{doc.path}:{line}: {format_yaml_path(where)}{shown}: {err['msg']}")
    return ConfigError("\n".join(problems))


def check_top_level(doc: LocatedYaml, list_key: str, allowed: Iterable[str] = ()) -> None:
    """Require a mapping whose ``list_key`` is a list; refuse unknown top-level keys."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get(list_key), list):
        raise ConfigError(f"{doc.path}:1: expected a mapping with a {list_key!r} list at the top")
    extra = sorted(set(doc.data) - {list_key, *allowed})
    if extra:
        raise ConfigError(f"{doc.path}:{doc.line_of((extra[0],))}: {extra[0]}: unknown top-level key")


def validate_entries(
    doc: LocatedYaml, list_key: str, model: type[EntryModel], problems: list[str]
) -> list[tuple[YamlPath, EntryModel]]:
    """Validate each entry of a top-level list as ``model``; ids must be unique.

    Every problem (not a mapping, invalid field, duplicate id) is appended to ``problems`` with file, line
    and field, so that one run reports them all; valid entries are returned with their YAML path.
    """
    valid: list[tuple[YamlPath, EntryModel]] = []
    first_line_of_id: dict[str, int] = {}
    for index, entry in enumerate(doc.data[list_key]):
        where: YamlPath = (list_key, index)
        if not isinstance(entry, dict):
            problems.append(f"{doc.path}:{doc.line_of(where)}: {format_yaml_path(where)}: expected a mapping")
            continue
        try:
            value = model.model_validate(entry)
        except ValidationError as exc:
            problems.append(str(validation_error_to_config_error(exc, doc, where)))
            continue
        entry_id = value.id  # type: ignore[attr-defined]
        line = doc.line_of((*where, "id"))
        if entry_id in first_line_of_id:
            problems.append(
                f"{doc.path}:{line}: {format_yaml_path((*where, 'id'))} = {entry_id!r}: "
                f"duplicate id (first at line {first_line_of_id[entry_id]})"
            )
            continue
        first_line_of_id[entry_id] = line
        valid.append((where, value))
    return valid


# --- sources registry ------------------------------------------------------------------------------


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("expected an absolute http(s) URL")
    return value


def _domain(value: str) -> str:
    if not re.fullmatch(r"(?:[a-z0-9-]+\.)+[a-z0-9-]+|localhost|127\.0\.0\.1", value):
        raise ValueError("expected a lower-case host name such as example.com")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Domain = Annotated[str, AfterValidator(_domain)]


class CrawlPolicy(BaseModel):
    """How politely and how much to crawl one source per run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delay_s: float = Field(default=2.0, ge=0.0, le=3600.0)
    max_items_per_run: int = Field(default=200, ge=1, le=100_000)


class Source(BaseModel):
    """One outlet or channel the crawlers watch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=SOURCE_ID_PATTERN, max_length=64)
    name: str = Field(min_length=1)
    country: Literal[COUNTRIES]
    languages: tuple[Literal[SOURCE_LANGUAGES], ...] = Field(min_length=1)
    scripts: tuple[Literal[SCRIPTS], ...] = Field(min_length=1)
    type: Literal[SOURCE_TYPES]
    homepage: HttpUrl
    feeds: tuple[HttpUrl, ...] = ()
    sitemaps: tuple[HttpUrl, ...] = ()
    listings: tuple[HttpUrl, ...] = ()
    allowed_domains: tuple[Domain, ...] = ()
    tags: tuple[Literal[SOURCE_TAGS], ...] = Field(min_length=1)
    crawl: CrawlPolicy = CrawlPolicy()
    #: A source on this machine (the offline fixture web): the crawler may reach loopback for it,
    #: through the configured local proxy, and it speaks plain HTTP (t.me previews included).
    local: bool = False
    #: CSS selector of the article body on this outlet's pages; tried before generic extraction.
    article_selector: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Source":
        if self.type == "telegram" and not self._preview_match():
            raise ValueError(
                "a telegram source's homepage must be its public preview, https://t.me/s/<channel>"
            )
        return self

    def _preview_match(self) -> re.Match[str] | None:
        homepage = self.homepage
        if self.local and homepage.startswith("http://"):
            homepage = "https://" + homepage.removeprefix("http://")
        return _TELEGRAM_PREVIEW.match(homepage)

    @property
    def domains(self) -> tuple[str, ...]:
        """Domains the crawler may follow: ``allowed_domains``, else the homepage's host without www."""
        if self.allowed_domains:
            return self.allowed_domains
        host = urlsplit(self.homepage).hostname or ""
        return (host.removeprefix("www."),)

    @property
    def telegram_channel(self) -> str | None:
        match = self._preview_match()
        return match.group("channel") if match and self.type == "telegram" else None


@dataclass(frozen=True)
class SourceRegistry:
    """The validated sources registry, in file order."""

    path: Path
    sources: tuple[Source, ...]

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"{self.path}: no source with id {source_id!r}")

    def select(
        self,
        ids: Iterable[str] = (),
        countries: Iterable[str] = (),
        types: Iterable[str] = (),
    ) -> list[Source]:
        """Return the sources matching all given filters (an empty filter matches everything)."""
        chosen = [self.get(source_id) for source_id in ids] if ids else list(self.sources)
        wanted_countries = {c.upper() for c in countries}
        unknown = wanted_countries - set(COUNTRIES)
        if unknown:
            raise ConfigError(
                f"unknown country code(s) {sorted(unknown)}; expected one of {', '.join(COUNTRIES)}"
            )
        wanted_types = set(types)
        return [
            s
            for s in chosen
            if (not wanted_countries or s.country in wanted_countries)
            and (not wanted_types or s.type in wanted_types)
        ]


def load_sources(path: Path) -> SourceRegistry:
    """Load and validate a sources registry; raise ConfigError naming file, line and field."""
    doc = load_located_yaml(path)
    check_top_level(doc, "sources")
    problems: list[str] = []
    sources = [source for _, source in validate_entries(doc, "sources", Source, problems)]
    if problems:
        raise ConfigError("\n".join(problems))
    return SourceRegistry(path=path, sources=tuple(sources))


# --- actors registry -------------------------------------------------------------------------------

from hybridwatch.taxonomy import ACTOR_TYPES, NARRATIVE_IDS  # noqa: E402

ACTOR_ID_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
#: Shortest alias accepted: one-letter aliases match far too much.
MIN_ALIAS_CHARS: Final = 2


def _alias(value: str) -> str:
    value = value.strip()
    if len(value) < MIN_ALIAS_CHARS:
        raise ValueError(f"an alias needs at least {MIN_ALIAS_CHARS} characters")
    return value


Alias = Annotated[str, AfterValidator(_alias)]


class Actor(BaseModel):
    """A person, party, institution, state, organisation or outlet that the matcher finds in text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ACTOR_ID_PATTERN, max_length=80)
    name: str = Field(min_length=1)
    type: Literal[ACTOR_TYPES]
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    qid: str | None = Field(default=None, pattern=r"^Q[1-9][0-9]*$")
    aliases: dict[Literal[SOURCE_LANGUAGES], tuple[Alias, ...]] = Field(min_length=1)
    forms: tuple[Alias, ...] = ()
    ambiguous_aliases: tuple[Alias, ...] = ()

    def all_aliases(self) -> tuple[str, ...]:
        """Every alias in every language, the canonical name first, without repeats."""
        seen: dict[str, None] = {self.name: None}
        for names in self.aliases.values():
            for alias in names:
                seen.setdefault(alias, None)
        return tuple(seen)


@dataclass(frozen=True)
class ActorRegistry:
    """The validated actors registry, in file order."""

    path: Path
    actors: tuple[Actor, ...]

    def __iter__(self) -> Iterator[Actor]:
        return iter(self.actors)

    def __len__(self) -> int:
        return len(self.actors)

    def get(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise ConfigError(f"{self.path}: no actor with id {actor_id!r}")


def _fold_alias(alias: str) -> str:
    from nlp.translit import fold_for_search

    return " ".join(fold_for_search(alias).split())


def load_actors(path: Path) -> ActorRegistry:
    """Load and validate an actors registry; reject duplicate ids and aliases claimed by two actors.

    Aliases are compared as the matcher sees them (script, case and diacritics folded), so "Vucic" in one
    actor and "Вучић" in another are the same alias.
    """
    doc = load_located_yaml(path)
    check_top_level(doc, "actors")
    problems: list[str] = []
    owner_of_alias: dict[str, tuple[str, int]] = {}
    actors: list[Actor] = []
    for where, actor in validate_entries(doc, "actors", Actor, problems):
        problems.extend(_claim_aliases(doc, where, actor, owner_of_alias))
        actors.append(actor)
    if problems:
        raise ConfigError("\n".join(problems))
    return ActorRegistry(path=path, actors=tuple(actors))


def _claim_aliases(
    doc: LocatedYaml, where: YamlPath, actor: Actor, owner_of_alias: dict[str, tuple[str, int]]
) -> list[str]:
    problems = []
    located: list[tuple[str, YamlPath]] = [(actor.name, (*where, "name"))]
    for lang, names in actor.aliases.items():
        located.extend((alias, (*where, "aliases", lang, n)) for n, alias in enumerate(names))
    located.extend((form, (*where, "forms", n)) for n, form in enumerate(actor.forms))
    for alias, alias_where in located:
        key = _fold_alias(alias)
        line = doc.line_of(alias_where)
        owner = owner_of_alias.get(key)
        if owner is None:
            owner_of_alias[key] = (actor.id, line)
        elif owner[0] != actor.id:
            problems.append(
                f"{doc.path}:{line}: {format_yaml_path(alias_where)} = {alias!r}: alias already belongs "
                f"to actor {owner[0]!r} (line {owner[1]}); keep it on one actor only"
            )
    return problems


# --- narratives registry ---------------------------------------------------------------------------

#: Lexicon rule keys: item languages, plus ``bcms`` for rules shared by sr, hr, bs and cnr.
RULE_LANGUAGES: Final = (*SOURCE_LANGUAGES, "bcms")


class Exemplar(BaseModel):
    """A short text that clearly advances a narrative, in one language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: Literal[SOURCE_LANGUAGES]
    text: str = Field(min_length=20)


class LexiconRule(BaseModel):
    """Terms that must all occur within ``window`` tokens.

    A term is one word: ``stem*`` matches by prefix (lemma or word), ``a|b|c*`` is any of them. A string
    with spaces is several terms ("nato agresij*" = nato AND agresij*).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    terms: tuple[str, ...] = Field(min_length=1)
    weight: float = Field(default=0.5, gt=0.0, le=1.0)
    window: int = Field(default=8, ge=1, le=100)

    @model_validator(mode="before")
    @classmethod
    def _split_terms(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("terms"), list | tuple):
            data = dict(data)
            data["terms"] = [word for term in data["terms"] for word in str(term).split()]
        return data


def _rule_from_shorthand(value: Any) -> Any:
    # "nato agresij*" is shorthand for {terms: [nato, agresij*]}
    return {"terms": value.split()} if isinstance(value, str) else value


class Narrative(BaseModel):
    """One taxonomy narrative: what it is, how to spot it, and its decision threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Literal[NARRATIVE_IDS]
    description: str = Field(min_length=10)
    threshold: float = Field(ge=0.0, le=1.0)
    rules: dict[Literal[RULE_LANGUAGES], tuple[LexiconRule, ...]] = Field(default_factory=dict)
    exemplars: tuple[Exemplar, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _expand_rules(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("rules"), dict):
            data = dict(data)
            data["rules"] = {
                lang: [_rule_from_shorthand(rule) for rule in rules] if isinstance(rules, list) else rules
                for lang, rules in data["rules"].items()
            }
        return data


@dataclass(frozen=True)
class NarrativeRegistry:
    """The validated narratives registry plus the distancing cues that mark reporting, not advancing."""

    path: Path
    narratives: tuple[Narrative, ...]
    distancing: dict[str, tuple[str, ...]]
    #: Texts on the same topics that advance no narrative (neutral reports, rebuttals): negatives for
    #: the classifier head.
    counterexamples: tuple[Exemplar, ...] = ()

    def __iter__(self) -> Iterator[Narrative]:
        return iter(self.narratives)

    def __len__(self) -> int:
        return len(self.narratives)

    def get(self, narrative_id: str) -> Narrative:
        for narrative in self.narratives:
            if narrative.id == narrative_id:
                return narrative
        raise ConfigError(f"{self.path}: no narrative with id {narrative_id!r}")


def load_narratives(path: Path) -> NarrativeRegistry:
    """Load and validate a narratives registry; every narrative id at most once."""
    doc = load_located_yaml(path)
    check_top_level(doc, "narratives", allowed=("distancing", "counterexamples"))
    from pydantic import TypeAdapter

    try:
        distancing = TypeAdapter(dict[Literal[RULE_LANGUAGES], tuple[str, ...]]).validate_python(
            doc.data.get("distancing") or {}
        )
    except ValidationError as exc:
        raise validation_error_to_config_error(exc, doc, ("distancing",)) from None
    try:
        counterexamples = TypeAdapter(tuple[Exemplar, ...]).validate_python(
            doc.data.get("counterexamples") or ()
        )
    except ValidationError as exc:
        raise validation_error_to_config_error(exc, doc, ("counterexamples",)) from None

    problems: list[str] = []
    narratives = [narrative for _, narrative in validate_entries(doc, "narratives", Narrative, problems)]
    if problems:
        raise ConfigError("\n".join(problems))
    return NarrativeRegistry(
        path=path, narratives=tuple(narratives), distancing=dict(distancing), counterexamples=counterexamples
    )
