import os
import time

import dagster as dg

from lofi_assets.core.upkeep import stale_temporaries
from lofi_assets.pools import POOL_LIMITS
from resources import StorageResource
from sensors.upkeep_sensor import deployment_upkeep


def tick(instance, root):
    with dg.build_sensor_context(instance=instance, resources={"storage": StorageResource(root=str(root))}) as context:
        return deployment_upkeep(context)


def aged(path, hours):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"x" * 1000)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))
    return path


def test_a_new_instance_gets_the_pool_limits_without_lofi_pools(tmp_path):
    with dg.instance_for_test() as instance:
        first = tick(instance, tmp_path)
        assert "pool limits set" in first.skip_message
        for pool, limit in POOL_LIMITS.items():
            assert instance.event_log_storage.get_concurrency_info(pool).slot_count == limit
        assert "pool limits in place" in tick(instance, tmp_path).skip_message
        instance.event_log_storage.set_concurrency_slots("youtube", 3)  # changed by hand: put back
        assert "youtube 1" in tick(instance, tmp_path).skip_message
        assert instance.event_log_storage.get_concurrency_info("youtube").slot_count == 1


def test_temporaries_of_killed_runs_are_removed_once_stale(tmp_path):
    folder = tmp_path / "data" / "assets" / "track_master" / "rainy"
    stale = aged(folder / ".master.wav.k2j4_x9a.wav", hours=7)
    fresh = aged(folder / ".master_16bit.wav.a1b2c3d4.wav", hours=1)  # a run may be writing it
    real = aged(folder / "master.wav", hours=30)
    claim = aged(tmp_path / "data" / "assets" / "youtube_video" / "rainy" / "upload.claim.json", hours=30)
    hidden_but_ours = aged(folder / ".gitkeep", hours=30)
    scratch = tmp_path / "scratch"
    old_scratch = aged(aged(scratch / "lofi-master-abc123" / "coarse.f32", hours=8).parent, hours=8)
    live_scratch = aged(scratch / "lofi-master-def456" / "coarse.f32", hours=0).parent
    assert stale_temporaries(tmp_path / "data" / "assets", scratch) == [stale, old_scratch]

    with dg.instance_for_test() as instance:
        said = tick(instance, tmp_path / "data").skip_message
    assert "stale temporaries removed" in said  # (and any of the system's temp folder)
    assert not stale.exists()
    assert all(p.exists() for p in (fresh, real, claim, hidden_but_ours, old_scratch, live_scratch))
