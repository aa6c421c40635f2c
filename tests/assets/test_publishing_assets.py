"""Publishing materialized as an operator would: a short real master becomes metadata, a
thumbnail and a video; then a dry run, and a live run against the fake YouTube with
faults, parking and re-runs, ending with exactly one video and the page marked Published."""

import json
import subprocess
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from PIL import Image

from lofi_assets.assets.production import track_master
from lofi_assets.assets.publishing import (
    notion_writeback,
    track_metadata,
    track_thumbnail,
    track_video,
    youtube_video,
)
from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.ingest.plan_parser import parse_track_plan
from lofi_assets.core.production.mix import MixSong, plan_mix, render_mix
from lofi_assets.core.publishing.video import probe
from lofi_assets.definitions import defs
from lofi_assets.demo.library import synthesize
from lofi_assets.demo.youtube_server import FakeYouTube
from resources import NotionResource, StorageResource, YouTubeResource
from schedules.upload_window import tracks_to_upload

RAINY = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"
CHAIN = [track_master, track_metadata, track_thumbnail, track_video]
PUBLISH = [youtube_video, notion_writeback]


def write_mix(data_dir, key: str, seconds_each: float = 14.0) -> None:
    """Four short songs, one per arc, mixed by the real mixer to a 45 s target."""
    from lofi_assets.demo.library import write_audio

    folder = data_dir / "songs"
    folder.mkdir(exist_ok=True)
    songs = []
    for arc, (bpm, key_name) in enumerate([(70, "Dm"), (75, "F"), (78, "Am"), (66, "Cm")], start=1):
        path = write_audio(folder / f"song{arc}.wav", synthesize(bpm, key_name, seconds_each, seed=arc))
        songs.append(MixSong(f"song{arc}", str(path), seconds_each, arc, f"Arc {arc}", arc, f"Song {arc}", "generated"))
    placements = plan_mix(songs, 45.0, "extend", 3.0, {1: 1, 2: 1, 3: 1, 4: 1})
    out = data_dir / "assets" / "track_mix" / key
    out.mkdir(parents=True)
    result = render_mix(songs, placements, out / "mix.wav", crossfade_s=3.0, fade_in_s=1.0, fade_out_s=3.0)
    (out / "mix.json").write_text(
        json.dumps({"path": str(out / "mix.wav"), "target_s": 45.0, "chapters": result.chapters})
    )


@pytest.fixture
def mastered(data_dir):
    """A dagster instance with the Rainy plan parsed and its short mix mastered into a video."""
    storage = StorageResource(root=str(data_dir))
    res = {"storage": storage, "notion": NotionResource(storage=storage)}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [RAINY])
        parsed = defs.resolve_job_def("notion_job").execute_in_process(
            instance=instance, partition_key=RAINY, resources=res
        )
        assert parsed.success
        write_mix(data_dir, RAINY)
        result = dg.materialize(CHAIN, partition_key=RAINY, resources=res, instance=instance)
        assert result.success
        evaluations = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        assert all(evaluations.values()), evaluations
        assert "now_playing_shown" in evaluations and "scene_moves" in evaluations
        shown = next(c for c in result.get_asset_check_evaluations() if c.check_name == "now_playing_shown")
        assert shown.metadata["cards"].value >= 3  # one a chapter the description lists
        yield instance, storage, res


def publish(instance, res, youtube, raise_on_error=True):
    return dg.materialize(
        PUBLISH,
        partition_key=RAINY,
        resources={**res, "youtube": youtube},
        instance=instance,
        raise_on_error=raise_on_error,
    )


