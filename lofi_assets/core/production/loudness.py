"""Meters for masters: BS.1770-4 loudness, EBU loudness range, 4× oversampled true peak,
dynamic range and stereo correlation, all fed a block at a time.

A master can be hours long, so nothing here holds the programme: the loudness meter keeps
one energy figure per 100 ms, the true-peak follower a few samples of history. The
K-weighting filters are designed for any rate from the analogue parameters behind the
48 kHz coefficients in BS.1770 (the way libebur128 does), so a 44.1 kHz master is measured
with the same curve. pyloudnorm and ffmpeg's ``ebur128`` are the independent meters the
product's figures are checked against.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

ABSOLUTE_GATE_LUFS = -70.0
SUBBLOCK_S = 0.1  # gating blocks (400 ms, 75 % overlap) are made of four of these
OVERSAMPLE = 4
FIR_TAPS = 129  # 32 taps a phase; 8k+1 so the delay is a whole number of input samples (16)


def k_weighting_sos(rate: float) -> np.ndarray:
    """The two K-weighting stages (high shelf, then RLB high-pass) as second-order sections."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def energy_to_lufs(energy: float | np.ndarray) -> float | np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(energy)


def gated_loudness(block_energy: np.ndarray) -> float:
    """Integrated loudness from 400 ms block energies: absolute gate −70 LUFS, then relative −10 LU."""
    if block_energy.size == 0:
        return float("-inf")
    loud = energy_to_lufs(block_energy)
    above = block_energy[loud > ABSOLUTE_GATE_LUFS]
    if above.size == 0:
        return float("-inf")
    relative = energy_to_lufs(above.mean()) - 10
    gated = block_energy[(loud > ABSOLUTE_GATE_LUFS) & (loud > relative)]
    return float(energy_to_lufs(gated.mean()))


def sliding_mean(values: np.ndarray, width: int) -> np.ndarray:
    if values.size < width:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(values)])
    return (c[width:] - c[:-width]) / width


class LoudnessMeter:
    """Integrated loudness, loudness range and maximum momentary/short-term loudness of a
    stereo stream. ``add`` K-weights a block (filter state carries across blocks);
    ``subblock_energy`` can also be fed directly when the weighting was done elsewhere."""

    def __init__(self, rate: int):
        self.rate = rate
        self.step = int(round(SUBBLOCK_S * rate))
        self._sos = k_weighting_sos(rate)
        self._zi: np.ndarray | None = None
        self._partial = 0.0
        self._partial_n = 0
        self._energies: list[np.ndarray] = []

    def weighted_power(self, block: np.ndarray) -> np.ndarray:
        """K-weighted squares summed over channels (BS.1770 weights L and R by 1.0)."""
        block = np.asarray(block, dtype=np.float64)
        if self._zi is None:
            self._zi = np.zeros((block.shape[0], self._sos.shape[0], 2))
        from scipy.signal import sosfilt  # scipy.signal costs a second to import: only where used

        out = np.empty_like(block)
        for ch in range(block.shape[0]):
            out[ch], self._zi[ch] = sosfilt(self._sos, block[ch], zi=self._zi[ch])
        return np.einsum("ij,ij->j", out, out)

    def add(self, block: np.ndarray) -> None:
        self.add_power(self.weighted_power(block))

    def add_power(self, power: np.ndarray) -> None:
        """Accumulate per-sample weighted power into 100 ms sub-block energies."""
        at = 0
        if self._partial_n:
            take = min(self.step - self._partial_n, power.size)
            self._partial += float(power[:take].sum())
            self._partial_n += take
            at = take
            if self._partial_n == self.step:
                self._energies.append(np.array([self._partial / self.step]))
                self._partial, self._partial_n = 0.0, 0
        whole = (power.size - at) // self.step
        if whole:
            chunk = power[at : at + whole * self.step].reshape(whole, self.step)
            self._energies.append(chunk.mean(axis=1))
            at += whole * self.step
        if at < power.size:
            self._partial += float(power[at:].sum())
            self._partial_n += power.size - at

    @property
    def subblocks(self) -> np.ndarray:
        return np.concatenate(self._energies) if self._energies else np.zeros(0)

    def integrated(self) -> float:
        return gated_loudness(sliding_mean(self.subblocks, 4))

    def loudness_range(self) -> float:
        """EBU Tech 3342: short-term (3 s) loudness at 10 Hz, gated at −70 LUFS and 20 LU
        below the gated mean; the spread from the 10th to the 95th percentile."""
        short = sliding_mean(self.subblocks, 30)
        if short.size == 0:
            return 0.0
        loud = energy_to_lufs(short)
        kept = short[loud > ABSOLUTE_GATE_LUFS]
        if kept.size == 0:
            return 0.0
        gate = energy_to_lufs(kept.mean()) - 20
        values = energy_to_lufs(kept)
        values = values[values > gate]
        lo, hi = np.percentile(values, [10, 95])
        return float(hi - lo)

    def max_momentary(self) -> float:
        m = sliding_mean(self.subblocks, 4)
        return float(energy_to_lufs(m.max())) if m.size else float("-inf")

    def max_short_term(self) -> float:
        s = sliding_mean(self.subblocks, 30)
        return float(energy_to_lufs(s.max())) if s.size else float("-inf")


