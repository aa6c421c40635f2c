"""A partitioned asset materialized on a real PostgreSQL instance storage, configured by
the example deploy/postgres/dagster.yaml."""

import shutil

import dagster as dg
import pytest

from lofi_assets.assets.ingest import notion_track
from resources import NotionResource, StorageResource
from tests.conftest import PROJECT_ROOT
from tests.pg import pg_env


@pytest.mark.postgres
def test_materialize_partition_on_postgres_instance(pg_database, data_dir, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    for var, value in pg_env(pg_database).items():
        monkeypatch.setenv(var, value)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        instance.add_dynamic_partitions("tracks", ["sunday-morning-coffee"])
        storage = StorageResource(root=str(data_dir))
        result = dg.materialize(
            [notion_track],
            partition_key="sunday-morning-coffee",
            instance=instance,
            resources={"storage": storage, "notion": NotionResource(storage=storage)},
        )
        assert result.success
        record = instance.get_latest_materialization_event(dg.AssetKey("notion_track"))
        assert record.dagster_event.partition == "sunday-morning-coffee"
        assert instance.get_dynamic_partitions("tracks") == ["sunday-morning-coffee"]
        assert instance.get_run_by_id(result.run_id).is_success
