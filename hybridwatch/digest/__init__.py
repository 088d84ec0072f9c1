"""The daily alert digest: what spiked, what crossed borders, the top flagged items, rising actors and
silent sources for one local day, rendered as HTML and plain text and delivered by file, e-mail and webhook.

Modules, in the order a digest is made: ``compute`` (what goes in, read through the store contract),
``spikes`` (the stated spike test), ``charts`` (sparkline PNGs), ``labels`` and ``render`` (HTML and text
in English or Serbian Latin), ``deliver`` (files, SMTP, webhook, once per day and channel).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from hybridwatch.digest.compute import Digest, compute_digest, default_digest_day
from hybridwatch.digest.deliver import (
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    OUTCOME_ALREADY_SENT,
    OUTCOME_NOT_CONFIGURED,
    OUTCOME_SENT,
    WEBHOOK_PAYLOAD_VERSION,
    DeliveryLog,
    DigestFiles,
    SmtpServer,
    build_email,
    post_webhook,
    redacted_endpoint,
    send_email,
    write_files,
)
from hybridwatch.digest.render import RenderedDigest, data_uri_src, render_digest
from hybridwatch.errors import ConfigError
from hybridwatch.schema import utc_now
from hybridwatch.settings import Settings
from hybridwatch.stores.base import Store

__all__ = ["Digest", "DigestRun", "digest_dir", "run_digest"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DigestRun:
    """One run of the digest: what it said, where the files are, and what each channel did."""

    digest: Digest
    rendered: RenderedDigest
    files: DigestFiles
    #: Outcome per channel ("file": "written"; "email"/"webhook": sent, skipped-already-sent, not-configured).
    outcomes: dict[str, str]


def digest_dir(settings: Settings) -> Path:
    """Return the directory of digest files and delivery records."""
    return settings.digest_dir or settings.data_dir / "digest"


def run_digest(
    store: Store,
    settings: Settings,
    *,
    day: date | None = None,
    language: str | None = None,
    send: bool = False,
    force: bool = False,
    now: datetime | None = None,
) -> DigestRun:
    """Compute, render and write the digest of ``day`` (default: yesterday in settings.tz); with ``send``,
    deliver it by e-mail and webhook unless it was already delivered that day (``force`` sends again).
    """
    now = now or utc_now()
    day = day or default_digest_day(now, settings.tz)
    language = language or settings.digest_language
    server = SmtpServer.from_settings(settings) if send and settings.smtp_host else None
    if send and server is None and not settings.digest_webhook_url:
        raise ConfigError("nothing to send to: set smtp_host and digest_recipients, or digest_webhook_url")

    digest = compute_digest(store, day, settings.tz, top_items=settings.digest_top_items)
    rendered = render_digest(digest, language)
    standalone_html = render_digest(digest, language, chart_src=data_uri_src).html
    message = build_email(rendered, settings.smtp_from, settings.digest_recipients, now)
    out = digest_dir(settings)
    files = write_files(rendered, standalone_html, message, out / f"digest-{day.isoformat()}")
    outcomes = {"file": "written"}
    if not send:
        return DigestRun(digest, rendered, files, outcomes)

    log = DeliveryLog(out / "sent")
    sent_at = now.isoformat()
    if server is None:
        outcomes[CHANNEL_EMAIL] = OUTCOME_NOT_CONFIGURED
    else:
        outcomes[CHANNEL_EMAIL] = _once(
            log,
            day,
            CHANNEL_EMAIL,
            force,
            lambda: send_email(message, server),
            {
                "sent_at": sent_at,
                "subject": rendered.subject,
                "recipients": list(server.recipients),
                "message_id": message["Message-ID"],
                "language": language,
            },
        )
    url = settings.digest_webhook_url
    if not url:
        outcomes[CHANNEL_WEBHOOK] = OUTCOME_NOT_CONFIGURED
    else:
        payload = webhook_payload(digest, rendered, language)
        outcomes[CHANNEL_WEBHOOK] = _once(
            log,
            day,
            CHANNEL_WEBHOOK,
            force,
            lambda: post_webhook(url, payload, settings.digest_timeout_s),
            {"sent_at": sent_at, "endpoint": redacted_endpoint(url), "language": language},
        )
    return DigestRun(digest, rendered, files, outcomes)


def webhook_payload(digest: Digest, rendered: RenderedDigest, language: str) -> dict[str, object]:
    """Return the JSON document posted to the webhook: the digest's content plus its subject and text."""
    return {
        "type": "hybridwatch.digest",
        "version": WEBHOOK_PAYLOAD_VERSION,
        "day": digest.day.isoformat(),
        "language": language,
        "subject": rendered.subject,
        "text": rendered.text,
        "digest": digest.to_dict(),
    }


def _once(
    log: DeliveryLog,
    day: date,
    channel: str,
    force: bool,
    deliver: Callable[[], object],
    record: dict[str, object],
) -> str:
    earlier = log.sent(day, channel)
    if earlier is not None and not force:
        logger.info(
            "digest %s already sent by %s at %s; not sending again", day, channel, earlier.get("sent_at")
        )
        return OUTCOME_ALREADY_SENT
    deliver()
    log.record(day, channel, record)
    return OUTCOME_SENT
