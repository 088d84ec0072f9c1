"""Airflow in-process for DAG tests: a throw-away AIRFLOW_HOME with its own SQLite metadata database.

Airflow reads its configuration when first imported, so the environment is set here, before any test
module of this folder imports it.
"""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = ROOT / "dags"
ES_WRITERS_POOL = "hybridwatch_es_writers"

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="hw-airflow-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[None]:
    """Create the metadata database and the Elasticsearch writers pool once per session."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    Pool.create_or_update_pool(ES_WRITERS_POOL, slots=2, description="tests", include_deferred=False)
    yield


@pytest.fixture(scope="session")
def dagbag(airflow_db: None) -> Any:
    """The project's DAGs, parsed as the dag-processor parses them."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))