def oversampling_filter() -> np.ndarray:
    """The 4× interpolation low-pass (gain 4 so the zero-stuffed signal keeps its level)."""
    from scipy.signal import firwin

    # float32 like the audio, so upfirdn works in float32 (a quarter faster; 1e-6 from float64)
    return (OVERSAMPLE * firwin(FIR_TAPS, 1 / OVERSAMPLE, window=("kaiser", 7.0))).astype(np.float32)


class TruePeakFollower:
    """The true-peak envelope of a stream: for each input sample, the largest magnitude of
    the 4× oversampled signal around it (over all channels). Interpolation needs a few
    samples either side, so each block's last few come out with the next one; ``flush``
    ends the stream as a player would, with silence after the last sample."""

    TILE = 1024

    def __init__(self, floor: float = 0.0):
        self.floor = floor  # linear level below which a tile is not oversampled (see _envelope)
        self._h = oversampling_filter()
        self._side = (FIR_TAPS - 1) // (2 * OVERSAMPLE)  # input samples of context each side
        self._context: np.ndarray | None = None  # the last emitted samples (left context)
        self._pending: np.ndarray | None = None  # samples still waiting for right context

    def _envelope(self, segment: np.ndarray, count: int) -> np.ndarray:
        """Envelope of ``segment[:, side:side+count]``; the segment carries the context.

        Tiles whose sample peak is below ``floor`` keep their sample peak: inter-sample
        overshoot of real audio stays well under the 6 dB margin callers leave, and
        skipping quiet passages makes metering hours of audio cheap."""
        side = self._side
        sampled = np.abs(segment[:, side : side + count]).max(axis=0)
        env = sampled.astype(np.float32)
        tile_peak = np.maximum.reduceat(sampled, np.arange(0, count, self.TILE)) if count else sampled
        loud = tile_peak >= self.floor
        edges = np.flatnonzero(np.diff(np.concatenate([[False], loud, [False]]).astype(np.int8)))
        for first_tile, end_tile in zip(edges[0::2], edges[1::2]):
            a, b = first_tile * self.TILE, min(count, end_tile * self.TILE)
            part = segment[:, a : b + 2 * side]
            from scipy.signal import upfirdn

            up = upfirdn(self._h, part, up=OVERSAMPLE, axis=1)
            start = OVERSAMPLE * side + (FIR_TAPS - 1) // 2
            window = np.abs(up[:, start : start + OVERSAMPLE * (b - a)])
            # channels first, then the phases as strided columns: three times the pace of
            # one reduction over (channel, phase), whose inner loop is four long
            over = np.maximum.reduce(window, axis=0).reshape(b - a, OVERSAMPLE)
            phases = np.maximum(over[:, 0], sampled[a:b])
            for k in range(1, OVERSAMPLE):
                np.maximum(phases, over[:, k], out=phases)
            env[a:b] = phases
        return env

    def push(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        if self._context is None:
            self._context = np.zeros((block.shape[0], self._side), dtype=np.float32)
            self._pending = np.zeros((block.shape[0], 0), dtype=np.float32)
        segment = np.concatenate([self._context, self._pending, block], axis=1)
        count = segment.shape[1] - 2 * self._side
        if count <= 0:
            self._pending = segment[:, self._side :]
            return np.zeros(0, dtype=np.float32)
        env = self._envelope(segment, count)
        self._context = segment[:, count : count + self._side]
        self._pending = segment[:, count + self._side :]
        return env

    def flush(self) -> np.ndarray:
        if self._context is None or self._pending.shape[1] == 0:
            return np.zeros(0, dtype=np.float32)
        count = self._pending.shape[1]
        silence = np.zeros((self._pending.shape[0], self._side), dtype=np.float32)
        env = self._envelope(np.concatenate([self._context, self._pending, silence], axis=1), count)
        self._pending = self._pending[:, :0]
        return env


def to_db(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else float("-inf")


class DynamicRangeMeter:
    """The DR figure of mastering meters: per channel, 3 s blocks; DR is the second-highest
    block peak over the RMS of the loudest 20 % of blocks (RMS scaled by √2 so a sine
    reads 0 dB), averaged over channels."""

    BLOCK_S = 3.0

    def __init__(self, rate: int):
        self.block = int(self.BLOCK_S * rate)
        self._carry: np.ndarray | None = None
        self._rms: list[np.ndarray] = []
        self._peak: list[np.ndarray] = []

    def add(self, block: np.ndarray) -> None:
        data = block if self._carry is None else np.concatenate([self._carry, block], axis=1)
        whole = data.shape[1] // self.block
        if whole:
            chunk = data[:, : whole * self.block].reshape(data.shape[0], whole, self.block).astype(np.float64)
            self._rms.append(np.sqrt(2 * np.mean(chunk**2, axis=2)))
            self._peak.append(np.abs(chunk).max(axis=2))
        self._carry = data[:, whole * self.block :]

    def value(self) -> float:
        rms, peak = list(self._rms), list(self._peak)
        if self._carry is not None and self._carry.shape[1] > 0 and not rms:
            tail = self._carry.astype(np.float64)
            rms.append(np.sqrt(2 * np.mean(tail**2, axis=1))[:, None])
            peak.append(np.abs(tail).max(axis=1)[:, None])
        if not rms:
            return 0.0
        rms_all, peak_all = np.concatenate(rms, axis=1), np.concatenate(peak, axis=1)
        values = []
        for ch in range(rms_all.shape[0]):
            r = np.sort(rms_all[ch])[::-1]
            top = r[: max(1, int(round(0.2 * r.size)))]
            loud = math.sqrt(float(np.mean(top**2)))
            p = np.sort(peak_all[ch])[::-1]
            second = p[1] if p.size > 1 else p[0]
            if loud > 0 and second > 0:
                values.append(20 * math.log10(second / loud))
        return float(np.mean(values)) if values else 0.0


@dataclass
class Measurement:
    """What a master measures."""

    integrated_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    loudness_range_lu: float
    plr_db: float  # peak-to-loudness ratio: true peak minus integrated loudness
    dynamic_range_db: float
    correlation: float
    max_momentary_lufs: float
    max_short_term_lufs: float
    clipped_samples: int
    duration_s: float

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) and math.isfinite(v) else v) for k, v in asdict(self).items()}


