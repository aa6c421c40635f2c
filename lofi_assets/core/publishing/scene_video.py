"""The upload with the moving scene: the loop's GOPs repeated for the master's length, a
now-playing card's GOPs in their place where a chapter begins, over the master's AAC.

Nothing of the hour is encoded but the cards (:mod:`.now_playing`): the loop was encoded
once (:mod:`.scene_loop`), and :mod:`.gop_stream` lays its GOPs out by copying them.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lofi_assets.core.audio_io import AAC_BITRATE
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.gop_stream import GopError, annexb, mux_gops, split_gops
from lofi_assets.core.publishing.now_playing import (
    Card,
    CardSeen,
    CardSpan,
    NowPlayingError,
    cards_seen,
    draw_card,
    encode_span,
    frame_scale,
    spans,
)
from lofi_assets.core.publishing.scene_loop import CRF
from lofi_assets.core.publishing.video import (
    MIN_SCENE_FPS,
    VideoError,
    VideoInfo,
    audio_options,
    check_audio,
    made_info,
    probe,
    problems_with,
)

DEFAULT_ACCENT = (255, 200, 140)  # a warm window light


@dataclass(frozen=True)
class SceneVideo:
    info: VideoInfo
    loop: Path
    cards: list[CardSpan]  # the cards laid in, with their GOPs
    card_sizes: list[tuple[int, int]]
    cards_encode_s: float  # of the encode's time, what the cards took
    fps: int
    gop_frames: int
    loop_frames: int

    def cards_seen(self, ignore_bottom: int = 0) -> list[CardSeen]:
        """Each card as the video shows it, against the bare loop (:func:`.now_playing.cards_seen`)."""
        size = (self.info.width, self.info.height)
        return cards_seen(
            self.info.path,
            self.loop,
            self.cards,
            self.card_sizes,
            self.fps,
            self.gop_frames,
            self.loop_frames,
            size,
            ignore_bottom,
        )


def timeline(loop_gops: list[bytes], total: int, cards: dict[int, tuple[CardSpan, list[bytes]]]) -> Iterator[bytes]:
    """The video's GOPs in order: the loop's, round and round, a card's in place of those it covers."""
    g = 0
    while g < total:
        if g in cards:
            span, gops = cards[g]
            yield from gops
            g = span.last + 1
        else:
            yield loop_gops[g % len(loop_gops)]
            g += 1


def encode_scene_video(
    loop: Path,
    audio: Path,
    out: Path,
    *,
    cards: list[Card] = (),  # type: ignore[assignment]
    accent: tuple[int, int, int] = DEFAULT_ACCENT,
    audio_bitrate: str = AAC_BITRATE,
) -> SceneVideo:
    """The scene ``loop`` (an MP4 from :func:`.scene_loop.render_loop`) for the length of
    ``audio``, with ``cards`` at their times, as the MP4 ``out``, verified before it is named."""
    started = time.perf_counter()
    loop, audio, out = Path(loop), Path(audio), Path(out)
    if out.suffix.lower() != ".mp4":
        raise VideoError(f"{out.name}: the video must be an .mp4")
    if not loop.is_file():
        raise VideoError(f"{loop.name}: no scene loop")
    source, seconds = check_audio(audio)
    scene = probe(loop).video
    if scene is None or not scene.fps:
        raise VideoError(f"{loop.name}: no video stream with a frame rate")
    fps = round(scene.fps)
    try:
        loop_gops = split_gops(annexb(loop))
    except GopError as exc:
        raise VideoError(f"{loop.name}: {exc}") from None
    gop_frames = max(1, fps // 2)
    total = math.ceil(seconds * fps / gop_frames)
    laid = spans(list(cards), fps, gop_frames, total)
    card_started = time.perf_counter()
    encoded: dict[int, tuple[CardSpan, list[bytes]]] = {}
    sizes = []
    with tempfile.TemporaryDirectory(prefix="lofi-cards-") as scratch:
        for n, span in enumerate(laid):
            png = Path(scratch) / f"card_{n}.png"
            image = draw_card(span.card, accent, frame_scale((scene.width, scene.height)))
            image.save(png)
            sizes.append(image.size)
            try:
                gops = encode_span(
                    span, png, loop, len(loop_gops) * gop_frames, fps, gop_frames, CRF, (scene.width, scene.height)
                )
            except NowPlayingError as exc:
                raise VideoError(f"{out.name}: {exc}") from None
            encoded[span.first] = (span, gops)
    cards_s = time.perf_counter() - card_started
    with atomic_local_path(out, suffix=".mp4") as tmp:
        try:
            mux_gops(
                timeline(loop_gops, total, encoded), fps, audio, tmp, seconds, audio_options(source, audio_bitrate)
            )
        except GopError as exc:
            raise VideoError(f"{out.name} (from {audio.name}, {loop.name}): {exc}") from None
        made = probe(tmp)
        problems = problems_with(made, seconds, (scene.width, scene.height))
        if made.video is not None and (made.video.fps or 0) < MIN_SCENE_FPS:
            problems.append(f"{made.video.fps} fps, under {MIN_SCENE_FPS:g}")
        if problems:
            raise VideoError(f"{out.name} (from {audio.name}, {loop.name}): {'; '.join(problems)}")
    info = made_info(out, made, started, float(fps), False)
    return SceneVideo(info, loop, laid, sizes, round(cards_s, 2), fps, gop_frames, len(loop_gops) * gop_frames)
