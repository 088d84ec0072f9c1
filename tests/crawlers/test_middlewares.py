"""Where requests may go (allowed domains, private addresses, local proxy) and Retry-After."""

from datetime import UTC, datetime

import pytest
from scrapy import Request

from crawlers.failures import RefusedRequest
from crawlers.middlewares import LocalProxyMiddleware, SourceGuardMiddleware, retry_after_seconds
from hybridwatch.config import Source

NEWS = Source(
    id="primer", name="Primer", country="RS", languages=("sr",), scripts=("Latn",), type="news",
    homepage="https://www.primer.rs/", tags=("portal",),
)  # fmt: skip
LOCAL = NEWS.model_copy(update={"id": "lokal", "homepage": "http://127.0.0.1:8080/", "local": True})


def _request(url: str, source: Source) -> Request:
    return Request(url, meta={"source": source})


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://evil.example.net/x", "off-domain"),
        ("http://169.254.169.254/latest/meta-data/", "private-address"),
        ("http://10.0.0.5/admin", "private-address"),
        ("http://127.0.0.1:8080/", "private-address"),
        ("http://[::1]/", "private-address"),
        ("http://localhost/", "private-address"),
    ],
)
def test_requests_off_the_source_or_to_private_addresses_are_refused(url: str, kind: str) -> None:
    guard = SourceGuardMiddleware(resolve_hosts=False)
    with pytest.raises(RefusedRequest) as caught:
        guard.process_request(_request(url, NEWS))
    assert caught.value.kind == kind


def test_own_domain_and_subdomains_pass() -> None:
    guard = SourceGuardMiddleware(resolve_hosts=False)
    assert guard.process_request(_request("https://www.primer.rs/vesti/a-b-c", NEWS)) is None
    assert guard.process_request(_request("https://sport.primer.rs/a", NEWS)) is None


def test_a_local_source_may_reach_loopback_but_not_other_private_networks() -> None:
    guard = SourceGuardMiddleware(resolve_hosts=False)
    assert guard.process_request(_request("http://127.0.0.1:8080/a", LOCAL)) is None
    with pytest.raises(RefusedRequest):
        guard.process_request(_request("http://169.254.169.254/", LOCAL))


def test_framework_requests_without_a_source_pass() -> None:
    assert (
        SourceGuardMiddleware(resolve_hosts=False).process_request(Request("http://x.test/robots.txt"))
        is None
    )


def test_local_hosts_go_through_the_proxy() -> None:
    proxy = LocalProxyMiddleware("http://127.0.0.1:9999", ("fixture.test", "t.me"))
    local, remote = Request("http://rtb.fixture.test/"), Request("https://www.rts.rs/")
    proxy.process_request(local)
    proxy.process_request(remote)
    assert local.meta["proxy"] == "http://127.0.0.1:9999"
    assert "proxy" not in remote.meta


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Fri, 27 Nov 2026 10:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
