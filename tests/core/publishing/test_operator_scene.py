"""The operator's own picture or clip as the scene."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from PIL import Image

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.publishing.operator_scene import loop_from_clip, operator_loop, scene_file
from lofi_assets.core.publishing.scene_loop import SceneError
from lofi_assets.core.publishing.video import grey_frames, probe, scene_motion


def test_a_square_picture_is_cover_cropped_and_the_rain_moves_over_it(tmp_path):
    y, x = np.mgrid[0:900, 0:900]
    Image.fromarray(np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)).save(tmp_path / "room.png")
    made = operator_loop(tmp_path / "room.png", tmp_path / "loop.mp4", seed=3, weather="rain", seconds=1.0)
    assert made.fitted == "cover-cropped from 900×900" and made.loop.frames == 24 and made.loop.weather == "rain"
    found = probe(made.loop.path)
    assert (found.video.width, found.video.height, found.video.fps) == (1280, 720, 24.0)
    assert scene_motion(made.loop.path, 23).motion > 0.001  # the rain falls over the picture


def test_a_clip_whose_ends_do_not_meet_is_crossfaded_into_a_seamless_loop(tmp_path):
    clip = tmp_path / "window.mp4"
    # a lamp drifting across a dark room: where it ends is far from where it began
    scene = "color=c=0x202030:s=960x720:r=30:d=5[bg];color=c=0xffd090:s=160x160:r=30:d=5[lamp];[bg][lamp]overlay=x='t*150':y=280"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", scene, "-pix_fmt", "yuv420p", str(clip)], check=True)  # fmt: skip
    made = loop_from_clip(clip, tmp_path / "loop.mp4")
    assert made.fitted == "cover-cropped from 960×720" and made.joined.startswith("crossfaded 1 s")
    assert made.loop.frames == 96 and made.loop.fps == 24  # 5 s less the second crossfaded
    frames = grey_frames(made.loop.path, made.loop.frames)
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    seam = np.abs(frames[-1] - frames[0]).mean()
    assert seam <= 1.25 * steps.max()


def test_bad_scenes_are_named(tmp_path):
    Image.new("RGB", (320, 180)).save(tmp_path / "tiny.png")
    with pytest.raises(SceneError, match="tiny.png: 320×180 is too small"):
        operator_loop(tmp_path / "tiny.png", tmp_path / "x.mp4", 1, None)
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SceneError, match="broken.jpg: not a decodable image"):
        operator_loop(tmp_path / "broken.jpg", tmp_path / "x.mp4", 1, None)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SceneError, match="not a picture"):
        operator_loop(tmp_path / "notes.txt", tmp_path / "x.mp4", 1, None)
    assert not (tmp_path / "x.mp4").exists()


def test_a_tracks_scene_is_found_by_its_key(tmp_path):
    assert scene_file(tmp_path, "abc") is None
    (tmp_path / "scenes").mkdir()
    Image.new("RGB", (1280, 720)).save(tmp_path / "scenes" / "abc.jpg")
    assert scene_file(tmp_path, "abc") == tmp_path / "scenes" / "abc.jpg"
