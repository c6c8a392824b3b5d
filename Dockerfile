# The costclose image: Airflow 3 + dbt + GX + costclose, built from the same uv.lock as `make setup`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/costclose/.venv \
    PATH=/opt/costclose/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/costclose/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/costclose/plugins \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    GX_ANALYTICS_ENABLED=False

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 postgresql-client git \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 50000 airflow

WORKDIR /opt/costclose
# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
COPY plugins/costclose/__init__.py plugins/costclose/__init__.py
RUN uv sync --frozen --no-dev --extra azure --no-install-project
COPY . .
RUN uv sync --frozen --no-dev --extra azure && mkdir -p /opt/airflow && chown -R airflow /opt/airflow /opt/costclose

USER airflow
