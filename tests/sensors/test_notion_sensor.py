"""notion_tracks_sensor through build_sensor_context, against a fake Notion on loopback."""

import os

import dagster as dg
import pytest

from lofi_assets.core.partition_keys import page_id_to_key
from lofi_assets.partitions import tracks_partitions
from resources import NotionResource, StorageResource
from sensors.notion_sensor import notion_tracks_sensor
from tests.fakes.notion import FakeNotion


@pytest.fixture
def fake():
    return FakeNotion()


@pytest.fixture
def notion_url(fake):
    with fake.serve() as url:
        yield url


def tick(instance, fake, url, tmp_path, cursor=None, token=None) -> dg.SensorResult:
    resource = NotionResource(
        storage=StorageResource(root=str(tmp_path)),
        token=token or fake.token,
        database_id=fake.database_id,
        base_url=url,
        requests_per_second=0,
        timeout_s=0.5,
        backoff_s=0.01,
    )
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"notion": resource}) as context:
        result = notion_tracks_sensor(context)
    # What the daemon does with the result: register the partitions.
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def test_new_pages_become_partitions_and_runs_across_pages(fake, notion_url, tmp_path):
    ids = [fake.add_page(f"Track {i}", f"2026-11-20T10:{i % 60:02d}:00.000Z") for i in range(230)]
    fake.add_page("Archived", "2026-11-20T11:00:00.000Z", archived=True)
    with dg.instance_for_test() as instance:
        result = tick(instance, fake, notion_url, tmp_path)
        keys = {page_id_to_key(i) for i in ids}
        assert {r.partition_key for r in result.run_requests} == keys
        assert set(result.dynamic_partitions_requests[0].partition_keys) == keys
        assert fake.requests_to(r"/query$") == 3  # 230 pages, 100 a page
        run_keys = {r.run_key for r in result.run_requests}
        assert f"{page_id_to_key(ids[5])}@2026-11-20T10:05:00.000Z" in run_keys
        assert set(instance.get_dynamic_partitions(tracks_partitions.name)) == keys

        again = tick(instance, fake, notion_url, tmp_path, cursor=result.cursor)
        assert again.run_requests == [] and again.dynamic_partitions_requests == []
        assert again.skip_reason


def test_same_minute_and_edits(fake, notion_url, tmp_path):
    a = fake.add_page("A", "2026-11-20T10:05:00.000Z")
    with dg.instance_for_test() as instance:
        first = tick(instance, fake, notion_url, tmp_path)
        b = fake.add_page("B", "2026-11-20T10:05:00.000Z")
        second = tick(instance, fake, notion_url, tmp_path, cursor=first.cursor)
        assert [r.partition_key for r in second.run_requests] == [page_id_to_key(b)]
        fake.edit(a, "2026-11-20T10:07:00.000Z")
        third = tick(instance, fake, notion_url, tmp_path, cursor=second.cursor)
        assert [(r.partition_key, r.run_key) for r in third.run_requests] == [
            (page_id_to_key(a), f"{page_id_to_key(a)}@2026-11-20T10:07:00.000Z")
        ]
        assert third.dynamic_partitions_requests == []  # an edit is not a new partition


def test_rate_limits_server_errors_and_timeouts_are_ridden_out(fake, notion_url, tmp_path):
    for i in range(150):
        fake.add_page(f"p{i}", f"2026-11-20T10:{i % 60:02d}:00.000Z")
    fake.fail(
        "POST",
        r"/query$",
        status=429,
        headers={"Retry-After": "0"},
        body={"object": "error", "status": 429, "code": "rate_limited", "message": "slow down"},
    )
    fake.fail(
        "POST",
        r"/query$",
        status=503,
        body={"object": "error", "status": 503, "code": "service_unavailable", "message": "down"},
    )
    fake.fail("POST", r"/query$", delay_s=1.0)  # the client gives up after 0.5 s
    fake.fail("POST", r"/query$", drop=True)  # connection closed with no answer
    with dg.instance_for_test() as instance:
        result = tick(instance, fake, notion_url, tmp_path)
        assert len(result.run_requests) == 150


