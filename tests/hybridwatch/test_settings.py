"""Settings: defaults, file, environment, validation with the origin of a bad value, redaction."""

from pathlib import Path

import pytest

from hybridwatch.errors import ConfigError
from hybridwatch.settings import load_settings, redact_url


def test_defaults(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.timezone == "Europe/Belgrade"
    assert settings.es_url is None
    assert settings.es_verify_certs is True
    assert settings.sqlite_path == Path("data/hybridwatch.sqlite3")


def test_environment_beats_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "hybridwatch.toml").write_text(
        'es_url = "https://es.example.org:9200"\nes_index_prefix = "fromfile"\ntimezone = "Europe/Skopje"\n'
    )
    monkeypatch.setenv("HYBRIDWATCH_ES_INDEX_PREFIX", "fromenv")
    monkeypatch.setenv("HYBRIDWATCH_ES_VERIFY_CERTS", "false")
    monkeypatch.setenv("HYBRIDWATCH_DIGEST_RECIPIENTS", "a@example.org, b@example.org")
    settings = load_settings()
    assert settings.es_url == "https://es.example.org:9200"
    assert settings.es_index_prefix == "fromenv"
    assert settings.timezone == "Europe/Skopje"
    assert settings.es_verify_certs is False
    assert settings.digest_recipients == ("a@example.org", "b@example.org")


def test_bad_values_name_their_origin(clean_env: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"environment variable HYBRIDWATCH_TIMEZONE: .*unknown IANA time zone"
    ):
        load_settings(environ={"HYBRIDWATCH_TIMEZONE": "Europe/Novi_Sad"})
    (clean_env / "bad.toml").write_text('smtp_port = "many"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: smtp_port: .*integer"):
        load_settings(config_file=clean_env / "bad.toml", environ={})
    (clean_env / "typo.toml").write_text('es_ulr = "http://x"\n')
    with pytest.raises(ConfigError, match=r"unknown setting.*es_ulr"):
        load_settings(config_file=clean_env / "typo.toml", environ={})
    with pytest.raises(ConfigError, match="not an http"):
        load_settings(environ={"HYBRIDWATCH_ES_URL": "es.example.org:9200"})


def test_one_kind_of_elasticsearch_auth(clean_env: Path) -> None:
    with pytest.raises(ConfigError, match="either es_api_key or es_username"):
        load_settings(
            environ={
                "HYBRIDWATCH_ES_API_KEY": "k",
                "HYBRIDWATCH_ES_USERNAME": "u",
                "HYBRIDWATCH_ES_PASSWORD": "p",
            }
        )
    with pytest.raises(ConfigError, match="go together"):
        load_settings(environ={"HYBRIDWATCH_ES_USERNAME": "u"})


def test_redaction_hides_every_secret(clean_env: Path) -> None:
    settings = load_settings(
        environ={
            "HYBRIDWATCH_ES_URL": "https://elastic:s3cret-in-url@es.example.org:9200",
            "HYBRIDWATCH_ES_USERNAME": "elastic",
            "HYBRIDWATCH_ES_PASSWORD": "s3cret-password",
            "HYBRIDWATCH_SMTP_PASSWORD": "s3cret-smtp",
            "HYBRIDWATCH_EXPORT_PSEUDONYM_KEY": "s3cret-pseudonym-key",
            "HYBRIDWATCH_DIGEST_WEBHOOK_URL": "https://hooks.example.org/s3cret-token",
        }
    )
    assert "s3cret" not in repr(settings)
    shown = settings.redacted()
    assert "s3cret" not in repr(shown)
    assert shown["es_password"] == "***"
    assert shown["smtp_password"] == "***"
    assert shown["export_pseudonym_key"] == "***"
    assert shown["digest_webhook_url"] == "***"
    assert shown["es_url"] == "https://elastic:***@es.example.org:9200"
    assert shown["es_api_key"] is None  # unset secrets show as unset, not as ***
    assert redact_url("http://127.0.0.1:9200") == "http://127.0.0.1:9200"
