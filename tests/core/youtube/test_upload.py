"""Publishing against a fake YouTube on loopback that speaks the real protocol.

Across every failure path the server must see exactly one ``videos.insert`` session and
make exactly one video per track.
"""

import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lofi_assets.core.youtube.client import (
    SCOPES,
    AuthError,
    build_youtube,
    http_client,
    load_credentials,
    next_quota_reset,
    save_credentials,
)
from lofi_assets.core.youtube.upload import (
    CHUNK_QUANTUM,
    Ledger,
    PublishInputError,
    UploadPlan,
    dry_run_requests,
    publish,
)
from lofi_assets.demo.youtube_server import FakeYouTube

FAST = {"backoff_s": 0.001, "max_backoff_s": 0.01}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture
def fake():
    server = FakeYouTube()
    with server.serve():
        yield server


def youtube_for(fake: FakeYouTube):
    from google.oauth2.credentials import Credentials

    credentials = Credentials.from_authorized_user_info(fake.authorized_user_info(), [SCOPES["youtube"]])
    credentials = credentials.with_token_uri(fake.token_uri)
    return build_youtube(http_client(credentials), fake.base_url)


def make_plan(tmp_path: Path, track: str = "t1", size: int = 12 * CHUNK_QUANTUM + 1234, **kw) -> UploadPlan:
    video = tmp_path / f"{track}.mp4"
    if not video.exists():
        video.write_bytes(os.urandom(size))
    thumb = tmp_path / f"{track}.png"
    thumb.write_bytes(PNG)
    body = {
        "snippet": {"title": f"Rainy lofi {track}", "description": "d", "tags": ["lofi"], "categoryId": "10"},
        "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": False, "containsSyntheticMedia": True},
    }
    options = {
        "track": track,
        "master_sha256": "m" * 64,
        "video": video,
        "body": body,
        "thumbnail": thumb,
        "playlists": ["Study Lofi"],
        "chunk_bytes": 2 * CHUNK_QUANTUM,
    }
    options.update(kw)
    return UploadPlan(**options)


def one_video(fake: FakeYouTube, plan: UploadPlan) -> str:
    assert fake.counts["videos.insert"] == 1
    assert fake.counts["videos_created"] == 1
    (video_id,) = fake.videos
    assert fake.video_bytes[video_id] == plan.video.read_bytes()
    return video_id


def test_upload_sets_thumbnail_and_playlist_once(fake, tmp_path):
    plan = make_plan(tmp_path)
    ledger = tmp_path / "upload.json"
    result = publish(youtube_for(fake), ledger, plan, **FAST)
    video_id = one_video(fake, plan)
    assert result.status == "published" and result.video_id == video_id
    assert result.steps == {"insert": "done", "thumbnail": "done", "playlists": "done"}
    assert fake.thumbnails[video_id] == PNG
    assert [p["snippet"]["title"] for p in fake.playlists.values()] == ["Study Lofi"]
    assert len(fake.playlist_items) == 1
    assert fake.videos[video_id]["status"]["containsSyntheticMedia"] is True
    assert stat.S_IMODE(os.stat(ledger).st_mode) == 0o600
    assert "session_uri" not in json.dumps(json.loads(ledger.read_text())["history"])

    again = publish(youtube_for(fake), ledger, plan, **FAST)
    assert again.video_id == video_id
    assert fake.counts["videos.insert"] == 1 and fake.counts["thumbnails.set"] == 1
    assert fake.counts["playlists.insert"] == 1 and len(fake.playlist_items) == 1


def test_503_on_a_chunk_resumes_from_the_server_offset(fake, tmp_path):
    plan = make_plan(tmp_path)
    fake.fail("chunk", 503, times=2)
    result = publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    one_video(fake, plan)
    assert result.retries >= 2
    assert fake.counts["status_query"] >= 2  # the client asked where to resume