def test_bad_token_fails_the_tick_with_a_clear_error(fake, notion_url, tmp_path):
    with dg.instance_for_test() as instance:
        with pytest.raises(Exception, match="401 unauthorized") as info:
            tick(instance, fake, notion_url, tmp_path, token="secret_revoked_token")
        assert "secret_revoked_token" not in str(info.value)


def test_without_a_token_the_sensor_reads_the_export_folder(data_dir):
    resource = NotionResource(storage=StorageResource(root=str(data_dir)))
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources={"notion": resource}) as context:
            result = notion_tracks_sensor(context)
    keys = sorted(r.partition_key for r in result.run_requests)
    assert keys == ["4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b", "midnight-train-home", "sunday-morning-coffee"]


def test_pages_already_on_youtube_are_not_made_again(data_dir):
    """The write-back edits the page; the sensor must not start the track over."""
    import json

    rainy = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"
    ledger = data_dir / "assets" / "youtube_video" / rainy / "upload.json"
    ledger.parent.mkdir(parents=True)
    ledger.write_text(json.dumps({"track": rainy, "steps": {"insert": {"status": "done", "video_id": "abc123"}}}))
    resource = NotionResource(storage=StorageResource(root=str(data_dir)))
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources={"notion": resource}) as context:
            result = notion_tracks_sensor(context)
    assert sorted(r.partition_key for r in result.run_requests) == ["midnight-train-home", "sunday-morning-coffee"]
    # It is still registered as a partition (its history stays visible).
    assert rainy in result.dynamic_partitions_requests[0].partition_keys


def test_a_plan_made_from_the_same_edit_is_not_requested_again(fake, notion_url, tmp_path):
    # `make demo` (or the CLI) materialized the plan; the sensor, starting with no cursor,
    # must not ask for it again, but must for an edit made since.
    from lofi_assets.assets.ingest import notion_track
    from tests.fakes.notion import track_page_blocks

    made = fake.add_page("Made", "2026-11-20T10:00:00.000Z", track_page_blocks(arcs=2, prompts_per_arc=2))
    fresh = fake.add_page("Fresh", "2026-11-20T10:01:00.000Z", track_page_blocks(arcs=2, prompts_per_arc=2))
    storage = StorageResource(root=str(tmp_path))
    notion = NotionResource(
        storage=storage, token=fake.token, database_id=fake.database_id, base_url=notion_url, requests_per_second=0
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [page_id_to_key(made)])
        result = dg.materialize(
            [notion_track],
            partition_key=page_id_to_key(made),
            instance=instance,
            resources={"storage": storage, "notion": notion},
        )
        assert result.success
        first = tick(instance, fake, notion_url, tmp_path)
        assert [r.partition_key for r in first.run_requests] == [page_id_to_key(fresh)]

        fake.edit(made, "2026-11-20T10:05:00.000Z")
        edited = tick(instance, fake, notion_url, tmp_path)  # no cursor: a full scan again
        assert sorted(r.partition_key for r in edited.run_requests) == sorted(map(page_id_to_key, [made, fresh]))


def test_the_export_folder_after_make_demo_asks_for_nothing(data_dir):
    # The sample pages carry a "Last edited time" property the plan prefers; the sensor
    # must compare the source's own edit time, which the materialization records.
    from lofi_assets.definitions import defs

    storage = StorageResource(root=str(data_dir))
    resources = {"storage": storage, "notion": NotionResource(storage=storage)}
    with dg.instance_for_test() as instance:
        first = folder_tick(instance, resources)
        keys = sorted(r.partition_key for r in first.run_requests)
        assert keys
        for key in keys:
            job = defs.resolve_job_def("notion_job")
            assert job.execute_in_process(instance=instance, partition_key=key, resources=resources).success
        assert folder_tick(instance, resources).run_requests == []

        page = next((data_dir / "notion").glob("*.md"))
        page.write_text(page.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        os.utime(page, (page.stat().st_atime, page.stat().st_mtime + 120))  # an edit, a minute or more later
        assert len(folder_tick(instance, resources).run_requests) == 1


def folder_tick(instance, resources) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, resources={"notion": resources["notion"]}) as context:
        result = notion_tracks_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result
