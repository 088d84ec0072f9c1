"""The daily digest: spike test, content for the fixture day on both stores, rendering, and delivery to
real local servers (SMTP with STARTTLS and AUTH via aiosmtpd, a stdlib HTTP server for the webhook)."""

import email
import email.policy
import json
import logging
import math
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from hybridwatch.cli import main
from hybridwatch.digest import run_digest
from hybridwatch.digest.charts import CHART_HEIGHT_PX, CHART_WIDTH_PX, sparkline_png
from hybridwatch.digest.compute import compute_digest, default_digest_day
from hybridwatch.digest.deliver import SmtpServer
from hybridwatch.digest.render import render_digest
from hybridwatch.digest.spikes import (
    MIN_BASELINE_RATE_PER_DAY,
    SPIKE_MAX_TAIL_PROBABILITY,
    SPIKE_MIN_COUNT,
    poisson_upper_tail,
    spike_test,
)
from hybridwatch.errors import DeliveryError
from hybridwatch.settings import Settings
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.stores.sqlite import SqliteStore
from tests.digest_fixture import (
    CROSS_BORDER_CLUSTER,
    CROSS_SCRIPT_CLUSTER,
    DIGEST_DAY,
    EARLIER_CLUSTER,
    RISING_ACTOR,
    SILENT_SOURCE,
    SPIKE_COUNT,
    SPIKE_COUNTRY,
    SPIKE_NARRATIVE,
    TZ,
    UNFLAGGED_CLUSTER,
    digest_history,
)
from tests.tls import make_test_certificates

SMTP_USER = "digest-sender"
SMTP_PASSWORD = "s3cret-Pa55-for-the-test"
RECIPIENTS = ("analyst@example.org", "duty@example.org")


# --- the spike test --------------------------------------------------------------------------------


def _exact_tail(count: int, rate: Fraction, terms: int = 200) -> float:
    """P(X >= count) for Poisson(rate) by exact rational sums of the lower part (slow, independent)."""
    lower = sum(rate**k / math.factorial(k) for k in range(count))
    return 1.0 - float(lower) * math.exp(-float(rate))


@pytest.mark.parametrize(("count", "rate"), [(1, 0.5), (3, 0.5), (5, 2.0), (2, 3.0), (12, 4.0)])
def test_poisson_tail_agrees_with_an_exact_sum(count: int, rate: float) -> None:
    assert poisson_upper_tail(count, rate) == pytest.approx(_exact_tail(count, Fraction(rate)), rel=1e-9)


def test_spike_test_needs_both_a_small_tail_and_a_minimum_count() -> None:
    quiet = [0] * 14
    # Two items where there were none: surprising, but below the minimum count.
    assert not spike_test(SPIKE_MIN_COUNT - 1, quiet).is_spike
    # The floor keeps the rate at 0.5/day: 3 items have P = 0.014 > 0.001, 5 items have P < 0.001.
    assert spike_test(3, quiet).rate == MIN_BASELINE_RATE_PER_DAY
    assert not spike_test(3, quiet).is_spike
    assert spike_test(5, quiet).is_spike
    # A busy baseline absorbs the same count.
    assert not spike_test(5, [4] * 14).is_spike
    result = spike_test(9, [1, 0] * 7)
    assert result.baseline_mean == 0.5 and result.tail_probability <= SPIKE_MAX_TAIL_PROBABILITY


def test_default_day_is_yesterday_in_the_local_time_zone() -> None:
    # 23:30 UTC on the 21st is already the 22nd in Belgrade, so "yesterday" is the 21st.
    assert default_digest_day(datetime(2026, 11, 21, 23, 30, tzinfo=UTC), TZ) == date(2026, 11, 21)
    assert default_digest_day(datetime(2026, 11, 21, 22, 30, tzinfo=UTC), TZ) == date(2026, 11, 20)


