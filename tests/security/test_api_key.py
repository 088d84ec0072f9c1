"""API keys against the secured test node, as far as that node allows.

The node cannot create API keys: they live in the ``.security`` index, whose mappings use an analyzer of the
analysis-common module that the integ-test server lacks. What can be shown for real is that a configured
``es_api_key`` reaches the cluster as an API key (the cluster looks up the key id it carries) and that a
refused key is a clear error that never shows the key. The first test fails the day the test server can
create keys, as the sign to run the store contract with a real key.
"""

import base64
import secrets

import pytest
from elasticsearch import ApiError, AuthenticationException

from hybridwatch.errors import StoreError
from hybridwatch.settings import load_settings
from hybridwatch.stores.elastic import ElasticsearchStore, client_from_settings
from tests.conftest import SecuredElasticsearch


def _api_key(key_id: str, secret: str) -> str:
    """The encoded form Elasticsearch hands out (``encoded`` of the create-API-key response)."""
    return base64.b64encode(f"{key_id}:{secret}".encode()).decode()


def test_the_test_server_cannot_create_api_keys(secured_es: SecuredElasticsearch) -> None:
    settings = load_settings(
        environ={},
        es_url=secured_es.url,
        es_ca_certs=secured_es.ca_certs,
        es_username=secured_es.username,
        es_password=secured_es.password,
        es_max_retries=0,
    )
    client = client_from_settings(settings)
    with pytest.raises(ApiError) as refused:
        client.security.create_api_key(name="hybridwatch-test")
    client.close()
    # The .security index's "email" analyzer needs the pattern_capture filter of analysis-common.
    assert refused.value.meta.status == 400
    assert "pattern_capture" in str(refused.value.body)


def test_a_configured_api_key_reaches_the_cluster_as_an_api_key(secured_es: SecuredElasticsearch) -> None:
    key_id = f"hwtest-{secrets.token_hex(6)}"
    key_secret = secrets.token_urlsafe(16)
    settings = load_settings(
        environ={"HYBRIDWATCH_ES_API_KEY": _api_key(key_id, key_secret)},
        es_url=secured_es.url,
        es_ca_certs=secured_es.ca_certs,
        es_max_retries=0,
    )
    client = client_from_settings(settings)
    with pytest.raises(AuthenticationException) as refused:
        client.info()
    client.close()
    # The cluster decoded the Authorization header as an API key and looked up the id inside it.
    tried = refused.value.body["error"]["additional_unsuccessful_credentials"]
    assert tried.startswith("API key:") and key_id in tried
    assert key_secret not in str(refused.value.body)


def test_a_refused_api_key_is_a_clear_error_that_never_shows_the_key(
    secured_es: SecuredElasticsearch,
) -> None:
    key_id, key_secret = f"hwtest-{secrets.token_hex(6)}", secrets.token_urlsafe(16)
    encoded = _api_key(key_id, key_secret)
    settings = load_settings(
        environ={},
        es_url=secured_es.url,
        es_ca_certs=secured_es.ca_certs,
        es_api_key=encoded,
        es_max_retries=0,
    )
    store = ElasticsearchStore.from_settings(settings)
    with pytest.raises(StoreError, match="rejected the credentials") as refused:
        store.count()
    store.close()
    message = str(refused.value)
    assert encoded not in message and key_secret not in message
    assert "es_api_key" in message  # says which setting to check
