"""A throw-away PostgreSQL database for tests that need a real instance storage: the
``pg_database`` fixture (import it into a test module), and the DAGSTER_PG_* variables
that deploy/*/dagster.yaml read.

Where no server answers the test is skipped with the reason, except under ``CI``, where it
fails (.ci/run starts or installs PostgreSQL)."""

from __future__ import annotations

import os
import uuid

import pytest

PG = dict(
    host=os.environ.get("LOFI_TEST_PG_HOST", "127.0.0.1"),
    port=int(os.environ.get("LOFI_TEST_PG_PORT", "5432")),
    user=os.environ.get("LOFI_TEST_PG_USER", "postgres"),
    password=os.environ.get("LOFI_TEST_PG_PASSWORD", ""),
)


def pg_env(db_name: str) -> dict[str, str]:
    """The variables deploy/postgres and deploy/celery dagster.yaml read, for ``db_name``."""
    return {
        "DAGSTER_PG_HOST": PG["host"],
        "DAGSTER_PG_PORT": str(PG["port"]),
        "DAGSTER_PG_USER": PG["user"],
        "DAGSTER_PG_PASSWORD": PG["password"] or "unused",
        "DAGSTER_PG_DB": db_name,
    }


@pytest.fixture
def pg_database():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        reason = f"no PostgreSQL server at {PG['host']}:{PG['port']} as {PG['user']}: {str(exc).strip()}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must provide one; .ci/run starts or installs it)")
        pytest.skip(reason)
    admin.autocommit = True
    name = f"lofi_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
