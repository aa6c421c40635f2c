"""The instance files an operator copies: pools, run retries and the run queue load as
Dagster reads them, and ``lofi pools`` sets the per-pool limits."""

import shutil

import dagster as dg
import pytest

from lofi_assets.definitions import defs
from lofi_assets.pools import POOL_LIMITS, apply_pool_limits
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def local_instance(tmp_path):
    shutil.copy(PROJECT_ROOT / "deploy" / "local" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


def test_local_instance_retries_runs_and_limits_pools(local_instance):
    assert local_instance.run_retries_enabled and local_instance.run_retries_max_retries == 2
    assert not local_instance.run_retries_retry_on_asset_or_op_failure
    config = local_instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.run_queue_config.max_concurrent_runs == 4


def test_lofi_pools_sets_each_limit(local_instance):
    assert apply_pool_limits(local_instance) == {"youtube": 1, "notion": 2, "gpu": 1}
    assert local_instance.event_log_storage.get_concurrency_info("notion").slot_count == 2


def test_every_pool_used_by_an_asset_has_a_limit():
    used = {a.op.pool for a in defs.assets if isinstance(a, dg.AssetsDefinition) and a.op.pool}
    assert used == set(POOL_LIMITS)
