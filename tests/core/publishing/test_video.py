"""The upload video: real encodes of a few seconds with the bundled ffmpeg."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from lofi_assets.core.audio_io import ffmpeg_exe, write_wav
from lofi_assets.core.publishing.video import (
    VideoError,
    audio_seconds,
    encode_video,
    parse_probe,
    probe,
    verify_video,
)

RATE = 44100
SECONDS = 3.0


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-y", "-v", "error", *args], check=True)


def frame_at(video, seconds: float, folder) -> np.ndarray:
    """One decoded frame as RGB."""
    path = folder / f"frame{seconds:g}.png"
    ffmpeg("-ss", f"{seconds}", "-i", str(video), "-frames:v", "1", str(path))
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


def leftovers(folder) -> list[str]:
    """Temporary files the encoder might leave (atomic_local_path names them ``.<final>.*``)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video-in")
    # A thumbnail with structure (so a wrong scale or colour would show): horizontal and vertical ramps.
    y, x = np.mgrid[0:720, 0:1280]
    rgb = np.stack([x * 255 // 1279, y * 255 // 719, np.full_like(x, 96)], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(folder / "thumb.png")
    t = np.arange(int(SECONDS * RATE)) / RATE
    rng = np.random.default_rng(0)
    left = 0.4 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t))
    right = 0.3 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(t.size)
    write_wav(folder / "song.wav", np.stack([left, right]).astype(np.float32), bits=24, rate=RATE)
    return folder


def assert_upload(path, seconds: float) -> None:
    found = probe(path)
    assert found.video is not None and found.audio is not None
    assert (found.video.codec, found.video.width, found.video.height) == ("h264", 1280, 720)
    assert (found.audio.codec, found.audio.channels) == ("aac", 2)
    # The contract is 0.5 s; cutting by frame count makes it exact to an AAC frame (21 ms).
    assert abs(found.duration_s - seconds) < 0.1
    assert verify_video(path, seconds) == []


def test_still_encode_is_h264_aac_of_the_audios_length(inputs, tmp_path):
    out = tmp_path / "video.mp4"
    info = encode_video(inputs / "thumb.png", inputs / "song.wav", out)
    assert_upload(out, SECONDS)
    assert info.path == out and info.bytes == out.stat().st_size > 0
    assert (info.video_codec, info.audio_codec, info.width, info.height) == ("h264", "aac", 1280, 720)
    assert info.fps == 2 and not info.waveform
    assert info.seconds == pytest.approx(SECONDS, abs=0.1)
    assert info.encode_s > 0 and info.realtime_factor == pytest.approx(info.seconds / info.encode_s, rel=0.05)
    assert probe(out).audio.rate == 48000  # YouTube's rate, resampled from 44.1 kHz
    assert leftovers(tmp_path) == []
    # The picture is the thumbnail (up to YUV 4:2:0 rounding), from first frame to last.
    source = np.asarray(Image.open(inputs / "thumb.png"), dtype=np.float32)
    for at in (0.0, 2.5):
        assert np.abs(frame_at(out, at, tmp_path) - source).mean() < 3


def test_waveform_band_moves_and_the_rest_is_the_still(inputs, tmp_path):
    out = tmp_path / "waves.mp4"
    info = encode_video(inputs / "thumb.png", inputs / "song.wav", out, waveform=True)
    assert info.waveform and info.fps == 15
    assert_upload(out, SECONDS)
    source = np.asarray(Image.open(inputs / "thumb.png"), dtype=np.float32)
    a, b = frame_at(out, 0.5, tmp_path), frame_at(out, 1.7, tmp_path)
    band = slice(720 - 48 - 120, 720 - 48)
    assert np.abs(a[:500] - source[:500]).mean() < 3  # above the band: the thumbnail untouched
    assert np.abs(a[band] - source[band]).mean() > 10  # the band is drawn
    assert np.abs(a[band] - b[band]).mean() > 1  # and follows the audio


def test_m4a_input_is_copied_not_encoded_again(inputs, tmp_path):
    m4a = tmp_path / "song.m4a"
    ffmpeg("-i", str(inputs / "song.wav"), "-c:a", "aac", "-b:a", "160k", str(m4a))
    out = tmp_path / "video.mp4"
    encode_video(inputs / "thumb.png", m4a, out)
    assert_upload(out, SECONDS)
    assert probe(out).audio.rate == RATE  # a re-encode would have resampled to 48 kHz


def test_mono_mp3_becomes_stereo_aac(inputs, tmp_path):
    mp3 = tmp_path / "mono.mp3"
    ffmpeg("-i", str(inputs / "song.wav"), "-ac", "1", "-c:a", "libmp3lame", "-b:a", "128k", str(mp3))
    out = tmp_path / "video.mp4"
    encode_video(inputs / "thumb.png", mp3, out)
    assert_upload(out, SECONDS)


