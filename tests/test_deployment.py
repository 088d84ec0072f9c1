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
    assert required == {
        "ELASTIC_PASSWORD",
        "KIBANA_PASSWORD",
        "AIRFLOW_DB_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_ADMIN_PASSWORD",
    }
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in required:
        assert re.search(rf"^{name}=", example, re.MULTILINE), name
    assert COMPOSE["services"]["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    for service in ("elasticsearch", "kibana"):
        assert all(port.startswith("127.0.0.1:") for port in COMPOSE["services"][service]["ports"])


# --- the full deployment: Airflow with Postgres, the SMTP catcher ------------------------------------

AIRFLOW_SERVICES = {
    "airflow-apiserver": ["airflow", "api-server"],
    "airflow-scheduler": ["airflow", "scheduler"],
    "airflow-dag-processor": ["airflow", "dag-processor"],
    "airflow-triggerer": ["airflow", "triggerer"],
}
SERVICES = {"elasticsearch", "kibana-password", "kibana", "setup", "postgres", "airflow-init", "mailpit"}


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    return {str(k): str(v) for k, v in env.items()}


def test_every_service_of_the_deployment_is_there() -> None:
    assert set(COMPOSE["services"]) == SERVICES | set(AIRFLOW_SERVICES)
    for name, command in AIRFLOW_SERVICES.items():
        assert COMPOSE["services"][name]["command"] == command, name


def test_every_hybridwatch_variable_in_compose_is_a_setting() -> None:
    for name, service in COMPOSE["services"].items():
        for variable in _environment(service):
            if variable.startswith("HYBRIDWATCH_"):
                assert variable.removeprefix("HYBRIDWATCH_").lower() in Settings.model_fields, (
                    name,
                    variable,
                )


def test_airflow_runs_the_project_image_with_the_dags_and_postgres_metadata() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY dags ./dags" in dockerfile and "--extra airflow" in dockerfile
    for name in [*AIRFLOW_SERVICES, "airflow-init"]:
        service = COMPOSE["services"][name]
        assert service["build"]["args"] == {"AIRFLOW": "1"}, name
        env = _environment(service)
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/hybridwatch/dags"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
        assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:8080/")
        assert env["HYBRIDWATCH_ES_URL"] == "http://elasticsearch:9200"
    for name in AIRFLOW_SERVICES:
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}
        assert depends["setup"] == {"condition": "service_completed_successfully"}
    postgres = _environment(COMPOSE["services"]["postgres"])
    assert (
        postgres["POSTGRES_PASSWORD"]
        in _environment(COMPOSE["services"]["airflow-scheduler"])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    )
    assert (ROOT / "dags" / "hybridwatch_ingest.py").is_file()


def test_the_init_service_creates_the_pool_the_dags_use() -> None:
    init = " ".join(COMPOSE["services"]["airflow-init"]["command"])
    assert "airflow db migrate" in init
    for dag_file in ("hybridwatch_ingest.py", "hybridwatch_maintenance.py"):
        pool = re.search(
            r'ES_WRITERS_POOL = "([^"]+)"', (ROOT / "dags" / dag_file).read_text(encoding="utf-8")
        )
        assert pool and f"airflow pools set {pool.group(1)} " in init, dag_file


def test_digests_go_to_the_smtp_catcher() -> None:
    env = _environment(COMPOSE["services"]["airflow-scheduler"])
    assert env["HYBRIDWATCH_SMTP_HOST"] == "mailpit"
    assert env["HYBRIDWATCH_SMTP_PORT"] == "1025"  # Mailpit's SMTP port inside the network
    settings = Settings(smtp_host="mailpit", smtp_port=int(env["HYBRIDWATCH_SMTP_PORT"]), smtp_starttls=False)
    assert settings.smtp_starttls is False
    assert any(port.endswith(":8025") for port in COMPOSE["services"]["mailpit"]["ports"])


def test_ports_are_local_and_every_volume_is_declared_and_used() -> None:
    used = set()
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == set(COMPOSE["volumes"])


def test_the_urls_in_the_header_match_the_published_ports() -> None:
    header = (ROOT / "docker-compose.yml").read_text(encoding="utf-8").split("name: hybridwatch")[0]
    published = {
        name: port.rsplit(":", 1)[1]
        for name, service in COMPOSE["services"].items()
        for port in service.get("ports", [])
    }
    for name, port in (("kibana", "5601"), ("airflow-apiserver", "8080"), ("mailpit", "8025")):
        assert published[name] == port and f"http://127.0.0.1:{port}" in header, name
