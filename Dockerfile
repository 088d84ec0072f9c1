# The hybridwatch image: the library, CLI, registries, index templates and DAGs, installed from the lock
# file. With AIRFLOW=1 (docker-compose.yml sets it) Airflow 3 and the Postgres driver are installed too,
# and the same image runs the Airflow services.
FROM python:3.11-slim

ARG AIRFLOW=0

ENV UV_PROJECT_ENVIRONMENT=/opt/hybridwatch/.venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/hybridwatch/.venv/bin:$PATH

WORKDIR /opt/hybridwatch
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock README.md ./
COPY hybridwatch ./hybridwatch
COPY nlp ./nlp
COPY crawlers ./crawlers
COPY config ./config
COPY index_mappings ./index_mappings
COPY dags ./dags
RUN if [ "$AIRFLOW" = "1" ]; then uv sync --locked --no-dev --extra airflow --compile-bytecode; \
    else uv sync --locked --no-dev --compile-bytecode; fi

# Volumes mounted on these paths take their owner from the image.
RUN useradd --system --create-home hybridwatch && mkdir -p /data /opt/airflow/logs /opt/airflow/auth \
    && chown -R hybridwatch /data /opt/airflow
USER hybridwatch
ENV HYBRIDWATCH_DATA_DIR=/data \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/hybridwatch/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
CMD ["hybridwatch", "--help"]
