"""Name why a request failed: the crawl report's vocabulary of outcomes and error kinds."""

from dataclasses import dataclass

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived


class RefusedRequest(IgnoreRequest):
    """A request the crawler will not send; ``kind`` is ``off-domain`` or ``private-address``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class FailureVerdict:
    """How a failed request ends: its ledger outcome, the error kind and a readable reason."""

    outcome: str
    kind: str
    reason: str


def classify_failure(failure: Failure) -> FailureVerdict:
    """Map a Scrapy/Twisted failure to an outcome (error, refused, robots-denied) and a kind."""
    exc = failure.value
    message = str(exc) or type(exc).__name__
    if isinstance(exc, RefusedRequest):
        return FailureVerdict("refused", exc.kind, message)
    if isinstance(exc, HttpError):
        status = exc.response.status
        return FailureVerdict("error", f"http-{status}", f"HTTP {status} after retries")
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in message:
            return FailureVerdict("robots-denied", "robots-denied", "forbidden by robots.txt")
        if "max redirections" in message:
            return FailureVerdict("error", "redirect-loop", "too many redirects (a redirect loop)")
        if "DOWNLOAD_MAXSIZE" in message:
            return FailureVerdict("error", "too-large", message)
        return FailureVerdict("error", "ignored", message)
    if isinstance(exc, DownloadCancelledError) and "max size" in message:
        return FailureVerdict("error", "too-large", message)
    if isinstance(exc, DownloadTimeoutError | TimeoutError):
        return FailureVerdict("error", "timeout", message)
    if isinstance(exc, ResponseDataLossError):
        return FailureVerdict("error", "truncated", "the response ended before its declared length")
    if isinstance(exc, ResponseFailed | ResponseNeverReceived | ConnectionLost | ConnectionDone):
        return FailureVerdict("error", "connection-lost", f"connection closed: {message}")
    if isinstance(exc, CannotResolveHostError):
        return FailureVerdict("error", "dns", message)
    if isinstance(exc, DownloadFailedError):
        return FailureVerdict(
            "error", "connection-lost", "the server closed the connection without a complete response"
        )
    if isinstance(exc, DownloadConnectionRefusedError | ConnectError):
        return FailureVerdict("error", "connection-failed", message)
    return FailureVerdict("error", type(exc).__name__, message)
