"""Effects a prompt asks for ("deep reverb", "tape wobble", "muffled", "dusty", "chorused
electric piano"), applied to the song's music before its texture layers and the colour
preset, and the mark each leaves, measured.

Each effect is a pedalboard chain or a few lines of numpy with fixed settings a producer
would reach for; the settings go into ``rendered.json`` so a person can see what was
applied. A reverb's or a delay's tail needs room: the music is given
:data:`TAIL_ROOM_S` of silence to ring into. Effects the render cannot apply without
changing the song's length ("slowed") are listed as not applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from lofi_assets.core.production.colour import PRESETS, _butter, delay_curve, saturate, wow_flutter

TAIL_ROOM_S = 3.0  # silence a reverb or delay rings into after the last note
NOT_APPLIED = {"slowed": "not applied: the mix is timed by the song's MIDI (a slowed song would overrun it)"}


@dataclass
class AppliedEffect:
    name: str
    settings: dict
    mark: dict = field(default_factory=dict)  # the measure, before and after, and whether it moved


def _pedalboard(x: np.ndarray, rate: int, *plugins) -> np.ndarray:
    import pedalboard as pb

    return pb.Pedalboard(list(plugins))(np.ascontiguousarray(x, dtype=np.float32), rate).astype(np.float32, copy=False)


def long_reverb(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    # JUCE's reverb scales dry by 2 and wet by 3: dry_level 0.5 is unity
    settings = {"room_size": 0.95, "damping": 0.3, "wet": 0.45, "width": 0.7}
    return _pedalboard(x, rate, pb.Reverb(0.95, 0.3, 0.45 / 3, 0.5, 0.7)), settings


def reverb(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    settings = {"room_size": 0.75, "damping": 0.5, "wet": 0.3, "width": 1.0}
    return _pedalboard(x, rate, pb.Reverb(0.75, 0.5, 0.3 / 3, 0.5, 1.0)), settings


def delay(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    seconds = round(0.75 * 60.0 / tempo, 4)  # a dotted eighth: the echo falls between the beats
    settings = {"delay_s": seconds, "feedback": 0.35, "mix": 0.25}
    return _pedalboard(x, rate, pb.Delay(seconds, 0.35, 0.25)), settings


def tape_wobble(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    # deeper and slower than any colour preset: a warped tape, heard as the pitch leaning
    wobble = replace(PRESETS["tape"], wow_depth_ms=1.6, wow_rate_hz=0.45, flutter_depth_ms=0.06, drift_depth_ms=0.6)
    curve = delay_curve(x.shape[1], wobble, np.random.default_rng(seed), rate)
    settings = {"wow_depth_ms": 1.6, "wow_rate_hz": 0.45, "flutter_depth_ms": 0.06, "drift_depth_ms": 0.6}
    return wow_flutter(x, curve), settings


def low_pass(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    return _butter(x, 2200.0, "lowpass", rate), {"cutoff_hz": 2200.0, "order": 2}


def saturation(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    peak = float(np.abs(x).max()) or 1.0
    # driven against the song's own peak, so a quiet render is warmed as much as a loud one
    y = saturate(x / np.float32(peak), 12.0, 0.7) * np.float32(peak)
    return y, {"drive_db": 12.0, "mix": 0.7}


def bit_reduction(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    settings = {"bit_depth": 8, "sample_rate_hz": 11025}
    resample = pb.Resample(target_sample_rate=11025.0, quality=pb.Resample.Quality.ZeroOrderHold)
    return _pedalboard(x, rate, pb.Bitcrush(bit_depth=8.0), resample), settings


def airy(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    settings = {"high_shelf_hz": 7000.0, "gain_db": 5.0}
    return _pedalboard(x, rate, pb.HighShelfFilter(cutoff_frequency_hz=7000.0, gain_db=5.0)), settings


def chorus(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    import pedalboard as pb

    settings = {"rate_hz": 0.8, "depth": 0.35, "centre_delay_ms": 9.0, "mix": 0.5}
    return _pedalboard(x, rate, pb.Chorus(rate_hz=0.8, depth=0.35, centre_delay_ms=9.0, mix=0.5)), settings


def tremolo(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    hz = round(tempo / 60.0 * 2, 3)  # eighth notes: the pulse sits in the groove
    t = np.arange(x.shape[1]) / rate
    gain = (1.0 - 0.35 * (0.5 + 0.5 * np.sin(2 * np.pi * hz * t))).astype(np.float32)
    return x * gain, {"rate_hz": hz, "depth": 0.35}


def sidechain(x: np.ndarray, rate: int, tempo: float, seed: int) -> tuple[np.ndarray, dict]:
    from lofi_assets.core.production.render import duck_curve

    beat = 60.0 / tempo
    onsets = list(np.arange(0.0, x.shape[1] / rate, beat))
    gain = duck_curve(x.shape[1], onsets, rate, 6.0, 0.6 * beat * 1000)
    return (x * gain).astype(np.float32), {"depth_db": 6.0, "release_ms": round(0.6 * beat * 1000, 1), "on": "beats"}


EFFECTS: dict[str, Callable[[np.ndarray, int, float, int], tuple[np.ndarray, dict]]] = {
    "long reverb": long_reverb,
    "reverb": reverb,
    "delay": delay,
    "tape wobble": tape_wobble,
    "low-pass": low_pass,
    "saturation": saturation,
    "bit reduction": bit_reduction,
    "airy": airy,
    "chorus": chorus,
    "tremolo": tremolo,
    "sidechain": sidechain,
}
# The order a producer chains them: tone and drive first, movement, then space.
ORDER = (
    "saturation",
    "bit reduction",
    "low-pass",
    "airy",
    "tape wobble",
    "chorus",
    "tremolo",
    "sidechain",
    "delay",
    "reverb",
    "long reverb",
)
TAILS = frozenset({"long reverb", "reverb", "delay"})


def _band_db(x: np.ndarray, rate: int, lo: float, hi: float) -> float:
    mono = x.mean(axis=0)[: rate * 60]  # the first minute tells
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / rate)
    band = spectrum[(freqs >= lo) & (freqs < hi)].sum()
    return float(10 * np.log10(band / max(spectrum.sum(), 1e-20) + 1e-20))


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def tail_db(x: np.ndarray, rate: int, last_note_s: float) -> float:
    """The energy in the 2 s after a point 0.3 s past the last note, against the whole's (dB)."""
    start = int((last_note_s + 0.3) * rate)
    tail = x[:, start : start + 2 * rate]
    return _rms_db(tail) - _rms_db(x) if tail.shape[1] else -200.0


