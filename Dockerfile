# The hybridwatch image: the library, CLI, registries and index templates, installed from the lock file.
FROM python:3.11-slim

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
RUN uv sync --locked --no-dev --compile-bytecode

RUN useradd --system --create-home hybridwatch && mkdir -p /data && chown hybridwatch /data
USER hybridwatch
ENV HYBRIDWATCH_DATA_DIR=/data
CMD ["hybridwatch", "--help"]