def test_chain_makes_checked_metadata_thumbnail_and_video(mastered, data_dir):
    meta = json.loads((data_dir / f"assets/track_metadata/{RAINY}/metadata.json").read_text())
    assert meta["title"] == "Rainy Window Study Session 🌧️" or meta["title"].startswith("Rainy Window")
    assert meta["contains_synthetic_media"] is True and meta["category_id"] == "10"
    assert meta["description"].splitlines()[-1].startswith("#lofi")
    assert meta["chapters_ok"] and meta["chapters"][0][0] == 0 and len(meta["chapters"]) >= 3
    assert len(meta["variants"]) >= 2
    thumbs = sorted(p.name for p in (data_dir / f"assets/track_thumbnail/{RAINY}").glob("thumbnail_*.jpg"))
    assert thumbs == ["thumbnail_A.jpg", "thumbnail_B.jpg"]
    master = json.loads((data_dir / f"assets/track_master/{RAINY}/master.json").read_text())
    assert all(master["checks"].values())
    found = probe(data_dir / f"assets/track_video/{RAINY}/video.mp4")
    assert found.video.codec == "h264" and (found.video.width, found.video.height) == (1280, 720)
    assert found.video.fps >= 24  # the moving scene, its loop and a contact sheet beside it
    for name in ("scene_loop.mp4", "contact_sheet.jpg", "preview.mp4", "preview.webp"):
        assert (data_dir / f"assets/track_video/{RAINY}/{name}").stat().st_size > 10_000
    assert found.audio.codec == "aac" and found.audio.rate == 48000
    assert abs(found.duration_s - master["measured"]["duration_s"]) <= 0.5
    # the video carries the master's checked AAC copy as it is: the same audio packets
    assert master["lossy"]["true_peak_dbtp"] <= master["ceiling_dbtp"]
    packets = [
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(f), "-map", "0:a:0", "-c", "copy", "-f", "adts", "-"],
            capture_output=True,
            check=True,
        ).stdout
        for f in (
            data_dir / f"assets/track_master/{RAINY}/master.m4a",
            data_dir / f"assets/track_video/{RAINY}/video.mp4",
        )
    ]
    assert packets[0] == packets[1] and len(packets[0]) > 10_000
    # the operator's own picture (a square: cover-cropped) at 1080p with the visualiser, checked the same way
    instance, _, res = mastered
    (data_dir / "scenes").mkdir(exist_ok=True)
    Image.new("RGB", (1000, 1000), (40, 50, 70)).save(data_dir / "scenes" / f"{RAINY}.png")  # a square: cropped
    config = {"ops": {"track_video": {"config": {"visualiser": True, "resolution": "p1080"}}}}
    result = dg.materialize([track_video], partition_key=RAINY, resources=res, instance=instance, run_config=config)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert all(c.passed for c in checks.values()), {n: c.metadata["problems"] for n, c in checks.items()}
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["scene_source"].value == f"{RAINY}.png: cover-cropped from 1000×1000"
    assert meta["visualiser"].value is True and meta["now_playing"].value >= 3
    assert meta["video"].value.startswith("h264 1920×1080 @ 24 fps")
    (data_dir / "scenes" / f"{RAINY}.png").unlink()


def test_dry_run_writes_the_requests_and_publishes_nothing(mastered, data_dir):
    instance, storage, res = mastered
    result = publish(instance, res, YouTubeResource())
    assert result.success
    record = json.loads((data_dir / f"assets/youtube_video/{RAINY}/dry_run.json").read_text())
    assert record["mode"] == "dry-run" and "LOFI_YOUTUBE_TOKEN" in record["note"]
    insert = record["requests"][0]
    assert insert["step"] == "videos.insert" and "uploadType=resumable" in insert["uri"]
    assert insert["body"]["snippet"]["categoryId"] == "10"
    assert insert["body"]["status"]["containsSyntheticMedia"] is True
    # The plan's slot ("Friday 18:00 local"): private, with publishAt.
    assert insert["body"]["status"]["privacyStatus"] == "private" and insert["body"]["status"]["publishAt"]
    # privacy_as_asked is left unevaluated (skipped in the UI): nothing is on YouTube.
    assert {c.check_name: c.passed for c in result.get_asset_check_evaluations()} == {
        "upload_verified": True,
        "post_upload_steps": True,
        "page_matches_upload": True,
    }
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"youtube_video"}  # no write-back without a real video
    assert not (data_dir / f"assets/youtube_video/{RAINY}/upload.json").exists()


