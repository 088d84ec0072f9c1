"""Connecting to a secured cluster: credentials, TLS verification with a CA, secrets kept out of errors."""

import pytest

from hybridwatch.errors import StoreError
from hybridwatch.settings import load_settings
from hybridwatch.stores.elastic import ElasticsearchStore
from tests.conftest import SecuredElasticsearch


def _store(secured: SecuredElasticsearch, **overrides: object) -> ElasticsearchStore:
    values: dict[str, object] = {
        "es_url": secured.url,
        "es_ca_certs": secured.ca_certs,
        "es_username": secured.username,
        "es_password": secured.password,
        "es_max_retries": 0,
    }
    values.update(overrides)
    return ElasticsearchStore.from_settings(load_settings(environ={}, **values))


def test_wrong_password_is_a_clear_error_without_the_secret(secured_es: SecuredElasticsearch) -> None:
    wrong = "not-the-password-" + secured_es.password[:4]
    with pytest.raises(StoreError, match="rejected the credentials") as err:
        _store(secured_es, es_password=wrong).count()
    assert wrong not in str(err.value)
    assert secured_es.password not in str(err.value)


def test_wrong_api_key_is_a_clear_error_without_the_secret(secured_es: SecuredElasticsearch) -> None:
    key = "aW52YWxpZDprZXk="  # base64 of "invalid:key"
    with pytest.raises(StoreError, match="rejected the credentials") as err:
        _store(secured_es, es_username=None, es_password=None, es_api_key=key).count()
    assert key not in str(err.value)


def test_unknown_certificate_authority_is_refused(secured_es: SecuredElasticsearch) -> None:
    with pytest.raises(StoreError, match="TLS") as err:
        _store(secured_es, es_ca_certs=None).count()
    assert secured_es.password not in str(err.value)


def test_hostname_verification_is_on_by_default(secured_es: SecuredElasticsearch) -> None:
    # The certificate names only 'localhost': the same server reached by IP address must be refused.
    by_ip = secured_es.url.replace("://localhost:", "://127.0.0.1:")
    with pytest.raises(StoreError, match="TLS"):
        _store(secured_es, es_url=by_ip).count()


def test_verification_can_be_turned_off_explicitly(secured_es: SecuredElasticsearch) -> None:
    by_ip = secured_es.url.replace("://localhost:", "://127.0.0.1:")
    store = _store(secured_es, es_url=by_ip, es_ca_certs=None, es_verify_certs=False)
    assert store.has_module("x-pack-security")
    store.close()
