"""A partitioned asset materialized on a real PostgreSQL instance storage, configured by
the example deploy/postgres/dagster.yaml."""

import os
import shutil
import uuid

import dagster as dg
import pytest

from lofi_assets.assets.ingest import notion_track
from resources import NotionResource, StorageResource
from tests.conftest import PROJECT_ROOT

psycopg2 = pytest.importorskip("psycopg2")

PG = dict(host=os.environ.get("LOFI_TEST_PG_HOST", "127.0.0.1"),
          port=int(os.environ.get("LOFI_TEST_PG_PORT", "5432")),
          user=os.environ.get("LOFI_TEST_PG_USER", "postgres"),
          password=os.environ.get("LOFI_TEST_PG_PASSWORD", ""))


@pytest.fixture
def pg_database():
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


@pytest.mark.postgres
def test_materialize_partition_on_postgres_instance(pg_database, data_dir, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    for var, value in {"DAGSTER_PG_HOST": PG["host"], "DAGSTER_PG_PORT": str(PG["port"]),
                       "DAGSTER_PG_USER": PG["user"], "DAGSTER_PG_PASSWORD": PG["password"] or "unused",
                       "DAGSTER_PG_DB": pg_database}.items():
        monkeypatch.setenv(var, value)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        instance.add_dynamic_partitions("tracks", ["sunday-morning-coffee"])
        storage = StorageResource(root=str(data_dir))
        result = dg.materialize([notion_track], partition_key="sunday-morning-coffee", instance=instance,
                                resources={"storage": storage, "notion": NotionResource(storage=storage)})
        assert result.success
        record = instance.get_latest_materialization_event(dg.AssetKey("notion_track"))
        assert record.dagster_event.partition == "sunday-morning-coffee"
        assert instance.get_dynamic_partitions("tracks") == ["sunday-morning-coffee"]
        assert instance.get_run_by_id(result.run_id).is_success