def effect_mark(name: str, dry: np.ndarray, wet: np.ndarray, rate: int, last_note_s: float) -> dict:
    """How ``name`` changed the music, by its signature: a reverb or delay's tail after the
    last note, a low-pass's loss above 4 kHz, the air above 7 kHz, saturation's rounded
    peaks (crest factor), and for bit reduction and movement (wobble, chorus, tremolo,
    sidechain) what it added (the difference's level against the music)."""
    if name in TAILS:
        before, after = tail_db(dry, rate, last_note_s), tail_db(wet, rate, last_note_s)
        return {"measure": "tail after the last note, dB", "dry": round(before, 1), "wet": round(after, 1),
                "heard": after - before >= 3.0}  # fmt: skip
    if name == "low-pass":
        before, after = _band_db(dry, rate, 4000, rate / 2), _band_db(wet, rate, 4000, rate / 2)
        return {"measure": "share above 4 kHz, dB", "dry": round(before, 1), "wet": round(after, 1),
                "heard": before - after >= 6.0}  # fmt: skip
    if name == "airy":
        before, after = _band_db(dry, rate, 7000, rate / 2), _band_db(wet, rate, 7000, rate / 2)
        return {"measure": "share above 7 kHz, dB", "dry": round(before, 1), "wet": round(after, 1),
                "heard": after - before >= 2.0}  # fmt: skip
    if name == "saturation":
        before, after = _crest(dry), _crest(wet)
        return {"measure": "crest factor, dB", "dry": round(before, 2), "wet": round(after, 2),
                "heard": before - after >= 0.5}  # fmt: skip
    added = _rms_db(wet[:, : dry.shape[1]] - dry) - _rms_db(dry)
    # bit reduction's grit and images are heard as distortion, so more of it must be there
    least = -25.0 if name == "bit reduction" else -30.0
    return {"measure": "what it added, dB against the music", "wet": round(added, 1), "heard": added >= least}


def _crest(x: np.ndarray) -> float:
    return float(
        20 * np.log10(np.abs(x).max() + 1e-12) - 10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20)
    )


def apply_effects(
    music: np.ndarray, effects: tuple[str, ...] | list[str], rate: int, tempo: float, seed: int, last_note_s: float
) -> tuple[np.ndarray, list[AppliedEffect], list[str]]:
    """``music`` through the named effects in :data:`ORDER` (room for tails added), what
    each applied and the mark it left, and notes on effects not applied."""
    names = [n for n in ORDER if n in effects]
    notes = [f"{n}: {NOT_APPLIED[n]}" for n in effects if n in NOT_APPLIED]
    notes += [f"{n}: unknown effect, not applied" for n in effects if n not in EFFECTS and n not in NOT_APPLIED]
    y = np.asarray(music, dtype=np.float32)
    if any(n in TAILS for n in names):
        y = np.concatenate([y, np.zeros((y.shape[0], int(TAIL_ROOM_S * rate)), dtype=np.float32)], axis=1)
    applied = []
    for i, name in enumerate(names):
        before = y
        y, settings = EFFECTS[name](y, rate, tempo, seed + i)
        applied.append(AppliedEffect(name, settings, effect_mark(name, before, y, rate, last_note_s)))
    return y, applied, notes
