"""Shared fixtures: the real test Elasticsearch, and isolated settings per test."""

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

ES_URL_ENV = "HYBRIDWATCH_TEST_ES_URL"
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the test Elasticsearch, so `-m "not elasticsearch"` can deselect them."""
    for item in items:
        if {"es_url", "secured_es"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.elasticsearch)


def pytest_report_header() -> str:
    url = os.environ.get(ES_URL_ENV)
    if not url:
        return f"elasticsearch: none ({ES_URL_ENV} unset; tests that need it will fail)"
    try:
        client = Elasticsearch(url, request_timeout=5)
        versions = {
            node["version"] for node in client.nodes.info(filter_path="nodes.*.version")["nodes"].values()
        }
        client.close()
    except Exception as exc:  # a header must never break collection; the tests themselves will fail
        return f"elasticsearch: {url} NOT REACHABLE ({exc})"
    return f"elasticsearch: real server at {url}, version {', '.join(sorted(versions))}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly how many tests ran against the real Elasticsearch and how they ended."""
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if "elasticsearch" in getattr(report, "keywords", {}) and report.when in ("call", "setup"):
                if outcome == "passed" and report.when != "call":
                    continue
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        summary = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items())
        terminalreporter.write_line(f"tests against the real Elasticsearch: {summary}")


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the real test Elasticsearch; a test that needs it fails (never skips) without it."""
    url = os.environ.get(ES_URL_ENV)
    if not url:
        pytest.fail(
            f"{ES_URL_ENV} is not set. `make test` starts a real Elasticsearch and sets it; "
            f"or point it at a test cluster; or deselect these tests with -m 'not elasticsearch'."
        )
    return url


@pytest.fixture
def es_prefix(es_url: str) -> Iterator[str]:
    """A fresh index prefix; everything created under it is deleted after the test."""
    prefix = f"hwtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = Elasticsearch(es_url)
    drop_prefix(client, prefix)
    client.close()


def drop_prefix(client: Elasticsearch, prefix: str) -> None:
    """Delete the indices and templates under a prefix, by name: clusters refuse wildcard deletes."""
    client = client.options(ignore_status=404)
    indices = client.indices.get(index=f"{prefix}-*", expand_wildcards="all")
    if indices:
        client.indices.delete(index=",".join(indices))
    for template in client.indices.get_index_template(name=f"{prefix}-*").get("index_templates", []):
        client.indices.delete_index_template(name=template["name"])
    for component in client.cluster.get_component_template(name=f"{prefix}-*").get("component_templates", []):
        client.cluster.delete_component_template(name=component["name"])


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Remove every HYBRIDWATCH_* variable and run in an empty directory; return that directory."""
    for var in list(os.environ):
        if var.startswith("HYBRIDWATCH_") and var != ES_URL_ENV:
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@dataclass(frozen=True)
class SecuredElasticsearch:
    """A node with security and HTTPS on; its certificate names only ``localhost``."""

    url: str
    ca_certs: Path
    username: str
    password: str


@pytest.fixture(scope="session")
def secured_es(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredElasticsearch]:
    """Start a second test node with security on, using a CA made for this session; stop it afterwards."""
    from tests.tls import make_test_certificates

    certs = make_test_certificates(tmp_path_factory.mktemp("tls"))
    username, password = "hwtest-admin", secrets.token_urlsafe(16)
    script = str(ROOT / "scripts" / "test-elasticsearch")
    started = subprocess.run(
        [script, "start-secure", str(certs.directory), username, password],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if started.returncode != 0:
        pytest.fail(f"the secured test Elasticsearch did not start:\n{started.stderr[-3000:]}")
    try:
        yield SecuredElasticsearch(started.stdout.strip(), certs.ca, username, password)
    finally:
        subprocess.run([script, "stop-secure", str(certs.directory)], capture_output=True, timeout=120)
