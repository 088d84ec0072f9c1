"""docker-compose.yml cannot run here (no Docker engine); check that it parses and agrees with the code."""

import re
from importlib.metadata import version
from pathlib import Path

import yaml

from hybridwatch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _test_server_version() -> str:
    script = (ROOT / "scripts" / "test-elasticsearch").read_text(encoding="utf-8")
    match = re.search(r'ES_VERSION="\$\{HYBRIDWATCH_TEST_ES_VERSION:-([0-9.]+)\}"', script)
    assert match, "scripts/test-elasticsearch must name its default Elasticsearch version"
    return match.group(1)


def test_one_elasticsearch_version_for_tests_deployment_and_client() -> None:
    tested = _test_server_version()
    for service in ("elasticsearch", "kibana"):
        image = COMPOSE["services"][service]["image"]
        assert image.endswith(f":${{ES_VERSION:-{tested}}}"), (service, image)
    assert version("elasticsearch").split(".")[0] == tested.split(".")[0]


def test_setup_service_uses_real_settings_and_commands() -> None:
    setup = COMPOSE["services"]["setup"]
    assert setup["command"] == [
        "sh",
        "-c",
        "hybridwatch es setup && hybridwatch kibana import --url http://kibana:5601",
    ]
    assert setup["depends_on"]["kibana"] == {"condition": "service_healthy"}
    for variable in setup["environment"]:
        assert variable.startswith("HYBRIDWATCH_")
        assert variable.removeprefix("HYBRIDWATCH_").lower() in Settings.model_fields, variable


def test_the_shipped_kibana_objects_are_in_the_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY index_mappings ./index_mappings" in dockerfile
    assert (ROOT / "index_mappings" / "kibana" / "hybridwatch.ndjson").is_file()


def test_every_password_comes_from_env_and_is_documented() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required == {"ELASTIC_PASSWORD", "KIBANA_PASSWORD"}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in required:
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
    assert COMPOSE["services"]["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    for service in ("elasticsearch", "kibana"):
        assert all(port.startswith("127.0.0.1:") for port in COMPOSE["services"][service]["ports"])
