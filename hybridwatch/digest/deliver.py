"""Deliver a rendered digest: files on disk, e-mail over SMTP (STARTTLS + auth), an optional JSON webhook.

Sending is idempotent per day and channel: a successful send leaves a small record in
``<digest_dir>/sent/``; a later run for the same day skips that channel unless forced. The files are
always rewritten (atomically), since they are the local copy and sending nothing.

Secrets stay out of logs, errors and the digest: the SMTP password goes only to the server, and the
webhook URL (which often embeds a token) is shown as scheme, host and port.
"""

import json
import logging
import os
import smtplib
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from hybridwatch import __version__
from hybridwatch.digest.render import RenderedDigest
from hybridwatch.errors import ConfigError, DeliveryError, RetryableError
from hybridwatch.schema import sha256_hex
from hybridwatch.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL_EMAIL: Final = "email"
CHANNEL_WEBHOOK: Final = "webhook"
#: Outcomes a channel can have in one run.
OUTCOME_SENT: Final = "sent"
OUTCOME_ALREADY_SENT: Final = "skipped-already-sent"
OUTCOME_NOT_CONFIGURED: Final = "not-configured"
WEBHOOK_CONTENT_TYPE: Final = "application/json; charset=utf-8"
#: Version of the webhook payload's shape; bumped when a field changes meaning.
WEBHOOK_PAYLOAD_VERSION: Final = 1


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send mail. ``password`` is used for the login only and never shown."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ca_certs: Path | None = None
    timeout_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpServer":
        """The configured mail server and recipients (``smtp_*``, ``digest_recipients``)."""
        if not settings.smtp_host:
            raise ConfigError("smtp_host is not set: name the mail server to send through")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            recipients=settings.digest_recipients,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            ca_certs=settings.smtp_ca_certs,
            timeout_s=settings.digest_timeout_s,
        )

    def __post_init__(self) -> None:
        if not self.recipients:
            raise ConfigError("digest_recipients is empty: name at least one address to send the digest to")
        if self.username and not self.starttls:
            raise ConfigError(
                "smtp_username is set but smtp_starttls is off: the password would cross the network in "
                "clear; turn smtp_starttls on"
            )
        if bool(self.username) != bool(self.password):
            raise ConfigError("smtp_username and smtp_password go together")


@dataclass(frozen=True)
class DigestFiles:
    """The files written for one digest."""

    html: Path
    text: Path
    email: Path


def build_email(
    rendered: RenderedDigest, sender: str, recipients: Sequence[str], now: datetime
) -> EmailMessage:
    """Return the digest as a MIME message: text/plain and text/html alternatives, charts as related parts.

    The structure is ``multipart/alternative`` [``text/plain``, ``multipart/related`` [``text/html``,
    ``image/png``...]], which every common mail client shows as the HTML with inline charts.
    """
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    if recipients:  # the file copy of a digest that is not mailed has no recipients
        message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    # Stable per content, so a client that sees the same digest twice can recognise it.
    message["Message-ID"] = f"<digest-{sha256_hex(rendered.html)[:24]}@hybridwatch>"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in rendered.charts.items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png"
        )
    return message


def write_files(
    rendered: RenderedDigest, standalone_html: str, message: EmailMessage, out: Path
) -> DigestFiles:
    """Write the digest as ``.html`` (charts inline), ``.txt`` and ``.eml`` (the exact e-mail), atomically."""
    files = DigestFiles(
        html=out.with_suffix(".html"), text=out.with_suffix(".txt"), email=out.with_suffix(".eml")
    )
    _write_atomic(files.html, standalone_html.encode("utf-8"))
    _write_atomic(files.text, rendered.text.encode("utf-8"))
    _write_atomic(files.email, message.as_bytes())
    return files


def send_email(message: EmailMessage, server: SmtpServer) -> None:
    """Send ``message`` to the server's recipients over SMTP, upgrading with STARTTLS and logging in.

    Raises DeliveryError when the server refuses (login, certificate, recipients) and RetryableError
    when it cannot be reached or answers with a temporary failure.
    """
    where = f"SMTP server {server.host}:{server.port}"
    context = ssl.create_default_context(cafile=str(server.ca_certs) if server.ca_certs else None)
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as client:
            client.ehlo()
            if server.starttls:
                client.starttls(context=context)
                client.ehlo()
            if server.username and server.password:
                client.login(server.username, server.password)
            refused = client.send_message(message, from_addr=server.sender, to_addrs=list(server.recipients))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{where} refused the login of {server.username!r} ({exc.smtp_code}); check smtp_username and "
            "smtp_password"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(
            f"{where}: its TLS certificate is not trusted ({exc.verify_message}); set smtp_ca_certs to the "
            "CA that signed it"
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{where} does not offer what is needed: {exc}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        reply = f"{where} answered {exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"
        if 400 <= exc.smtp_code < 500:
            raise RetryableError(reply) from None
        raise DeliveryError(reply) from None
    except OSError as exc:  # connection refused, timeout, reset; smtplib's own errors are OSErrors too
        raise RetryableError(f"{where} unreachable: {exc}") from None
    if refused:
        logger.warning("%s refused some recipients: %s", where, ", ".join(sorted(refused)))
    logger.info("digest e-mail sent via %s to %d recipients", where, len(server.recipients) - len(refused))


def post_webhook(url: str, payload: dict[str, Any], timeout_s: float) -> int:
    """POST ``payload`` as JSON to ``url``; return the HTTP status.

    Raises DeliveryError on a 4xx answer (the request is wrong and will stay wrong) and RetryableError
    on 5xx answers and network failures.
    """
    shown = redacted_endpoint(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"digest_webhook_url {shown!r} is not an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        method="POST",
        headers={"Content-Type": WEBHOOK_CONTENT_TYPE, "User-Agent": f"hybridwatch/{__version__}"},
    )
    try:
        # https URLs are verified against the system trust store (urllib's default context).
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500:
            raise DeliveryError(f"webhook {shown} refused the digest: HTTP {exc.code} {exc.reason}") from None
        raise RetryableError(f"webhook {shown} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RetryableError(f"webhook {shown} unreachable: {getattr(exc, 'reason', exc)}") from None
    logger.info("digest posted to webhook %s: HTTP %d", shown, status)
    return status


def redacted_endpoint(url: str) -> str:
    """Return scheme, host and port of a URL only: paths and queries of webhooks often hold tokens."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…" if parts.hostname else "(not a URL)"


class DeliveryLog:
    """Records of what was sent, one small JSON file per day and channel."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, day: date, channel: str) -> Path:
        return self.directory / f"{day.isoformat()}.{channel}.json"

    def sent(self, day: date, channel: str) -> dict[str, Any] | None:
        """Return the record of an earlier send of this day's digest on this channel, or None."""
        path = self.path(day, channel)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def record(self, day: date, channel: str, details: dict[str, Any]) -> None:
        _write_atomic(
            self.path(day, channel), json.dumps(details, indent=2, ensure_ascii=False).encode("utf-8")
        )


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