class ProgrammeMeter:
    """Every figure of ``Measurement`` for a stereo stream fed a block at a time."""

    CLIP_LEVEL = 1.0 - 1e-6

    def __init__(self, rate: int):
        self.rate = rate
        self.loudness = LoudnessMeter(rate)
        self.peaks = TruePeakFollower()
        self.dynamics = DynamicRangeMeter(rate)
        self.true_peak = 0.0
        self.sample_peak = 0.0
        self.clipped = 0
        self.frames = 0
        self._lr = self._ll = self._rr = 0.0

    def add(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        self.loudness.add(block)
        magnitude = np.abs(block)
        block_peak = float(magnitude.max()) if magnitude.size else 0.0
        # Only passages within 6 dB of the loudest so far can hold the true peak.
        self.peaks.floor = 0.5 * max(self.sample_peak, block_peak)
        env = self.peaks.push(block)
        if env.size:
            self.true_peak = max(self.true_peak, float(env.max()))
        self.dynamics.add(block)
        self.sample_peak = max(self.sample_peak, block_peak)
        self.clipped += int(np.count_nonzero(magnitude >= self.CLIP_LEVEL))
        left, right = block[0].astype(np.float64), block[-1].astype(np.float64)
        # einsum, not ``@``: a BLAS dot spins up threads that busy-wait on every core for no
        # gain, and starve the encoder and the meters running beside the master
        self._lr += float(np.einsum("i,i->", left, right))
        self._ll += float(np.einsum("i,i->", left, left))
        self._rr += float(np.einsum("i,i->", right, right))
        self.frames += block.shape[1]

    def result(self) -> Measurement:
        env = self.peaks.flush()
        if env.size:
            self.true_peak = max(self.true_peak, float(env.max()))
        lufs = self.loudness.integrated()
        tp = to_db(self.true_peak)
        denom = math.sqrt(self._ll * self._rr)
        return Measurement(
            integrated_lufs=lufs,
            true_peak_dbtp=tp,
            sample_peak_dbfs=to_db(self.sample_peak),
            loudness_range_lu=self.loudness.loudness_range(),
            plr_db=tp - lufs if math.isfinite(lufs) else float("nan"),
            dynamic_range_db=self.dynamics.value(),
            correlation=self._lr / denom if denom > 0 else 1.0,
            max_momentary_lufs=self.loudness.max_momentary(),
            max_short_term_lufs=self.loudness.max_short_term(),
            clipped_samples=self.clipped,
            duration_s=self.frames / self.rate,
        )


def measure(samples: np.ndarray, rate: int, block_frames: int = 1 << 18) -> Measurement:
    """Measure a whole signal (stereo ``[2, frames]`` or mono)."""
    samples = np.atleast_2d(samples)
    meter = ProgrammeMeter(rate)
    for start in range(0, samples.shape[1], block_frames):
        meter.add(samples[:, start : start + block_frames])
    return meter.result()
