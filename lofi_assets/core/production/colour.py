"""The lo-fi colour chain: what turns a clean soundfont render into a lo-fi track.

A render from a General MIDI soundfont is clean, bright and wide. The channel's sound is
a worn tape or a dusty record: rolled-off top, a little saturation, pitch that drifts
(wow) and shivers (flutter), crackle and hiss underneath, a small room, a slightly
narrower image. Each stage is a few lines of numpy, scipy or pedalboard, applied to the
whole signal at once (no per-sample Python), in this order::

    high-pass → saturation → wow & flutter → low-pass → bit / sample-rate reduction
    → room reverb → stereo width → level match → crackle & hiss bed → safety ceiling

Everything random (wow phases, tape drift, crackle, hiss) comes from ``seed``, so the
same input, preset and seed give the same samples. The music path is brought back to the
input's RMS level (the chain should colour, not make louder or quieter); the noise bed is
then added at a level set against the music's RMS, as a producer sets it by ear (tape hiss
36 dB under the music: heard in the gaps and the fades, under the notes), and at the level
renders come out at (−20 dBFS) under silence, so it is there even then; finally a
whole-signal gain keeps every sample within ±1 (one gain, not clipping).

Filters are second-order Butterworth (scipy ``sosfilt``, 12 dB/octave; pedalboard's
``LowpassFilter`` is first order, too gentle to take the top off). Wow and flutter are a time-varying
delay read with Catmull-Rom (cubic) interpolation, so the pitch moves without the
high-frequency loss that linear interpolation would add as the fraction sweeps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np

from lofi_assets.core.audio_io import RATE

CONTROL_STEP = 64  # frames between points of the delay curve (689 Hz control rate)
BLOCK = 1 << 16  # frames per block in the interpolation (keeps the temporaries small)
CEILING = 1.0
CRACKLE_CLICK_S = 0.004
CRACKLE_HIGHPASS_HZ = 600.0
HISS_HIGHPASS_HZ = 250.0
NOISE_LOWPASS_HZ = 16000.0  # band limit of the noise bed when the preset has no low-pass
NOMINAL_MUSIC_DBFS = -20.0  # the RMS renders come out at; the bed's reference under silence
# Paul Kellet's "economy" pink-noise filter (-3 dB/octave within ±0.05 dB above 9 Hz at 44.1 kHz)
PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)
# independent random streams per stage, so that turning one stage off leaves the others alone
_WOW, _CRACKLE, _HISS = 1, 2, 3


@dataclass(frozen=True)
class ColourPreset:
    """Every parameter of the chain. ``None`` (or 0 for depths and rates) turns a stage off."""

    name: str
    #: second-order high-pass cutoff, Hz (rumble and DC out)
    highpass_hz: float | None = None
    #: second-order low-pass cutoff, Hz (the worn top end)
    lowpass_hz: float | None = None
    #: gain into the tanh soft clipper, dB; the clipper is scaled back by the same gain so
    #: quiet passages pass at unity and only peaks are rounded
    saturation_drive_db: float = 0.0
    #: share of the saturated signal in the output, 0..1
    saturation_mix: float = 0.0
    #: peak swing of the slow "wow" delay sine, ms (peak pitch deviation = 2π·rate·depth)
    wow_depth_ms: float = 0.0
    #: wow rate, Hz (a 33⅓ rpm record turns at 0.56 Hz)
    wow_rate_hz: float = 0.5
    #: peak swing of the fast "flutter" delay sine, ms
    flutter_depth_ms: float = 0.0
    #: flutter rate, Hz
    flutter_rate_hz: float = 6.0
    #: RMS of the slow random delay drift (noise low-passed at ``drift_rate_hz``), ms
    drift_depth_ms: float = 0.0
    #: corner of the drift's low-pass, Hz
    drift_rate_hz: float = 0.3
    #: mean number of crackle clicks a second (Poisson)
    crackle_per_s: float = 0.0
    #: peak level of the loudest clicks, dB against the music's RMS (most clicks are far quieter)
    crackle_db: float = -16.0
    #: RMS level of the pink-ish hiss bed, dB against the music's RMS; ``None`` is no hiss
    hiss_db: float | None = None
    #: bit depth of the quantiser (pedalboard ``Bitcrush``); ``None`` is off
    bit_depth: int | None = None
    #: sample rate the signal is taken down to and back (pedalboard ``Resample``), Hz
    resample_hz: float | None = None
    #: reverb room size, 0..1 (pedalboard ``Reverb``, a Freeverb)
    reverb_room: float = 0.2
    #: reverb wet level, 0..1 (the dry signal stays at unity); 0 is no reverb
    reverb_wet: float = 0.0
    #: stereo width: the side (L−R) signal is scaled by this, 1 is unchanged
    width: float = 1.0

    def __post_init__(self) -> None:
        for name in ("saturation_mix", "reverb_room", "reverb_wet"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{self.name}: {name} must be within 0..1, not {getattr(self, name)}")
        if not 0.0 <= self.width <= 2.0:
            raise ValueError(f"{self.name}: width must be within 0..2, not {self.width}")
        for name in (
            "saturation_drive_db",
            "wow_depth_ms",
            "flutter_depth_ms",
            "drift_depth_ms",
            "crackle_per_s",
            "wow_rate_hz",
            "flutter_rate_hz",
            "drift_rate_hz",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.name}: {name} must be ≥ 0, not {getattr(self, name)}")
        if self.bit_depth is not None and not 1 <= self.bit_depth <= 32:
            raise ValueError(f"{self.name}: bit_depth must be within 1..32, not {self.bit_depth}")

    def peak_pitch_deviation(self) -> tuple[float, float]:
        """Peak pitch deviation of wow and of flutter, as fractions (0.002 = 0.2 %)."""
        return (
            2 * math.pi * self.wow_rate_hz * self.wow_depth_ms / 1000,
            2 * math.pi * self.flutter_rate_hz * self.flutter_depth_ms / 1000,
        )


class ColourPresetName(StrEnum):
    """The lo-fi colour presets by name (typed config: a wrong name is refused with these)."""

    clean = "clean"
    tape = "tape"
    vinyl = "vinyl"
    dusty = "dusty"


PRESETS: dict[str, ColourPreset] = {
    "clean": ColourPreset("clean", highpass_hz=20.0, width=0.95),
    "tape": ColourPreset(
        "tape",
        highpass_hz=30.0,
        lowpass_hz=11000.0,
        saturation_drive_db=6.0,
        saturation_mix=0.5,
        wow_depth_ms=0.8,
        wow_rate_hz=0.5,
        flutter_depth_ms=0.03,
        flutter_rate_hz=6.0,
        drift_depth_ms=0.3,
        hiss_db=-36.0,
        reverb_room=0.2,
        reverb_wet=0.08,
        width=0.95,
    ),
    "vinyl": ColourPreset(
        "vinyl",
        highpass_hz=40.0,
        lowpass_hz=9000.0,
        saturation_drive_db=4.0,
        saturation_mix=0.4,
        wow_depth_ms=0.5,
        wow_rate_hz=0.56,
        flutter_depth_ms=0.02,
        flutter_rate_hz=6.0,
        drift_depth_ms=0.2,
        crackle_per_s=8.0,
        crackle_db=-6.0,
        hiss_db=-34.0,
        reverb_room=0.25,
        reverb_wet=0.1,
        width=0.95,
    ),
    "dusty": ColourPreset(
        "dusty",
        highpass_hz=60.0,
        lowpass_hz=7000.0,
        saturation_drive_db=9.0,
        saturation_mix=0.6,
        wow_depth_ms=1.2,
        wow_rate_hz=0.45,
        flutter_depth_ms=0.05,
        flutter_rate_hz=5.5,
        drift_depth_ms=0.5,
        crackle_per_s=16.0,
        crackle_db=-2.0,
        hiss_db=-28.0,
        bit_depth=12,
        resample_hz=22050.0,
        reverb_room=0.3,
        reverb_wet=0.16,
        width=0.9,
    ),
}


def get_preset(preset: ColourPreset | str) -> ColourPreset:
    """A preset by name (or the preset itself); an unknown name lists the valid ones."""
    if isinstance(preset, ColourPreset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown colour preset {preset!r}; choose one of: {', '.join(PRESETS)}") from None


def colour(samples: np.ndarray, preset: ColourPreset | str, seed: int, rate: int = RATE) -> np.ndarray:
    """``samples`` (float ``[channels, frames]`` or mono ``[frames]``, song length) through the chain.

    Returns float32 of the same shape, finite, with every sample within ±1 and the music
    at the input's RMS level."""
    p = get_preset(preset)
    x = np.asarray(samples, dtype=np.float32)
    shape = x.shape
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"samples must be [channels, frames] or [frames], not shape {shape}")
    if not np.isfinite(x).all():
        raise ValueError("samples contain NaN or infinity")
    n = x.shape[1]
    if n == 0:
        return x.reshape(shape).copy()
    seeds = np.random.SeedSequence(int(seed) % (1 << 63)).spawn(4)
    rms_in = _rms(x)

    y = x
    if p.highpass_hz:
        y = _butter(y, p.highpass_hz, "highpass", rate)
    if p.saturation_mix > 0 and p.saturation_drive_db > 0:
        y = saturate(y, p.saturation_drive_db, p.saturation_mix)
    if p.wow_depth_ms or p.flutter_depth_ms or p.drift_depth_ms:
        y = wow_flutter(y, delay_curve(n, p, np.random.default_rng(seeds[_WOW]), rate))
    if p.lowpass_hz:
        y = _butter(y, p.lowpass_hz, "lowpass", rate)
    y = _pedalboard(y, p, rate)
    if y.shape[0] == 2 and p.width != 1.0:
        y = stereo_width(y, p.width)

    rms_out = _rms(y)
    if rms_in > 1e-9 and rms_out > 1e-9:
        y = y * np.float32(min(4.0, max(0.25, rms_in / rms_out)))
    # The bed sits at a level against the music, as a producer sets it by ear: a quiet song
    # gets a quiet bed. Silence (a bed alone) takes the level renders come out at.
    music_db = 20 * np.log10(rms_in) if rms_in > 1e-4 else NOMINAL_MUSIC_DBFS
    bed = noise_bed(y.shape[0], n, p, seeds[_CRACKLE], seeds[_HISS], rate, music_db)
    if bed is not None:
        y = y + bed
    y = np.nan_to_num(y.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    peak = float(np.abs(y).max())
    if peak > CEILING:
        y *= np.float32(CEILING / peak)
        np.clip(y, -CEILING, CEILING, out=y)  # float rounding of the scale
    return y.reshape(shape)


def _rms(x: np.ndarray) -> float:
    flat = x.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat) / max(1, flat.size))) if flat.size else 0.0


