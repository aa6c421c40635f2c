"""Now playing: at each chapter, a lower third with the song's name and its arc that fades
in, holds and fades out over the moving scene.

A card is drawn once (Pillow, RGBA) and shows only for a few seconds, so only the GOPs it
shows in are encoded again: the loop's frames at those times are decoded from the loop,
the card is laid over them with ffmpeg's ``fade`` on its alpha, and the piece is encoded with
the loop's own settings (:func:`.gop_stream.x264_args`) to take those GOPs' place.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.publishing.gop_stream import split_gops, x264_args
from lofi_assets.core.publishing.thumbnail.text import default_font_path, drawable_text, sized_font
from lofi_assets.core.publishing.video import PROBE_SIZE, grey_frames

LEAD_S = 1.5  # after the chapter's start (the middle of the crossfade): the new song has come through
FADE_S = 0.75
HOLD_S = 6.0
MARGIN_X = 56
MARGIN_BOTTOM = 96  # clear of the player's progress bar and controls
CARD_HEIGHT = 104
CARD_MIN_WIDTH, CARD_MAX_WIDTH = 380, 760
TITLE_PX, ARC_PX, LABEL_PX = 30, 20, 14
PANEL = (10, 10, 18, 150)  # the card's panel: dark, translucent, the scene shows through
TITLE_MAX_CHARS = 48


class NowPlayingError(ValueError):
    pass


@dataclass(frozen=True)
class Card:
    """One chapter's lower third: shown from ``start_s`` for ``seconds`` (fades included)."""

    start_s: float
    title: str
    arc: str

    @property
    def seconds(self) -> float:
        return 2 * FADE_S + HOLD_S

    @property
    def end_s(self) -> float:
        return self.start_s + self.seconds


def cards_for(chapters: list[tuple[int, dict]], duration_s: float) -> list[Card]:
    """A card at each chapter (``chapters.kept_chapters``: those the description lists), the
    first a little in; a card that would run past the video's end is left out."""
    out = []
    for start, chapter in chapters:
        title = " ".join(str(chapter.get("title") or chapter.get("song_id") or "").split())
        arc = " ".join(str(chapter.get("arc_name") or "").split())
        if not title:
            continue
        at = start + LEAD_S
        if at + 2 * FADE_S + HOLD_S <= duration_s:
            out.append(Card(round(at, 3), title, arc))
    return out


def _shorten(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def frame_scale(size: tuple[int, int]) -> float:
    """The card's sizes are for a 720-line frame; a 1080p frame draws them 1.5 times larger."""
    return size[1] / 720


def card_position(size: tuple[int, int], card: tuple[int, int]) -> tuple[int, int]:
    """Where a card of ``card`` pixels sits in a frame of ``size``: left, above the controls."""
    scale = frame_scale(size)
    return round(MARGIN_X * scale), size[1] - round(MARGIN_BOTTOM * scale) - card[1]


def draw_card(card: Card, accent: tuple[int, int, int], scale: float = 1.0) -> Image.Image:
    """The card as an RGBA image: a translucent panel, an accent bar in the scene's light,
    "NOW PLAYING", the song's name and its arc (sizes for a 720-line frame times ``scale``)."""

    def px(value: float) -> int:
        return round(value * scale)

    bold = default_font_path()
    regular = bold.with_name("DejaVuSans.ttf")
    regular = regular if regular.is_file() else bold
    title_font, arc_font, label_font = (
        sized_font(str(bold), px(TITLE_PX)),
        sized_font(str(regular), px(ARC_PX)),
        sized_font(str(bold), px(LABEL_PX)),
    )
    title, _ = drawable_text(card.title[: TITLE_MAX_CHARS * 2], bold)
    arc, _ = drawable_text(card.arc, regular)
    pad, bar, height = px(22), px(6), px(CARD_HEIGHT)
    text_w = px(CARD_MAX_WIDTH) - 2 * pad - bar
    title, arc = _shorten(title, title_font, text_w), _shorten(arc, arc_font, text_w)
    width = int(max(title_font.getlength(title), arc_font.getlength(arc), label_font.getlength("NOW PLAYING") * 1.3))
    width = min(max(width + 2 * pad + bar, px(CARD_MIN_WIDTH)), px(CARD_MAX_WIDTH))
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=px(14), fill=PANEL)
    draw.rounded_rectangle((0, 0, bar + px(8), height - 1), radius=px(14), fill=(*accent, 235))
    draw.rectangle((bar, 0, bar + px(8), height - 1), fill=PANEL)  # the bar's inner edge straight
    x = bar + pad
    label_x = float(x)
    for char in "NOW PLAYING":  # letter-spaced small caps
        draw.text((label_x, px(14)), char, font=label_font, fill=(*accent, 255))
        label_x += label_font.getlength(char) + 2.5 * scale
    draw.text((x, px(34)), title, font=title_font, fill=(255, 255, 255, 255))
    if arc:
        draw.text((x, px(72)), arc, font=arc_font, fill=(225, 225, 235, 200))
    return image


