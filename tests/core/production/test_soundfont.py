"""Reading what a SoundFont holds for a program, from its own tables."""

import pytest

from lofi_assets.core.production.render import DEFAULT_SOUNDFONT
from lofi_assets.core.production.soundfont import SoundFontError, program_samples, read_hydra


def test_the_small_font_plays_its_electric_piano_from_a_few_milliseconds():
    hydra = read_hydra(DEFAULT_SOUNDFONT)
    rhodes = program_samples(hydra, 0, 4)
    assert rhodes and max(z.seconds for z in rhodes) < 0.1 and not any(z.stereo for z in rhodes)
    piano = program_samples(hydra, 0, 0)
    assert max(z.seconds for z in piano) > 0.3  # its grand piano is longer
    assert program_samples(hydra, 128, 40)  # the brush kit is there
    assert program_samples(hydra, 128, 99) == []  # no kit 99


def test_a_file_that_is_not_a_soundfont_is_refused(tmp_path):
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(SoundFontError, match="junk.sf2"):
        read_hydra(junk)
