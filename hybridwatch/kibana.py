"""Kibana assets: the shipped saved objects (data view, saved searches, dashboard), checks and import.

The saved objects live in ``index_mappings/kibana/hybridwatch.ndjson``, written for the default index
prefix ``hybridwatch``; ``render_saved_objects`` rewrites them for another prefix (ids and the data view's
index pattern), so several deployments can share one Kibana.

Kibana cannot run beside the tests, so validation stands in for it in two layers:

- ``check_saved_objects`` (no services): every line is a JSON object with id, type, attributes and
  references; ids are unique; every reference and reference name resolves; embedded JSON strings parse.
- ``check_against_elasticsearch``: every field a search or visualisation uses exists in the items alias
  (``_field_caps``) and is aggregatable where it is aggregated or sorted; the query behind each saved
  search returns hits, and the aggregation behind each visualisation returns buckets.

``import_saved_objects`` posts the file to Kibana's ``/api/saved_objects/_import`` the way its UI does.
"""

import json
import logging
import re
import urllib.error
import urllib.request
import uuid
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from hybridwatch.errors import KibanaError, RetryableError
from hybridwatch.settings import redact_url

log = logging.getLogger(__name__)

SAVED_OBJECTS_FILE: Final = (
    Path(__file__).resolve().parent.parent / "index_mappings" / "kibana" / "hybridwatch.ndjson"
)
#: The prefix the shipped file is written for.
DEFAULT_PREFIX: Final = "hybridwatch"
IMPORT_PATH: Final = "/api/saved_objects/_import"
IMPORT_TIMEOUT_S: Final = 60.0
#: Attributes that Kibana stores as JSON inside a string.
EMBEDDED_JSON: Final = (
    "kibanaSavedObjectMeta.searchSourceJSON",
    "panelsJSON",
    "optionsJSON",
    "fieldAttrs",
    "fieldFormatMap",
    "fields",
    "runtimeFieldMap",
    "sourceFilters",
    "typeMeta",
    "visState",
    "uiStateJSON",
)
#: Lens operations that aggregate over their source field (all but count of records).
AGGREGATING_OPERATIONS: Final = frozenset(
    {
        "terms",
        "date_histogram",
        "range",
        "filters",
        "min",
        "max",
        "average",
        "sum",
        "median",
        "percentile",
        "unique_count",
        "last_value",
        "count",
    }
)
RECORDS_FIELD: Final = "___records___"
#: ``field:value`` clauses of a KQL query, joined by ``and`` (all the shipped queries use).
_KQL_CLAUSE = re.compile(r'^\s*(?P<field>[\w.]+)\s*:\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s()"]+))\s*$')
_KQL_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


@dataclass(frozen=True)
class SavedObject:
    """One line of the NDJSON file, parsed, with its line number."""

    line: int
    doc: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.doc.get("type")), str(self.doc.get("id")))

    @property
    def where(self) -> str:
        return f"line {self.line} ({self.doc.get('type')} {self.doc.get('id')})"


@dataclass(frozen=True)
class FieldUse:
    """A field that a saved object uses, and whether it is aggregated (or sorted) there."""

    field: str
    aggregated: bool
    where: str


# --- loading and prefix --------------------------------------------------------------------------------


def render_saved_objects(text: str, prefix: str) -> str:
    """Return the NDJSON with the default prefix replaced in ids, references and the index pattern.

    Every id and the data view title in the shipped file start with ``hybridwatch-``, right after a
    quote (also inside embedded JSON strings, where the quote is escaped); nothing else does.
    """
    if prefix == DEFAULT_PREFIX:
        return text
    if not re.fullmatch(r"[a-z0-9_-]+", prefix):
        raise KibanaError(f"{prefix!r} is not a valid index prefix (lower case letters, digits, '-', '_')")
    return re.sub(rf'(?<="){DEFAULT_PREFIX}-', f"{prefix}-", text)


def parse_saved_objects(text: str, source: str) -> tuple[list[SavedObject], list[str]]:
    """Parse NDJSON into saved objects; return them and the problems of lines that are not objects."""
    objects: list[SavedObject] = []
    problems: list[str] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{source}:{lineno}: not JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(doc, dict):
            problems.append(f"{source}:{lineno}: a saved object must be a JSON object")
            continue
        missing = [k for k in ("id", "type", "attributes", "references") if k not in doc]
        if missing:
            problems.append(f"{source}:{lineno}: missing {', '.join(missing)}")
            continue
        objects.append(SavedObject(lineno, doc))
    return objects, problems