def test_sparkline_is_a_valid_png_with_the_day_in_red() -> None:
    png = sparkline_png([1, 0, 2, 0, 9], baseline_mean=0.6)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
    idat_length = struct.unpack(">I", png[33:37])[0]
    rows = zlib.decompress(png[41 : 41 + idat_length])
    stride = 1 + 3 * width
    pixels = [rows[r * stride + 1 : (r + 1) * stride] for r in range(height)]
    red = sum(1 for row in pixels for x in range(width) if row[3 * x : 3 * x + 3] == bytes((200, 30, 45)))
    assert red > 0
    # The day's bar (9) is the tallest: red pixels reach the top padding row.
    assert any(row[3 * x : 3 * x + 3] == bytes((200, 30, 45)) for row in pixels[2:3] for x in range(width))


# --- content for the fixture day -------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> list:
    return digest_history()


@pytest.fixture
def sqlite_store(tmp_path: Path, history: list) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "data" / "hybridwatch.sqlite3")
    store.setup()
    store.upsert(history)
    store.refresh()
    yield store
    store.close()


def _expected_cell_counts(history: list, day: date) -> Counter:
    """Narrative x country counts of a local day, computed straight from the fixture items."""
    counts: Counter = Counter()
    for item in history:
        if item.published_at and item.published_at.astimezone(TZ).date() == day:
            for narrative in item.narratives:
                counts[(narrative.id, item.country)] += 1
    return counts


def test_fixture_day_digest_shows_the_planted_spike_and_cross_border_story_first(
    sqlite_store: SqliteStore, history: list, tmp_path: Path
) -> None:
    run = run_digest(sqlite_store, Settings(data_dir=tmp_path / "data"), day=DIGEST_DAY)
    digest = run.digest
    expected = _expected_cell_counts(history, DIGEST_DAY)

    first = digest.spikes[0]
    assert (first.narrative, first.country) == (SPIKE_NARRATIVE, SPIKE_COUNTRY)
    assert first.count == expected[(SPIKE_NARRATIVE, SPIKE_COUNTRY)] >= SPIKE_COUNT
    assert len(first.daily_counts) == 15 and first.daily_counts[-1] == first.count
    for day_index, n in enumerate(first.daily_counts[:-1]):
        baseline_day = DIGEST_DAY - timedelta(days=14 - day_index)
        assert n == _expected_cell_counts(history, baseline_day)[(SPIKE_NARRATIVE, SPIKE_COUNTRY)]
    assert first.tail_probability <= SPIKE_MAX_TAIL_PROBABILITY
    assert [s.tail_probability for s in digest.spikes] == sorted(s.tail_probability for s in digest.spikes)

    cluster = digest.clusters[0]
    assert cluster.cluster_id == CROSS_BORDER_CLUSTER
    assert cluster.countries == ("BA", "ME", "RS") and cluster.scripts == ("Cyrl", "Latn")
    assert cluster.crosses_borders and cluster.crosses_scripts
    listed = [c.cluster_id for c in digest.clusters]
    assert CROSS_SCRIPT_CLUSTER in listed
    assert UNFLAGGED_CLUSTER not in listed and EARLIER_CLUSTER not in listed

    flagged_today = [i for i in history if i.flagged and i.published_at.astimezone(TZ).date() == DIGEST_DAY]
    assert digest.flagged_on_day == len(flagged_today)
    risks = [i.risk for i in digest.top_items]
    assert len(risks) == 10 and risks == sorted(risks, reverse=True)
    assert risks[0] == max(i.risk for i in flagged_today)
    assert all(i.url and i.outlet and i.published_at and i.narratives[0].evidence for i in digest.top_items)
    # Copies of one story are listed once, with how many other copies there are.
    nato = [i for i in digest.top_items if CROSS_BORDER_CLUSTER in (i.url or "")]
    assert len(nato) == 1 and nato[0].other_copies == 2 and nato[0].outlet == "Radio-televizija Srbije (RTS)"

    assert digest.actors[0].actor_id == RISING_ACTOR
    assert [s.source_id for s in digest.silent_sources] == [SILENT_SOURCE]
    assert digest.silent_sources[0].outlet == "Večernje novosti" and digest.silent_sources[0].country == "RS"

    # Rendered: the spike section leads, the planted spike and the cross-border story come first in theirs.
    for body in (run.rendered.text, run.rendered.html):
        spike_at = body.index("Fear of imminent conflict")
        assert spike_at < body.index("Stories that crossed borders") < body.index("Тајни НАТО план")
        assert body.index("Тајни НАТО план") < body.index("Изјава о Косову") < body.index("Top flagged items")
        assert f"P(X ≥ {first.count})" in body
    assert "Spike test: at least 3 items and P(X ≥ count) ≤ 0.001" in run.rendered.text


