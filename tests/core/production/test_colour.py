"""The lo-fi colour chain on short synthetic signals."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lofi_assets.core.production.colour import PRESETS, ColourPreset, colour, get_preset, preset_table

RATE = 44100


def noise(seconds: float, level: float = 0.1, seed: int = 0, correlated: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, round(seconds * RATE))).astype(np.float32) * level
    if correlated:
        x[1] = correlated * x[0] + (1 - correlated) * x[1]
    return x


def sine(hz: float, seconds: float, level: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.tile(level * np.sin(2 * np.pi * hz * t), (2, 1)).astype(np.float32)


def band_energy(x: np.ndarray, low_hz: float, high_hz: float = RATE / 2) -> float:
    spectrum = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[-1], 1 / RATE)
    return float(spectrum[:, (freqs >= low_hz) & (freqs < high_hz)].sum())


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(np.square(x, dtype=np.float64)))


def instantaneous_hz(x: np.ndarray) -> np.ndarray:
    """Frequency from the interpolated times of upward zero crossings, averaged over 10 periods."""
    k = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    times = (k + x[k] / (x[k] - x[k + 1])) / RATE
    return 10 / (times[10:] - times[:-10])


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_keeps_shape_level_and_stays_within_full_scale(name):
    x = noise(1.5, 0.1, correlated=0.7)
    y = colour(x, name, seed=3)
    assert y.shape == x.shape and y.dtype == np.float32 and np.isfinite(y).all()
    assert abs(rms_db(y) - rms_db(x)) < 1.0  # colours, does not change the loudness
    loud = np.clip(noise(1.5, 0.6, seed=1), -1, 1)  # full-scale input, peaks at ±1
    z = colour(loud, name, seed=3)
    assert np.isfinite(z).all() and np.abs(z).max() <= 1.0


def test_same_seed_same_output_other_seed_other_crackle():
    x = sine(220, 1.0, 0.2)
    a, b = colour(x, "vinyl", seed=7), colour(x, "vinyl", seed=7)
    np.testing.assert_array_equal(a, b)
    c = colour(x, "vinyl", seed=8)
    assert np.abs(a - c).max() > 1e-3
    silence = np.zeros((2, RATE), dtype=np.float32)
    crackle_a, crackle_c = colour(silence, "vinyl", seed=7), colour(silence, "vinyl", seed=8)
    assert not np.allclose(crackle_a, crackle_c)


def test_crackle_and_hiss_appear_in_silence_for_vinyl_not_for_clean():
    silence = np.zeros((2, 2 * RATE), dtype=np.float32)
    assert np.abs(colour(silence, "clean", seed=1)).max() == 0.0
    vinyl = colour(silence, "vinyl", seed=1)
    assert -56 < rms_db(vinyl) < -46  # hiss 34 dB under the nominal -20 dBFS, plus clicks
    hiss_only = colour(silence, replace(PRESETS["vinyl"], crackle_per_s=0.0), seed=1)
    assert rms_db(hiss_only) == pytest.approx(-54, abs=0.1)
    # clicks: short peaks far above the hiss floor
    assert np.abs(vinyl).max() > 4 * np.abs(hiss_only).max()


def test_low_pass_presets_take_the_top_off_white_noise():
    x = noise(1.0, 0.1)
    for name, cut_db in [("tape", 6), ("vinyl", 10), ("dusty", 15)]:
        y = colour(x, name, seed=0)
        drop = 10 * np.log10(band_energy(y, 12000) / band_energy(x, 12000))
        assert drop < -cut_db, (name, drop)
    clean = colour(x, "clean", seed=0)
    assert abs(10 * np.log10(band_energy(clean, 12000) / band_energy(x, 12000))) < 0.5


def side_to_mid(x: np.ndarray) -> float:
    return float(np.sum((x[0] - x[1]) ** 2, dtype=np.float64) / np.sum((x[0] + x[1]) ** 2, dtype=np.float64))


def test_width_scales_the_side_signal():
    x = noise(1.0, 0.1, correlated=0.5)
    for preset in (ColourPreset("narrow", width=0.95), "clean"):
        y = colour(x, preset, seed=0)
        # side energy against mid energy falls by width² whatever the overall gain
        assert side_to_mid(y) / side_to_mid(x) == pytest.approx(0.95**2, rel=0.01)


def test_wow_and_flutter_move_the_pitch_of_a_steady_tone():
    x = sine(1000, 3.0)
    steady = instantaneous_hz(colour(x, "clean", seed=0)[0, RATE // 2 :])
    assert np.ptp(steady) < 0.5
    wobbly = instantaneous_hz(colour(x, ColourPreset("wow", wow_depth_ms=0.8, flutter_depth_ms=0.03), seed=0)[0])
    deviation = np.ptp(wobbly[200:-200]) / 2 / 1000
    expected = sum(get_preset("tape").peak_pitch_deviation())  # the same depths as the tape preset
    assert 0.5 * expected < deviation < 1.5 * expected, (deviation, expected)
    assert abs(np.median(wobbly) - 1000) < 2  # wobbles around the pitch, does not transpose


def test_unknown_preset_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="clean, tape, vinyl, dusty"):
        colour(noise(0.1), "lofi", seed=0)
    with pytest.raises(ValueError, match="width"):
        ColourPreset("bad", width=-1)


def test_mono_and_empty_input_keep_their_shape():
    mono = noise(0.5)[0]
    assert colour(mono, "tape", seed=0).shape == mono.shape
    assert colour(np.zeros((2, 0), np.float32), "dusty", seed=0).shape == (2, 0)


def test_preset_table_has_a_row_per_preset():
    rows = preset_table()
    assert [r["preset"] for r in rows] == ["clean", "tape", "vinyl", "dusty"]
    assert rows[3]["bits"] == "12" and rows[0]["low-pass"] == "off" and rows[1]["low-pass"] == "11 kHz"


def test_the_bed_sits_at_a_level_against_the_music_not_at_a_fixed_level():
    # A song and the same song 20 dB quieter: the hiss heard in the silence after it is 20 dB
    # quieter too, 36 dB (tape) under the music's RMS in both.
    song = noise(1.0, 0.1)
    x = np.concatenate([song, np.zeros((2, RATE), dtype=np.float32)], axis=1)
    tape = replace(PRESETS["tape"], reverb_wet=0.0)  # nothing of the song rings into the silence
    gaps = []
    for gain in (1.0, 0.1):
        y = colour(x * gain, tape, seed=3)
        gaps.append(rms_db(y[:, -RATE // 2 :]) - rms_db(x * gain))
    assert gaps[0] == pytest.approx(gaps[1], abs=0.5)
    assert gaps[0] == pytest.approx(-36, abs=1.5)
