"""Colour grades: named looks (lift, gamma, saturation, tint, fade, vignette) applied to the
background before any text goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image


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
    return to_image(x)


def _to_float(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), np.float32) / 255.0


def to_image(x: np.ndarray) -> Image.Image:
    """Float RGB pixels (0..1, clipped) back to an 8-bit image: the last step of every layer."""
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
