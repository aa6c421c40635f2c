"""Every texture layer is seeded, finite, at its reference level and sounds like itself."""

import numpy as np
import pytest

from lofi_assets.core.production.textures import (
    LEVEL_DB,
    MAKERS,
    ONLY_MUSIC_DB,
    TextureError,
    layer_rms,
    make_layer,
    plan_layers,
)

RATE = 44100
FRAMES = 12 * RATE


def _share(x: np.ndarray, lo: float, hi: float) -> float:
    """The share of the layer's energy between ``lo`` and ``hi`` Hz."""
    spectrum = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1 / RATE)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum() / spectrum.sum())


@pytest.fixture(scope="module")
def layers() -> dict[str, np.ndarray]:
    return {name: make_layer(name, FRAMES, seed=3) for name in MAKERS}


def test_every_layer_is_stereo_finite_seeded_and_at_its_reference(layers):
    assert set(MAKERS) == set(LEVEL_DB)
    for name, x in layers.items():
        assert x.shape == (2, FRAMES) and x.dtype == np.float32 and np.isfinite(x).all(), name
        assert layer_rms(x, RATE) == pytest.approx(1.0, rel=1e-3), name
    assert np.array_equal(make_layer("rain", RATE, seed=3), make_layer("rain", RATE, seed=3))
    assert not np.array_equal(make_layer("rain", RATE, seed=3), make_layer("rain", RATE, seed=4))


@pytest.mark.parametrize(
    ("texture", "lo", "hi", "share"),
    [
        ("rain", 1000, 20000, 0.8),  # bright broadband hiss
        ("thunder", 0, 200, 0.95),  # low rumble
        ("hum", 50, 200, 0.95),  # mains and its harmonics
        ("wind", 100, 2500, 0.9),  # mid-band
        ("ocean", 0, 2000, 0.9),
        ("birds", 1800, 6500, 0.9),
        ("night insects", 3800, 5300, 0.9),
        ("tape hiss", 2500, 16000, 0.9),
        ("café", 200, 5000, 0.8),
    ],
)
def test_a_layer_sits_in_its_band(layers, texture, lo, hi, share):
    assert _share(layers[texture], lo, hi) >= share


def test_impulsive_layers_are_clicks_and_swells_move(layers):
    crest = {n: 20 * np.log10(np.abs(x).max() / np.sqrt(np.mean(x**2))) for n, x in layers.items()}
    assert crest["vinyl crackle"] > 25 and crest["fireplace"] > 20  # clicks and pops over a bed
    assert crest["tape hiss"] < 20  # steady noise
    # the sea comes in waves: its level over 1 s blocks swings by more than 6 dB
    blocks = np.sqrt(np.mean(layers["ocean"][:, : 12 * RATE].reshape(2, 12, RATE) ** 2, axis=(0, 2)))
    assert 20 * np.log10(blocks.max() / blocks.min()) > 6


def test_plan_layers_set_levels_from_the_words():
    (rain,), gain = plan_layers(["rain"], "nylon guitar over light rain")
    assert rain.level_db == LEVEL_DB["rain"] - 6 and gain == 0.0
    (heavy,), _ = plan_layers(["rain"], "heavy rain on the roof")
    assert heavy.level_db == LEVEL_DB["rain"] + 4
    layers, gain = plan_layers(["train", "rain"], "rails and rain only")
    assert [layer.texture for layer in layers] == ["train", "rain"] and gain == ONLY_MUSIC_DB
    with pytest.raises(TextureError, match="unknown texture 'lasers'"):
        plan_layers(["lasers"], "lasers")
    with pytest.raises(TextureError):
        make_layer("lasers", RATE, 1)
