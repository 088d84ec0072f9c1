"""Downloader middlewares: where a request may go, how it gets there, and polite retries.

- ``SourceGuardMiddleware`` refuses requests (redirects included) that leave the source's allowed
  domains, or that point at private, loopback or link-local addresses unless the source is local.
- ``LocalProxyMiddleware`` sends requests for local sources (the offline fixture web) to the local
  proxy, so their realistic host names resolve on 127.0.0.1.
- ``RetryAfterMiddleware`` is Scrapy's retry with back-off on 429/5xx that honours ``Retry-After``.
"""

import asyncio
import ipaddress
import logging
import random
import socket
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawlers.canonical import host_of, is_on_domains
from crawlers.failures import RefusedRequest

logger = logging.getLogger(__name__)


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, RFC 1918/4193 private, link-local (cloud metadata lives there), or unspecified."""
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


@lru_cache(maxsize=4096)
def resolves_to_private(host: str) -> bool:
    """True when a host name resolves to a private address (cached per crawl process)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the download itself will fail and be reported
    return any((ip := _ip_of(str(info[4][0]))) is not None and is_private_address(ip) for info in infos)


class SourceGuardMiddleware:
    """Keep every request of a source on its domains and off private networks."""

    def __init__(self, resolve_hosts: bool) -> None:
        self.resolve_hosts = resolve_hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("SOURCEGUARD_ENABLED"):
            raise NotConfigured("SOURCEGUARD_ENABLED is off")
        middleware = cls(crawler.settings.getbool("SOURCEGUARD_RESOLVE_HOSTS"))
        middleware.crawler = crawler  # type: ignore[attr-defined]
        return middleware

    def process_request(self, request: Request) -> None:
        source = request.meta.get("source")
        if source is None:
            return None  # robots.txt and other framework requests carry no source
        host = host_of(request.url)
        address = _ip_of(host)
        local_ok = source.local and address is not None and address.is_loopback
        if address is not None and is_private_address(address) and not local_ok:
            raise RefusedRequest("private-address", f"refused request to private address {host}")
        if host == "localhost" and not source.local:
            raise RefusedRequest("private-address", "refused request to localhost")
        if not is_on_domains(request.url, source.domains):
            raise RefusedRequest(
                "off-domain", f"{host} is outside the source's domains ({', '.join(source.domains)})"
            )
        if self.resolve_hosts and not source.local and address is None and resolves_to_private(host):
            raise RefusedRequest("private-address", f"{host} resolves to a private address")
        return None


class LocalProxyMiddleware:
    """Route requests for local sources' hosts through the local proxy (the fixture web)."""

    def __init__(self, proxy_url: str | None, local_domains: tuple[str, ...]) -> None:
        self.proxy_url = proxy_url
        self.local_domains = local_domains

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("LOCALPROXY_URL")
        domains = tuple(crawler.settings.getlist("LOCALPROXY_DOMAINS"))
        if not proxy or not domains:
            raise NotConfigured("no local proxy configured")
        return cls(proxy, domains)

    def process_request(self, request: Request) -> None:
        if self.proxy_url and is_on_domains(request.url, self.local_domains):
            request.meta["proxy"] = self.proxy_url
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Retry 429/5xx with exponential back-off, waiting what ``Retry-After`` asks (up to a cap)."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base_s = settings.getfloat("RETRY_BACKOFF_BASE_S")
        self.backoff_max_s = settings.getfloat("RETRY_BACKOFF_MAX_S")
        self.retry_after_max_s = settings.getfloat("RETRY_AFTER_MAX_S")

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0) + 1
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.retry_after_max_s:
            return response  # the server wants longer than we wait: report it, try next run
        wait = (
            asked if asked is not None else min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        )
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        source = request.meta.get("source")
        spider = self.crawler.spider
        if source is not None and hasattr(spider, "ledger"):
            spider.ledger.event(
                source.id,
                request.url,
                f"retried-http-{response.status}",
                f"HTTP {response.status}; retry {attempt} after {wait:.1f}s"
                + (" (Retry-After)" if asked is not None else " (back-off)"),
            )
        # Jitter keeps many sources from retrying in lock-step; up to 10 % of the wait.
        await asyncio.sleep(wait * (1 + random.random() / 10))
        return retry
