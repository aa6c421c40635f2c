"""Composition and output: the layout of title and subtitle in the safe area, the layers put
together, encoding under YouTube's size limit, the atomic write, A/B variants, and the
check every written thumbnail passes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, UnidentifiedImageError

from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.thumbnail.contrast import legible_scrim
from lofi_assets.core.publishing.thumbnail.frame import (
    FORMATS,
    HEIGHT,
    JPEG_QUALITIES,
    LAYOUTS,
    MARGIN,
    MAX_BYTES,
    SIZE,
    SUBTITLE_PX,
    SUBTITLE_SHARE,
    TEXT_BOTTOM,
    TITLE_PX,
    TITLE_RGB,
    WIDTH,
    ThumbnailError,
)
from lofi_assets.core.publishing.thumbnail.grades import Grade, get_grade, grade
from lofi_assets.core.publishing.thumbnail.scene import load_background, procedural_background
from lofi_assets.core.publishing.thumbnail.text import FittedText, drawable_text, fit_text, load_font, sized_font


@dataclass(frozen=True)
class ThumbnailInfo:
    """What was written, for asset metadata."""

    path: str
    width: int
    height: int
    format: str
    bytes: int
    grade: str
    seed: int
    variant: str
    layout: str
    title_font_px: int
    subtitle_font_px: int  # 0 without a subtitle
    title_lines: tuple[str, ...]
    contrast_ratio: float  # lowest WCAG ratio over title and subtitle
    scrim_alpha: float  # 0: no scrim was needed
    background: str  # "procedural" or the operator's file
    dropped_chars: tuple[str, ...] = ()
    text_boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # (x0, y0, x1, y1)
    quality: int | None = None  # JPEG quality used

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def variant_layout(variant: str) -> str:
    """Layout of an A/B variant: A, C, E… left-aligned lower third; B, D, F… centred."""
    if not (isinstance(variant, str) and len(variant) == 1 and "A" <= variant <= "Z"):
        raise ValueError(f"variant must be one capital letter A-Z, not {variant!r}")
    return LAYOUTS[(ord(variant) - ord("A")) % len(LAYOUTS)]


def safe_area() -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) that text must stay inside: the margins, and above the duration stamp."""
    mx, my = round(WIDTH * MARGIN), round(HEIGHT * MARGIN)
    return mx, my, WIDTH - mx, TEXT_BOTTOM


def _fit_block(title: str, subtitle: str, font_path: Path, layout: str) -> tuple[FittedText, FittedText | None, int]:
    x0, y0, x1, y1 = safe_area()
    # left-aligned text leaves the right of the frame to the art; centred text uses the width
    width = round((x1 - x0) * 0.8) if layout == "left" else x1 - x0
    gap = 14
    reserve = sum(sized_font(str(font_path), SUBTITLE_PX[0]).getmetrics()) + gap if subtitle else 0  # its one line
    title_fit = fit_text(
        title, font_path, width, (y1 - y0) - reserve, max_lines=2, max_px=TITLE_PX[0], min_px=TITLE_PX[1], what="title"
    )
    sub = None
    if subtitle:
        # the subtitle stays clearly smaller than the title, however far the title had to shrink
        top_px = max(SUBTITLE_PX[1], min(SUBTITLE_PX[0], round(title_fit.px * SUBTITLE_SHARE)))
        sub = fit_text(
            subtitle,
            font_path,
            width,
            reserve - gap,
            max_lines=1,
            max_px=top_px,
            min_px=SUBTITLE_PX[1],
            what="subtitle",
        )
    return title_fit, sub, gap


def _place(fits: Sequence[FittedText], gap: int, layout: str) -> list[list[tuple[int, int]]]:
    # anchor points ("la" or "ma": left/middle at the ascender) of every line of every text
    x0, y0, x1, y1 = safe_area()
    block = sum(f.height for f in fits) + gap * (len(fits) - 1)
    top = y1 - block if layout == "left" else round(HEIGHT * 0.48 - block / 2)
    top = max(top, y0)
    x = x0 if layout == "left" else WIDTH // 2
    points = []
    for fit in fits:
        points.append([(x, top + i * fit.line_height) for i in range(len(fit.lines))])
        top += fit.height + gap
    return points


@dataclass(frozen=True)
class Composition:
    """A finished picture and the layout facts that ThumbnailInfo reports."""

    image: Image.Image
    title: FittedText
    subtitle: FittedText | None
    text_boxes: dict[str, tuple[int, int, int, int]]
    scrim_alpha: float
    contrast_ratio: float


