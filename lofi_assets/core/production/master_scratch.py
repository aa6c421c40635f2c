"""The master's scratch: the input decoded, EQ'd and compressed into files on disk, with the
K-weighted power and the 4x oversampled peak envelope of every sample beside it, so a gain
trial is one sweep of the limiter over two arrays (no filtering, no decoding). The files
are read and written a block at a time (``DiskArray``): the programme stays on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import (
    RATE,
    AudioInputError,
    AudioSource,
)
from lofi_assets.core.production.disk_array import DiskArray
from lofi_assets.core.production.limiter import Limiter
from lofi_assets.core.production.loudness import (
    LoudnessMeter,
    TruePeakFollower,
)
from lofi_assets.core.production.master_rules import CORRELATION_GUARD, MasterError, MasterPreset
from lofi_assets.core.production.width import STEREO_CHUNK, StereoChunks, WidthStep, apply_side_gain, side_gain_for


@dataclass
class Scratch:
    """The pre-limiter programme and what each gain trial needs of it, on disk."""

    folder: Path
    frames: int
    audio: DiskArray  # [frames, 2] float32 after EQ and compression
    power: DiskArray  # [frames] K-weighted power summed over channels
    envelope_db: DiskArray  # [frames] 4× oversampled peak (dB) over channels
    coarse: tuple[DiskArray, DiskArray] | None = None  # decimated envelope and power (trials)
    stereo: StereoChunks = field(default_factory=StereoChunks)  # mid/side sums of the programme (width)


@dataclass
class InputFacts:
    file: str
    rate: float
    channels: int
    seconds: float
    clipped_samples: int
    loudness_lufs: float  # after EQ and compression, before gain


def build_chain(preset: MasterPreset, rate: int):
    import pedalboard

    plugins = [pedalboard.HighpassFilter(cutoff_frequency_hz=preset.highpass_hz)]
    if preset.low_shelf_db:
        plugins.append(pedalboard.LowShelfFilter(cutoff_frequency_hz=preset.low_shelf_hz, gain_db=preset.low_shelf_db))
    if preset.high_shelf_db:
        plugins.append(
            pedalboard.HighShelfFilter(cutoff_frequency_hz=preset.high_shelf_hz, gain_db=preset.high_shelf_db)
        )
    plugins.append(
        pedalboard.Compressor(
            threshold_db=preset.compressor_threshold_db,
            ratio=preset.compressor_ratio,
            attack_ms=preset.compressor_attack_ms,
            release_ms=preset.compressor_release_ms,
        )
    )
    return pedalboard.Pedalboard(plugins)


class MonoBass:
    """Fold the side signal's low end into the middle (vinyl: no out-of-phase bass)."""

    def __init__(self, cutoff_hz: float, rate: int):
        from scipy.signal import butter

        self.sos = butter(4, cutoff_hz, btype="highpass", fs=rate, output="sos")
        self.zi = np.zeros((self.sos.shape[0], 2))

    def __call__(self, block: np.ndarray) -> np.ndarray:
        from scipy.signal import sosfilt

        mid, side = (block[0] + block[1]) / 2, (block[0] - block[1]) / 2
        side, self.zi = sosfilt(self.sos, side, zi=self.zi)
        return np.stack([mid + side, mid - side]).astype(np.float32)


def prepare(path: Path, preset: MasterPreset, folder: Path, block: int) -> tuple[Scratch, InputFacts]:
    """Decode, EQ and compress into scratch files; K-weighted power alongside."""
    try:
        source = AudioSource(path, RATE)
    except AudioInputError as exc:
        raise MasterError(str(exc)) from None
    with source:
        capacity = source.frames + RATE  # the resampler may give a frame or two more than it said
        audio = DiskArray(folder / "audio.f32", np.float32, (capacity, 2))
        power = DiskArray(folder / "power.f32", np.float32, capacity)
        chain = build_chain(preset, RATE)
        mono_bass = MonoBass(preset.mono_below_hz, RATE) if preset.mono_below_hz else None
        meter = LoudnessMeter(RATE)
        stereo = StereoChunks()
        at = clipped = 0
        try:
            for chunk in source.blocks(block):
                clipped += int(np.count_nonzero(np.abs(chunk) >= 1.0))
                processed = chain(chunk, RATE, reset=False)
                if mono_bass is not None:
                    processed = mono_bass(processed)
                n = min(processed.shape[1], capacity - at)
                audio[at : at + n] = processed[:, :n].T
                stereo.add(at, processed[:, :n])
                weighted = meter.weighted_power(processed[:, :n])
                power[at : at + n] = weighted
                meter.add_power(weighted)
                at += n
        except AudioInputError as exc:
            raise MasterError(str(exc)) from None
        facts = InputFacts(
            file=Path(path).name,
            rate=source.source_rate,
            channels=source.source_channels,
            seconds=round(at / RATE, 3),
            clipped_samples=clipped,
            loudness_lufs=meter.integrated(),
        )
    if at == 0:
        raise MasterError(f"{Path(path).name}: no audio frames (zero length)")
    envelope = DiskArray(folder / "envelope.f32", np.float32, at)
    return Scratch(folder, at, audio, power, envelope, stereo=stereo), facts


def steer_width(scratch: Scratch, facts: InputFacts, block: int) -> WidthStep:
    """Bring the programme's correlation into the aim (``width.side_gain_for``): the side
    of the scratch audio scaled, its K-weighted power measured again and the input's
    loudness updated. Nothing is touched when the programme is inside the aim."""
    step = side_gain_for(scratch.stereo.sums())
    if step.side_gain_db:
        facts.loudness_lufs = scale_side(scratch, step.side_gain_db, block)
    return step


