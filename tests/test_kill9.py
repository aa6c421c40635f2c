"""Crash safety at the process level: a run's process killed with SIGKILL in the middle of
writing the mix, the master or the upload, then run again. No half-written file may carry
a real name, and the second run must finish (with one video)."""

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lofi_assets.core.audio_io import RATE, read_audio, write_wav
from lofi_assets.core.production.loudness import measure
from lofi_assets.demo.library import synthesize
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def kill_while_writing(command: list[str], folder: Path, timeout_s: float = 60.0) -> None:
    """Start ``command``; SIGKILL it the moment a temporary (hidden) file appears in
    ``folder``, i.e. while an output is being written."""
    before = set(folder.iterdir())
    proc = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.name.startswith(".") for p in set(folder.iterdir()) - before):
            time.sleep(0.05)  # a few blocks into it
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, f"not killed mid-write (rc {proc.returncode}): {proc.stderr.read()}"


def test_master_killed_mid_render_leaves_no_master_and_runs_again(tmp_path):
    source = write_wav(tmp_path / "mix.wav", synthesize(76, "F", 90, seed=3) * 0.3)
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "lofi_assets.cli", "master", str(source), str(out / "master.wav")]
    kill_while_writing(command, out)
    real = [out / "master.wav", out / "master_16bit.wav", out / "master.m4a"]
    assert not any(p.exists() for p in real)

    again = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert all(p.exists() for p in real)
    assert measure(read_audio(out / "master.wav"), RATE).integrated_lufs == pytest.approx(-14.0, abs=0.1)


def test_mix_killed_mid_write_leaves_no_mix_and_runs_again(tmp_path):
    songs = tmp_path / "songs"
    songs.mkdir()
    for i, (bpm, key) in enumerate([(70, "Dm"), (76, "F"), (80, "Am")]):
        write_wav(songs / f"s{i}.wav", synthesize(bpm, key, 60, seed=i) * 0.3)
    out = tmp_path / "out"
    out.mkdir()
    script = textwrap.dedent(f"""
        from pathlib import Path
        from lofi_assets.core.production.mix import MixSong, plan_mix, render_mix
        songs = [MixSong(f"s{{i}}", str(Path({str(songs)!r}) / f"s{{i}}.wav"), 60.0, i + 1, "", i, "", "library")
                 for i in range(3)]
        render_mix(songs, plan_mix(songs, 600.0, "repeat", 5.0), Path({str(out / "mix.wav")!r}))
    """)
    kill_while_writing([sys.executable, "-c", script], out)
    assert not (out / "mix.wav").exists()
    again = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert read_audio(out / "mix.wav").shape[1] == pytest.approx(600 * RATE, rel=0.01)


def test_upload_killed_mid_session_resumes_into_one_video(tmp_path):
    from lofi_assets.core.youtube.claim import UploadClaim
    from lofi_assets.core.youtube.upload import Ledger, Publisher
    from lofi_assets.demo.youtube_server import FakeYouTube
    from tests.core.youtube.test_upload import FAST, make_plan, one_video, youtube_for

    fake = FakeYouTube()
    with fake.serve():
        plan = make_plan(tmp_path)
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        script = textwrap.dedent(f"""
            import json, os, signal
            from pathlib import Path
            from lofi_assets.core.youtube.claim import UploadClaim
            from lofi_assets.core.youtube.client import SCOPES, build_youtube, http_client, load_credentials
            from lofi_assets.core.youtube.upload import Ledger, Publisher, UploadPlan
            credentials = load_credentials(Path({str(token)!r}), [SCOPES["youtube"]], {fake.token_uri!r})
            plan = UploadPlan(track="t1", master_sha256="m" * 64, video=Path({str(plan.video)!r}),
                              body=json.loads({json.dumps(plan.body)!r}), chunk_bytes={plan.chunk_bytes})
            def die(done, total):
                if done >= 3 * {plan.chunk_bytes}:
                    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 mid-upload
            Publisher(build_youtube(http_client(credentials), {fake.base_url!r}),
                      Ledger(Path({str(tmp_path / "upload.json")!r}), "t1"),
                      claim=UploadClaim(Path({str(tmp_path / "claim.json")!r}), "run killed"),
                      on_progress=die).publish(plan)
        """)
        child = subprocess.run(
            [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        assert (tmp_path / "claim.json").exists()  # the dead run's claim is left behind
        assert fake.counts["videos.insert"] == 1 and fake.counts["videos_created"] == 0

        claim = UploadClaim(tmp_path / "claim.json", "run again")
        result = Publisher(youtube_for(fake), Ledger(tmp_path / "upload.json", "t1"), claim=claim, **FAST).publish(plan)
        assert result.status == "published" and result.resumed
        one_video(fake, plan)
        assert not (tmp_path / "claim.json").exists()
