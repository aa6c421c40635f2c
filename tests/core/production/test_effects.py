"""Every effect leaves the mark a listener would hear, and says what it applied."""

import numpy as np
import pytest

from lofi_assets.core.production.effects import EFFECTS, NOT_APPLIED, TAIL_ROOM_S, apply_effects, effect_mark

RATE = 44100


@pytest.fixture(scope="module")
def music() -> np.ndarray:
    """Six seconds of bright plucked chords (every 0.5 s), then a second of silence."""
    t = np.arange(int(0.5 * RATE)) / RATE
    pluck = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0, 2637.0, 5274.0)) * np.exp(-t / 0.15)
    notes = np.tile(pluck, 12)
    x = np.concatenate([notes, np.zeros(RATE)]).astype(np.float32) * 0.1
    return np.stack([x, x])


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_effect_leaves_its_mark(music, name):
    wet, (applied,), notes = apply_effects(music, [name], RATE, tempo=80.0, seed=1, last_note_s=6.0)
    assert np.isfinite(wet).all() and not notes
    assert applied.name == name and applied.settings and applied.mark["heard"], applied.mark
    if name in ("long reverb", "reverb", "delay"):
        assert wet.shape[1] == music.shape[1] + int(TAIL_ROOM_S * RATE)  # room to ring into


def test_an_unchanged_signal_leaves_no_mark(music):
    for name in EFFECTS:
        assert not effect_mark(name, music, music.copy(), RATE, 6.0)["heard"], name


def test_effects_run_in_a_producers_order_and_unapplied_ones_are_said(music):
    _, applied, notes = apply_effects(music, ["long reverb", "saturation", "slowed", "flanger"], RATE, 80.0, 1, 6.0)
    assert [a.name for a in applied] == ["saturation", "long reverb"]
    assert notes == [f"slowed: {NOT_APPLIED['slowed']}", "flanger: unknown effect, not applied"]