def steer_limited_width(scratch: Scratch, limiter: Limiter, gain_db: float, floor_db: float, block: int) -> WidthStep:
    """The correlation the limited master will have at ``gain_db``, foreseen from each
    stereo chunk weighted by the limiter's mean squared gain over it (the limiter holds
    loud passages down, so quieter, often wider ones weigh more); when that falls outside
    the guard, the side is scaled once more to the aim and the envelope measured again."""
    d = TRIAL_DECIMATION
    envelope, _ = coarse_scratch(scratch, block)
    per = STEREO_CHUNK // d
    weights = np.zeros(scratch.stereo.mm.size)
    for a, b, reduction in limiter.coarse(d).sweep(envelope, gain_db, block):
        index = np.arange(a, b) // per
        part = np.bincount(index - index[0], weights=10 ** (-reduction.astype(np.float64) / 10))
        stop = min(weights.size, index[0] + part.size)
        weights[index[0] : stop] += part[: stop - index[0]]
    sums = scratch.stereo.sums(weights)
    foreseen = sums.correlation()
    if CORRELATION_GUARD[0] <= foreseen <= CORRELATION_GUARD[1]:
        return WidthStep(foreseen, 0.0, foreseen)
    step = side_gain_for(sums)
    if step.side_gain_db:
        scale_side(scratch, step.side_gain_db, block)
        fill_envelope(scratch, floor_db, block)
    return step


def scale_side(scratch: Scratch, side_gain_db: float, block: int) -> float:
    """The scratch programme's side scaled (audio, power, stereo sums; the envelope is the
    caller's to measure again); returns the programme's loudness after it."""
    gain = 10 ** (side_gain_db / 20)
    meter = LoudnessMeter(RATE)
    for a in range(0, scratch.frames, block):
        b = min(scratch.frames, a + block)
        steered = apply_side_gain(scratch.audio[a:b].T, gain)
        scratch.audio[a:b] = steered.T
        weighted = meter.weighted_power(steered)
        scratch.power[a:b] = weighted
        meter.add_power(weighted)
    scratch.stereo.scale_side(gain)
    scratch.coarse = None
    return meter.integrated()


def fill_envelope(scratch: Scratch, floor_db: float, block: int) -> None:
    """The 4× oversampled peak of every sample, in dB (only loud passages oversampled)."""
    follower = TruePeakFollower(floor=10 ** (floor_db / 20))
    at = 0
    for a in range(0, scratch.frames, block):
        env = follower.push(scratch.audio[a : min(scratch.frames, a + block)].T)
        scratch.envelope_db[at : at + env.size] = 20 * np.log10(np.maximum(env, 1e-12))
        at += env.size
    tail = follower.flush()
    scratch.envelope_db[at : at + tail.size] = 20 * np.log10(np.maximum(tail, 1e-12))


TRIAL_DECIMATION = 8  # trials run on the envelope's maximum and the power's mean over 8 samples


def coarse_scratch(scratch: Scratch, block: int) -> tuple[np.ndarray, np.ndarray]:
    """The envelope (maximum) and power (mean) over ``TRIAL_DECIMATION`` samples, scratch
    files beside the others (an hour is 80 MB each), kept until the scratch changes."""
    if scratch.coarse is None:
        d = TRIAL_DECIMATION
        n = -(-scratch.frames // d)
        envelope = DiskArray(scratch.folder / "coarse_envelope.f32", np.float32, n)
        power = DiskArray(scratch.folder / "coarse_power.f32", np.float32, n)
        step = block - block % d or d
        for a in range(0, scratch.frames, step):
            b = min(scratch.frames, a + step)
            pad = -(b - a) % d
            env, pw = scratch.envelope_db[a:b], scratch.power[a:b]
            if pad:
                env = np.concatenate([env, np.full(pad, env[-1], np.float32)])
                pw = np.concatenate([pw, np.full(pad, pw[-1], np.float32)])
            envelope[a // d : a // d + env.size // d] = env.reshape(-1, d).max(axis=1)
            power[a // d : a // d + pw.size // d] = pw.reshape(-1, d).mean(axis=1)
        scratch.coarse = (envelope, power)
    return scratch.coarse


def trial_loudness_by_span(
    scratch: Scratch,
    limiter: Limiter,
    gain_db: float,
    spans: list[tuple[float, float]] | None,
    block: int,
) -> list[float]:
    """Integrated loudness at ``gain_db`` through the limiter, from the scratch power, of
    the whole programme (``spans`` None) or of each ``(start_s, end_s)`` span.

    The limiter's gain moves slowly against the K-weighting filter's response, so the
    weighted power of the limited signal is the stored power times the squared gain; and
    slowly against a few samples, so a trial sweeps the decimated scratch (within a few
    thousandths of a dB of a full-rate sweep; the render corrects what is left)."""
    d = TRIAL_DECIMATION
    envelope, power = coarse_scratch(scratch, block)
    rate = RATE / d
    bounds = [(0, envelope.size)] if spans is None else [(round(a * rate), round(b * rate)) for a, b in spans]
    meters = [LoudnessMeter(RATE // d) for _ in bounds]
    for a, b, reduction in limiter.coarse(d).sweep(envelope, gain_db, block):
        gained = power[a:b] * 10 ** ((gain_db - reduction) / 10)
        for meter, (lo, hi) in zip(meters, bounds):
            lo, hi = max(lo, a), min(hi, b)
            if lo < hi:
                meter.add_power(gained[lo - a : hi - a])
    return [meter.integrated() for meter in meters]


def trial_loudness(scratch: Scratch, limiter: Limiter, gain_db: float, block: int) -> float:
    """Integrated loudness of the whole programme at ``gain_db`` (a trial, no render)."""
    return trial_loudness_by_span(scratch, limiter, gain_db, None, block)[0]
