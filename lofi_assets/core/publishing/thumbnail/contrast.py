"""Legibility: WCAG relative luminance and contrast ratio, and the lightest scrim (a soft dark
band behind the text) that brings every text colour to the required contrast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lofi_assets.core.publishing.thumbnail.frame import (
    CONTRAST_PERCENTILE,
    MIN_CONTRAST,
    SCRIM_ALPHAS,
    SCRIM_RGB,
    STAMP_H,
    ThumbnailError,
)


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