@dataclass(frozen=True)
class CardSpan:
    """The GOPs a card is laid over: ``first`` to ``last`` inclusive, of ``gop_frames`` each."""

    card: Card
    first: int
    last: int


def spans(cards: list[Card], fps: int, gop_frames: int, total_gops: int) -> list[CardSpan]:
    """Each card's GOPs, from the GOP it fades in during to the one it fades out in; a card
    whose GOPs overlap the one before it is dropped (chapters under 10 s apart do not
    reach here: the description merges them)."""
    out: list[CardSpan] = []
    gop_s = gop_frames / fps
    for card in cards:
        first = int(card.start_s // gop_s)
        last = min(math.ceil(card.end_s / gop_s) - 1, total_gops - 1)
        if out and first <= out[-1].last:
            continue
        out.append(CardSpan(card, first, last))
    return out


def encode_span(
    span: CardSpan,
    card_png: Path,
    loop: Path,
    loop_frames: int,
    fps: int,
    gop_frames: int,
    crf: int,
    size: tuple[int, int],
) -> list[bytes]:
    """The GOPs of ``span`` encoded anew: the loop's frames at those times with the card
    laid over them, fading. Returns the GOPs (as many as the span has)."""
    frames = (span.last - span.first + 1) * gop_frames
    at = (span.first * gop_frames) % loop_frames  # the loop frame the span starts on
    start_s = span.first * gop_frames / fps
    fade_in = span.card.start_s - start_s
    fade_out = fade_in + FADE_S + HOLD_S
    width, height = size
    card_w, card_h = Image.open(card_png).size
    x, y = card_position(size, (card_w, card_h))
    args = [
        ffmpeg_exe(), "-nostdin", "-v", "error",
        # the loop from the span's frame, then round again from its start: a span may cross the seam
        "-ss", f"{at / fps:.6f}", "-i", str(loop), "-stream_loop", "-1", "-i", str(loop),
        "-loop", "1", "-framerate", str(fps), "-i", str(card_png),
        "-filter_complex",
        f"[0:v][1:v]concat=n=2:v=1,trim=end_frame={frames},setpts=N/({fps}*TB)[scene];"
        f"[2:v]format=rgba,fade=t=in:st={fade_in:.4f}:d={FADE_S}:alpha=1,"
        f"fade=t=out:st={fade_out:.4f}:d={FADE_S}:alpha=1,trim=end_frame={frames}[card];"
        f"[scene][card]overlay=x={x}:y={y}:format=yuv420:shortest=1,format=yuv420p[v]",
        "-map", "[v]", "-frames:v", str(frames), *x264_args(fps, crf), "-f", "h264", "-",
    ]  # fmt: skip
    if card_w > width - x or y < 0:
        raise NowPlayingError(f"a card of {card_w}×{card_h} does not fit a {width}×{height} frame")
    proc = subprocess.run(args, capture_output=True)
    if proc.returncode != 0:
        raise NowPlayingError(
            f"the now-playing card at {span.card.start_s:.1f} s ({span.card.title!r}) could not be encoded: "
            f"{proc.stderr.decode(errors='replace').strip()[-300:]}"
        )
    gops = split_gops(proc.stdout)
    if len(gops) != span.last - span.first + 1:
        raise NowPlayingError(
            f"the now-playing card at {span.card.start_s:.1f} s came out as {len(gops)} GOPs, "
            f"expected {span.last - span.first + 1}"
        )
    return gops


CARD_SEEN_LEVELS = 6.0  # the card's box must differ from the bare scene by this much (of 255) on average
SCENE_MATCH_LEVELS = 3.0  # and the rest of the frame match it this closely (the GOPs are in phase)


@dataclass(frozen=True)
class CardSeen:
    card: Card
    box_change: float  # mean |video − bare scene| inside the card's box, mid-card
    scene_change: float  # the same outside the box: the spliced GOPs sit where the loop would be
    after_change: float  # the whole frame just after the card's GOPs: the loop goes on in phase

    def problems(self) -> list[str]:
        out = []
        where = f"the card at {self.card.start_s:.1f} s ({self.card.title!r})"
        if self.box_change < CARD_SEEN_LEVELS:
            out.append(f"{where} is not seen (its box differs from the bare scene by {self.box_change:.1f})")
        if max(self.scene_change, self.after_change) > SCENE_MATCH_LEVELS:
            out.append(
                f"around {where} the scene is out of phase with its loop "
                f"({self.scene_change:.1f} beside the card, {self.after_change:.1f} after it)"
            )
        return out


def cards_seen(
    video: Path,
    loop: Path,
    laid: list[CardSpan],
    card_sizes: list[tuple[int, int]],
    fps: int,
    gop_frames: int,
    loop_frames: int,
    size: tuple[int, int],
    ignore_bottom: int = 0,
) -> list[CardSeen]:
    """Each laid card as the video shows it, against the bare loop at the same phase: mid-card
    inside and outside its box, and the frame after its last GOP (the bottom ``ignore_bottom``
    pixels left out: a visualiser's band)."""
    sx, sy = PROBE_SIZE[0] / size[0], PROBE_SIZE[1] / size[1]
    kept_rows = PROBE_SIZE[1] - int(np.ceil(ignore_bottom * sy))

    def at(frame: int) -> float:  # a quarter frame early: ffmpeg's seek takes the first frame at or after it
        return (frame - 0.25) / fps if frame else 0.0

    out = []
    for span, (w, h) in zip(laid, card_sizes, strict=True):
        mid = round((span.card.start_s + span.card.seconds / 2) * fps)
        after = (span.last + 1) * gop_frames
        frame, bare = grey_frames(video, 1, at(mid))[0], grey_frames(loop, 1, at(mid % loop_frames))[0]
        x0, y0 = card_position(size, (w, h))
        box = np.zeros(frame.shape, bool)
        box[int(y0 * sy) : int(np.ceil((y0 + h) * sy)), int(x0 * sx) : int(np.ceil((x0 + w) * sx))] = True
        rest = ~box
        rest[kept_rows:] = False
        diff = np.abs(frame - bare)
        next_frames = grey_frames(video, 1, at(after))
        after_change = 0.0
        if len(next_frames):
            bare_after = grey_frames(loop, 1, at(after % loop_frames))[0]
            after_change = float(np.abs(next_frames[0] - bare_after)[:kept_rows].mean())
        out.append(
            CardSeen(
                span.card, round(float(diff[box].mean()), 2), round(float(diff[rest].mean()), 2), round(after_change, 2)
            )
        )
    return out
