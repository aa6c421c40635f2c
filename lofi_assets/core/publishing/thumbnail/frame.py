"""The frame every layer shares: YouTube's thumbnail size and limits, the text-safe area
around the duration stamp, the layout and text constants, and the error type.
"""

from __future__ import annotations

import numpy as np

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


class ThumbnailError(ValueError):
    """A thumbnail cannot be made or is not fit to upload."""
