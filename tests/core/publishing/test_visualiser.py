"""The spectrum band: bars measured from the sound, drawn over the video."""

from __future__ import annotations

import numpy as np
import pytest

from lofi_assets.core.audio_io import write_wav
from lofi_assets.core.publishing.scene_loop import render_loop
from lofi_assets.core.publishing.scene_video import encode_scene_video
from lofi_assets.core.publishing.video import grey_frames, probe
from lofi_assets.core.publishing.visualiser import BAND_HEIGHT, BARS, add_visualiser, band_edges, bar_levels, mask_frame

RATE = 44100


def tone_then_silence(path, hz: float, seconds: float = 4.0) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    tone = np.where(t < seconds / 2, 0.4 * np.sin(2 * np.pi * hz * t), 0.0)
    write_wav(path, np.stack([tone, tone]).astype(np.float32), bits=24, rate=RATE)


def test_the_bars_rise_where_the_music_is_and_fall_in_silence(tmp_path):
    tone_then_silence(tmp_path / "a.wav", 1000.0)
    levels = np.array(list(bar_levels(tmp_path / "a.wav", 24, 4.0)))
    assert levels.shape == (96, BARS)
    edges = band_edges()
    band = int(np.searchsorted(edges, 1000.0) - 1)
    sounding = levels[12:40]
    assert sounding[:, band].min() > 0.8 and np.argmax(sounding.mean(axis=0)) == band
    assert sounding[:, :5].max() < 0.2  # the bass bands stay down for a 1 kHz tone
    assert levels[-1].max() < 0.05  # a second of silence lets every bar fall


def test_the_mask_lights_a_bar_to_its_height_with_gaps():
    level = np.zeros(BARS)
    level[0], level[1] = 1.0, 0.5
    mask = np.frombuffer(mask_frame(level), np.uint8).reshape(12, BARS * 4)
    assert (mask[:, :3] > 0).all() and (mask[:, 3] == 0).all()  # bar 0 full, then its gap
    assert (mask[6:, 4:7] > 0).all() and (mask[:6, 4:7] == 0).all()  # bar 1 half up
    assert (mask[:, 8:] == 0).all()


def test_the_band_is_drawn_over_the_video_and_nothing_else_changes(tmp_path):
    tone_then_silence(tmp_path / "a.wav", 200.0)
    loop = render_loop(2, tmp_path / "loop.mp4", palette="dusk", seconds=1.0)
    scene = encode_scene_video(loop.path, tmp_path / "a.wav", tmp_path / "scene.mp4")
    add_visualiser(scene.info.path, tmp_path / "vis.mp4", (255, 200, 140))
    found = probe(tmp_path / "vis.mp4")
    assert found.video.fps == 24 and abs(found.duration_s - 4.0) <= 0.5 and found.audio.codec == "aac"
    before, after = grey_frames(scene.info.path, 1, 1.0)[0], grey_frames(tmp_path / "vis.mp4", 1, 1.0)[0]
    band = 90 - int(np.ceil(BAND_HEIGHT * 90 / 720))
    assert np.abs(after[band:] - before[band:]).max() > 40  # the bars, lit while the tone sounds
    assert np.abs(after[:band] - before[:band]).mean() < 1.5  # the scene above, encoded again only
    quiet = grey_frames(tmp_path / "vis.mp4", 1, 3.8)[0]
    assert np.abs(quiet[band:] - grey_frames(scene.info.path, 1, 3.8)[0][band:]).mean() < 3


@pytest.mark.parametrize("bad", ["missing.mp4"])
def test_a_missing_video_is_named(tmp_path, bad):
    with pytest.raises(Exception, match=bad):
        add_visualiser(tmp_path / bad, tmp_path / "x.mp4", (1, 2, 3))
