"""Registries as data: load and validate ``config/*.yaml`` into typed, frozen objects.

This is the only module that opens registry files. Every error names the file, the line, the field
path and the bad value, e.g. ``config/sources.yaml:42: sources[17].country: 'SRB': Input should be
'RS', 'HR', ...``.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from hybridwatch.errors import ConfigError
from hybridwatch.taxonomy import COUNTRIES, SCRIPTS, SOURCE_LANGUAGES, SOURCE_TAGS, SOURCE_TYPES

SOURCE_ID_PATTERN: Final = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_TELEGRAM_PREVIEW = re.compile(r"^https://t\.me/s/(?P<channel>[A-Za-z0-9_]{4,64})/?$")

#: Path of a value inside a YAML document: keys and list indexes from the root.
YamlPath = tuple[str | int, ...]


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

    @model_validator(mode="after")
    def _consistent(self) -> "Source":
        if self.type == "telegram" and not _TELEGRAM_PREVIEW.match(self.homepage):
            raise ValueError(
                "a telegram source's homepage must be its public preview, https://t.me/s/<channel>"
            )
        return self

    @property
    def domains(self) -> tuple[str, ...]:
        """Domains the crawler may follow: ``allowed_domains``, else the homepage's host without www."""
        if self.allowed_domains:
            return self.allowed_domains
        host = urlsplit(self.homepage).hostname or ""
        return (host.removeprefix("www."),)

    @property
    def telegram_channel(self) -> str | None:
        match = _TELEGRAM_PREVIEW.match(self.homepage)
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
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("sources"), list):
        raise ConfigError(f"{path}:1: expected a mapping with a 'sources' list at the top")
    extra = sorted(set(doc.data) - {"sources"})
    if extra:
        raise ConfigError(f"{path}:{doc.line_of((extra[0],))}: {extra[0]}: unknown top-level key")

    sources: list[Source] = []
    problems: list[str] = []
    first_line_of_id: dict[str, int] = {}
    for index, entry in enumerate(doc.data["sources"]):
        where: YamlPath = ("sources", index)
        if not isinstance(entry, dict):
            problems.append(f"{path}:{doc.line_of(where)}: {format_yaml_path(where)}: expected a mapping")
            continue
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            problems.append(str(validation_error_to_config_error(exc, doc, where)))
            continue
        line = doc.line_of((*where, "id"))
        if source.id in first_line_of_id:
            problems.append(
                f"{path}:{line}: {format_yaml_path((*where, 'id'))} = {source.id!r}: "
                f"duplicate id (first at line {first_line_of_id[source.id]})"
            )
            continue
        first_line_of_id[source.id] = line
        sources.append(source)
    if problems:
        raise ConfigError("\n".join(problems))
    return SourceRegistry(path=path, sources=tuple(sources))