def test_dropped_connection_mid_chunk_resends_only_what_was_lost(fake, tmp_path):
    plan = make_plan(tmp_path, chunk_bytes=8 * CHUNK_QUANTUM)
    fake.fail("chunk", "drop")
    result = publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    one_video(fake, plan)
    size = plan.video.stat().st_size
    # Half of the first 2 MiB chunk arrived and was kept; at most the rest went twice.
    assert fake.bytes_received - size <= 4 * CHUNK_QUANTUM
    # Ours, or httplib2's own silent re-send on a fresh connection (chunks go as bytes,
    # so that re-send is whole rather than an empty stream hanging until the timeout).
    assert result.retries <= 1


def test_lost_answer_to_the_last_chunk_adopts_the_video(fake, tmp_path):
    plan = make_plan(tmp_path, size=3 * CHUNK_QUANTUM)
    # Chunks 1 and 2 pass; the last chunk is stored but its answer never arrives.
    fake.fail("chunk", "pass")
    fake.fail("chunk", "pass")
    fake.fail("chunk", "drop-after")
    result = publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    one_video(fake, plan)
    assert result.status == "published"


def test_crash_and_resume_in_a_new_process(fake, tmp_path):
    plan = make_plan(tmp_path)
    ledger = tmp_path / "upload.json"
    token = tmp_path / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info()))
    script = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from lofi_assets.core.youtube.client import SCOPES, build_youtube, http_client, load_credentials
        from lofi_assets.core.youtube.upload import UploadPlan, publish
        credentials = load_credentials(Path({str(token)!r}), [SCOPES["youtube"]], {fake.token_uri!r})
        plan = UploadPlan(track="t1", master_sha256="m" * 64, video=Path({str(plan.video)!r}),
                          body={json.dumps(plan.body)!r} and __import__("json").loads({json.dumps(plan.body)!r}),
                          chunk_bytes={plan.chunk_bytes})
        def crash(done, total):
            if done >= 3 * {plan.chunk_bytes}:
                os._exit(17)  # the machine dies mid-upload
        publish(build_youtube(http_client(credentials), {fake.base_url!r}), Path({str(ledger)!r}), plan,
                on_progress=crash)
    """)
    child = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).parents[3], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 17, child.stderr
    assert fake.counts["videos.insert"] == 1 and fake.counts["videos_created"] == 0
    received_before = fake.bytes_received

    result = publish(youtube_for(fake), ledger, plan, **FAST)
    one_video(fake, plan)
    assert result.resumed
    # The new process sent only what the first had not.
    assert fake.bytes_received - received_before <= plan.video.stat().st_size - 3 * plan.chunk_bytes


def test_quota_exceeded_parks_until_the_pacific_reset(fake, tmp_path):
    plan = make_plan(tmp_path)
    ledger = tmp_path / "upload.json"
    fake.fail("init", 403, "quotaExceeded")
    now = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles
    result = publish(youtube_for(fake), ledger, plan, now=lambda: now, **FAST)
    assert result.status == "parked" and result.reason == "quotaExceeded"
    assert result.parked_until == "2026-11-22T08:00:00+00:00"  # midnight PST
    assert result.retries == 0 and fake.counts["videos.insert"] == 0
    requests_so_far = len(fake.log)

    later = now + timedelta(hours=3)
    still = publish(youtube_for(fake), ledger, plan, now=lambda: later, **FAST)
    assert still.status == "parked" and len(fake.log) == requests_so_far  # nothing sent

    tomorrow = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    done = publish(youtube_for(fake), ledger, plan, now=lambda: tomorrow, **FAST)
    assert done.status == "published"
    one_video(fake, plan)
    assert json.loads(ledger.read_text())["parked"] is None


def test_upload_limit_exceeded_parks_too(fake, tmp_path):
    fake.fail("init", 400, "uploadLimitExceeded")
    result = publish(youtube_for(fake), tmp_path / "upload.json", make_plan(tmp_path), **FAST)
    assert result.status == "parked" and result.reason == "uploadLimitExceeded"
    assert fake.counts["videos_created"] == 0


def test_rate_limit_is_retried_with_backoff(fake, tmp_path):
    plan = make_plan(tmp_path)
    fake.fail("init", 403, "rateLimitExceeded", times=2)
    result = publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    assert result.status == "published" and result.retries == 2
    one_video(fake, plan)


def test_invalid_thumbnail_never_undoes_the_upload(fake, tmp_path):
    plan = make_plan(tmp_path)
    plan.thumbnail.write_bytes(b"GIF89a not an image YouTube takes")
    plan.thumbnail = plan.thumbnail.rename(plan.thumbnail.with_suffix(".jpg"))
    ledger = tmp_path / "upload.json"
    result = publish(youtube_for(fake), ledger, plan, **FAST)
    assert result.status == "published" and result.steps["thumbnail"] == "failed"
    assert "invalidImage" in " ".join(result.notes)
    assert result.steps["playlists"] == "done"  # later steps still ran

    plan.thumbnail.write_bytes(b"\xff\xd8\xff\xe0 a jpeg")
    again = publish(youtube_for(fake), ledger, plan, **FAST)
    assert again.steps["thumbnail"] == "done"
    one_video(fake, plan)


def test_lost_playlist_insert_answer_adds_the_video_once(fake, tmp_path):
    plan = make_plan(tmp_path)
    fake.fail("playlistItems.insert", "drop-after")
    result = publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    assert result.steps["playlists"] == "done"
    # httplib2 re-sent the POST on a fresh connection (the fake, like YouTube, took it
    # twice); the check after the insert removed the second entry.
    assert fake.counts["playlistItems.insert"] == 2 and fake.counts["playlistItems.delete"] == 1
    assert len(fake.playlist_items) == 1


def test_existing_playlist_is_found_not_created(fake, tmp_path):
    yt = youtube_for(fake)
    for n in range(55):  # more than one page of 50
        yt.playlists().insert(part="snippet", body={"snippet": {"title": f"Other {n}"}}).execute()
    yt.playlists().insert(part="snippet", body={"snippet": {"title": "Study Lofi"}}).execute()
    publish(yt, tmp_path / "upload.json", make_plan(tmp_path), **FAST)
    assert fake.counts["playlists.insert"] == 56


def test_expired_refresh_token_says_run_lofi_auth(fake, tmp_path):
    token = tmp_path / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info()))
    fake.revoke_refresh_tokens()
    with pytest.raises(AuthError, match="lofi auth") as err:
        load_credentials(token, [SCOPES["youtube"]], fake.token_uri)
    assert "refresh-1" not in str(err.value)
    # Mid-run expiry (the access token stops working, the refresh is refused) stops too.
    plan = make_plan(tmp_path)
    yt = youtube_for(fake)
    with pytest.raises(AuthError, match="lofi auth"):
        publish(yt, tmp_path / "upload.json", plan, **FAST)
    assert fake.counts["videos.insert"] == 0


def test_refreshed_token_is_written_back_with_mode_0600(fake, tmp_path):
    token = tmp_path / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info()))
    credentials = load_credentials(token, [SCOPES["youtube"]], fake.token_uri)
    assert credentials.valid
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    assert json.loads(token.read_text())["token"] in fake.access_tokens
    other = tmp_path / "other.json"
    save_credentials(other, credentials)
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o600


def test_bad_input_fails_before_any_request(fake, tmp_path):
    plan = make_plan(tmp_path)
    plan.thumbnail.unlink()
    with pytest.raises(PublishInputError, match="thumbnail"):
        publish(youtube_for(fake), tmp_path / "upload.json", plan, **FAST)
    plan = make_plan(tmp_path, track="t2", chunk_bytes=1000)
    with pytest.raises(PublishInputError, match="256 KiB"):
        publish(youtube_for(fake), tmp_path / "upload2.json", plan, **FAST)
    assert fake.log == [] and fake.counts["token"] == 0


def test_changed_master_is_never_uploaded_twice(fake, tmp_path):
    plan = make_plan(tmp_path)
    ledger = tmp_path / "upload.json"
    publish(youtube_for(fake), ledger, plan, **FAST)
    plan.master_sha256 = "n" * 64
    plan.video.write_bytes(os.urandom(3 * CHUNK_QUANTUM))
    result = publish(youtube_for(fake), ledger, plan, **FAST)
    assert fake.counts["videos.insert"] == 1
    assert "never made" in " ".join(result.notes)


def test_corrupt_ledger_stops_rather_than_risk_a_second_video(tmp_path):
    path = tmp_path / "upload.json"
    path.write_text("{not json")
    with pytest.raises(Exception, match="corrupt"):
        Ledger(path, "t1")


def test_dry_run_writes_the_exact_requests(tmp_path):
    plan = make_plan(tmp_path)
    records = dry_run_requests(plan)
    insert = records[0]
    assert insert["step"] == "videos.insert" and insert["method"] == "POST"
    assert insert["uri"].startswith("https://youtube.googleapis.com/upload/youtube/v3/videos?")
    assert "uploadType=resumable" in insert["uri"] and "part=snippet%2Cstatus" in insert["uri"]
    assert insert["body"] == plan.body
    assert insert["media"]["bytes"] == plan.video.stat().st_size
    assert insert["headers"]["X-Upload-Content-Type"] == "video/mp4"
    assert insert["headers"]["X-Upload-Content-Length"] == str(plan.video.stat().st_size)
    assert [r["step"] for r in records[1:]] == [
        "thumbnails.set",
        "playlists.list",
        "playlists.insert",
        "playlistItems.list",
        "playlistItems.insert",
    ]
    assert all("authorization" not in {k.lower() for k in r["headers"]} for r in records)


def test_next_quota_reset_follows_daylight_saving():
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert next_quota_reset(summer) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # PDT
    winter = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert next_quota_reset(winter) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # PST


def test_two_publishers_at_the_same_moment_make_one_video(fake, tmp_path):
    # Two runs of youtube_video for one track (a manual materialization during the upload
    # window, on an instance without the pool limit): the claim lets one through.
    import threading

    from lofi_assets.core.youtube.claim import UploadClaim
    from lofi_assets.core.youtube.upload import Publisher

    plan = make_plan(tmp_path)
    ledger = tmp_path / "upload.json"
    start = threading.Barrier(2)
    results = []

    def run(owner: str) -> None:
        youtube = youtube_for(fake)  # a client each, as two processes would have
        publisher = Publisher(
            youtube, Ledger(ledger, plan.track), claim=UploadClaim(tmp_path / "claim.json", owner), **FAST
        )
        start.wait()
        results.append(publisher.publish(plan))

    threads = [threading.Thread(target=run, args=(f"run {i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    video_id = one_video(fake, plan)
    statuses = sorted(r.status for r in results)
    # the loser either found the claim held, or came after the winner and found the video
    assert statuses in (["claimed", "published"], ["published", "published"])
    assert all(r.video_id in (None, video_id) for r in results)
    claimed = [r for r in results if r.status == "claimed"]
    assert all("is uploading this track" in r.reason for r in claimed)
    assert not (tmp_path / "claim.json").exists()  # released once the insert was recorded


def test_a_claim_left_by_a_dead_process_is_taken_over(fake, tmp_path):
    import socket

    from lofi_assets.core.youtube.claim import UploadClaim

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = {
        "token": "x",
        "owner": "run killed",
        "host": socket.gethostname(),
        "pid": int(dead.stdout),
        "at": datetime.now(UTC).isoformat(),
    }
    (tmp_path / "claim.json").write_text(json.dumps(record))
    live = UploadClaim(tmp_path / "other.json", "run live")
    assert live.acquire() == (True, None)
    held = UploadClaim(tmp_path / "other.json", "run second")
    won, holder = held.acquire()
    assert not won and holder["owner"] == "run live"

    plan = make_plan(tmp_path)
    from lofi_assets.core.youtube.upload import Publisher

    result = Publisher(
        youtube_for(fake),
        Ledger(tmp_path / "upload.json", plan.track),
        claim=UploadClaim(tmp_path / "claim.json", "run again"),
        **FAST,
    ).publish(plan)
    assert result.status == "published"
    one_video(fake, plan)


def test_the_claim_is_a_conditional_create_on_object_storage():
    from upath import UPath

    from lofi_assets.core.youtube.claim import UploadClaim

    path = UPath("memory://lofi/assets/youtube_video/t1/upload.claim.json")
    first, second = UploadClaim(path, "run a"), UploadClaim(path, "run b")
    assert first.acquire() == (True, None)
    won, holder = second.acquire()
    assert not won and holder["owner"] == "run a"
    first.release()
    assert second.acquire() == (True, None)
    second.release()
    assert not path.exists()
