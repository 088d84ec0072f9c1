"""Kibana assets: structure of the shipped saved objects, their fields and aggregations on the real test
Elasticsearch, prefix rendering, and the import request (against a local HTTP server standing in for Kibana).
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from hybridwatch.cli import main
from hybridwatch.errors import KibanaError, RetryableError
from hybridwatch.kibana import (
    SAVED_OBJECTS_FILE,
    check_against_elasticsearch,
    check_saved_objects,
    first_buckets,
    import_saved_objects,
    lens_aggregation_requests,
    parse_saved_objects,
    render_saved_objects,
    saved_search_requests,
)
from hybridwatch.stores.elastic import ElasticsearchStore
from hybridwatch.taxonomy import COUNTRIES, NARRATIVE_IDS
from tests.analysed_fixture import analysed_items

SHIPPED = SAVED_OBJECTS_FILE.read_text(encoding="utf-8")


def _objects(text: str) -> dict[tuple[str, str], dict]:
    objects, problems = parse_saved_objects(text, "test")
    assert problems == []
    return {obj.key: obj.doc for obj in objects}


def test_shipped_objects_are_valid_and_complete() -> None:
    assert check_saved_objects(SHIPPED, "shipped") == []
    objects = _objects(SHIPPED)
    data_view = objects[("index-pattern", "hybridwatch-items")]["attributes"]
    assert (data_view["title"], data_view["timeFieldName"]) == ("hybridwatch-items", "published_at")
    searches = {oid for kind, oid in objects if kind == "search"}
    assert {"hybridwatch-search-flagged", "hybridwatch-search-cross-border"} <= searches
    assert {f"hybridwatch-search-narrative-{n}" for n in NARRATIVE_IDS} <= searches
    dashboard = objects[("dashboard", "hybridwatch-dashboard-overview")]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    titles = {p["title"]: p["type"] for p in panels}
    assert titles == {
        "Flagged items over time by narrative": "lens",
        "Flagged items by country": "lens",
        "Flagged items by outlet": "lens",
        "Top actors in flagged items": "lens",
        "Latest flagged items": "search",
    }


def _line(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"))


def test_structural_checks_name_each_problem_and_its_line() -> None:
    lines = SHIPPED.splitlines()
    flagged = json.loads(lines[1])
    broken_search = dict(flagged, id="copy", attributes=dict(flagged["attributes"]))
    broken_search["attributes"]["kibanaSavedObjectMeta"] = {"searchSourceJSON": "{not json"}
    dangling = dict(flagged, id="dangling", references=[dict(flagged["references"][0], id="nowhere")])
    text = "\n".join([*lines, "{oops", lines[1], _line(broken_search), _line(dangling)])
    problems = check_saved_objects(text, "k.ndjson")
    n = len(lines)
    assert (
        f"k.ndjson:{n + 1}: not JSON: Expecting property name enclosed in double quotes at column 2"
        in problems
    )
    assert f"k.ndjson:{n + 2}: duplicate id 'hybridwatch-search-flagged' (first on line 2)" in problems
    assert any(
        p.startswith(f"k.ndjson:{n + 3}: attributes.kibanaSavedObjectMeta.searchSourceJSON is not")
        for p in problems
    )
    # Reference problems are reported once the file parses; fix the parse errors and look again.
    text = "\n".join([*lines, _line(dangling)])
    assert check_saved_objects(text, "k.ndjson") == [
        f"k.ndjson:{n + 1}: reference 'kibanaSavedObjectMeta.searchSourceJSON.index' points to "
        "index-pattern 'nowhere', not in the file"
    ]
    dashboard = json.loads(lines[-1])
    dashboard["references"] = [r for r in dashboard["references"] if not r["name"].startswith("p3:")]
    problems = check_saved_objects("\n".join([*lines[:-1], _line(dashboard)]), "k.ndjson")
    assert problems == [
        f"k.ndjson:{n}: panel p3: layer 'layer1' has no reference named "
        "p3:indexpattern-datasource-layer-layer1"
    ]


def test_rendering_for_another_prefix_rewrites_ids_and_index_pattern_only() -> None:
    rendered = render_saved_objects(SHIPPED, "acme_osint")
    assert check_saved_objects(rendered, "rendered") == []
    objects = _objects(rendered)
    assert all(oid.startswith("acme_osint-") for _, oid in objects)
    assert objects[("index-pattern", "acme_osint-items")]["attributes"]["title"] == "acme_osint-items"
    assert '"hybridwatch-' not in rendered and '\\"hybridwatch-' not in rendered
    # Titles shown to people keep the product's name.
    assert objects[("dashboard", "acme_osint-dashboard-overview")]["attributes"]["title"].startswith(
        "hybridwatch"
    )
    with pytest.raises(KibanaError):
        render_saved_objects(SHIPPED, 'x"}')


@pytest.fixture
def indexed(es_url: str, es_prefix: str) -> Iterator[tuple[Elasticsearch, str]]:
    client = Elasticsearch(es_url)
    store = ElasticsearchStore(client, prefix=es_prefix, url=es_url)
    store.setup()
    report = store.upsert(analysed_items())
    assert report.dead_lettered == 0
    store.refresh()
    yield client, store.items_alias
    client.close()


def test_fields_exist_and_aggregations_return_buckets_on_elasticsearch(
    indexed: tuple[Elasticsearch, str], es_prefix: str
) -> None:
    client, alias = indexed
    rendered = render_saved_objects(SHIPPED, es_prefix)
    assert check_against_elasticsearch(rendered, client, alias) == []
    aggregations = dict(lens_aggregation_requests(rendered))
    by_narrative = next(body for where, body in aggregations.items() if "panel p1" in where)
    assert {b["key"] for b in first_buckets(client.search(index=alias, **by_narrative).body)} == set(
        NARRATIVE_IDS
    )
    by_country = next(body for where, body in aggregations.items() if "panel p2" in where)
    assert {b["key"] for b in first_buckets(client.search(index=alias, **by_country).body)} == set(COUNTRIES)
    cross_border = next(body for where, body in saved_search_requests(rendered) if "cross-border" in where)
    hits = client.search(index=alias, **dict(cross_border, size=100)).body["hits"]["hits"]
    expected = {i.id for i in analysed_items() if i.dup and len(i.dup.countries) >= 2}
    assert {h["_id"] for h in hits} == expected and expected


def test_checks_on_elasticsearch_catch_missing_and_unaggregatable_fields(
    indexed: tuple[Elasticsearch, str], es_prefix: str
) -> None:
    client, alias = indexed
    # A chart over the analysed text (not aggregatable) and a column that does not exist.
    broken = render_saved_objects(SHIPPED, es_prefix).replace(
        '"sourceField\\":\\"outlet\\"', '"sourceField\\":\\"text\\"'
    )
    broken = broken.replace('"columns":["country"', '"columns":["countrie"', 1)
    problems = check_against_elasticsearch(broken, client, alias)
    assert any("panel p3 terms: field 'text' (text) is not aggregatable" in p for p in problems)
    assert any("column: field 'countrie' does not exist in the index" in p for p in problems)
    # A narrative search over an empty index finds nothing, and says so.
    empty = "hwtest-empty-" + es_prefix.split("-")[-1]
    store = ElasticsearchStore(client, prefix=empty)
    store.setup()
    try:
        problems = check_against_elasticsearch(
            render_saved_objects(SHIPPED, empty), client, store.items_alias
        )
        assert any("matches no item" in p for p in problems)
        assert any("returns no buckets" in p for p in problems)
    finally:
        from tests.conftest import drop_prefix

        drop_prefix(client, empty)


@dataclass
class FakeKibana:
    """A local HTTP server that records each request and answers like Kibana's import API."""

    status: int = 200
    answer: dict = field(default_factory=lambda: {"success": True, "successCount": 15, "errors": []})
    requests: list[dict] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    fake = FakeKibana()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append(
                {"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body}
            )
            payload = json.dumps(fake.answer).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()


def _uploaded_file(request: dict) -> tuple[str, str, bytes]:
    """Parse the multipart body as a server would; return field name, file name and file bytes."""
    head = f"Content-Type: {request['headers']['Content-Type']}\r\n\r\n".encode()
    message = message_from_bytes(head + request["body"], policy=HTTP)
    assert message.is_multipart()
    (part,) = list(message.iter_parts())
    return (
        part.get_param("name", header="content-disposition"),
        part.get_filename(),
        part.get_payload(decode=True),
    )


def test_import_posts_the_file_as_multipart_with_xsrf_header(kibana: FakeKibana) -> None:
    content = render_saved_objects(SHIPPED, "acme").encode()
    answer = import_saved_objects(kibana.url.replace("http://", "http://admin:s3cret@"), content)
    assert answer["successCount"] == 15
    (request,) = kibana.requests
    assert request["method"] == "POST"
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["kbn-xsrf"]
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    assert headers["authorization"] == "Basic YWRtaW46czNjcmV0"  # admin:s3cret
    name, filename, uploaded = _uploaded_file(request)
    assert (name, filename) == ("file", "hybridwatch.ndjson")
    assert uploaded == content


def test_import_errors_say_what_kibana_answered(kibana: FakeKibana) -> None:
    kibana.answer = {
        "success": False,
        "successCount": 14,
        "errors": [{"type": "dashboard", "id": "x", "error": {"type": "missing_references"}}],
    }
    with pytest.raises(KibanaError, match="rejected 1 saved objects: dashboard x: missing_references"):
        import_saved_objects(kibana.url, b"{}")
    kibana.status, kibana.answer = 503, {"message": "Kibana server is not ready yet"}
    with pytest.raises(RetryableError, match="HTTP 503"):
        import_saved_objects(kibana.url, b"{}")
    kibana.status, kibana.answer = 400, {"message": "Request must contain a kbn-xsrf header."}
    with pytest.raises(KibanaError, match="HTTP 400"):
        import_saved_objects(kibana.url, b"{}")
    with pytest.raises(RetryableError, match="unreachable"):
        import_saved_objects("http://127.0.0.1:9", b"{}")


def test_cli_import_sends_objects_for_the_configured_prefix(
    kibana: FakeKibana, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_ES_INDEX_PREFIX", "acme")
    runner = CliRunner()
    result = runner.invoke(main, ["kibana", "import", "--url", kibana.url])
    assert result.exit_code == 0, result.output
    assert "imported 15 saved objects" in result.output
    _, _, uploaded = _uploaded_file(kibana.requests[0])
    assert uploaded.decode() == render_saved_objects(SHIPPED, "acme")
    result = runner.invoke(main, ["kibana", "export-ndjson", "--out", "objects.ndjson"])
    assert result.exit_code == 0
    assert (clean_env / "objects.ndjson").read_text() == render_saved_objects(SHIPPED, "acme")
    result = runner.invoke(main, ["kibana", "validate", "--static"])
    assert result.exit_code == 0 and "valid (structure) for index prefix acme" in result.output
    (clean_env / "bad.ndjson").write_text("{nope\n")
    result = runner.invoke(main, ["kibana", "import", "--url", kibana.url, "--file", "bad.ndjson"])
    assert result.exit_code == 2 and "bad.ndjson:1: not JSON" in result.output
    assert len(kibana.requests) == 1  # nothing is sent when the file is invalid


def test_cli_import_authenticates_with_the_elasticsearch_settings(
    kibana: FakeKibana, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_ES_USERNAME", "elastic")
    monkeypatch.setenv("HYBRIDWATCH_ES_PASSWORD", "pw-from-settings")
    result = CliRunner().invoke(main, ["kibana", "import", "--url", kibana.url])
    assert result.exit_code == 0, result.output
    headers = {k.lower(): v for k, v in kibana.requests[0]["headers"].items()}
    assert headers["authorization"] == "Basic ZWxhc3RpYzpwdy1mcm9tLXNldHRpbmdz"  # elastic:pw-from-settings
    assert "pw-from-settings" not in result.output
    monkeypatch.delenv("HYBRIDWATCH_ES_USERNAME")
    monkeypatch.delenv("HYBRIDWATCH_ES_PASSWORD")
    monkeypatch.setenv("HYBRIDWATCH_ES_API_KEY", "a2V5OnNlY3JldA==")
    CliRunner().invoke(main, ["kibana", "import", "--url", kibana.url])
    headers = {k.lower(): v for k, v in kibana.requests[1]["headers"].items()}
    assert headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="


def test_cli_validate_checks_fields_on_the_configured_elasticsearch(
    indexed: tuple[Elasticsearch, str],
    es_url: str,
    es_prefix: str,
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HYBRIDWATCH_ES_URL", es_url)
    monkeypatch.setenv("HYBRIDWATCH_ES_INDEX_PREFIX", es_prefix)
    result = CliRunner().invoke(main, ["kibana", "validate"])
    assert result.exit_code == 0, result.output
    assert "fields, searches and aggregations" in result.output
