"""The single Definitions entry point loads, and `dg check defs` agrees."""

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from lofi_assets.definitions import defs
from tests.conftest import PROJECT_ROOT


def test_definitions_load_with_partitioned_assets_job_and_sensor():
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("notion_track"))
    assert node.partitions_def.name == "tracks"
    assert node.group_name == "ingest"
    assert defs.resolve_job_def("track_job")
    sensor = defs.resolve_sensor_def("notion_tracks_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert {c.name for c in defs.resolve_asset_graph().asset_check_keys} == {
        "plan_file_valid",
        "analysis_valid",
        "index_consistent",
        "no_song_twice",
        "pieces_reparse",
        "round_trip",
        "beats_unigram",
        "generates_midi",
        "gap_midi_valid",
        "batch_valid",
        "renders_decode",
        "stereo_image",
        "sound_as_planned",
        "mix_valid",
        "library_files_decode",
        "loudness_on_target",
        "true_peak_under_ceiling",
        "dynamic_range",
        "stereo_correlation",
        "no_clipping",
        "duration_matches_plan",
        "even_loudness",
        "metadata_within_limits",
        "thumbnail_valid",
        "video_valid",
        "scene_moves",
        "now_playing_shown",
        "upload_verified",
        "post_upload_steps",
        "privacy_as_asked",
        "page_matches_upload",
        "stats_store_valid",
        "report_complete",
    }
    master_checks = [s for s in graph.get(dg.AssetKey("track_master")).check_keys]
    assert len(master_checks) == 7
    for name in ("rendered_songs", "track_mix", "track_master"):
        assert graph.get(dg.AssetKey(name)).partitions_def.name == "tracks"
        assert graph.get(dg.AssetKey(name)).group_name == "production"
    assert graph.get(dg.AssetKey("song_stems")).partitions_def.name == "songs"
    job = defs.resolve_job_def("track_job")
    assert {"rendered_songs", "track_mix", "track_master"} <= {k.path[-1] for k in job.asset_layer.selected_asset_keys}
    for name, partitions in (
        ("library_song", "songs"),
        ("song_embedding", "songs"),
        ("prompt_embeddings", "tracks"),
        ("track_playlist", "tracks"),
    ):
        assert graph.get(dg.AssetKey(name)).partitions_def.name == partitions
    assert graph.get(dg.AssetKey("library_index")).partitions_def is None
    assert graph.get(dg.AssetKey("gap_songs")).partitions_def.name == "tracks"
    assert isinstance(graph.get(dg.AssetKey("nightly_songs")).partitions_def, dg.DailyPartitionsDefinition)
    for name in ("track_metadata", "track_thumbnail", "track_video", "youtube_video", "notion_writeback"):
        assert graph.get(dg.AssetKey(name)).partitions_def.name == "tracks"
        assert graph.get(dg.AssetKey(name)).group_name == "publishing"
    assert graph.get(dg.AssetKey("youtube_video")).pools == {"youtube"}
    for name in ("video_stats", "channel_report"):
        node = graph.get(dg.AssetKey(name))
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition) and node.group_name == "analytics"
    assert graph.get(dg.AssetKey("video_stats")).backfill_policy == dg.BackfillPolicy.single_run()
    assert dg.AssetKey("youtube_video") in graph.get(dg.AssetKey("video_stats")).parent_keys


def test_nightly_schedule_at_two():
    schedule = defs.resolve_schedule_def("nightly_songs_schedule")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.job_name == "nightly_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_analytics_schedule_at_six_and_failure_sensor_on():
    schedule = defs.resolve_schedule_def("analytics_daily")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.job_name == "analytics_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 12, 2, 6, tzinfo=UTC), repository_def=defs.get_repository_def()
    )
    (request,) = [schedule.evaluate_tick(context).run_requests[0]]
    assert request.partition_key == "2026-12-01"
    assert defs.resolve_sensor_def("run_failure_alerts").default_status == dg.DefaultSensorStatus.RUNNING


def test_every_sensor_runs_by_default_and_the_index_is_automated_by_one_of_them():
    # Dagster's own default automation sensor starts stopped: library_index would never
    # rebuild under `make dev` without ours.
    repo = defs.get_repository_def()
    assert {s.name: s.default_status for s in repo.sensor_defs} == dict.fromkeys(
        [
            "notion_tracks_sensor",
            "library_songs_sensor",
            "library_index_automation",
            "run_failure_alerts",
            "deployment_upkeep",
        ],
        dg.DefaultSensorStatus.RUNNING,
    )
    automation = repo.get_sensor_def("library_index_automation")
    assert automation.asset_selection.resolve(repo.asset_graph) == {dg.AssetKey("library_index")}


def test_without_notion_token_no_secret_is_configured(monkeypatch):
    notion = defs.resources["notion"]
    if not os.environ.get("NOTION_TOKEN"):
        assert notion.token is None and notion.mode == "markdown-folder"


def test_dg_check_defs():
    dg_cli = Path(sys.executable).with_name("dg")
    if not dg_cli.exists():
        dg_cli = shutil.which("dg")
        if dg_cli is None:
            pytest.skip("the dg CLI (dagster-dg-cli) is not installed")
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parents[1])}
    result = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_loading_the_definitions_prints_no_beta_warning():
    # single-run backfills are used knowingly; the warning printed twice on every command
    loaded = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import lofi_assets.definitions"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "BetaWarning" not in loaded.stderr and "backfill_policy" not in loaded.stderr


@pytest.mark.parametrize(
    ("asset", "field", "wrong", "right"),
    [
        ("track_master", "preset", "loud", "cd"),
        ("track_master", "lossy", "ogg", "aac"),
        ("track_mix", "policy", "loop", "repeat"),
        ("rendered_songs", "preset", "warm", "dusty"),
    ],
)
def test_config_choices_are_typed_so_a_wrong_value_is_refused_before_any_run(asset, field, wrong, right):
    job = defs.resolve_job_def("track_job")
    with pytest.raises(dg.DagsterInvalidConfigError, match=f"{field}.*{wrong}|{wrong}"):
        dg.validate_run_config(job, {"ops": {asset: {"config": {field: wrong}}}})
    dg.validate_run_config(job, {"ops": {asset: {"config": {field: right}}}})
