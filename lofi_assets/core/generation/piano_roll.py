"""A piano roll of a piece as a PNG: what a listener would check by eye first.

Bars run left to right with a line at each bar (heavier every four); pitched parts are
drawn on a shared pitch axis, coloured by their arrangement role (keys, bass, lead), and
the drums get their own lane at the bottom, one row per kit piece, so a steady groove
shows as a regular pattern and a missing part as an empty lane.
"""

from __future__ import annotations

from pathlib import Path

import pretty_midi
from PIL import Image, ImageDraw

from lofi_assets.core.files import write_png
from lofi_assets.core.generation.arrangement import KIT_PIECES, bar_count, classify

ROLE_COLOURS = {
    "keys": (94, 153, 224),
    "bass": (232, 150, 60),
    "lead": (240, 214, 90),
    "other": (150, 150, 150),
    "drums": (210, 90, 110),
}
KIT_ROWS = ("kick", "snare", "hat", "tom", "cymbal", "other")
BACKGROUND, GRID_LINE, PHRASE_LINE = (24, 24, 30), (48, 48, 58), (82, 82, 96)


class PianoRollError(ValueError):
    pass


def render_piano_roll(midi: pretty_midi.PrettyMIDI, width: int = 1200, height: int = 420) -> Image.Image:
    """The piece as an image: pitched parts above, the drum lane below."""
    beat, bars = bar_count(midi)
    pitched = [n for i in midi.instruments if not i.is_drum for n in i.notes]
    if not pitched and not any(i.notes for i in midi.instruments):
        raise PianoRollError("the piece has no notes to draw")
    lo = min((n.pitch for n in pitched), default=48) - 2
    hi = max((n.pitch for n in pitched), default=84) + 2
    drum_lane = 12 * len(KIT_ROWS)
    roll_h = height - drum_lane - 6
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    x_of = width / (bars * 4 * beat)
    for bar in range(bars + 1):
        x = round(bar * 4 * beat * x_of)
        draw.line([(x, 0), (x, height)], fill=PHRASE_LINE if bar % 4 == 0 else GRID_LINE)
    draw.line([(0, roll_h + 3), (width, roll_h + 3)], fill=PHRASE_LINE)
    row_h = roll_h / (hi - lo + 1)
    roles = {p.index: p.role for p in classify(midi)}
    for index, inst in enumerate(midi.instruments):
        colour = ROLE_COLOURS[roles.get(index, "other")]
        for n in inst.notes:
            x0, x1 = n.start * x_of, max(n.start * x_of + 2, n.end * x_of)
            if inst.is_drum:
                row = KIT_ROWS.index(KIT_PIECES.get(n.pitch, "other"))
                y0 = roll_h + 6 + row * 12
                draw.rectangle([x0, y0 + 2, x0 + 3, y0 + 10], fill=colour)
            else:
                y0 = roll_h - (n.pitch - lo + 1) * row_h
                draw.rectangle([x0, y0, x1, y0 + max(1.0, row_h - 1)], fill=colour)
    return image


def write_piano_roll(midi: pretty_midi.PrettyMIDI, path: Path) -> Path:
    """Render the roll to ``path`` (temporary name, then rename) and open it back to check."""
    return write_png(render_piano_roll(midi), path, PianoRollError)