def test_live_upload_parks_resumes_and_never_makes_a_second_video(mastered, data_dir, tmp_path):
    instance, storage, res = mastered
    fake = FakeYouTube()
    with fake.serve():
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        youtube = YouTubeResource(
            token_file=str(token), root_url=fake.base_url, token_uri=fake.token_uri, backoff_s=0.001, chunk_mb=0.25
        )

        fake.fail("init", 403, "quotaExceeded")
        parked = publish(instance, res, youtube)
        assert parked.success and not parked.get_asset_materialization_events()
        ledger_file = data_dir / f"assets/youtube_video/{RAINY}/upload.json"
        ledger = json.loads(ledger_file.read_text())
        assert ledger["parked"]["reason"] == "quotaExceeded"
        ready, waiting = tracks_to_upload(storage, [RAINY], datetime.now(UTC))
        assert ready == [] and "parked until" in waiting[0]

        # The next day's window: the quota is back; a 503 and a dropped connection on the way.
        ledger["parked"]["until"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        ledger_file.write_text(json.dumps(ledger))
        assert tracks_to_upload(storage, [RAINY], datetime.now(UTC))[0] == [RAINY]
        fake.fail("chunk", "pass")
        fake.fail("chunk", 503)
        fake.fail("chunk", "drop")
        done = publish(instance, res, youtube)
        assert done.success
        assert {c.check_name: c.passed for c in done.get_asset_check_evaluations()} == {
            "upload_verified": True,
            "post_upload_steps": True,
            "privacy_as_asked": True,
            "page_matches_upload": True,
        }
        (video_id,) = fake.videos
        video = (data_dir / f"assets/track_video/{RAINY}/video.mp4").read_bytes()
        assert fake.video_bytes[video_id] == video
        assert fake.videos[video_id]["status"]["privacyStatus"] == "private"
        assert fake.thumbnails[video_id][:3] == b"\xff\xd8\xff"
        assert [p["snippet"]["title"] for p in fake.playlists.values()] == ["Lofi for Studying"]

        # The export folder's page now reads as published, with the URL.
        plan = parse_track_plan(_fetch(res, RAINY), key=RAINY, source="")
        assert plan.status == "Published" and plan.youtube_url.endswith(video_id)

        again = publish(instance, res, youtube)
        assert again.success
        assert fake.counts["videos.insert"] == 1 and fake.counts["videos_created"] == 1
        assert len(fake.playlist_items) == 1 and fake.counts["thumbnails.set"] == 1
        assert tracks_to_upload(storage, [RAINY], datetime.now(UTC)) == ([], [])


def test_a_video_locked_private_by_an_unaudited_project_is_reported(mastered, data_dir, tmp_path):
    instance, storage, res = mastered
    plan_file = data_dir / f"assets/notion_track/{RAINY}/plan.json"
    plan = json.loads(plan_file.read_text())
    plan["upload_schedule"] = None  # no slot: the upload asks for "public" outright
    plan_file.write_text(json.dumps(plan))
    fake = FakeYouTube(unaudited=True)
    with fake.serve():
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        youtube = YouTubeResource(token_file=str(token), root_url=fake.base_url, token_uri=fake.token_uri)
        result = dg.materialize(
            [youtube_video], partition_key=RAINY, resources={**res, "youtube": youtube}, instance=instance
        )
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["upload_verified"].passed and not checks["privacy_as_asked"].passed
    assert checks["privacy_as_asked"].metadata["asked"].value == "public"
    assert checks["privacy_as_asked"].metadata["on_youtube"].value == "private"
    assert "audit" in checks["privacy_as_asked"].metadata["problem"].value
    (mat,) = result.asset_materializations_for_node("youtube_video")
    assert mat.metadata["privacy_on_youtube"].value == "private"
    assert fake.counts["videos.insert"] == 1


def _fetch(res, key):
    return res["notion"].open_source().fetch(key).markdown


def test_failed_master_or_bad_metadata_stop_before_any_request(mastered, data_dir, tmp_path):
    instance, storage, res = mastered
    fake = FakeYouTube()
    with fake.serve():
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        youtube = YouTubeResource(token_file=str(token), root_url=fake.base_url, token_uri=fake.token_uri)
        master_file = data_dir / f"assets/track_master/{RAINY}/master.json"
        master = json.loads(master_file.read_text())
        master["checks"]["true_peak_under_ceiling"] = False
        master_file.write_text(json.dumps(master))
        result = publish(instance, res, youtube, raise_on_error=False)
        assert not result.success
        failure = result.get_step_failure_events()[0].step_failure_data.error.message
        assert "true_peak_under_ceiling" in failure
        assert tracks_to_upload(storage, [RAINY], datetime.now(UTC))[0] == []

        master["checks"]["true_peak_under_ceiling"] = True
        master_file.write_text(json.dumps(master))
        meta_file = data_dir / f"assets/track_metadata/{RAINY}/metadata.json"
        meta = json.loads(meta_file.read_text())
        meta["tags"].append("best <lofi>")
        meta_file.write_text(json.dumps(meta))
        result = publish(instance, res, youtube, raise_on_error=False)
        assert not result.success
        assert "'<' or '>'" in result.get_step_failure_events()[0].step_failure_data.error.message
        assert fake.log == []  # nothing was sent, not even a token refresh
