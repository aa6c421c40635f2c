"""Text: the font (DejaVu Sans Bold from matplotlib, or an operator's), which characters it can
draw, and fitting a title or subtitle into its box by wrapping and shrinking.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from lofi_assets.core.publishing.thumbnail.frame import ThumbnailError

# only meaningful next to emoji (presentation selectors, zero-width joiner); invisible otherwise
EMOJI_JOINERS = {"\ufe0e", "\ufe0f", "\u200d"}
_NOT_A_GLYPH = "\U0010fffd"  # private-use code point no text font covers: renders as .notdef


def default_font_path() -> Path:
    """DejaVu Sans Bold as shipped inside matplotlib (found without importing pyplot)."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        raise ThumbnailError(f"matplotlib's DejaVu Sans Bold is missing at {path}; pass font=")
    return path


@lru_cache(maxsize=256)
def sized_font(path: str, px: int) -> ImageFont.FreeTypeFont:
    # the basic layout engine is always present, so text measures the same on every machine
    return ImageFont.truetype(path, px, layout_engine=ImageFont.Layout.BASIC)


def load_font(font: str | os.PathLike | None) -> Path:
    """The font file to use, checked to open: ``font`` or the default."""
    path = default_font_path() if font is None else Path(font)
    try:
        sized_font(str(path), 20)
    except OSError as exc:
        raise ThumbnailError(f"cannot open font {path}: {exc}") from exc
    return path


@lru_cache(maxsize=4096)
def has_glyph(font_path: str, char: str) -> bool:
    """Whether the font draws ``char`` as itself and not as its "missing glyph" box."""
    if char.isspace():
        return True
    drawn = _glyph_pixels(font_path, char)
    return drawn is None or drawn != _glyph_pixels(font_path, _NOT_A_GLYPH)


@lru_cache(maxsize=4096)
def _glyph_pixels(font_path: str, char: str) -> bytes | None:
    # the pixels of one character drawn alone; None when it draws nothing (a zero-width mark)
    font = sized_font(font_path, 32)
    canvas = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(canvas).text((16, 16), char, font=font, fill=255)
    return canvas.tobytes() if canvas.getbbox() else None


def drawable_text(text: str, font_path: str | os.PathLike) -> tuple[str, tuple[str, ...]]:
    """``text`` with runs of whitespace made single spaces and characters the font lacks removed.

    Returns the cleaned text and the removed characters (each once, in order of appearance).
    """
    kept, dropped = [], []
    for char in " ".join(text.split()):
        drop = char in EMOJI_JOINERS or unicodedata.category(char) == "Cc" or not has_glyph(str(font_path), char)
        if not drop:
            kept.append(char)
        elif char not in dropped:
            dropped.append(char)
    return " ".join("".join(kept).split()), tuple(dropped)


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines at the largest size that fits its box."""

    lines: tuple[str, ...]
    px: int
    line_height: int
    width: int
    height: int


def fit_text(
    text: str,
    font_path: str | os.PathLike,
    max_width: int,
    max_height: int,
    *,
    max_lines: int,
    max_px: int,
    min_px: int,
    what: str = "text",
) -> FittedText:
    """Wrap ``text`` to at most ``max_lines`` lines and shrink it until it fits ``max_width``×``max_height``.

    Sizes are tried from ``max_px`` down in 2 px steps; at each size one line is preferred,
    then the most balanced break into ``max_lines``. Below ``min_px`` text stops being
    readable on a phone, so a text that does not fit there raises ThumbnailError.
    """
    words = text.split()
    for px in range(max_px, min_px - 1, -2):
        font = sized_font(str(font_path), px)
        ascent, descent = font.getmetrics()
        line_height = ascent + descent
        lines = _wrap(words, font, max_width, max_lines)
        if lines is None or len(lines) * line_height > max_height:
            continue
        width = max(round(font.getlength(line)) for line in lines)
        return FittedText(tuple(lines), px, line_height, width, len(lines) * line_height)
    raise ThumbnailError(
        f"{what} does not fit in {max_lines} line(s) of {max_width}×{max_height} px even at {min_px} px: "
        f"{len(text)} characters ({text[:60]!r}{'…' if len(text) > 60 else ''}); shorten it"
    )


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> list[str] | None:
    # balanced breaks look better on a thumbnail than greedy ones (no lone last word),
    # and with at most a few lines trying every break is cheap
    if not words:
        return [""]
    best: tuple[float, list[str]] | None = None
    for lines in _breaks(words, max_lines):
        widest = max(font.getlength(line) for line in lines)
        if widest <= max_width and (best is None or (len(lines), widest) < (len(best[1]), best[0])):
            best = (widest, lines)
    return None if best is None else best[1]


def _breaks(words: list[str], max_lines: int):
    yield [" ".join(words)]
    if max_lines < 2 or len(words) < 2:
        return
    for i in range(1, len(words)):
        for rest in _breaks(words[i:], max_lines - 1):
            yield [" ".join(words[:i]), *rest]
