"""notion_track materialized on a test instance, from the export folder and from the API."""

import json

import dagster as dg
import pytest

from lofi_assets.assets.ingest import notion_track
from lofi_assets.core.ingest.plan import validate_plan_dict
from lofi_assets.core.partition_keys import page_id_to_key
from lofi_assets.definitions import defs
from resources import NotionResource, StorageResource
from tests.fakes.notion import FakeNotion, track_page_blocks

SAMPLE_KEYS = {"4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b": 11, "midnight-train-home": 9, "sunday-morning-coffee": 7}


def run_job(instance, resources, key):
    job = defs.resolve_job_def("notion_job")
    return job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False, resources=resources)


def folder_resources(root):
    storage = StorageResource(root=str(root))
    return {"storage": storage, "notion": NotionResource(storage=storage)}


def test_every_sample_track_materializes_with_a_passing_check(data_dir):
    resources = folder_resources(data_dir)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", list(SAMPLE_KEYS))
        for key, prompts in SAMPLE_KEYS.items():
            result = run_job(instance, resources, key)
            assert result.success, key
            (mat,) = result.asset_materializations_for_node("notion_track")
            assert mat.metadata["prompts"].value == prompts
            assert mat.metadata["notion_source"].value == "markdown-folder"
            assert "NOTION_TOKEN is not set" in mat.metadata["notion_note"].value
            (check,) = result.get_asset_check_evaluations()
            assert check.passed
            path = data_dir / "assets" / "notion_track" / key / "plan.json"
            plan = json.loads(path.read_text())
            assert plan["key"] == key and validate_plan_dict(plan) == []
            assert [p.name for p in path.parent.iterdir()] == ["plan.json"]  # no temporary files left


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("empty.md", b"", "is empty"),
        ("junk.md", b"\x00\x01\x02\xff" * 200, "not a text file"),
        ("notes-only.md", b"# Notes\n\nJust an idea for a mix.\n", "has no arcs"),
    ],
)
def test_bad_pages_fail_their_partition_only(data_dir, name, content, message):
    (data_dir / "notion" / name).write_bytes(content)
    bad_key = name[:-3]
    resources = folder_resources(data_dir)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [bad_key, "sunday-morning-coffee"])
        bad = run_job(instance, resources, bad_key)
        assert not bad.success
        (failure,) = [e for e in bad.all_events if e.is_step_failure]
        text = failure.step_failure_data.error.message
        assert message in text and bad_key in text
        assert not (data_dir / "assets" / "notion_track" / bad_key).exists()
        assert run_job(instance, resources, "sunday-morning-coffee").success


def test_missing_page_fails_clearly(data_dir):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", ["deleted-page"])
        result = run_job(instance, folder_resources(data_dir), "deleted-page")
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "no Markdown file for page deleted-page" in failure.step_failure_data.error.message


def test_materializes_from_the_notion_api(tmp_path):
    fake = FakeNotion()
    pid = fake.add_page("API Track", "2026-11-20T10:00:00.000Z", track_page_blocks(arcs=3, prompts_per_arc=2))
    key = page_id_to_key(pid)
    storage = StorageResource(root=str(tmp_path))
    with fake.serve() as url, dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [key])
        notion = NotionResource(
            storage=storage, token=fake.token, database_id=fake.database_id, base_url=url, requests_per_second=0
        )
        result = dg.materialize(
            [notion_track], partition_key=key, instance=instance, resources={"storage": storage, "notion": notion}
        )
    assert result.success
    (mat,) = result.asset_materializations_for_node("notion_track")
    assert mat.metadata["notion_source"].value == "notion-api"
    assert (mat.metadata["arcs"].value, mat.metadata["prompts"].value) == (3, 6)
    assert fake.token not in json.dumps({k: str(v.value) for k, v in mat.metadata.items()})
    plan = json.loads((tmp_path / "assets" / "notion_track" / key / "plan.json").read_text())
    assert plan["title"] == "API Track" and plan["source"].startswith("https://www.notion.so/")
