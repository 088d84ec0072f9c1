"""Item schema: derived ids and hashes, taxonomy-checked fields, unknown fields refused."""

import hashlib

import pytest
from pydantic import ValidationError

from hybridwatch.schema import SCHEMA_VERSION, AnalysedItem, RawItem, item_id_for


def test_id_is_sha256_of_canonical_url_then_url_then_text() -> None:
    url = "https://www.rts.rs/vesti/1.html"
    assert RawItem(text="a", url="https://x/?utm_source=y", canonical_url=url).id == item_id_for(url)
    assert RawItem(text="a", url=url).id == hashlib.sha256(url.encode()).hexdigest()
    assert RawItem(text="ab").id == hashlib.sha256(b"ab").hexdigest()


def test_text_hash_is_derived_and_checked() -> None:
    item = RawItem(text="Вучић")
    assert item.text_sha256 == hashlib.sha256("Вучић".encode()).hexdigest()
    with pytest.raises(ValidationError, match="text_sha256 does not match"):
        RawItem(text="Вучић", text_sha256="0" * 64)


def test_only_text_is_required() -> None:
    with pytest.raises(ValidationError, match="text"):
        RawItem.model_validate({"url": "https://x/"})
    assert RawItem.model_validate({"text": "x"}).schema_version == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "SRB", "'RS'"),
        ("lang", "sh", "'sr'"),
        ("script", "Cyrillic", "'Cyrl'"),
        ("published_at", "2026-11-20T10:00:00", "timezone"),
        ("risk", 1.5, "less than or equal to 1"),
        ("narratives", [{"id": "aliens", "score": 0.9, "method": "lexicon"}], "west-hostile"),
        ("actors", [{"id": "x", "name": "X", "type": "celebrity", "count": 1}], "person"),
        ("publised_at", "2026-11-20T10:00:00+01:00", "Extra inputs are not permitted"),
        ("schema_version", 99, "not supported"),
    ],
)
def test_invalid_fields_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AnalysedItem.model_validate({"text": "x", field: value})
