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

One module per layer: ``frame`` (size, limits, safe area), ``scene`` (backgrounds), ``grades``
(colour looks), ``text`` (fonts and fitting), ``contrast`` (legibility and the scrim) and
``render`` (composition, encoding, variants and the check); the names below are the API.
"""

from lofi_assets.core.publishing.thumbnail.contrast import contrast_ratio, legible_scrim, relative_luminance
from lofi_assets.core.publishing.thumbnail.frame import (
    HEIGHT,
    MARGIN,
    MAX_BYTES,
    MIN_CONTRAST,
    SIZE,
    STAMP_H,
    STAMP_W,
    SUBTITLE_PX,
    TITLE_PX,
    TITLE_RGB,
    WIDTH,
    ThumbnailError,
)
from lofi_assets.core.publishing.thumbnail.grades import GRADES, Grade, get_grade, grade, grade_table
from lofi_assets.core.publishing.thumbnail.render import (
    Composition,
    ThumbnailInfo,
    compose,
    encode,
    render_thumbnail,
    render_variants,
    safe_area,
    variant_layout,
    verify_thumbnail,
)
from lofi_assets.core.publishing.thumbnail.scene import PALETTES, Palette, load_background, procedural_background
from lofi_assets.core.publishing.thumbnail.text import FittedText, default_font_path, drawable_text, fit_text, load_font

__all__ = [
    "GRADES",
    "HEIGHT",
    "MARGIN",
    "MAX_BYTES",
    "MIN_CONTRAST",
    "PALETTES",
    "SIZE",
    "STAMP_H",
    "STAMP_W",
    "SUBTITLE_PX",
    "TITLE_PX",
    "TITLE_RGB",
    "WIDTH",
    "Composition",
    "FittedText",
    "Grade",
    "Palette",
    "ThumbnailError",
    "ThumbnailInfo",
    "compose",
    "contrast_ratio",
    "default_font_path",
    "drawable_text",
    "encode",
    "fit_text",
    "get_grade",
    "grade",
    "grade_table",
    "legible_scrim",
    "load_background",
    "load_font",
    "procedural_background",
    "relative_luminance",
    "render_thumbnail",
    "render_variants",
    "safe_area",
    "variant_layout",
    "verify_thumbnail",
]