def compose(
    background: Image.Image,
    title: str,
    subtitle: str,
    *,
    preset: Grade | str = "warm",
    font: str | os.PathLike | None = None,
    layout: str = "left",
) -> Composition:
    """Grade ``background``, then lay out, scrim, shadow and draw the (already cleaned) texts."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    g = get_grade(preset)
    font_path = load_font(font)
    title_fit, sub_fit, gap = _fit_block(title, subtitle, font_path, layout)
    fits = [title_fit] + ([sub_fit] if sub_fit else [])
    colours = [TITLE_RGB] + ([g.accent] if sub_fit else [])
    anchor = "la" if layout == "left" else "ma"
    points = _place(fits, gap, layout)
    graded = grade(background, g)

    measure = ImageDraw.Draw(graded)
    boxes = []
    for fit, pts in zip(fits, points):
        font_obj = sized_font(str(font_path), fit.px)
        line_boxes = [measure.textbbox(p, line, font=font_obj, anchor=anchor) for p, line in zip(pts, fit.lines)]
        boxes.append(
            tuple(
                int(v)
                for v in (
                    min(b[0] for b in line_boxes),
                    min(b[1] for b in line_boxes),
                    max(b[2] for b in line_boxes),
                    max(b[3] for b in line_boxes),
                )
            )
        )
    pixels, alpha, ratio = legible_scrim(np.asarray(graded), list(zip(boxes, colours)))
    image = Image.fromarray(pixels)
    _shadow(image, fits, points, font_path, anchor)
    draw = ImageDraw.Draw(image)
    for fit, pts, colour in zip(fits, points, colours):
        font_obj = sized_font(str(font_path), fit.px)
        for p, line in zip(pts, fit.lines):
            draw.text(p, line, font=font_obj, fill=colour, anchor=anchor)
    names = ["title", "subtitle"][: len(fits)]
    return Composition(image, title_fit, sub_fit, dict(zip(names, boxes)), alpha, ratio)


def _shadow(image: Image.Image, fits: Sequence[FittedText], points, font_path: Path, anchor: str) -> None:
    # a soft shadow down and to the right lifts the letters off busy art
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for fit, pts in zip(fits, points):
        font_obj = sized_font(str(font_path), fit.px)
        off = max(2, round(fit.px * 0.04))
        for (x, y), line in zip(pts, fit.lines):
            draw.text((x + off, y + off), line, font=font_obj, fill=150, anchor=anchor)
    mask = mask.filter(ImageFilter.GaussianBlur(max(2.0, fits[0].px * 0.05)))
    image.paste((0, 0, 0), mask=mask)


def _format(out: Path, fmt: str | None) -> str:
    by_suffix = FORMATS.get(out.suffix.lower())
    if fmt is None:
        if by_suffix is None:
            raise ThumbnailError(f"cannot tell the format of {out}: use .jpg, .jpeg or .png, or pass fmt=")
        return by_suffix
    wanted = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}.get(fmt.lower().lstrip("."))
    if wanted is None:
        raise ThumbnailError(f"thumbnail format must be JPEG or PNG, not {fmt!r}")
    if out.suffix and by_suffix != wanted:
        raise ThumbnailError(f"{out} has the suffix of another format than {wanted}")
    return wanted


def encode(image: Image.Image, fmt: str) -> tuple[bytes, int | None]:
    """The file's bytes, under ``MAX_BYTES``: JPEG at the highest quality that fits, or PNG.

    PNG that is too big (a noisy photo) falls back to a 256-colour palette with dithering.
    """
    if fmt == "PNG":
        for candidate in (image, image.quantize(256, dither=Image.Dither.FLOYDSTEINBERG)):
            buffer = io.BytesIO()
            # level 6: level 9 saves ~3 % of the bytes for ~7× the time
            candidate.save(buffer, format="PNG", compress_level=6)
            if buffer.tell() < MAX_BYTES:
                return buffer.getvalue(), None
        raise ThumbnailError(f"PNG thumbnail stays over {MAX_BYTES} bytes; use JPEG")
    for quality in JPEG_QUALITIES:
        buffer = io.BytesIO()
        # full-resolution colour at high quality keeps coloured text edges crisp
        image.save(
            buffer,
            format="JPEG",
            quality=quality,
            optimize=True,
            progressive=True,
            subsampling=0 if quality >= 80 else 2,
        )
        if buffer.tell() < MAX_BYTES:
            return buffer.getvalue(), quality
    raise ThumbnailError(f"JPEG thumbnail stays over {MAX_BYTES} bytes even at quality {JPEG_QUALITIES[-1]}")


def render_thumbnail(
    out_path: str | os.PathLike,
    title: str,
    subtitle: str = "",
    *,
    grade: str = "warm",
    seed: int = 0,
    background: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    fmt: str | None = None,
    variant: str = "A",
) -> ThumbnailInfo:
    """Write the thumbnail of one video to ``out_path`` and describe it.

    ``background`` is an operator's image (cover-cropped) or None for procedural art from
    ``seed``; ``fmt`` is "jpeg" or "png", by default from the suffix; ``variant`` (a letter)
    picks the layout for A/B tests (see :func:`variant_layout`).
    """
    out = Path(out_path)
    fmt_name = _format(out, fmt)
    preset = get_grade(grade)  # unknown names fail before any work
    layout = variant_layout(variant)
    font_path = load_font(font)
    clean_title, dropped = drawable_text(title, font_path)
    clean_sub, dropped_sub = drawable_text(subtitle, font_path)
    if not clean_title:
        raise ThumbnailError(f"title {title!r} has nothing the font {font_path.name} can draw")
    base = procedural_background(seed) if background is None else load_background(background)
    done = compose(base, clean_title, clean_sub, preset=preset, font=font_path, layout=layout)
    data, quality = encode(done.image, fmt_name)
    with atomic_local_path(out, suffix=out.suffix or ".tmp") as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # checked under the temporary name, so a bad file never carries the final one
        problems = verify_thumbnail(tmp)
        if problems:
            raise ThumbnailError(f"{out}: " + "; ".join(problems))
    return ThumbnailInfo(
        path=str(out),
        width=WIDTH,
        height=HEIGHT,
        format=fmt_name,
        bytes=len(data),
        grade=grade if isinstance(grade, str) else "custom",
        seed=seed,
        variant=variant,
        layout=layout,
        title_font_px=done.title.px,
        subtitle_font_px=done.subtitle.px if done.subtitle else 0,
        title_lines=done.title.lines,
        contrast_ratio=round(done.contrast_ratio, 2),
        scrim_alpha=done.scrim_alpha,
        background="procedural" if background is None else os.fspath(background),
        dropped_chars=tuple(dict.fromkeys(dropped + dropped_sub)),
        text_boxes=done.text_boxes,
        quality=quality,
    )


def render_variants(
    folder: str | os.PathLike,
    title: str,
    subtitle: str = "",
    *,
    grades: Sequence[str] = ("warm", "cyberpunk"),
    seed: int = 0,
    background: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    fmt: str = "jpg",
) -> list[ThumbnailInfo]:
    """A/B candidates ``thumbnail_A.jpg``, ``thumbnail_B.jpg``, … in ``folder``, one per grade.

    Every variant shares ``seed`` (the same art), so a test compares only the grade and the
    layout (A, C… left-aligned; B, D… centred).
    """
    if not 1 <= len(grades) <= 26:
        raise ValueError("give between 1 and 26 grades")
    for name in grades:
        get_grade(name)  # all names checked before the first file is written
    suffix = "." + fmt.lower().lstrip(".")
    return [
        render_thumbnail(
            Path(folder) / f"thumbnail_{letter}{suffix}",
            title,
            subtitle,
            grade=name,
            seed=seed,
            background=background,
            font=font,
            variant=letter,
        )
        for letter, name in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", grades)
    ]


# --- checks --------------------------------------------------------------------------------


def verify_thumbnail(path: str | os.PathLike) -> list[str]:
    """Problems that would make YouTube refuse or mangle the file; empty when it is fine."""
    path = Path(path)
    if not path.is_file():
        return [f"{path} does not exist"]
    problems = []
    size = path.stat().st_size
    if size >= MAX_BYTES:
        problems.append(f"{size} bytes, over YouTube's limit of {MAX_BYTES}")
    try:
        with Image.open(path) as img:
            img.verify()  # structure and checksums (PNG); cheap, but the image is unusable afterwards
        with Image.open(path) as img:
            fmt, dims = img.format, img.size
            img.load()  # decodes everything: a truncated JPEG only shows up here
            pixels = np.asarray(img.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return problems + [f"not a readable image: {exc}"]
    if fmt not in ("JPEG", "PNG"):
        problems.append(f"format {fmt}, not JPEG or PNG")
    if dims != SIZE:
        problems.append(f"{dims[0]}×{dims[1]}, not {WIDTH}×{HEIGHT}")
    if pixels.std(axis=(0, 1)).max() < 2.0:
        problems.append("a flat single colour")
    return problems