def test_digest_labels_in_serbian_latin(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    digest = compute_digest(sqlite_store, DIGEST_DAY, TZ, top_items=5)
    rendered = render_digest(digest, "sr-Latn")
    assert rendered.subject.startswith("hybridwatch pregled 20. 11. 2026.")
    for body in (rendered.text, rendered.html):
        assert "Skokovi u odnosu na prosek prethodnih 14 dana" in body
        assert "Strah od skorog sukoba" in body and "Bosna i Hercegovina" in body
        assert "ćirilica, latinica" in body
        assert "Spikes against" not in body
    assert f"{digest.silent_sources[0].baseline_mean:.1f}/dan".replace(".", ",") in rendered.text
    assert "Strah od skorog sukoba · Bosna i Hercegovina" in rendered.text
    assert f"rizik {digest.top_items[0].risk:.2f}".replace(".", ",") in rendered.text
    assert "dokazi: „sprema se napad“" in rendered.text
    assert '<html lang="sr-Latn">' in rendered.html


def test_same_digest_from_elasticsearch_and_sqlite(
    sqlite_store: SqliteStore, history: list, es_url: str, es_prefix: str
) -> None:
    client = Elasticsearch(es_url)
    store = ElasticsearchStore(client, prefix=es_prefix, url=es_url)
    store.setup()
    store.upsert(history)
    store.refresh()
    try:
        from_es = compute_digest(store, DIGEST_DAY, TZ, top_items=10)
    finally:
        store.close()
    from_sqlite = compute_digest(sqlite_store, DIGEST_DAY, TZ, top_items=10)
    assert from_es.spikes[0].narrative == SPIKE_NARRATIVE
    assert from_es.to_dict() == from_sqlite.to_dict()
    assert render_digest(from_es, "en").html == render_digest(from_sqlite, "en").html


def test_html_is_escaped_and_only_web_links_are_anchors(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "x.sqlite3")
    store.setup()
    hostile = digest_history()[0].model_copy(
        update={
            "title": "<script>alert(1)</script> & co",
            "url": "javascript:alert(1)",
            "flagged": True,
            "risk": 0.99,
            "published_at": datetime(2026, 11, 20, 12, 0, tzinfo=TZ),
        }
    )
    store.upsert([hostile])
    html = render_digest(compute_digest(store, DIGEST_DAY, TZ, top_items=3), "en").html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "javascript:" not in html


# --- delivery: real SMTP server with STARTTLS and AUTH ---------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    over_tls: bool
    login: bytes | None


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.ssl is not None, login
            )
        )
        return "250 Message accepted for delivery"