def _butter(x: np.ndarray, cutoff_hz: float, kind: str, rate: int, order: int = 2) -> np.ndarray:
    from scipy import signal as sps  # scipy.signal costs a second to import: only where used

    cutoff = min(float(cutoff_hz), 0.45 * rate)
    sos = sps.butter(order, cutoff, kind, fs=rate, output="sos")
    return sps.sosfilt(sos, x, axis=-1).astype(np.float32)


def saturate(x: np.ndarray, drive_db: float, mix: float) -> np.ndarray:
    """Tape-like soft clipping: ``tanh(g·x)/g`` (unity gain for quiet signals, rounded
    peaks for loud ones) mixed with the dry signal."""
    g = np.float32(10.0 ** (drive_db / 20.0))
    wet = np.tanh(x * g) / g
    return (np.float32(1.0 - mix) * x + np.float32(mix) * wet).astype(np.float32)


def delay_curve(frames: int, p: ColourPreset, rng: np.random.Generator, rate: int = RATE) -> np.ndarray:
    """The tape's delay in frames for each output frame (zero mean): wow sine + flutter
    sine + low-passed random drift, computed at a control rate and interpolated."""
    from scipy import signal as sps  # scipy.signal costs a second to import: only where used

    points = frames // CONTROL_STEP + 2
    control_rate = rate / CONTROL_STEP
    t = np.arange(points) / control_rate
    wow_phase, flutter_phase = rng.uniform(0.0, 2 * np.pi, 2)
    ms = p.wow_depth_ms * np.sin(2 * np.pi * p.wow_rate_hz * t + wow_phase) + p.flutter_depth_ms * np.sin(
        2 * np.pi * p.flutter_rate_hz * t + flutter_phase
    )
    if p.drift_depth_ms:
        # at least a minute of noise, so the normalisation does not depend on the length
        noise = rng.standard_normal(max(points, int(60 * control_rate)))
        sos = sps.butter(2, min(p.drift_rate_hz, 0.4 * control_rate), "lowpass", fs=control_rate, output="sos")
        drift = sps.sosfilt(sos, noise)
        drift = (drift - drift.mean()) / (drift.std() or 1.0)
        ms = ms + p.drift_depth_ms * drift[:points]
    return np.interp(np.arange(frames), np.arange(points) * CONTROL_STEP, ms * rate / 1000.0)


