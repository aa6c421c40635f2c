import pretty_midi
import pytest
from PIL import Image

from lofi_assets.core.generation.composer import compose
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.piano_roll import ROLE_COLOURS, PianoRollError, render_piano_roll, write_piano_roll


def test_roll_draws_each_role_in_its_colour_and_the_drum_lane(tmp_path):
    midi = compose(Conditions.parse(80, "Am", "chill", 8, seed=1))
    path = write_piano_roll(midi, tmp_path / "song.png")
    assert not list(tmp_path.glob("*.tmp*"))  # written under a temporary name, then renamed
    with Image.open(path) as image:
        assert image.size == (1200, 420)
        colours = {c for _, c in image.getcolors(maxcolors=1 << 16)}
    assert {ROLE_COLOURS[r] for r in ("keys", "bass", "lead", "drums")} <= colours
    no_drums = render_piano_roll(compose(Conditions.parse(80, "Am", "chill", 8, seed=1, drums=False)))
    assert ROLE_COLOURS["drums"] not in {c for _, c in no_drums.getcolors(maxcolors=1 << 16)}


def test_an_empty_piece_is_refused():
    with pytest.raises(PianoRollError, match="no notes"):
        render_piano_roll(pretty_midi.PrettyMIDI())