def _check_password(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        mechanism in ("LOGIN", "PLAIN")
        and isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServerUnderTest:
    port: int
    ca: Path
    inbox: Inbox


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServerUnderTest]:
    import ssl

    certs = make_test_certificates(tmp_path_factory.mktemp("smtp-tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.directory / "node.crt", certs.directory / "node.key")
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_check_password,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield SmtpServerUnderTest(port, certs.ca, inbox)
    finally:
        controller.stop()


def _smtp_settings(tmp_path: Path, server: SmtpServerUnderTest, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        # The certificate names "localhost" only: connecting by that name shows hostname checks pass.
        "smtp_host": "localhost",
        "smtp_port": server.port,
        "smtp_username": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
        "smtp_ca_certs": server.ca,
        "smtp_from": "hybridwatch@example.org",
        "digest_recipients": RECIPIENTS,
        "digest_timeout_s": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


def test_email_reaches_the_smtp_server_over_starttls_once_per_day(
    smtp_server: SmtpServerUnderTest,
    sqlite_store: SqliteStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox = smtp_server.inbox
    before = len(inbox.messages)
    settings = _smtp_settings(tmp_path, smtp_server)

    run = run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert run.outcomes == {"file": "written", "email": "sent", "webhook": "not-configured"}
    assert len(inbox.messages) == before + 1
    received = inbox.messages[-1]
    assert received.over_tls and received.login == SMTP_USER.encode()
    assert received.mail_from == "hybridwatch@example.org" and received.rcpt_tos == list(RECIPIENTS)

    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"].strip() == run.rendered.subject
    assert message["Subject"].strip().startswith("hybridwatch 2026-11-20: ")
    assert [a.strip() for a in message["To"].split(",")] == list(RECIPIENTS)
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert "Fear of imminent conflict · Bosnia and Herzegovina" in text_part.get_content()
    html = html_part.get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == len(run.digest.spikes) >= 1
    for image in images:
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    first_cid = images[0]["Content-ID"].strip("<>")
    assert first_cid.startswith(f"spike-{SPIKE_NARRATIVE}-{SPIKE_COUNTRY.lower()}@")

    # The same day again: not sent twice; forced: sent again.
    again = run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert again.outcomes["email"] == "skipped-already-sent" and len(inbox.messages) == before + 1
    forced = run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True, force=True)
    assert forced.outcomes["email"] == "sent" and len(inbox.messages) == before + 2
    # Another day is another digest.
    other = run_digest(sqlite_store, settings, day=DIGEST_DAY - timedelta(days=1), send=True)
    assert other.outcomes["email"] == "sent" and len(inbox.messages) == before + 3

    # The password appears nowhere: logs, files, records, the message itself.
    assert SMTP_PASSWORD not in caplog.text
    for path in (tmp_path / "data" / "digest").rglob("*"):
        if path.is_file():
            assert SMTP_PASSWORD.encode() not in path.read_bytes(), path
    assert SMTP_PASSWORD.encode() not in received.content


def test_smtp_certificate_is_verified_by_default(
    smtp_server: SmtpServerUnderTest, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    before = len(smtp_server.inbox.messages)
    settings = _smtp_settings(tmp_path, smtp_server, smtp_ca_certs=None)
    with pytest.raises(DeliveryError, match=r"not trusted.*smtp_ca_certs"):
        run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    # Reached by IP address the certificate (named localhost) does not match either.
    by_ip = _smtp_settings(tmp_path, smtp_server, smtp_host="127.0.0.1")
    with pytest.raises(DeliveryError, match="not trusted"):
        run_digest(sqlite_store, by_ip, day=DIGEST_DAY, send=True)
    assert len(smtp_server.inbox.messages) == before
    assert not (tmp_path / "data" / "digest" / "sent").exists() or not any(
        (tmp_path / "data" / "digest" / "sent").iterdir()
    )


def test_wrong_smtp_password_is_refused_without_showing_it(
    smtp_server: SmtpServerUnderTest, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    wrong = "not-the-password-42"
    settings = _smtp_settings(tmp_path, smtp_server, smtp_password=wrong)
    with pytest.raises(DeliveryError, match="refused the login") as caught:
        run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert wrong not in str(caught.value)
    # Nothing was recorded, so a corrected run sends.
    fixed = run_digest(sqlite_store, _smtp_settings(tmp_path, smtp_server), day=DIGEST_DAY, send=True)
    assert fixed.outcomes["email"] == "sent"


def test_password_without_starttls_is_refused_before_connecting(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        smtp_host="localhost",
        smtp_port=_free_port(),
        smtp_username=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_starttls=False,
        digest_recipients=RECIPIENTS,
    )
    from hybridwatch.errors import ConfigError

    with pytest.raises(ConfigError, match="in clear") as caught:
        run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert SMTP_PASSWORD not in str(caught.value)
    server = SmtpServer(
        "localhost", 587, "a@example.org", RECIPIENTS, username=SMTP_USER, password=SMTP_PASSWORD
    )
    assert SMTP_PASSWORD not in repr(server)


# --- delivery: webhook and files -------------------------------------------------------------------


@dataclass
class WebhookRequest:
    method: str
    path: str
    content_type: str
    body: bytes


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[WebhookRequest], list[int]]]:
    requests: list[WebhookRequest] = []
    statuses: list[int] = []  # answers to give, in order; 204 when empty

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(WebhookRequest("POST", self.path, self.headers["Content-Type"], body))
            self.send_response(statuses.pop(0) if statuses else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"http://127.0.0.1:{server.server_address[1]}/hooks/digest?token=hook-secret-77",
            requests,
            statuses,
        )
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_receives_the_digest_as_json_once(
    webhook: tuple[str, list[WebhookRequest], list[int]],
    sqlite_store: SqliteStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url, requests, _ = webhook
    settings = Settings(data_dir=tmp_path / "data", digest_webhook_url=url, digest_language="sr-Latn")
    run = run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert run.outcomes == {"file": "written", "email": "not-configured", "webhook": "sent"}
    assert len(requests) == 1
    request = requests[0]
    assert request.method == "POST" and request.path == "/hooks/digest?token=hook-secret-77"
    assert request.content_type == "application/json; charset=utf-8"
    payload = json.loads(request.body)
    assert payload["type"] == "hybridwatch.digest" and payload["day"] == "2026-11-20"
    assert payload["language"] == "sr-Latn" and payload["subject"] == run.rendered.subject
    spike = payload["digest"]["spikes"][0]
    assert (spike["narrative"], spike["country"]) == (SPIKE_NARRATIVE, SPIKE_COUNTRY)
    assert payload["digest"]["clusters"][0]["cluster_id"] == CROSS_BORDER_CLUSTER
    assert "Skokovi" in payload["text"]

    assert run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True).outcomes["webhook"] == (
        "skipped-already-sent"
    )
    assert len(requests) == 1
    assert "hook-secret-77" not in caplog.text
    record = (tmp_path / "data" / "digest" / "sent" / "2026-11-20.webhook.json").read_text()
    assert "hook-secret-77" not in record


def test_webhook_refusal_is_a_delivery_error_and_nothing_is_recorded(
    webhook: tuple[str, list[WebhookRequest], list[int]], sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    url, requests, statuses = webhook
    statuses.append(403)
    settings = Settings(data_dir=tmp_path / "data", digest_webhook_url=url)
    with pytest.raises(DeliveryError, match="HTTP 403") as caught:
        run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True)
    assert "hook-secret-77" not in str(caught.value)
    assert run_digest(sqlite_store, settings, day=DIGEST_DAY, send=True).outcomes["webhook"] == "sent"
    assert len(requests) == 2


def test_files_hold_the_standalone_html_the_text_and_the_email(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    run = run_digest(sqlite_store, Settings(data_dir=tmp_path / "data"), day=DIGEST_DAY)
    assert run.files.html == tmp_path / "data" / "digest" / "digest-2026-11-20.html"
    html = run.files.html.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == len(run.digest.spikes) and "cid:" not in html
    assert run.files.text.read_text(encoding="utf-8") == run.rendered.text
    message = email.message_from_bytes(run.files.email.read_bytes(), policy=email.policy.default)
    # A folded header keeps the folding space in front when parsed back.
    assert message["Subject"].strip() == run.rendered.subject
    assert message.get_body(preferencelist=("html",)).get_content() == run.rendered.html


def test_cli_writes_the_digest_and_refuses_force_without_send(
    clean_env: Path, history: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = clean_env / "data"
    monkeypatch.setenv("HYBRIDWATCH_DATA_DIR", str(data_dir))
    store = SqliteStore(data_dir / "hybridwatch.sqlite3")
    store.setup()
    store.upsert(history)
    store.close()
    runner = CliRunner()
    result = runner.invoke(main, ["digest", "--date", "2026-11-20", "--lang", "sr-Latn"])
    assert result.exit_code == 0, result.output
    assert "hybridwatch pregled 20. 11. 2026." in result.output and "file: written" in result.output
    assert (
        (data_dir / "digest" / "digest-2026-11-20.txt")
        .read_text(encoding="utf-8")
        .startswith("Dnevni pregled upozorenja")
    )
    forced = runner.invoke(main, ["digest", "--date", "2026-11-20", "--force"])
    assert forced.exit_code == 2 and "--force only makes sense with --send" in forced.output
    nowhere = runner.invoke(main, ["digest", "--date", "2026-11-20", "--send"])
    assert nowhere.exit_code == 2 and "nothing to send to" in nowhere.output