def wow_flutter(x: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """Read ``x`` at ``frame - delay[frame]`` with Catmull-Rom interpolation (a time-varying
    fractional delay, which is what a wobbling tape speed does to pitch)."""
    channels, n = x.shape
    padded = np.concatenate([x[:, :1], x, x[:, -1:], x[:, -1:]], axis=1)  # padded[i + 1] = x[i]
    out = np.empty_like(x)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        pos = np.arange(start, stop, dtype=np.float64) - delay[start:stop]
        np.clip(pos, 0.0, n - 1, out=pos)
        i = pos.astype(np.intp)
        t = (pos - i).astype(np.float32)
        y0, y1, y2, y3 = (padded[:, i + k] for k in range(4))
        a = 0.5 * (y3 - y0) + 1.5 * (y1 - y2)
        b = y0 - 2.5 * y1 + 2.0 * y2 - 0.5 * y3
        c = 0.5 * (y2 - y0)
        out[:, start:stop] = ((a * t + b) * t + c) * t + y1
    return out


def _pedalboard(x: np.ndarray, p: ColourPreset, rate: int) -> np.ndarray:
    import pedalboard as pb

    plugins = []
    if p.bit_depth is not None:
        plugins.append(pb.Bitcrush(bit_depth=float(p.bit_depth)))
    if p.resample_hz:
        # Catmull-Rom: fast, aligned, and its slight aliasing is part of the sound
        plugins.append(pb.Resample(target_sample_rate=float(p.resample_hz), quality=pb.Resample.Quality.CatmullRom))
    if p.reverb_wet > 0:
        # pedalboard's Reverb (JUCE) scales dry by 2 and wet by 3: dry_level 0.5 is unity
        plugins.append(
            pb.Reverb(room_size=p.reverb_room, damping=0.6, wet_level=p.reverb_wet / 3.0, dry_level=0.5, width=1.0)
        )
    if not plugins:
        return x
    return pb.Pedalboard(plugins)(np.ascontiguousarray(x, dtype=np.float32), rate).astype(np.float32, copy=False)


def stereo_width(x: np.ndarray, width: float) -> np.ndarray:
    """Mid/side: the side signal scaled by ``width`` (its energy by ``width²``)."""
    mid = 0.5 * (x[0] + x[1])
    side = np.float32(0.5 * width) * (x[0] - x[1])
    return np.stack([mid + side, mid - side]).astype(np.float32)


def noise_bed(
    channels: int,
    frames: int,
    p: ColourPreset,
    crackle_seed: np.random.SeedSequence,
    hiss_seed: np.random.SeedSequence,
    rate: int = RATE,
    music_db: float = NOMINAL_MUSIC_DBFS,
) -> np.ndarray | None:
    """Crackle plus hiss, ``[channels, frames]`` float32, at levels against ``music_db`` (the
    music's RMS, dBFS), or ``None`` when the preset has neither."""
    bed = None
    if p.crackle_per_s > 0:
        bed = crackle(channels, frames, p, np.random.default_rng(crackle_seed), rate, music_db)
    if p.hiss_db is not None:
        hiss_bed = hiss(channels, frames, p, np.random.default_rng(hiss_seed), rate, music_db)
        bed = hiss_bed if bed is None else bed + hiss_bed
    return bed


def crackle(
    channels: int,
    frames: int,
    p: ColourPreset,
    rng: np.random.Generator,
    rate: int = RATE,
    music_db: float = NOMINAL_MUSIC_DBFS,
) -> np.ndarray:
    """Sparse clicks: Poisson times, mostly quiet amplitudes (the loudest ``crackle_db`` from
    the music's RMS, ``music_db``), each a short noise burst with a random fast decay,
    band-limited, placed with a random pan."""
    from scipy import signal as sps  # scipy.signal costs a second to import: only where used

    out = np.zeros((channels, frames), dtype=np.float32)
    count = int(rng.poisson(p.crackle_per_s * frames / rate))
    if count == 0:
        return out
    length = max(8, round(CRACKLE_CLICK_S * rate))
    at = rng.integers(0, frames, count)
    amp = 10.0 ** ((music_db + p.crackle_db) / 20.0) * rng.random(count) ** 2 * rng.choice([-1.0, 1.0], count)
    tau = rng.uniform(0.05e-3, 0.5e-3, count)
    t = np.arange(length) / rate
    bursts = rng.standard_normal((count, length)) * np.exp(-t[None, :] / tau[:, None])
    top = min(p.lowpass_hz or NOISE_LOWPASS_HZ, NOISE_LOWPASS_HZ)
    sos = sps.butter(2, [CRACKLE_HIGHPASS_HZ, min(top, 0.45 * rate)], "bandpass", fs=rate, output="sos")
    bursts = sps.sosfilt(sos, bursts, axis=1)
    bursts *= (amp / np.maximum(np.abs(bursts).max(axis=1), 1e-12))[:, None]
    pan = rng.uniform(0.25, 0.75, count) * (np.pi / 2)
    gains = [np.sqrt(2) * np.cos(pan), np.sqrt(2) * np.sin(pan)] if channels == 2 else [np.ones(count)] * channels
    index = (at[:, None] + np.arange(length)[None, :]).reshape(-1)
    keep = index < frames
    for ch in range(channels):
        weights = (bursts * gains[ch][:, None]).reshape(-1)
        out[ch] = np.bincount(index[keep], weights[keep], minlength=frames)[:frames]
    return out


def hiss(
    channels: int,
    frames: int,
    p: ColourPreset,
    rng: np.random.Generator,
    rate: int = RATE,
    music_db: float = NOMINAL_MUSIC_DBFS,
) -> np.ndarray:
    """Pink noise, band-limited (high-passed at 250 Hz, low-passed with the preset), at an
    RMS ``hiss_db`` from the music's RMS (``music_db``); independent in each channel."""
    from scipy import signal as sps  # scipy.signal costs a second to import: only where used

    white = rng.standard_normal((channels, frames), dtype=np.float32)
    top = min(p.lowpass_hz or NOISE_LOWPASS_HZ, NOISE_LOWPASS_HZ, 0.45 * rate)
    sos = np.concatenate(
        [
            sps.tf2sos(PINK_B, PINK_A),
            sps.butter(1, HISS_HIGHPASS_HZ, "highpass", fs=rate, output="sos"),
            sps.butter(2, top, "lowpass", fs=rate, output="sos"),
        ]
    )
    noise = sps.sosfilt(sos, white, axis=-1).astype(np.float32)
    level = _rms(noise)
    if level > 0:
        noise *= np.float32(10.0 ** ((music_db + p.hiss_db) / 20.0) / level)
    return noise


def preset_table() -> list[dict[str, str]]:
    """One row per preset, in words and units (for docs/sound.md and asset metadata)."""

    def hz(value: float | None) -> str:
        if not value:
            return "off"
        return f"{value / 1000:g} kHz" if value >= 1000 else f"{value:g} Hz"

    rows = []
    for p in PRESETS.values():
        wow, flutter = p.peak_pitch_deviation()
        rows.append(
            {
                "preset": p.name,
                "high-pass": hz(p.highpass_hz),
                "low-pass": hz(p.lowpass_hz),
                "saturation": f"tanh +{p.saturation_drive_db:g} dB, {p.saturation_mix:.0%} wet"
                if p.saturation_mix and p.saturation_drive_db
                else "off",
                "wow": f"{p.wow_depth_ms:g} ms at {p.wow_rate_hz:g} Hz (±{wow:.2%} pitch)" if p.wow_depth_ms else "off",
                "flutter": f"{p.flutter_depth_ms:g} ms at {p.flutter_rate_hz:g} Hz (±{flutter:.2%} pitch)"
                if p.flutter_depth_ms
                else "off",
                "drift": f"{p.drift_depth_ms:g} ms RMS below {p.drift_rate_hz:g} Hz" if p.drift_depth_ms else "off",
                "crackle": f"{p.crackle_per_s:g}/s, peaks {p.crackle_db:g} dB from the music's RMS"
                if p.crackle_per_s
                else "off",
                "hiss": f"{p.hiss_db:g} dB RMS from the music's" if p.hiss_db is not None else "off",
                "bits": str(p.bit_depth) if p.bit_depth else "off",
                "resample": hz(p.resample_hz),
                "reverb": f"room {p.reverb_room:g}, wet {p.reverb_wet:g}" if p.reverb_wet else "off",
                "width": f"{p.width:g}",
            }
        )
    return rows


def preset_dict(preset: ColourPreset | str) -> dict[str, object]:
    """A preset's parameters as plain values (for run metadata)."""
    return asdict(get_preset(preset))
