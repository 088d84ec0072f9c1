"""The item schema: what a crawler emits (``RawItem``) and what analysis adds (``AnalysedItem``).

One JSON object per line in batches and one document in the index. Field names and meanings follow the
design document; ``SCHEMA_VERSION`` changes whenever a field is added, removed or changes meaning.
"""

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from hybridwatch.taxonomy import (
    ACTOR_TYPES,
    COUNTRIES,
    ITEM_LANGUAGES,
    ITEM_SCRIPTS,
    LABEL_VERDICTS,
    NARRATIVE_IDS,
    SOURCE_LANGUAGES,
    SOURCE_TYPES,
)

SCHEMA_VERSION: Final = 1

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

Country = Literal[COUNTRIES]
NarrativeId = Literal[NARRATIVE_IDS]
Sha256Hex = Annotated[str, Field(pattern=_SHA256_HEX.pattern)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]


def sha256_hex(text: str) -> str:
    """Return the hex SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_id_for(canonical_url: str) -> str:
    """Return the item id for a canonical URL (or ``t.me/<channel>/<post>`` for Telegram posts)."""
    return sha256_hex(canonical_url)


class _Model(BaseModel):
    # Unknown fields are an error, not silently dropped: a misspelt "publised_at" must not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Engagement(_Model):
    """Audience reactions where the source shows them (Telegram views and forwards, comment counts)."""

    views: Count | None = None
    forwards: Count | None = None
    reactions: Count | None = None
    comments: Count | None = None


class ActorMention(_Model):
    """An actor found in an item; ``name`` is the canonical English name."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: Literal[ACTOR_TYPES]
    count: int = Field(ge=1)
    mentions: list[str] = Field(default_factory=list)


class NarrativeScore(_Model):
    """A narrative at or above its decision threshold, with the method and evidence behind the score."""

    id: NarrativeId
    score: Score
    method: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)


class DuplicateCluster(_Model):
    """Where an item sits among near-duplicates across outlets and scripts."""

    cluster_id: str = Field(min_length=1)
    first_seen_id: str = Field(min_length=1)
    first_seen_at: AwareDatetime | None = None
    size: int = Field(ge=1)
    outlets: list[str] = Field(default_factory=list)
    countries: list[Country] = Field(default_factory=list)


class RawItem(_Model):
    """One article or post as a crawler found it.

    Only ``text`` is required: ``id`` defaults to the hash of the canonical URL (or of the URL, or of
    the text when there is no URL), ``text_sha256`` to the hash of the text.
    """

    schema_version: int = SCHEMA_VERSION
    id: Sha256Hex = None  # type: ignore[assignment]  # filled by _derive_ids
    url: str | None = None
    canonical_url: str | None = None

    source_id: str | None = None
    source_type: Literal[SOURCE_TYPES] | None = None
    outlet: str | None = None
    country: Country | None = None
    declared_lang: Literal[SOURCE_LANGUAGES] | None = None

    published_at: AwareDatetime | None = None
    fetched_at: AwareDatetime | None = None

    title: str | None = None
    text: str
    author: str | None = None
    text_sha256: Sha256Hex = None  # type: ignore[assignment]  # filled by _derive_ids
    engagement: Engagement | None = None
    forwarded_from: str | None = None
    links: list[str] = Field(default_factory=list)

    versions: dict[str, str] = Field(default_factory=dict)

    @field_validator("schema_version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value > SCHEMA_VERSION or value < 1:
            raise ValueError(
                f"schema_version {value} is not supported (this build reads 1..{SCHEMA_VERSION})"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _derive_ids(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return data
        data = dict(data)
        text_hash = sha256_hex(data["text"])
        if data.get("text_sha256") is None:
            data["text_sha256"] = text_hash
        elif data["text_sha256"] != text_hash:
            raise ValueError("text_sha256 does not match the SHA-256 of text")
        if data.get("id") is None:
            anchor = data.get("canonical_url") or data.get("url")
            # A URL of the wrong type is left for field validation to name, not hashed here.
            data["id"] = item_id_for(anchor) if anchor and isinstance(anchor, str) else text_hash
        return data


class AnalysedItem(RawItem):
    """A raw item plus everything analysis adds; what the stores index."""

    lang: Literal[ITEM_LANGUAGES] | None = None
    lang_confidence: Score | None = None
    script: Literal[ITEM_SCRIPTS] | None = None
    text_latin: str | None = None

    actors: list[ActorMention] = Field(default_factory=list)
    narratives: list[NarrativeScore] = Field(default_factory=list)
    dup: DuplicateCluster | None = None
    risk: Score = 0.0
    flagged: bool = False
    flag_reasons: list[str] = Field(default_factory=list)

    indexed_at: AwareDatetime | None = None


class Label(_Model):
    """One analyst verdict on one item, optionally about one narrative: an event in the label history.

    Stores keep every label; a later label by the same analyst on the same item and narrative supersedes
    the earlier one as the current verdict but does not erase it (see ``hybridwatch.labels``).
    ``narrative`` None is a verdict on the item as a whole (e.g. "not relevant at all").
    """

    item_id: Sha256Hex
    analyst: str = Field(min_length=1)
    verdict: Literal[LABEL_VERDICTS]
    narrative: NarrativeId | None = None
    note: str = ""
    labelled_at: AwareDatetime

    @property
    def label_id(self) -> str:
        """The hash of everything the label says: recording the same event twice stores it once."""
        parts = (
            self.item_id,
            self.analyst,
            self.narrative or "",
            self.verdict,
            self.labelled_at.astimezone(UTC).isoformat(),
            self.note,
        )
        return sha256_hex("\n".join(parts))

    @property
    def subject(self) -> tuple[str, str, str]:
        """What the verdict is about and who gave it: the key of the current verdict."""
        return (self.item_id, self.analyst, self.narrative or "")


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)
