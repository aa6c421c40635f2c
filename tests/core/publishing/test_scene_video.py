"""The moving scene laid out from its loop's GOPs, with now-playing cards: real encodes of a
few seconds with the bundled ffmpeg."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lofi_assets.core.audio_io import write_wav
from lofi_assets.core.publishing.gop_stream import annexb, split_gops
from lofi_assets.core.publishing.now_playing import Card, cards_for, spans
from lofi_assets.core.publishing.preview import preview_animation, preview_clip
from lofi_assets.core.publishing.scene_loop import render_loop
from lofi_assets.core.publishing.scene_video import encode_scene_video
from lofi_assets.core.publishing.video import VideoError, contact_sheet, grey_frames, probe, scene_motion

SECONDS = 12.0
RATE = 44100


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene-video")
    t = np.arange(int(SECONDS * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t)
    write_wav(folder / "song.wav", np.stack([tone, tone]).astype(np.float32), bits=24, rate=RATE)
    loop = render_loop(4, folder / "loop.mp4", palette="rain", seconds=1.0)
    cards = [Card(0.5, "Rain on the Window", "Evening")]  # 0.5–8 s: across seven seams of the loop
    video = encode_scene_video(loop.path, folder / "song.wav", folder / "scene.mp4", cards=cards)
    return folder, loop, video


def test_the_scene_is_its_loop_repeated_for_the_audio_with_the_card_laid_in(made):
    folder, loop, video = made
    found = probe(video.info.path)
    assert (found.video.codec, found.video.width, found.video.height, found.video.fps) == ("h264", 1280, 720, 24.0)
    assert (found.audio.codec, found.audio.channels, found.audio.rate) == ("aac", 2, 48000)
    assert abs(found.duration_s - SECONDS) <= 0.5
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no temporary left
    motion = scene_motion(video.info.path, loop.frames)
    assert motion.problems() == [] and motion.seam is not None and motion.flashes == 0
    # the card's GOPs: from the one it fades in during (0.5 s is GOP 1) to the one it fades out in
    assert [(s.first, s.last) for s in video.cards] == [(1, 15)]
    (seen,) = video.cards_seen()
    assert seen.problems() == [] and seen.box_change > 20 and seen.scene_change < 1.5 and seen.after_change < 0.5
    # after the card the video is the loop's own GOPs again: frames equal to the loop's
    late = grey_frames(video.info.path, 3, 10.0 - 0.01)
    bare = grey_frames(loop.path, 3, 0.0)
    assert np.abs(late - bare).mean() < 0.5


def test_a_card_out_of_phase_with_its_loop_is_caught(made):
    folder, loop, video = made
    other = render_loop(9, folder / "other.mp4", palette="dusk", seconds=1.0)
    wrong = type(video)(**{**video.__dict__, "loop": other.path})  # judged against another scene
    assert any("out of phase" in p for p in wrong.cards_seen()[0].problems())


def test_the_loop_falls_into_whole_gops_each_opening_on_its_headers(made):
    _, loop, _ = made
    gops = split_gops(annexb(loop.path))
    assert len(gops) == loop.frames // 12  # a GOP of half the frame rate
    assert all(g[:5] == b"\x00\x00\x00\x01\x67" or g[:4] == b"\x00\x00\x01\x67" for g in gops[1:])  # SPS first
    with pytest.raises(ValueError, match="no sequence parameter set"):
        split_gops(b"\x00\x00\x01\x41" + bytes(20))


def test_cards_follow_the_chapters_and_keep_clear_of_each_other_and_the_end():
    chapters = [(0, {"title": "First", "arc_name": "Dusk"}), (60, {"title": "Second", "arc_name": "Night"}),
                (115, {"title": "", "song_id": ""}), (595, {"title": "Too late", "arc_name": "Night"})]  # fmt: skip
    cards = cards_for(chapters, 600.0)
    assert [(c.start_s, c.title, c.arc) for c in cards] == [(1.5, "First", "Dusk"), (61.5, "Second", "Night")]
    laid = spans([Card(1.5, "a", ""), Card(5.0, "b", ""), Card(30.0, "c", "")], 24, 12, 200)
    assert [s.card.title for s in laid] == ["a", "c"]  # b would cover a's GOPs


def test_the_preview_clip_and_animation_show_the_first_seconds(made):
    folder, _, video = made
    clip = preview_clip(video.info.path, folder / "preview.mp4", 0.0, 4.0)
    assert abs(probe(clip).duration_s - 4.0) <= 0.5
    animation = Image.open(preview_animation(video.info.path, folder / "preview.webp", 0.0, 2.0))
    assert animation.format == "WEBP" and animation.n_frames >= 15 and animation.size == (320, 180)
    sheet = Image.open(contact_sheet(video.info.path, video.info.seconds, folder / "sheet.jpg"))
    assert sheet.size == (1278, 480)


def test_a_missing_loop_or_audio_is_named(made, tmp_path):
    folder, loop, _ = made
    with pytest.raises(VideoError, match="no scene loop"):
        encode_scene_video(tmp_path / "missing.mp4", folder / "song.wav", tmp_path / "x.mp4")
    with pytest.raises(VideoError, match="nothing.wav"):
        encode_scene_video(loop.path, tmp_path / "nothing.wav", tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_1080p_scales_the_scene_the_card_and_the_checks(made, tmp_path):
    from lofi_assets.core.publishing.video import Resolution, verify_video

    folder, _, _ = made
    size = Resolution.p1080.size
    loop = render_loop(4, tmp_path / "loop.mp4", palette="rain", seconds=1.0, size=size)
    video = encode_scene_video(
        loop.path, folder / "song.wav", tmp_path / "hd.mp4", cards=[Card(0.5, "Rain", "Evening")]
    )
    assert (video.info.width, video.info.height) == size and video.card_sizes[0][1] == 156  # 104 px × 1.5
    assert verify_video(video.info.path, SECONDS, size) == []
    assert verify_video(video.info.path, SECONDS) == ["video 1920×1080, not 1280×720"]
    assert video.cards_seen()[0].problems() == []
