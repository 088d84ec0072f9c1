"""Secrets never leak: distinctive values go in through ``HYBRIDWATCH_*`` variables, the real commands run,
and every file written and every line printed is searched for them.

The commands: a demo cycle on the fixture web (crawl, analyse, index into the secured Elasticsearch over
HTTPS with a password, digest, export) with debug logging; the digest sent by e-mail (a real SMTP server
with STARTTLS and AUTH) and to a webhook whose URL holds a token; a CSV export with the pseudonymisation
key from the settings; ``config show``; and Elasticsearch calls with a wrong password and with an API key
the cluster refuses.
"""

import base64
import gzip
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from elasticsearch import Elasticsearch

from hybridwatch.crawl import crawler_environment
from hybridwatch.settings import SECRET_ENV_VARS
from tests.conftest import ROOT, SecuredElasticsearch, drop_prefix
from tests.tls import make_test_certificates

SMTP_USER = "digest-sender"
#: One command's wall-clock limit; the demo crawls and analyses the whole fixture web (~1-2 min on 2 cores).
COMMAND_TIMEOUT_S = 600


def _secret(kind: str) -> str:
    """A value that cannot occur by chance in any output."""
    return f"{kind}-{secrets.token_urlsafe(18)}"


@dataclass
class Mailbox:
    """What the SMTP server received: (login, message bytes, whether the session was under TLS)."""

    messages: list[tuple[bytes | None, bytes, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append((login, envelope.content, session.ssl is not None))
        return "250 accepted"


@dataclass(frozen=True)
class SmtpServer:
    port: int
    ca: Path
    mailbox: Mailbox


@pytest.fixture
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SmtpServer, str]]:
    """A real SMTP server on 127.0.0.1 that requires STARTTLS and a login; yields it and its password."""
    import ssl

    password = _secret("smtp-pw")
    certs = make_test_certificates(tmp_path_factory.mktemp("smtp-tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.directory / "node.crt", certs.directory / "node.key")

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            SMTP_USER.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    mailbox = Mailbox()
    with socket.socket() as sock:  # a free port: the controller checks its server by connecting to it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=check,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield SmtpServer(port, certs.ca, mailbox), password
    finally:
        controller.stop()


@dataclass
class Webhook:
    base_url: str
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A real HTTP server that records the paths POSTed to it."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Webhook(f"http://127.0.0.1:{server.server_address[1]}", paths)
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    returncode: int
    output: str


def _hybridwatch(env: dict[str, str], cwd: Path, *args: str) -> Command:
    """Run ``hybridwatch -vv ARGS`` in a fresh interpreter, debug logging on; return its combined output."""
    proc = subprocess.run(
        [sys.executable, "-m", "hybridwatch.cli", "-vv", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=COMMAND_TIMEOUT_S,
    )  # fmt: skip
    return Command(args, proc.returncode, proc.stdout + proc.stderr)


def _forms(secret: str, *, user: str | None = None) -> dict[str, bytes]:
    """The spellings under which a secret could leak: as is, URL-quoted, and the base64 of HTTP basic
    auth and of SMTP AUTH PLAIN/LOGIN."""
    forms = {"plain": secret, "url-quoted": quote(secret, safe="")}
    forms["base64"] = base64.b64encode(secret.encode()).decode()
    if user is not None:
        forms["basic-auth"] = base64.b64encode(f"{user}:{secret}".encode()).decode()
        forms["auth-plain"] = base64.b64encode(f"\0{user}\0{secret}".encode()).decode()
    return {name: value.encode() for name, value in forms.items()}


def _file_contents(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file under root, gzip files decompressed too (batches are .jsonl.gz)."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data
        if data[:2] == b"\x1f\x8b":
            yield path, gzip.decompress(data)


def test_no_secret_appears_in_any_output_or_file(
    secured_es: SecuredElasticsearch,
    smtp_server: tuple[SmtpServer, str],
    webhook: Webhook,
    tmp_path: Path,
) -> None:
    smtp, smtp_password = smtp_server
    hook_token = _secret("hook-token")
    pseudonym_key = _secret("pseudonym-key")
    api_key = base64.b64encode(f"leakcheck-id:{_secret('api-key')}".encode()).decode()
    wrong_password = _secret("wrong-es-pw")
    prefix = f"hwleak-{uuid.uuid4().hex[:10]}"
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYBRIDWATCH_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(
        {
            "HYBRIDWATCH_DATA_DIR": str(tmp_path / "data"),
            "HYBRIDWATCH_ES_URL": secured_es.url,
            "HYBRIDWATCH_ES_CA_CERTS": str(secured_es.ca_certs),
            "HYBRIDWATCH_ES_USERNAME": secured_es.username,
            "HYBRIDWATCH_ES_PASSWORD": secured_es.password,
            "HYBRIDWATCH_ES_INDEX_PREFIX": prefix,
            "HYBRIDWATCH_ES_MAX_RETRIES": "0",
            "HYBRIDWATCH_SMTP_HOST": "localhost",
            "HYBRIDWATCH_SMTP_PORT": str(smtp.port),
            "HYBRIDWATCH_SMTP_USERNAME": SMTP_USER,
            "HYBRIDWATCH_SMTP_PASSWORD": smtp_password,
            "HYBRIDWATCH_SMTP_CA_CERTS": str(smtp.ca),
            "HYBRIDWATCH_DIGEST_RECIPIENTS": "duty@example.org",
            "HYBRIDWATCH_DIGEST_WEBHOOK_URL": f"{webhook.base_url}/hooks/digest?token={hook_token}",
            "HYBRIDWATCH_EXPORT_PSEUDONYM_KEY": pseudonym_key,
            # Lexicon rules only: the text encoder sees no settings and would add a minute of analysis.
            "HYBRIDWATCH_ENCODER": "",
        }
    )
    commands: list[Command] = []
    try:
        demo = _hybridwatch(env, work, "demo")
        commands.append(demo)
        assert demo.returncode == 0, demo.output[-3000:]
        assert "the elasticsearch store" in demo.output
        day = re.search(r"digest of (\d{4}-\d{2}-\d{2})", demo.output)
        assert day, demo.output[-3000:]
        commands.append(sent := _hybridwatch(env, work, "digest", "--send", "--date", day.group(1)))
        assert sent.returncode == 0 and "email: sent" in sent.output and "webhook: sent" in sent.output, (
            sent.output[-3000:]
        )
        commands.append(export := _hybridwatch(env, work, "export", "--out", "export-csv", "--format", "csv"))
        assert export.returncode == 0, export.output[-3000:]
        commands.append(_hybridwatch(env, work, "config", "show"))
        commands.append(_hybridwatch(env, work, "config", "show", "--json"))
        commands.append(
            refused := _hybridwatch({**env, "HYBRIDWATCH_ES_PASSWORD": wrong_password}, work, "search", "x")
        )
        assert refused.returncode != 0 and "rejected the credentials" in refused.output, refused.output[
            -2000:
        ]
        by_key = {
            k: v for k, v in env.items() if k not in ("HYBRIDWATCH_ES_USERNAME", "HYBRIDWATCH_ES_PASSWORD")
        }
        # Credentials written into the URL itself, the way some operators configure clients.
        in_url = secured_es.url.replace(
            "https://", f"https://{secured_es.username}:{quote(secured_es.password, safe='')}@"
        )
        commands.append(found := _hybridwatch({**by_key, "HYBRIDWATCH_ES_URL": in_url}, work, "search", "x"))
        assert found.returncode == 0 and "in the elasticsearch store" in found.output, found.output[-2000:]
        commands.append(
            refused_key := _hybridwatch({**by_key, "HYBRIDWATCH_ES_API_KEY": api_key}, work, "search")
        )
        assert refused_key.returncode != 0 and "rejected the credentials" in refused_key.output
    finally:
        admin = Elasticsearch(
            secured_es.url,
            ca_certs=str(secured_es.ca_certs),
            basic_auth=(secured_es.username, secured_es.password),
        )
        drop_prefix(admin, prefix)
        admin.close()

    # The deliveries really happened, so the secrets were really used.
    assert webhook.paths == [f"/hooks/digest?token={hook_token}"]
    assert [(login, tls) for login, _, tls in smtp.mailbox.messages] == [(SMTP_USER.encode(), True)]

    leaks_forms = {
        "ES password": _forms(secured_es.password, user=secured_es.username),
        "wrong ES password": _forms(wrong_password, user=secured_es.username),
        "ES API key": _forms(api_key),
        "SMTP password": _forms(smtp_password, user=SMTP_USER),
        "webhook token": _forms(hook_token),
        "pseudonymisation key": _forms(pseudonym_key),
    }
    places: list[tuple[str, bytes]] = [
        (f"output of hybridwatch {' '.join(c.args)}", c.output.encode()) for c in commands
    ]
    places += [(str(path), data) for path, data in _file_contents(tmp_path)]
    places += [("the e-mail as received", content) for _, content, _ in smtp.mailbox.messages]
    written = {str(path) for path, _ in _file_contents(tmp_path / "data")}
    # The run wrote what the test means to search: crawl logs and reports, batches, digest, both exports.
    for expected in ("crawl-", "analysed-", "digest", "export-flagged", "datasheet.md", "manifest.json"):
        assert any(expected in path for path in written), expected
    assert any("datasheet.md" in str(path) for path, _ in _file_contents(work / "export-csv"))
    leaks = [
        f"{secret} ({form}) in {place}"
        for secret, forms in leaks_forms.items()
        for form, value in forms.items()
        for place, data in places
        if value in data
    ]
    assert leaks == []


def test_the_crawler_process_gets_no_credentials() -> None:
    environ = {
        "PATH": "/usr/bin",
        "HYBRIDWATCH_DATA_DIR": "/srv/hybridwatch",
        **{name: _secret("value") for name in SECRET_ENV_VARS},
    }
    env = crawler_environment(environ)
    assert not SECRET_ENV_VARS & set(env)
    assert {
        "HYBRIDWATCH_ES_PASSWORD",
        "HYBRIDWATCH_SMTP_PASSWORD",
        "HYBRIDWATCH_ES_API_KEY",
    } <= SECRET_ENV_VARS
    assert env["PATH"] == "/usr/bin" and env["HYBRIDWATCH_DATA_DIR"] == "/srv/hybridwatch"
    assert str(ROOT) in env["PYTHONPATH"].split(os.pathsep)