def _get_path(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def embedded_json(obj: SavedObject, attribute: str) -> Any:
    """Return an attribute that holds JSON in a string, parsed (None when absent)."""
    raw = _get_path(obj.doc["attributes"], attribute)
    return json.loads(raw) if isinstance(raw, str) else None


def _lens_panels(obj: SavedObject) -> list[dict[str, Any]]:
    if obj.doc["type"] != "dashboard":
        return []
    panels = embedded_json(obj, "panelsJSON") or []
    return [p for p in panels if p.get("type") == "lens" and "attributes" in p.get("embeddableConfig", {})]


# --- static checks -------------------------------------------------------------------------------------


def check_saved_objects(text: str, source: str) -> list[str]:
    """Return every structural problem of an NDJSON file (empty when valid); see the module docstring."""
    objects, problems = parse_saved_objects(text, source)
    seen: dict[tuple[str, str], int] = {}
    for obj in objects:
        if obj.key in seen:
            problems.append(
                f"{source}:{obj.line}: duplicate id {obj.key[1]!r} (first on line {seen[obj.key]})"
            )
        seen.setdefault(obj.key, obj.line)
        for attribute in EMBEDDED_JSON:
            try:
                embedded_json(obj, attribute)
            except json.JSONDecodeError as exc:
                problems.append(f"{source}:{obj.line}: attributes.{attribute} is not valid JSON: {exc.msg}")
    if problems:
        return problems
    for obj in objects:
        problems += [f"{source}:{obj.line}: {p}" for p in _reference_problems(obj, seen)]
    return problems


def _reference_problems(obj: SavedObject, known: dict[tuple[str, str], int]) -> Iterator[str]:
    references = obj.doc["references"]
    names = {ref.get("name") for ref in references}
    for ref in references:
        if (ref.get("type"), ref.get("id")) not in known:
            target = f"{ref.get('type')} {ref.get('id')!r}"
            yield f"reference {ref.get('name')!r} points to {target}, not in the file"
    source = embedded_json(obj, "kibanaSavedObjectMeta.searchSourceJSON") or {}
    if source.get("indexRefName") and source["indexRefName"] not in names:
        yield f"searchSourceJSON.indexRefName {source['indexRefName']!r} has no reference"
    for n, flt in enumerate(source.get("filter", [])):
        ref_name = flt.get("meta", {}).get("indexRefName")
        if ref_name and ref_name not in names:
            yield f"filter {n} indexRefName {ref_name!r} has no reference"
    if obj.doc["type"] != "dashboard":
        return
    for panel in embedded_json(obj, "panelsJSON") or []:
        index = panel.get("panelIndex")
        if panel.get("panelRefName") and f"{index}:{panel['panelRefName']}" not in names:
            yield f"panel {index}: no reference named {index}:{panel['panelRefName']}"
    for panel in _lens_panels(obj):
        attributes = panel["embeddableConfig"]["attributes"]
        layers = attributes["state"]["datasourceStates"]["formBased"]["layers"]
        for layer in layers:
            wanted = f"{panel['panelIndex']}:indexpattern-datasource-layer-{layer}"
            if wanted not in names:
                yield f"panel {panel['panelIndex']}: layer {layer!r} has no reference named {wanted}"
        for ref in attributes.get("references", []):
            if (ref.get("type"), ref.get("id")) not in known:
                target = f"{ref.get('type')} {ref.get('id')!r}"
                yield f"panel {panel['panelIndex']}: reference to {target} not in the file"


# --- fields and queries ----------------------------------------------------------------------------------


def kql_to_query(kql: str) -> dict[str, Any]:
    """Translate the KQL the shipped objects use (``field:value`` joined by ``and``) into query DSL.

    Raises KibanaError for anything richer, so that validation never checks a query it misread.
    """
    if not kql.strip():
        return {"match_all": {}}
    clauses = []
    for part in _KQL_AND.split(kql.strip()):
        match = _KQL_CLAUSE.match(part)
        if not match:
            raise KibanaError(f"KQL {kql!r}: validation understands only 'field:value' joined by 'and'")
        value: Any = match.group("quoted") if match.group("quoted") is not None else match.group("bare")
        if match.group("bare") in ("true", "false"):
            value = match.group("bare") == "true"
        clauses.append({"term": {match.group("field"): value}})
    return {"bool": {"filter": clauses}}


def _query_fields(kql: str) -> list[str]:
    return [m.group("field") for part in _KQL_AND.split(kql.strip()) if (m := _KQL_CLAUSE.match(part))]


def _dsl_fields(node: Any) -> Iterator[str]:
    """Yield the fields named in term/terms/range/exists/match clauses of a query DSL tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in (
                "term",
                "terms",
                "range",
                "match",
                "match_phrase",
                "prefix",
                "wildcard",
            ) and isinstance(value, dict):
                yield from (f for f in value if f != "boost")
            elif key == "exists" and isinstance(value, dict) and "field" in value:
                yield value["field"]
            else:
                yield from _dsl_fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dsl_fields(value)


def field_uses(text: str) -> list[FieldUse]:
    """Return every field the saved objects use (data view time field, columns, sorts, queries, Lens)."""
    objects, _ = parse_saved_objects(text, "saved objects")
    uses: list[FieldUse] = []
    for obj in objects:
        attrs = obj.doc["attributes"]
        if obj.doc["type"] == "index-pattern" and attrs.get("timeFieldName"):
            uses.append(FieldUse(attrs["timeFieldName"], True, f"{obj.where} time field"))
        if obj.doc["type"] == "search":
            uses += [FieldUse(c, False, f"{obj.where} column") for c in attrs.get("columns", [])]
            uses += [FieldUse(s[0], True, f"{obj.where} sort") for s in attrs.get("sort", [])]
        source = embedded_json(obj, "kibanaSavedObjectMeta.searchSourceJSON") or {}
        uses += [
            FieldUse(f, False, f"{obj.where} query")
            for f in _query_fields(source.get("query", {}).get("query", ""))
        ]
        uses += [FieldUse(f, False, f"{obj.where} filter") for f in _dsl_fields(source.get("filter", []))]
        for panel in _lens_panels(obj):
            where = f"{obj.where} panel {panel['panelIndex']}"
            state = panel["embeddableConfig"]["attributes"]["state"]
            uses += [FieldUse(f, False, f"{where} query") for f in _query_fields(state["query"]["query"])]
            for layer in state["datasourceStates"]["formBased"]["layers"].values():
                for column in layer["columns"].values():
                    if column.get("sourceField") and column["sourceField"] != RECORDS_FIELD:
                        aggregated = column["operationType"] in AGGREGATING_OPERATIONS
                        uses.append(
                            FieldUse(column["sourceField"], aggregated, f"{where} {column['operationType']}")
                        )
    return uses


def check_field_caps(uses: list[FieldUse], caps: dict[str, Any]) -> list[str]:
    """Return the uses of fields that do not exist, or that are aggregated but not aggregatable."""
    problems = []
    for use in uses:
        kinds = caps.get(use.field)
        if not kinds:
            problems.append(f"{use.where}: field {use.field!r} does not exist in the index")
            continue
        if use.aggregated and not all(k.get("aggregatable") for k in kinds.values()):
            problems.append(f"{use.where}: field {use.field!r} ({', '.join(kinds)}) is not aggregatable")
    return problems


def saved_search_requests(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Return, per saved search, the Elasticsearch search that Discover runs for it (first page)."""
    objects, _ = parse_saved_objects(text, "saved objects")
    requests = []
    for obj in objects:
        if obj.doc["type"] != "search":
            continue
        source = embedded_json(obj, "kibanaSavedObjectMeta.searchSourceJSON") or {}
        filters = [kql_to_query(source.get("query", {}).get("query", ""))]
        filters += [f["query"] for f in source.get("filter", []) if not f.get("meta", {}).get("disabled")]
        sort = [{field: {"order": order}} for field, order in obj.doc["attributes"].get("sort", [])]
        requests.append((obj.where, {"query": {"bool": {"filter": filters}}, "sort": sort, "size": 5}))
    return requests


def lens_aggregation_requests(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Return, per Lens panel, the aggregation its layer asks for: bucket columns nested in column order."""
    objects, _ = parse_saved_objects(text, "saved objects")
    requests = []
    for obj in objects:
        for panel in _lens_panels(obj):
            state = panel["embeddableConfig"]["attributes"]["state"]
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                aggs = _nested_aggs(
                    [layer["columns"][c] for c in layer["columnOrder"] if layer["columns"][c]["isBucketed"]]
                )
                requests.append(
                    (
                        f"{obj.where} panel {panel['panelIndex']} layer {layer_id}",
                        {"query": kql_to_query(state["query"]["query"]), "size": 0, "aggs": aggs},
                    )
                )
    return requests


def _nested_aggs(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    if not buckets:
        return {}
    column, rest = buckets[0], buckets[1:]
    if column["operationType"] == "terms":
        agg: dict[str, Any] = {"terms": {"field": column["sourceField"], "size": column["params"]["size"]}}
    elif column["operationType"] == "date_histogram":
        agg = {"date_histogram": {"field": column["sourceField"], "calendar_interval": "day"}}
    else:
        raise KibanaError(f"validation has no equivalent for Lens operation {column['operationType']!r}")
    if rest:
        agg["aggs"] = _nested_aggs(rest)
    return {"b0": agg}


def first_buckets(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the buckets of the outermost aggregation of a response."""
    return list(response.get("aggregations", {}).get("b0", {}).get("buckets", []))


def check_against_elasticsearch(text: str, client: Any, index: str) -> list[str]:
    """Check fields with ``_field_caps`` and run each search and aggregation on ``index``; return problems."""
    from elasticsearch import ApiError

    caps = client.field_caps(index=index, fields="*").body["fields"]
    problems = check_field_caps(field_uses(text), caps)
    for where, body in saved_search_requests(text):
        try:
            hits = client.search(index=index, **body).body["hits"]["hits"]
        except ApiError as exc:
            problems.append(f"{where}: Elasticsearch refused the search: {exc.message}")
            continue
        if not hits:
            problems.append(f"{where}: the saved search matches no item in {index}")
    for where, body in lens_aggregation_requests(text):
        try:
            response = client.search(index=index, **body).body
        except ApiError as exc:
            problems.append(f"{where}: Elasticsearch refused the aggregation: {exc.message}")
            continue
        if not first_buckets(response):
            problems.append(f"{where}: the aggregation returns no buckets in {index}")
    return problems


# --- import ----------------------------------------------------------------------------------------------


def multipart_body(field: str, filename: str, content: bytes, boundary: str) -> bytes:
    """Return a multipart/form-data body with one file part (what browsers send for a file upload)."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/ndjson\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode()


def import_saved_objects(
    kibana_url: str,
    ndjson: bytes,
    *,
    filename: str = "hybridwatch.ndjson",
    username: str | None = None,
    password: str | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Post saved objects to Kibana's import API (overwriting same ids); return Kibana's answer.

    Kibana authenticates against the same users as Elasticsearch: credentials in the URL
    (``https://user:password@kibana:5601``) win, else ``username``/``password`` or ``api_key`` (the
    Elasticsearch settings). They are sent in the Authorization header and never logged. Raises
    RetryableError when Kibana is unreachable or busy, KibanaError when it refuses the request or any object.
    """
    parts = urlsplit(kibana_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KibanaError(f"{redact_url(kibana_url)!r} is not an http(s) URL")
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    url = urlunsplit((parts.scheme, netloc, parts.path + IMPORT_PATH, "overwrite=true", ""))
    boundary = f"hybridwatch-{uuid.uuid4().hex}"
    headers = {
        # Kibana refuses state-changing API calls without this header (cross-site request forgery guard).
        "kbn-xsrf": "hybridwatch",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept": "application/json",
    }
    if parts.username:
        username, password, api_key = parts.username, parts.password or "", None
    if username:
        token = b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    elif api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    request = urllib.request.Request(
        url, data=multipart_body("file", filename, ndjson, boundary), headers=headers, method="POST"
    )
    shown = redact_url(kibana_url)
    try:
        with urllib.request.urlopen(request, timeout=IMPORT_TIMEOUT_S) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        if exc.code in (429, 502, 503, 504):
            raise RetryableError(f"Kibana at {shown} busy (HTTP {exc.code}): {detail}") from None
        raise KibanaError(f"Kibana at {shown} refused the import (HTTP {exc.code}): {detail}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise RetryableError(f"Kibana at {shown} unreachable: {exc}") from None
    except json.JSONDecodeError:
        raise KibanaError(f"Kibana at {shown} answered the import with something that is not JSON") from None
    if not answer.get("success"):
        errors = answer.get("errors") or []
        listed = "; ".join(
            f"{e.get('type')} {e.get('id')}: {e.get('error', {}).get('type')}" for e in errors[:10]
        )
        raise KibanaError(f"Kibana at {shown} rejected {len(errors)} saved objects: {listed or answer}")
    log.info("imported %s saved objects into Kibana at %s", answer.get("successCount"), shown)
    return answer