def test_odd_sized_transparent_image_is_fitted_with_black_bars(inputs, tmp_path):
    image = tmp_path / "small.png"
    Image.new("RGBA", (200, 100), (200, 40, 40, 255)).save(image)  # 2:1 → 1280×640, 40 px bars
    out = tmp_path / "video.mp4"
    encode_video(image, inputs / "song.wav", out)
    assert_upload(out, SECONDS)
    frame = frame_at(out, 1.0, tmp_path)
    assert frame[:30].max() < 20 and frame[-30:].max() < 20  # bars
    assert np.abs(frame[360, 640] - [200, 40, 40]).max() < 12  # picture


@pytest.mark.parametrize(
    "case", ["missing audio", "empty audio", "corrupt audio", "missing image", "corrupt image", "truncated image"]
)
def test_bad_input_is_named_and_nothing_is_written(inputs, tmp_path, case):
    image, audio = inputs / "thumb.png", inputs / "song.wav"
    if case == "missing audio":
        audio = tmp_path / "absent.wav"
    elif case == "empty audio":
        audio = tmp_path / "empty.wav"
        audio.write_bytes(b"")
    elif case == "corrupt audio":
        audio = tmp_path / "noise.wav"
        audio.write_bytes(np.random.default_rng(1).bytes(20000))
    elif case == "missing image":
        image = tmp_path / "absent.png"
    elif case == "corrupt image":
        image = tmp_path / "text.png"
        image.write_text("not a picture")
    else:
        image = tmp_path / "cut.png"
        image.write_bytes((inputs / "thumb.png").read_bytes()[:2000])
    out = tmp_path / "out" / "video.mp4"
    with pytest.raises(VideoError) as caught:
        encode_video(image, audio, out)
    assert (audio if "audio" in case else image).name in str(caught.value)
    assert not out.exists()
    assert not out.parent.exists() or leftovers(out.parent) == []


def test_ffmpeg_failure_names_the_input_keeps_the_old_file_and_cleans_up(inputs, tmp_path):
    out = tmp_path / "video.mp4"
    out.write_bytes(b"yesterday's video")
    with pytest.raises(VideoError, match=r"song\.wav.*ffmpeg failed.*nonsense"):
        encode_video(inputs / "thumb.png", inputs / "song.wav", out, preset="nonsense")
    assert out.read_bytes() == b"yesterday's video"
    assert leftovers(tmp_path) == []


def test_only_mp4_is_written(inputs, tmp_path):
    with pytest.raises(VideoError, match=r"video\.mov"):
        encode_video(inputs / "thumb.png", inputs / "song.wav", tmp_path / "video.mov")


def test_verify_flags_a_wrong_duration_an_audio_only_file_and_a_missing_one(inputs, tmp_path):
    out = tmp_path / "video.mp4"
    encode_video(inputs / "thumb.png", inputs / "song.wav", out)
    problems = verify_video(out, SECONDS + 2)
    assert len(problems) == 1 and "duration" in problems[0]
    assert verify_video(out, SECONDS - 0.4) == []  # inside the 0.5 s tolerance
    audio_only = tmp_path / "audio.mp4"
    ffmpeg("-i", str(inputs / "song.wav"), "-c:a", "aac", str(audio_only))
    assert verify_video(audio_only, SECONDS) == ["no video stream"]
    assert verify_video(tmp_path / "absent.mp4", SECONDS) == ["no such file"]
    not_media = tmp_path / "notes.mp4"
    not_media.write_text("hello")
    assert "not a readable media file" in verify_video(not_media, SECONDS)[0]


def test_audio_length_comes_from_the_packets_not_the_header(inputs, tmp_path):
    cut = tmp_path / "cut.wav"
    data = (inputs / "song.wav").read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still claims 3 s
    assert audio_seconds(cut) == pytest.approx(SECONDS / 2, abs=0.05)
    assert audio_seconds(inputs / "song.wav") == pytest.approx(SECONDS, abs=1e-3)


def test_probe_parses_ffmpegs_summary():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':
  Duration: 01:02:03.45, start: 0.000000, bitrate: 581 kb/s
  Stream #0:0[0x1](und): Video: mjpeg (Baseline), yuvj420p(pc), 600x600, 90k tbr, 90k tbn (attached pic)
  Stream #0:1[0x2](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), \
1280x720 [SAR 1:1 DAR 16:9], 352 kb/s, 2 fps, 2 tbr, 16384 tbn (default)
  Stream #0:2[0x3](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 384 kb/s (default)
  Stream #0:3[0x4](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s
"""
    found = parse_probe("x.mp4", text)
    assert found.duration_s == pytest.approx(3723.45)
    assert (found.video.codec, found.video.width, found.video.height, found.video.fps) == ("h264", 1280, 720, 2.0)
    assert (found.audio.codec, found.audio.rate, found.audio.channels) == ("aac", 48000, 6)
    assert parse_probe("y.wav", "Input #0, wav\n  Duration: N/A\n").video is None


def test_a_still_does_not_move_and_the_motion_check_says_so(inputs, tmp_path):
    from lofi_assets.core.publishing.video import scene_motion

    still = encode_video(inputs / "thumb.png", inputs / "song.wav", tmp_path / "still.mp4", fps=24)
    assert still.fps == 24
    assert "does not move" in scene_motion(tmp_path / "still.mp4", 24).problems()[0]
