"""The 18:00 upload window: what it asks to run, and in which order."""

import json
from datetime import UTC, datetime

import dagster as dg

from resources import StorageResource
from schedules.upload_window import upload_window


def track(root, key, number, checks_pass=True, video=True, uploaded=False, parked_until=None):
    def write(asset, name, data):
        path = root / "assets" / asset / key / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data) if not isinstance(data, bytes) else "")

    write("notion_track", "plan.json", {"key": key, "title": f"Track {number}", "track_number": number})
    write("track_master", "master.json", {"checks": {"loudness_on_target": True, "no_clipping": checks_pass}})
    if video:
        write("track_video", "video.mp4", b"")
    ledger = {"track": key, "steps": {}}
    if uploaded:
        ledger["steps"]["insert"] = {"status": "done", "video_id": "vid" + key}
    if parked_until:
        ledger["parked"] = {"reason": "quotaExceeded", "until": parked_until}
    if uploaded or parked_until:
        write("youtube_video", "upload.json", ledger)


def evaluate(root, keys, when):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", keys)
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, resources={"storage": StorageResource(root=str(root))}
        )
        return upload_window(context)


def test_window_uploads_ready_tracks_in_plan_order(tmp_path):
    when = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    track(tmp_path, "c", 14)
    track(tmp_path, "a", 12)
    track(tmp_path, "b", 13, checks_pass=False)
    track(tmp_path, "d", 11, uploaded=True)
    track(tmp_path, "e", 10, parked_until="2026-11-22T08:00:00+00:00")
    track(tmp_path, "f", 9, parked_until="2026-11-21T08:00:00+00:00")  # the quota has reset since
    track(tmp_path, "g", 8, video=False)
    requests = evaluate(tmp_path, list("abcdefg"), when)
    assert [r.partition_key for r in requests] == ["f", "a", "c"]
    priorities = [int(r.tags["dagster/priority"]) for r in requests]
    assert priorities == sorted(priorities, reverse=True)
    assert requests[0].run_key == "upload-f-2026-11-21"


def test_window_with_nothing_ready_says_why(tmp_path):
    track(tmp_path, "b", 13, checks_pass=False)
    result = evaluate(tmp_path, ["b"], datetime(2026, 11, 21, 18, 0, tzinfo=UTC))
    assert isinstance(result, dg.SkipReason)
    assert "master failed no_clipping" in result.skip_message


def test_window_runs_at_18_in_the_configured_zone():
    assert upload_window.cron_schedule == "0 18 * * *"
    assert upload_window.job_name == "publish_job"
