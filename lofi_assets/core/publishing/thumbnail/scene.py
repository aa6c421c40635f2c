"""Backgrounds: procedural night scenes painted from a seed and a palette (sky, stars, moon,
hills or a skyline with lit windows, bokeh, rain, grain), or an operator's image cover-cropped
to the frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from lofi_assets.core.publishing.thumbnail.frame import SIZE, ThumbnailError
from lofi_assets.core.publishing.thumbnail.grades import to_image


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


def procedural_background(
    seed: int, palette: Palette | str | None = None, size: tuple[int, int] = SIZE, grain: bool = True
) -> Image.Image:
    """Lo-fi city art for ``seed``: dusk sky, moon, hills, lit skyline, bokeh, rain or stars, grain.

    The same seed (and palette) gives the same pixels; other seeds move every element and,
    without an explicit ``palette``, pick another one of ``PALETTES``. Without ``grain`` (a
    video's scene, where grain in every keyframe costs bytes and is not seen moving).
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
    if grain:
        _grain(img, grain_rng)
    return to_image(img)


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
