"""The YouTube thumbnail of one video: 1280×720, a lo-fi background, a graded look, a title.

A thumbnail is built in layers, each a small function::

    background (procedural art for a seed, or an operator's image, cover-cropped)
    → colour grade (a preset from ``GRADES``)
    → scrim (a soft dark band behind the text, only as dark as legibility needs)
    → drop shadow → title and subtitle

Text sits inside safe margins (6 % of each side) and above the bottom-right corner where
YouTube draws the duration stamp, so nothing the viewer must read is covered. The title
wraps to at most two lines and the subtitle stays on one; both shrink until they fit their
box, down to a minimum size below which the text is refused rather than made unreadable.
Legibility is measured, not guessed: the WCAG contrast ratio between each text colour and
the pixels behind it must reach 4.5 (the AA level for body text), and the scrim darkens in
steps until it does.

The font is DejaVu Sans Bold from matplotlib's data folder (it arrives with ``pip``, no
system font needed); an operator may pass any .ttf/.otf. Characters the font cannot draw
(colour emoji, CJK in DejaVu) are dropped and reported rather than drawn as tofu boxes.

Output is JPEG (quality stepped down until the file is under YouTube's 2 MB limit) or PNG,
written under a temporary name, checked by :func:`verify_thumbnail`, then renamed, so a
file with the final name is always a whole, valid thumbnail. For A/B tests,
:func:`render_variants` writes ``thumbnail_A.jpg``, ``thumbnail_B.jpg``, … with different
grades and alternating layouts (A: left-aligned lower third; B: centred).
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from lofi_assets.core.files import atomic_local_path

WIDTH, HEIGHT = 1280, 720
SIZE = (WIDTH, HEIGHT)
MAX_BYTES = 2 * 1024 * 1024  # YouTube refuses custom thumbnails of 2 MB or more
MARGIN = 0.06  # safe margin, share of each side (title-safe area, above YouTube's 5 % minimum)
STAMP_W, STAMP_H = 200, 80  # bottom-right corner where YouTube overlays the video duration
TEXT_BOTTOM = HEIGHT - STAMP_H - 64  # lowest text pixel: room below for the shadow and scrim fade
MIN_CONTRAST = 4.5  # WCAG 2 AA for normal text
CONTRAST_PERCENTILE = 99  # the brightest 1 % behind the text (single stars, specks) may exceed it
JPEG_QUALITIES = (92, 88, 84, 80, 75, 70, 64, 58, 50)
SCRIM_ALPHAS = tuple(round(a, 2) for a in np.arange(0.0, 0.951, 0.05))
SCRIM_RGB = (10, 8, 18)  # near-black with a little blue, so the band reads as night, not grey
TITLE_RGB = (255, 250, 240)  # warm white: pure white looks clinical on lo-fi art
TITLE_PX = (124, 40)  # (largest, smallest) title size in pixels
SUBTITLE_PX = (52, 24)
SUBTITLE_SHARE = 0.6  # subtitle size at most this share of the title's
LAYOUTS = ("left", "centre")  # variant A, C, E… left-aligned; B, D, F… centred
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
# only meaningful next to emoji (presentation selectors, zero-width joiner); invisible otherwise
EMOJI_JOINERS = {"\ufe0e", "\ufe0f", "\u200d"}
_NOT_A_GLYPH = "\U0010fffd"  # private-use code point no text font covers: renders as .notdef


class ThumbnailError(ValueError):
    """A thumbnail cannot be made or is not fit to upload."""


# --- colour grading ------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """One colour grade; values are in linear 0..1 display units (sRGB-encoded pixels)."""

    description: str
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel gain
    contrast: float = 0.0  # S-curve strength; negative flattens
    saturation: float = 1.0
    shadow_tint: tuple[float, float, float] = (0.0, 0.0, 0.0)  # added where dark (split toning)
    highlight_tint: tuple[float, float, float] = (0.0, 0.0, 0.0)  # added where bright
    fade: float = 0.0  # black lift: the washed-out shadows of old prints
    vignette: float = 0.0  # darkening at the corners, 0..1
    accent: tuple[int, int, int] = (255, 226, 190)  # subtitle colour that suits the grade


GRADES: dict[str, Grade] = {
    "warm": Grade(
        "amber white balance, gentle S-curve, a little extra saturation, plum shadows / gold highlights, soft vignette",
        white_balance=(1.06, 1.0, 0.88),
        contrast=0.25,
        saturation=1.1,
        shadow_tint=(0.03, -0.01, 0.03),
        highlight_tint=(0.04, 0.015, -0.03),
        fade=0.03,
        vignette=0.3,
        accent=(255, 222, 178),
    ),
    "cool": Grade(
        "blue white balance, moderate contrast, slightly muted, teal shadows / icy highlights, soft vignette",
        white_balance=(0.9, 0.99, 1.1),
        contrast=0.2,
        saturation=0.92,
        shadow_tint=(-0.02, 0.02, 0.04),
        highlight_tint=(-0.01, 0.02, 0.04),
        fade=0.02,
        vignette=0.25,
        accent=(206, 236, 255),
    ),
    "vintage": Grade(
        "yellowed white balance, low contrast, faded blacks, desaturated, green shadows / cream highlights, "
        "heavy vignette",
        white_balance=(1.04, 1.0, 0.86),
        contrast=-0.12,
        saturation=0.72,
        shadow_tint=(-0.01, 0.03, 0.0),
        highlight_tint=(0.04, 0.03, -0.02),
        fade=0.12,
        vignette=0.4,
        accent=(250, 232, 196),
    ),
    "cyberpunk": Grade(
        "magenta white balance, hard contrast, saturated, teal shadows / pink highlights, strong vignette",
        white_balance=(1.05, 0.86, 1.12),
        contrast=0.45,
        saturation=1.4,
        shadow_tint=(-0.03, 0.04, 0.07),
        highlight_tint=(0.08, -0.02, 0.05),
        fade=0.0,
        vignette=0.35,
        accent=(255, 200, 246),
    ),
    "noir": Grade(
        "almost black and white (6 % colour), hard contrast, cold shadows, heavy vignette",
        contrast=0.6,
        saturation=0.06,
        shadow_tint=(-0.005, 0.0, 0.015),
        fade=0.02,
        vignette=0.5,
        accent=(228, 228, 228),
    ),
    "pastel": Grade(
        "faint pink white balance, flattened contrast, muted colour, lifted blacks, lavender shadows / "
        "peach highlights, light vignette",
        white_balance=(1.03, 0.98, 1.02),
        contrast=-0.3,
        saturation=0.7,
        shadow_tint=(0.04, 0.02, 0.07),
        highlight_tint=(0.03, 0.01, 0.0),
        fade=0.2,
        vignette=0.12,
        accent=(255, 226, 236),
    ),
}


def grade_table() -> list[dict[str, str]]:
    """The presets as rows (name, description), for asset metadata and the CLI."""
    return [{"grade": name, "description": g.description} for name, g in GRADES.items()]


def get_grade(preset: Grade | str) -> Grade:
    if isinstance(preset, Grade):
        return preset
    try:
        return GRADES[preset]
    except (KeyError, TypeError):
        raise ValueError(f"unknown grade {preset!r}; choose one of {', '.join(GRADES)}") from None


def grade(image: Image.Image, preset: Grade | str) -> Image.Image:
    """``image`` with the colour grade ``preset`` applied (a new RGB image of the same size)."""
    g = get_grade(preset)
    x = _to_float(image)
    x = x * np.asarray(g.white_balance, np.float32)
    x = np.clip(x, 0.0, 1.0)
    luma = _luma(x)
    x = luma[..., None] + (x - luma[..., None]) * g.saturation
    x = np.clip(x, 0.0, 1.0)
    x = _s_curve(x, g.contrast)
    luma = _luma(x)[..., None]
    # split toning: each tint weighted by how dark / how bright the pixel is
    x = x + (1.0 - luma) ** 2 * np.asarray(g.shadow_tint, np.float32)
    x = x + luma**2 * np.asarray(g.highlight_tint, np.float32)
    x = g.fade + x * (1.0 - g.fade)
    if g.vignette:
        x = x * _vignette(x.shape[1], x.shape[0], g.vignette)[..., None]
    return _to_image(x)


def _to_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float32) / 255.0


def _to_image(x: np.ndarray) -> Image.Image:
    return Image.fromarray(np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8), "RGB")


def _luma(x: np.ndarray) -> np.ndarray:
    # Rec. 709 weights: saturation changes keep the perceived brightness
    return x @ np.asarray([0.2126, 0.7152, 0.0722], np.float32)


def _s_curve(x: np.ndarray, strength: float) -> np.ndarray:
    # blend towards smoothstep (steeper mid-tones) or, for negative strength, away from it
    return np.clip(x + strength * (x * x * (3.0 - 2.0 * x) - x), 0.0, 1.0)


@lru_cache(maxsize=8)
def _vignette(width: int, height: int, strength: float) -> np.ndarray:
    # elliptical falloff that leaves the middle two-thirds nearly untouched
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2
    mask = 1.0 - strength * np.clip((r2 - 0.25) / 1.75, 0.0, 1.0) ** 1.5
    mask.setflags(write=False)
    return mask


# --- backgrounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Palette:
    """Colours of one procedural scene, top of the sky to the street lights."""

    sky_top: tuple[int, int, int]
    sky_mid: tuple[int, int, int]
    horizon: tuple[int, int, int]
    hills: tuple[int, int, int]
    city: tuple[int, int, int]
    windows: tuple[int, int, int]
    bokeh: tuple[tuple[int, int, int], ...]
    weather: str = "stars"  # "stars", "rain" or "clear"
    moon: bool = True


PALETTES: dict[str, Palette] = {
    "dusk": Palette(
        (26, 22, 62),
        (96, 62, 120),
        (244, 156, 124),
        (70, 48, 92),
        (24, 18, 40),
        (255, 196, 122),
        ((255, 178, 120), (255, 120, 152), (168, 146, 255)),
    ),
    "night": Palette(
        (6, 10, 28),
        (18, 32, 68),
        (62, 82, 128),
        (24, 34, 62),
        (6, 8, 18),
        (255, 210, 140),
        ((255, 200, 120), (120, 196, 255), (255, 140, 200)),
        weather="rain",
    ),
    "sunset": Palette(
        (58, 38, 92),
        (196, 88, 106),
        (255, 192, 122),
        (120, 60, 90),
        (40, 20, 38),
        (255, 226, 150),
        ((255, 210, 140), (255, 150, 110), (255, 110, 140)),
        weather="clear",
        moon=False,
    ),
    "rain": Palette(
        (38, 48, 62),
        (78, 94, 110),
        (146, 158, 170),
        (62, 74, 88),
        (20, 26, 34),
        (255, 214, 150),
        ((255, 214, 150), (150, 200, 230), (230, 160, 120)),
        weather="rain",
        moon=False,
    ),
    "dawn": Palette(
        (92, 120, 170),
        (190, 176, 196),
        (252, 214, 186),
        (128, 120, 150),
        (52, 48, 70),
        (255, 236, 190),
        ((255, 236, 200), (255, 190, 170), (200, 210, 255)),
        weather="clear",
        moon=True,
    ),
}


def procedural_background(seed: int, palette: Palette | str | None = None, size: tuple[int, int] = SIZE) -> Image.Image:
    """Lo-fi city art for ``seed``: dusk sky, moon, hills, lit skyline, bokeh, rain or stars, grain.

    The same seed (and palette) gives the same pixels; other seeds move every element and,
    without an explicit ``palette``, pick another one of ``PALETTES``.
    """
    pal = _palette(palette, seed)
    width, height = size
    # one independent stream per element, so that changing one never reshuffles the others
    sky_rng, moon_rng, star_rng, hill_rng, city_rng, bokeh_rng, rain_rng, grain_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0x70F1]).spawn(8)
    )
    horizon = height * sky_rng.uniform(0.6, 0.72)
    img = _sky(pal, width, height, horizon, sky_rng)
    if pal.weather == "stars":
        _stars(img, horizon, star_rng)
    if pal.moon:
        _moon(img, horizon, moon_rng)
    _hills(img, pal, horizon, hill_rng)
    _skyline(img, pal, horizon, city_rng)
    _bokeh(img, pal, bokeh_rng)
    if pal.weather == "rain":
        _rain(img, rain_rng)
    _grain(img, grain_rng)
    return _to_image(img)


def _palette(palette: Palette | str | None, seed: int) -> Palette:
    if isinstance(palette, Palette):
        return palette
    if palette is None:
        return list(PALETTES.values())[seed % len(PALETTES)]
    try:
        return PALETTES[palette]
    except KeyError:
        raise ValueError(f"unknown palette {palette!r}; choose one of {', '.join(PALETTES)}") from None


def _rgb(colour: Sequence[int]) -> np.ndarray:
    return np.asarray(colour, np.float32) / 255.0


def _sky(pal: Palette, width: int, height: int, horizon: float, rng: np.random.Generator) -> np.ndarray:
    # vertical gradient top → mid → horizon, then a warm glow where the sun has just set
    y = np.arange(height, dtype=np.float32)
    stops = np.asarray([0.0, horizon * rng.uniform(0.45, 0.65), horizon, height], np.float32)
    colours = np.stack([_rgb(pal.sky_top), _rgb(pal.sky_mid), _rgb(pal.horizon), _rgb(pal.horizon) * 0.8])
    column = np.stack([np.interp(y, stops, colours[:, c]) for c in range(3)], axis=-1).astype(np.float32)
    img = np.repeat(column[:, None, :], width, axis=1)
    gx = width * rng.uniform(0.2, 0.8)
    xx = np.arange(width, dtype=np.float32)[None, :]
    glow = np.exp(-(((xx - gx) / (width * 0.35)) ** 2) - (((y[:, None] - horizon) / (height * 0.22)) ** 2))
    return _screen(img, _rgb(pal.horizon) * 0.35, glow.astype(np.float32))


def _stars(img: np.ndarray, horizon: float, rng: np.random.Generator) -> None:
    height, width = img.shape[:2]
    n = int(rng.integers(160, 320))
    ys = (rng.random(n) ** 1.6 * horizon * 0.85).astype(int)  # denser towards the top
    xs = rng.integers(0, width, n)
    bright = rng.uniform(0.25, 0.9, n).astype(np.float32) * (1.0 - ys / horizon).astype(np.float32)
    img[ys, xs] = np.maximum(img[ys, xs], bright[:, None])
    # a few bigger stars get a small cross, so they read as stars and not as noise
    big = bright > 0.7
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        yy, xx = np.clip(ys[big] + dy, 0, height - 1), np.clip(xs[big] + dx, 0, width - 1)
        img[yy, xx] = np.maximum(img[yy, xx], bright[big, None] * 0.5)


def _moon(img: np.ndarray, horizon: float, rng: np.random.Generator) -> None:
    height, width = img.shape[:2]
    r = rng.uniform(0.03, 0.05) * height
    cx, cy = width * rng.uniform(0.55, 0.9), horizon * rng.uniform(0.18, 0.45)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    d = np.hypot(xx - cx, yy - cy)
    disc = np.clip(r - d + 1.0, 0.0, 1.0)  # 1 px anti-aliased edge
    glow = np.exp(-((d / (r * 4.0)) ** 2)) * 0.22
    moon = np.asarray([1.0, 0.96, 0.86], np.float32)
    img[:] = _screen(img, moon, np.maximum(disc * 0.95, glow).astype(np.float32))


def _ridge(width: int, base: float, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    # a sum of a few sines with random phases: smooth, never repeating across the frame
    x = np.arange(width, dtype=np.float32) / width
    y = np.full(width, base, np.float32)
    for k, freq in enumerate((1.0, 2.3, 5.1, 11.0)):
        y += amplitude / (k + 1) ** 1.3 * np.sin(2 * np.pi * (freq * rng.uniform(0.8, 1.2) * x + rng.random()))
    return y


def _fill_below(img: np.ndarray, top: np.ndarray, colour: np.ndarray) -> None:
    height = img.shape[0]
    yy = np.arange(height, dtype=np.float32)[:, None]
    alpha = np.clip(yy - top[None, :] + 0.5, 0.0, 1.0)[..., None]  # anti-aliased outline
    img[:] = img * (1.0 - alpha) + colour * alpha


def _hills(img: np.ndarray, pal: Palette, horizon: float, rng: np.random.Generator) -> None:
    width = img.shape[1]
    haze = _rgb(pal.horizon)
    # far hills are lost in the haze; nearer ones are darker (aerial perspective)
    for depth, mix in ((0.0, 0.55), (0.05, 0.25)):
        ridge = _ridge(width, horizon + depth * img.shape[0], img.shape[0] * 0.05, rng)
        _fill_below(img, ridge, _rgb(pal.hills) * (1 - mix) + haze * mix)


def _skyline(img: np.ndarray, pal: Palette, horizon: float, rng: np.random.Generator) -> None:
    height, width = img.shape[:2]
    for layer, (low, high, mix) in enumerate(((0.12, 0.36, 0.35), (0.06, 0.26, 0.0))):
        base = height - (1 - layer) * height * 0.04
        colour = _rgb(pal.city) * (1 - mix) + _rgb(pal.hills) * mix
        top = np.full(width, float(height), np.float32)
        buildings = []
        x = -int(rng.integers(0, 40))
        while x < width:
            w = int(rng.integers(34, 120))
            h = height * rng.uniform(low, high) * (1.0 if rng.random() > 0.15 else 0.35)  # gaps to see through
            top[max(x, 0) : max(x + w, 0)] = base - h
            if rng.random() < 0.2:  # antenna
                ax = x + w // 2
                top[max(ax, 0) : max(ax + 3, 0)] = base - h - height * rng.uniform(0.02, 0.06)
            buildings.append((x, w, base - h))
            x += w + int(rng.integers(0, 14))
        _fill_below(img, top, colour)
        if layer == 1 or rng.random() < 0.5:
            _windows(img, pal, buildings, base, rng, dim=0.55 if layer == 0 else 1.0)


def _windows(img: np.ndarray, pal: Palette, buildings: list, base: float, rng: np.random.Generator, dim: float) -> None:
    height, width = img.shape[:2]
    light = _rgb(pal.windows)
    lit_share = rng.uniform(0.18, 0.4)
    for x0, w, top in buildings:
        cols = (w - 8) // 12
        rows = int((base - top - 12) // 16)
        if cols < 1 or rows < 1:
            continue
        lit = rng.random((rows, cols)) < lit_share
        level = rng.uniform(0.55, 1.0, (rows, cols)) * dim
        for r, c in zip(*np.nonzero(lit)):
            wx, wy = x0 + 6 + c * 12, int(top) + 10 + r * 16
            if 0 <= wx and wx + 6 <= width and wy + 8 <= height:
                img[wy : wy + 8, wx : wx + 6] = np.maximum(img[wy : wy + 8, wx : wx + 6], light * level[r, c])


def _bokeh(img: np.ndarray, pal: Palette, rng: np.random.Generator) -> None:
    # out-of-focus lights: flat discs, a slightly brighter rim, soft edges, screen-blended
    height, width = img.shape[:2]
    for _ in range(int(rng.integers(14, 28))):
        r = rng.uniform(0.025, 0.1) * height
        cx = rng.uniform(-r, width + r)
        cy = height * (rng.random() ** 0.6)  # most of them low, where the street lights are
        x0, x1 = int(max(cx - r - 2, 0)), int(min(cx + r + 3, width))
        y0, y1 = int(max(cy - r - 2, 0)), int(min(cy + r + 3, height))
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.hypot(xx - cx, yy - cy) / r
        disc = np.clip((1.0 - d) * r / 2.5, 0.0, 1.0) * (0.75 + 0.25 * np.clip(d, 0, 1) ** 4)
        colour = _rgb(pal.bokeh[int(rng.integers(len(pal.bokeh)))])
        patch = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = _screen(patch, colour, (disc * rng.uniform(0.12, 0.4)).astype(np.float32))


def _rain(img: np.ndarray, rng: np.random.Generator) -> None:
    height, width = img.shape[:2]
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    slant = rng.uniform(-0.25, 0.25)
    for _ in range(int(rng.integers(260, 520))):
        x, y = rng.uniform(0, width), rng.uniform(-40, height)
        length = rng.uniform(12, 42)
        draw.line([(x, y), (x + slant * length, y + length)], fill=int(rng.integers(40, 130)), width=1)
    streaks = np.asarray(layer.filter(ImageFilter.GaussianBlur(0.7)), np.float32) / 255.0
    img[:] = _screen(img, np.asarray([0.82, 0.88, 0.95], np.float32), streaks)


def _grain(img: np.ndarray, rng: np.random.Generator) -> None:
    # monochrome grain at half resolution, upscaled: film-like clumps (and it compresses better)
    height, width = img.shape[:2]
    small = rng.normal(0.0, 0.02, ((height + 1) // 2, (width + 1) // 2)).astype(np.float32)
    grain = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)[:height, :width]
    img += grain[..., None]
    np.clip(img, 0.0, 1.0, out=img)


def _screen(img: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    # "screen" blend: adds light without ever clipping to flat white
    return 1.0 - (1.0 - img) * (1.0 - colour * alpha[..., None])


def load_background(path: str | os.PathLike) -> Image.Image:
    """An operator's image, any size or aspect, cover-cropped (centred) and resized to 1280×720."""
    try:
        with Image.open(path) as src:
            src.load()
            image = ImageOps.exif_transpose(src)  # phone photos are stored sideways with a rotation tag
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, (0, 0, 0))
                image.paste(rgba, mask=rgba.getchannel("A"))
            image = image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise ThumbnailError(f"cannot read background image {os.fspath(path)}: {exc}") from exc
    return ImageOps.fit(image, SIZE, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


# --- text ----------------------------------------------------------------------------------


def default_font_path() -> Path:
    """DejaVu Sans Bold as shipped inside matplotlib (found without importing pyplot)."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        raise ThumbnailError(f"matplotlib's DejaVu Sans Bold is missing at {path}; pass font=")
    return path


@lru_cache(maxsize=256)
def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    # the basic layout engine is always present, so text measures the same on every machine
    return ImageFont.truetype(path, px, layout_engine=ImageFont.Layout.BASIC)


def load_font(font: str | os.PathLike | None) -> Path:
    """The font file to use, checked to open: ``font`` or the default."""
    path = default_font_path() if font is None else Path(font)
    try:
        _font(str(path), 20)
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
    font = _font(font_path, 32)
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
        font = _font(str(font_path), px)
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


# --- legibility ----------------------------------------------------------------------------


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB pixels (0..255, last axis RGB)."""
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8:
        linear = _LINEAR_SRGB[rgb]  # a table look-up: 8-bit pixels have only 256 values
    else:
        c = rgb.astype(np.float32) / 255.0
        linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.asarray([0.2126, 0.7152, 0.0722], np.float32)


_c = np.arange(256, dtype=np.float64) / 255.0
_LINEAR_SRGB = np.where(_c <= 0.04045, _c / 12.92, ((_c + 0.055) / 1.055) ** 2.4).astype(np.float32)
del _c


def contrast_ratio(text_rgb: Sequence[int], pixels: np.ndarray) -> float:
    """WCAG contrast between a text colour and the background pixels behind it.

    Light text fails on the brightest background, so that end of the pixels counts
    (``CONTRAST_PERCENTILE``); dark text fails on the darkest.
    """
    fg = float(relative_luminance(np.asarray(text_rgb)))
    lum = relative_luminance(pixels.reshape(-1, 3))
    bg = float(np.percentile(lum, CONTRAST_PERCENTILE if fg > 0.5 else 100 - CONTRAST_PERCENTILE))
    light, dark = max(fg, bg), min(fg, bg)
    return (light + 0.05) / (dark + 0.05)


def _scrim_mask(boxes: Sequence[tuple[int, int, int, int]], width: int, height: int) -> np.ndarray:
    # a band fully opaque around the text, fading out above, below and to the sides;
    # it fades out before the duration-stamp rows, so that corner is never touched
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = 24
    y = np.arange(height, dtype=np.float32)
    x = np.arange(width, dtype=np.float32)
    bottom_end = max(min(y1 + pad + 110, height - STAMP_H), y1 + pad + 1)
    v = np.minimum(_ramp(y, y0 - pad - 140, y0 - pad), 1.0 - _ramp(y, y1 + pad, bottom_end))
    h = np.minimum(_ramp(x, x0 - pad - 260, x0 - pad), 1.0 - _ramp(x, x1 + pad, x1 + pad + 260))
    return (v[:, None] * h[None, :]).astype(np.float32)


def _ramp(x: np.ndarray, start: float, end: float) -> np.ndarray:
    # smoothstep from 0 at ``start`` to 1 at ``end``: no visible edge where the band ends
    t = np.clip((x - start) / max(end - start, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _apply_scrim(image: np.ndarray, mask: np.ndarray, alpha: float) -> np.ndarray:
    if alpha <= 0:
        return image
    a = (mask * alpha)[..., None]
    blended = np.rint(image * (1.0 - a) + np.asarray(SCRIM_RGB, np.float32) * a).astype(np.uint8)
    return np.where(a > 0, blended, image)  # untouched pixels stay bit-identical


def legible_scrim(
    image: np.ndarray, texts: Sequence[tuple[tuple[int, int, int, int], Sequence[int]]]
) -> tuple[np.ndarray, float, float]:
    """Darken a scrim behind ``texts`` ((box, colour) pairs) until every box reaches ``MIN_CONTRAST``.

    Returns the scrimmed pixels, the scrim's opacity and the lowest contrast ratio reached.
    """
    mask = _scrim_mask([box for box, _ in texts], image.shape[1], image.shape[0])
    worst = 0.0
    for alpha in SCRIM_ALPHAS:
        # only the pixels behind the text decide, so only those are blended while searching
        worst = min(
            contrast_ratio(colour, _apply_scrim(image[y0:y1, x0:x1], mask[y0:y1, x0:x1], alpha))
            for (x0, y0, x1, y1), colour in texts
        )
        if worst >= MIN_CONTRAST:
            return _apply_scrim(image, mask, alpha), float(alpha), worst
    raise ThumbnailError(f"text contrast reaches only {worst:.2f} (< {MIN_CONTRAST}) even with the darkest scrim")


# --- layout and rendering ------------------------------------------------------------------


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
    reserve = sum(_font(str(font_path), SUBTITLE_PX[0]).getmetrics()) + gap if subtitle else 0  # its one line
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
        font_obj = _font(str(font_path), fit.px)
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
        font_obj = _font(str(font_path), fit.px)
        for p, line in zip(pts, fit.lines):
            draw.text(p, line, font=font_obj, fill=colour, anchor=anchor)
    names = ["title", "subtitle"][: len(fits)]
    return Composition(image, title_fit, sub_fit, dict(zip(names, boxes)), alpha, ratio)


def _shadow(image: Image.Image, fits: Sequence[FittedText], points, font_path: Path, anchor: str) -> None:
    # a soft shadow down and to the right lifts the letters off busy art
    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for fit, pts in zip(fits, points):
        font_obj = _font(str(font_path), fit.px)
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
