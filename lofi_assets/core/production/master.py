"""Mastering: EQ and glue compression, gain found by secant steps into a true-peak
limiter, verified by our meters and an independent one, exported for archive, CD-style
16-bit and video.

The programme is never held in memory. The first pass decodes the input a block at a
time (resampled to 44.1 kHz, mono made stereo), runs the EQ and compressor and writes the
result to a scratch file, keeping beside it the K-weighted power and the 4× oversampled
peak envelope of every sample. The limiter's gain reduction depends on the signal only
through that envelope, so each gain trial costs one vectorised sweep over two scratch
arrays: no filtering, no decoding. The limiter itself looks ahead and releases linearly in
dB, written with running maxima and box filters (see ``limiter_reduction_db``) so it runs
at numpy speed and never lets a sample through above the ceiling. A final pass renders
the master at the chosen gain and meters the real output; if that reading misses the
target the secant carries on from it.
"""

from __future__ import annotations

import copy
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from lofi_assets.core.audio_io import (
    BLOCK_FRAMES,
    RATE,
    AudioInputError,
    AudioSource,
    ffmpeg_exe,
    wav_writer,
    write_wav,
)
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.production.loudness import (
    ABSOLUTE_GATE_LUFS,
    LoudnessMeter,
    Measurement,
    ProgrammeMeter,
    TruePeakFollower,
    measure,
    to_db,
)

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # for the measuring subprocess


class MasterError(ValueError):
    """A master that cannot be made; the message names the input and the reason."""


class MasterMiss(MasterError):
    """A master was made but a blocking figure missed (loudness, true peak, the lossy
    copy's peak, clipping): nothing was written under the real names. ``report`` holds
    every figure, ``report.misses`` the failing ones."""

    def __init__(self, message: str, report: MasterReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class MasterPreset:
    """A mastering target and the processing on the way to it."""

    name: str
    target_lufs: float
    ceiling_dbtp: float
    highpass_hz: float = 25.0  # rumble below the music
    low_shelf_db: float = 0.0  # at low_shelf_hz
    low_shelf_hz: float = 120.0
    high_shelf_db: float = 0.0  # at high_shelf_hz
    high_shelf_hz: float = 9000.0
    compressor_threshold_db: float = -18.0
    compressor_ratio: float = 1.5  # gentle glue; the limiter does the peak control
    compressor_attack_ms: float = 30.0
    compressor_release_ms: float = 250.0
    mono_below_hz: float | None = None  # vinyl: bass in the middle of the groove
    limiter_lookahead_ms: float = 5.0
    limiter_release_db_per_s: float = 30.0
    # Program-dependent release: a deep reduction also decays exponentially with this time
    # constant, whichever is faster. Shallow reductions (under 30 dB/s × τ, 1.8 dB) keep
    # the slow linear release that dense music wants; the 20–30 dB a lone drum hit needs
    # comes back within a few hundred milliseconds instead of a second, so the quiet bed
    # between sparse hits is not held down (it pinned such a master at −19.5 LUFS).
    limiter_release_ms: float = 60.0
    description: str = ""


PRESETS: dict[str, MasterPreset] = {
    p.name: p
    for p in (
        MasterPreset(
            "streaming",
            -14.0,
            -1.0,
            low_shelf_db=0.5,
            high_shelf_db=-0.5,
            description="YouTube/Spotify: −14 LUFS, ≤ −1 dBTP so lossy encoders do not clip",
        ),
        MasterPreset(
            "cd",
            -10.0,
            -0.3,
            low_shelf_db=0.5,
            compressor_ratio=2.0,
            compressor_threshold_db=-20.0,
            description="CD and downloads: louder, peaks to −0.3 dBTP",
        ),
        MasterPreset(
            "vinyl",
            -14.0,
            -3.0,
            high_shelf_db=-1.5,
            mono_below_hz=150.0,
            description="vinyl pre-master: −3 dBTP headroom, mono bass below 150 Hz, softened top",
        ),
        MasterPreset(
            "club",
            -9.0,
            -0.5,
            low_shelf_db=1.5,
            compressor_ratio=2.5,
            compressor_threshold_db=-20.0,
            description="club and DJ use: dense, −9 LUFS, −0.5 dBTP",
        ),
    )
}

TOLERANCE_LU = 0.05
MISS_LU = 0.1  # further than this from the target (our meter) is a miss
INDEPENDENT_MISS_LU = 0.5  # the independent meter's reading may differ a little more
LOSSY_RETRIES = 3  # renders with a lower ceiling when the lossy encoder overshoots it
LOSSY_MARGIN_DB = 0.3  # below the foreseen overshoot: the loudest windows of an hour stray further than a normal tail
CODEC_HEADROOM_DB = {".mp3": 1.0, ".m4a": 0.5, ".aac": 0.5, ".mp4": 0.5}  # the first guess at the codec's overshoot
EXCERPT_WINDOWS, EXCERPT_S, PREROLL_S = 24, 2.0, 1.0
# A codec's overshoot has a heavier tail than a normal one: over every 2 s window of a
# 10-minute MP3 the loudest stood 4.3 standard deviations over the mean (a normal
# expectation for 300 windows: 3.4), and the foresight fell 0.4 dB short on an hour
CODEC_TAIL = 1.5
MAX_PASSES = 12
MAX_GAIN_DB = 40.0  # a quieter input is a broken input, not one to be turned up without end
# Under the ceiling: ffmpeg's ebur128 (192 kHz) reads up to 0.3 dB over our 4× meter on full-band material.
LIMITER_MARGIN_DB = 0.5
# pyloudnorm holds the programme in memory as float64 (an hour is 2.8 GB); longer masters are
# checked by ffmpeg's ebur128, which streams, in its own process beside our re-read
PYLOUDNORM_MAX_S = 20 * 60


def preset_named(name: str) -> MasterPreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown mastering preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def preset_table() -> list[tuple]:
    return [
        (
            p.name,
            p.target_lufs,
            p.ceiling_dbtp,
            p.low_shelf_db,
            p.high_shelf_db,
            f"{p.compressor_ratio}:1 @ {p.compressor_threshold_db} dB",
            p.mono_below_hz or "—",
            p.description,
        )
        for p in PRESETS.values()
    ]


def released_reduction_db(
    envelope_db: np.ndarray,
    ceiling_db: float,
    release_per_sample: float,
    seed_db: float = 0.0,
    release_tau: float | None = None,
) -> np.ndarray:
    """Gain reduction (dB, ≥ 0) each sample needs, released no faster than
    ``release_per_sample`` dB: R[n] = max(need[n], R[n-1] − r), which is a running maximum
    of need[k] + r·k shifted back by r·n. ``seed_db`` is R just before the first sample.

    With ``release_tau`` (samples) the reduction may also decay exponentially,
    R[n] = max(need[n], R[n-1]·e^(−1/τ)): the same running maximum on log R. The smaller of
    the two is kept; both are at least ``need``, so no sample is under-reduced."""
    need = np.maximum(0.0, envelope_db - ceiling_db)
    ramp = release_per_sample * np.arange(need.size)
    held = np.maximum.accumulate(need + ramp) - ramp
    linear = np.maximum(held, seed_db - release_per_sample * (np.arange(need.size) + 1))
    if not release_tau:
        return linear
    steps = np.arange(need.size) / release_tau
    with np.errstate(divide="ignore"):
        log_need = np.log(np.maximum(need, 1e-9))
        log_seed = np.log(max(seed_db, 1e-9)) - (steps + 1 / release_tau)
    log_held = np.maximum(np.maximum.accumulate(log_need + steps) - steps, log_seed)
    exponential = np.where(need > 0, np.maximum(np.exp(log_held), need), np.exp(log_held))
    return np.minimum(linear, exponential)


def ramped_in(released_db: np.ndarray, lookahead: int) -> np.ndarray:
    """The reduction ramped in over the lookahead: a maximum filter of width 2L+1, then a
    box filter of width L+1. Every sample's box sees only values at least its own
    reduction, so no sample is under-reduced."""
    widened = maximum_filter1d(released_db, 2 * lookahead + 1, mode="nearest")
    return uniform_filter1d(widened, lookahead + 1, mode="nearest")


def limiter_reduction_db(
    envelope_db: np.ndarray,
    ceiling_db: float,
    lookahead: int,
    release_per_sample: float,
    seed_db: float = 0.0,
    release_tau: float | None = None,
) -> np.ndarray:
    """Gain reduction (dB) that keeps ``envelope_db`` at or below the ceiling."""
    return ramped_in(
        released_reduction_db(envelope_db, ceiling_db, release_per_sample, seed_db, release_tau), lookahead
    )


@dataclass
class Scratch:
    """The pre-limiter programme and what each gain trial needs of it, on disk."""

    folder: Path
    frames: int
    audio: np.memmap  # [frames, 2] float32 after EQ and compression
    power: np.memmap  # [frames] K-weighted power summed over channels
    envelope_db: np.memmap  # [frames] 4× oversampled peak (dB) over channels
    coarse: tuple[np.ndarray, np.ndarray] | None = None  # decimated envelope and power (trials)


@dataclass
class InputFacts:
    file: str
    rate: float
    channels: int
    seconds: float
    clipped_samples: int
    loudness_lufs: float  # after EQ and compression, before gain


@dataclass
class MasterReport:
    input: InputFacts
    preset: str
    target_lufs: float
    ceiling_dbtp: float
    gain_db: float
    passes: list[dict]
    measured: Measurement
    verification: dict
    files: dict[str, str]
    lossy: dict = field(default_factory=dict)
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)  # the blocking figures that missed
    span_gains_db: list[float] = field(default_factory=list)  # the evening gain of each span asked for

    def to_dict(self) -> dict:
        data = asdict(self)
        data["measured"] = self.measured.to_dict()
        return data


class Limiter:
    """The look-ahead limiter swept over a scratch envelope block by block. Each block
    reads ``context`` samples either side, and the release state carries from the
    previous block, so the result is the same as one sweep over the whole programme."""

    def __init__(self, preset: MasterPreset, rate: int, ceiling_db: float):
        self.ceiling_db = ceiling_db
        self.lookahead = max(1, int(preset.limiter_lookahead_ms * rate / 1000))
        self.release = preset.limiter_release_db_per_s / rate
        self.release_tau = preset.limiter_release_ms * rate / 1000 if preset.limiter_release_ms else None
        self.context = 2 * self.lookahead + 2

    def coarse(self, factor: int) -> Limiter:
        """The same limiter on an envelope decimated by ``factor`` (trials)."""
        coarse = copy.copy(self)
        coarse.lookahead = max(1, round(self.lookahead / factor))
        coarse.release = self.release * factor
        coarse.release_tau = self.release_tau / factor if self.release_tau else None
        coarse.context = 2 * coarse.lookahead + 2
        return coarse

    def sweep(self, envelope_db: np.memmap, gain_db: float, block: int):
        """Yield (start, stop, reduction_db) for consecutive blocks."""
        n = envelope_db.shape[0]
        previous: tuple[int, np.ndarray] | None = None
        for a in range(0, n, block):
            b = min(n, a + block)
            lo, hi = max(0, a - self.context), min(n, b + self.context)
            seed = 0.0
            if previous is not None and lo - 1 >= previous[0]:
                seed = float(previous[1][lo - 1 - previous[0]])
            env = envelope_db[lo:hi].astype(np.float64) + gain_db
            released = released_reduction_db(env, self.ceiling_db, self.release, seed, self.release_tau)
            previous = (lo, released)
            smooth = ramped_in(released, self.lookahead)
            yield a, b, smooth[a - lo : b - lo]


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
        audio = np.lib.format.open_memmap(folder / "audio.npy", "w+", np.float32, (capacity, 2))
        power = np.lib.format.open_memmap(folder / "power.npy", "w+", np.float32, (capacity,))
        chain = build_chain(preset, RATE)
        mono_bass = MonoBass(preset.mono_below_hz, RATE) if preset.mono_below_hz else None
        meter = LoudnessMeter(RATE)
        at = clipped = 0
        try:
            for chunk in source.blocks(block):
                clipped += int(np.count_nonzero(np.abs(chunk) >= 1.0))
                processed = chain(chunk, RATE, reset=False)
                if mono_bass is not None:
                    processed = mono_bass(processed)
                n = min(processed.shape[1], capacity - at)
                audio[at : at + n] = processed[:, :n].T
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
    envelope = np.lib.format.open_memmap(folder / "envelope.npy", "w+", np.float32, (at,))
    return Scratch(folder, at, audio, power, envelope), facts


def fill_envelope(scratch: Scratch, floor_db: float, block: int) -> None:
    """The 4× oversampled peak of every sample, in dB (only loud passages oversampled)."""
    follower = TruePeakFollower(floor=10 ** (floor_db / 20))
    at = 0
    for a in range(0, scratch.frames, block):
        env = follower.push(scratch.audio[a : min(scratch.frames, a + block)].T)
        scratch.envelope_db[at : at + env.size] = env
        at += env.size
    tail = follower.flush()
    scratch.envelope_db[at : at + tail.size] = tail
    with np.errstate(divide="ignore"):
        for a in range(0, scratch.frames, block):
            part = scratch.envelope_db[a : a + block]
            part[:] = 20 * np.log10(np.maximum(part, 1e-12))


TRIAL_DECIMATION = 8  # trials run on the envelope's maximum and the power's mean over 8 samples


def coarse_scratch(scratch: Scratch, block: int) -> tuple[np.ndarray, np.ndarray]:
    """The envelope (maximum) and power (mean) over ``TRIAL_DECIMATION`` samples, scratch
    files beside the others (an hour is 11 MB each), kept until the scratch changes."""
    if scratch.coarse is None:
        d = TRIAL_DECIMATION
        n = -(-scratch.frames // d)
        envelope = np.lib.format.open_memmap(scratch.folder / "coarse_envelope.npy", "w+", np.float32, (n,))
        power = np.lib.format.open_memmap(scratch.folder / "coarse_power.npy", "w+", np.float32, (n,))
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


@dataclass
class Outputs:
    """Where the master goes; any of the three may be left out."""

    wav24: Path | None = None
    wav16: Path | None = None
    lossy: Path | None = None  # .mp3 (VBR ~190 kbps) or .m4a (AAC 256 kbps)


def render(
    scratch: Scratch,
    limiter: Limiter,
    gain_db: float,
    outputs: Outputs,
    block: int,
    seed: int = 0,
    encoders: list | None = None,
) -> Measurement:
    """Write the master at ``gain_db`` and measure what was written. With ``outputs.lossy``
    the lossy copy is encoded from the same samples as they are made; its encoder (still
    finishing) replaces any earlier one in ``encoders``."""
    meter = ProgrammeMeter(RATE)
    from contextlib import ExitStack

    for earlier in encoders or []:
        earlier.cancel()
    if encoders is not None:
        encoders.clear()
    encoder = LossyEncoder(None, outputs.lossy) if outputs.lossy and encoders is not None else None
    try:
        with ExitStack() as stack:
            writers = []
            if outputs.wav24:
                writers.append(stack.enter_context(wav_writer(outputs.wav24, bits=24)))
            if outputs.wav16:
                writers.append(stack.enter_context(wav_writer(outputs.wav16, bits=16, dither=True, seed=seed)))
            for a, b, reduction in limiter.sweep(scratch.envelope_db, gain_db, block):
                gain = (10 ** ((gain_db - reduction) / 20)).astype(np.float32)
                out = scratch.audio[a:b].T * gain
                if encoder:
                    encoder.feed(out)
                meter.add(out)
                for writer in writers:
                    writer.write(out)
    except BaseException:
        if encoder:
            encoder.cancel()
        raise
    if encoder:
        encoder.close()
        encoders.append(encoder)
    return meter.result()


def lossy_codec(out: Path) -> list[str]:
    suffix = out.suffix.lower()
    if suffix == ".mp3":
        return ["-c:a", "libmp3lame", "-q:a", "2"]  # LAME VBR V2, about 190 kbps
    if suffix in (".m4a", ".aac", ".mp4"):
        return ["-c:a", "aac", "-b:a", "256k"]
    raise ValueError(f"{out.name}: the lossy master must be .mp3 or .m4a")


class LossyEncoder:
    """ffmpeg encoding the lossy copy, then our meters measuring it, in their own
    processes (watched by a thread) so both run beside the render and the verification;
    the file takes its name only when ffmpeg succeeded.

    The source is a WAV file, or (``wav`` None) the master itself as the render makes it:
    ``feed`` each block, then ``close``, and the encoder keeps pace on another core."""

    def __init__(self, wav: Path | None, out: Path, measure: bool = True):
        self.out = out
        self._atomic = atomic_local_path(out, suffix=out.suffix.lower())
        self._tmp = self._atomic.__enter__()
        self._figures: dict = {}
        self._error: BaseException | None = None
        self._meter: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()  # ffmpeg's complaints, read if it fails
        source = ["-i", str(wav)] if wav is not None else ["-f", "f32le", "-ar", str(RATE), "-ac", "2", "-i", "pipe:0"]
        self._proc = subprocess.Popen(
            [
                ffmpeg_exe(),
                *(["-nostdin"] if wav is not None else []),
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                *source,
                *lossy_codec(out),
                str(self._tmp),
            ],
            stdin=subprocess.PIPE if wav is None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self._thread = threading.Thread(target=self._finish, args=(measure,), daemon=True)
        if wav is not None:
            self._thread.start()
            self._blocks = None
        else:
            # A pipe holds 64 KB: written directly, the render would wait on the encoder
            # block by block. A thread writes from a queue, so both run at once.
            self._blocks: queue.Queue | None = queue.Queue(maxsize=32)
            self._writer = threading.Thread(target=self._write, daemon=True)
            self._writer.start()

    def _write(self) -> None:
        broken = False
        while (data := self._blocks.get()) is not None:
            if not broken:
                try:
                    self._proc.stdin.write(data)
                except (BrokenPipeError, ValueError):
                    broken = True  # ffmpeg stopped; its exit status and log say why, in wait()
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass

    def feed(self, block: np.ndarray) -> None:
        """One block of the master ([2, frames] float32) to the encoder."""
        self._blocks.put(np.ascontiguousarray(block.T, dtype="<f4").tobytes())

    def close(self) -> None:
        """The render is done: the encoder finishes (and the copy is measured) behind."""
        self._blocks.put(None)
        self._thread.start()

    def _finish(self, measure: bool) -> None:
        self._proc.wait()
        if self._proc.returncode != 0:
            self._log.seek(0)
            stderr = self._log.read().decode(errors="replace")
            self._error = MasterError(f"{self.out.name}: ffmpeg could not encode ({stderr.strip()[-300:]})")
            return
        if not measure:
            return
        # our meters over the copy, in a process of their own (a second core while this
        # one verifies the WAV)
        self._meter = subprocess.Popen(
            [sys.executable, "-m", "lofi_assets.core.production.master", "--measure", str(self._tmp)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
            },
        )
        out, err = self._meter.communicate()
        if self._meter.returncode != 0:
            self._error = MasterError(f"{self.out.name}: the lossy copy could not be measured ({err.strip()[-300:]})")
        else:
            self._figures = json.loads(out)

    def wait(self) -> dict:
        """The lossy copy's figures (``integrated_lufs``, ``true_peak_dbtp``, ``duration_s``;
        empty when not measured) once it is encoded and named."""
        self._thread.join()
        if self._error is not None:
            self._atomic.__exit__(type(self._error), self._error, None)
            raise self._error
        self._atomic.__exit__(None, None, None)
        return self._figures

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        if self._blocks is not None and self._writer.is_alive():
            while not self._blocks.empty():  # unblock the writer: it sees the end
                self._blocks.get_nowait()
            self._blocks.put(None)
            self._writer.join(timeout=5)
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()  # fed but never closed: the killed encoder is reaped
        self._thread.join(timeout=5)
        if self._meter is not None and self._meter.poll() is None:
            self._meter.kill()
        self._thread.join()
        self._atomic.__exit__(RuntimeError, RuntimeError("cancelled"), None)


def encode_lossy(wav: Path, out: Path) -> Path:
    """MP3 (LAME VBR V2, about 190 kbps) or AAC (256 kbps) from the WAV master."""
    LossyEncoder(wav, out, measure=False).wait()
    return out


def measure_file(path: Path, block: int = BLOCK_FRAMES) -> Measurement:
    """Our meters over a file, decoded a block at a time."""
    meter = ProgrammeMeter(RATE)
    with AudioSource(path, RATE) as source:
        for chunk in source.blocks(block):
            meter.add(chunk)
    return meter.result()


def loudness_by_span(path: Path, spans: list[tuple[float, float]], block: int = BLOCK_FRAMES) -> list[float]:
    """Integrated loudness (LUFS) of each ``(start_s, end_s)`` span of a file (a song's
    stretch of a mix), decoded once, a block at a time."""
    meters = [LoudnessMeter(RATE) for _ in spans]
    bounds = [(round(a * RATE), round(b * RATE)) for a, b in spans]
    at = 0
    with AudioSource(path, RATE) as source:
        for chunk in source.blocks(block):
            end = at + chunk.shape[1]
            for meter, (a, b) in zip(meters, bounds):
                lo, hi = max(a, at), min(b, end)
                if lo < hi:
                    meter.add(chunk[:, lo - at : hi - at])
            at = end
    return [meter.integrated() for meter in meters]


def pyloudnorm_loudness(path: Path) -> float:
    import pyloudnorm

    with AudioSource(path, RATE) as source:
        data = source.read_all(max_seconds=None)
    return float(pyloudnorm.Meter(RATE).integrated_loudness(data.T))


class Ebur128:
    """ffmpeg's own BS.1770 meter (``ebur128`` filter, true peak by oversampling) over a
    file, in its own process: started, then read with ``result``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._proc = subprocess.Popen(
            [
                ffmpeg_exe(),
                "-nostdin",
                "-hide_banner",
                "-nostats",
                "-i",
                str(path),
                "-filter_complex",
                "ebur128=peak=true:framelog=quiet",
                "-f",
                "null",
                "-",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(self) -> dict:
        _, text = self._proc.communicate()
        if self._proc.returncode != 0 or "Summary:" not in text:
            raise MasterError(f"{self.path.name}: ffmpeg ebur128 failed ({text.strip()[-300:]})")
        summary = text[text.rindex("Summary:") :]

        def number(label: str) -> float:
            line = next(line for line in summary.splitlines() if line.strip().startswith(label))
            return float(line.split(":")[1].split()[0])

        return {"integrated_lufs": number("I:"), "loudness_range_lu": number("LRA:"), "true_peak_dbtp": number("Peak:")}

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()


def ebur128(path: Path) -> dict:
    """ffmpeg's ``ebur128`` figures for a file: integrated loudness, range, true peak."""
    return Ebur128(path).result()


def staged_path(final: Path) -> Path:
    """Where an output is written until every blocking figure has passed: a hidden name
    beside the final one (the same file system, so the rename is atomic), same suffix."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.with_name(f".{final.stem}.staged{final.suffix}")


def find_gain(
    scratch: Scratch,
    limiter: Limiter,
    preset: MasterPreset,
    outputs: Outputs,
    gain: float,
    passes: list[dict],
    tolerance: float,
    max_passes: int,
    block: int,
    say,
    trials_only: bool = False,
    encoders: list | None = None,
) -> tuple[Measurement | None, float]:
    """Secant steps on the gain until a rendered master measures within ``tolerance`` of
    the target (or ``max_passes`` are spent); each pass is appended to ``passes``. With
    ``trials_only`` nothing is rendered: the gain whose trial lands within half the
    tolerance is returned, with no measurement (a render costs as much as six trials)."""
    trials: list[tuple[float, float]] = []  # (gain, loudness − target)
    measured: Measurement | None = None
    rendering = False  # once the real output has been metered, every pass renders
    for count in range(max_passes):
        if trials_only and trials and abs(trials[-1][1]) <= tolerance / 2:
            return None, gain
        # Trials aim at half the tolerance: the render differs from a trial by a few
        # hundredths (the limiter against the K-weighting), and must still land inside.
        rendering = not trials_only and (
            rendering or count == max_passes - 1 or (bool(trials) and abs(trials[-1][1]) <= tolerance / 2)
        )
        if rendering:
            measured = render(scratch, limiter, gain, outputs, block, encoders=encoders)
            loudness = measured.integrated_lufs
        else:
            loudness = trial_loudness(scratch, limiter, gain, block)
        error = loudness - preset.target_lufs
        passes.append(
            {"gain_db": round(gain, 4), "lufs": round(loudness, 4), "kind": "render" if rendering else "trial"}
        )
        say(f"pass {len(passes)} ({passes[-1]['kind']}): gain {gain:+.3f} dB → {loudness:.3f} LUFS")
        if rendering and measured.true_peak_dbtp > preset.ceiling_dbtp and limiter.ceiling_db > preset.ceiling_dbtp - 2:
            limiter.ceiling_db -= measured.true_peak_dbtp - preset.ceiling_dbtp + 0.05
            say(f"true peak {measured.true_peak_dbtp:.2f} dBTP is over the ceiling; limiter lowered")
            trials = []
            continue
        if rendering and abs(error) <= tolerance:
            break
        if rendering and trials and passes[-2:][0]["kind"] == "trial" and trials[-1][0] == gain:
            # the first render, at the last trial's gain: the trials were off by a nearly
            # constant amount (the limiter against the K-weighting); correct them, keep their slope
            offset = error - trials[-1][1]
            trials = [(g, e + offset) for g, e in trials[:-1]]
        trials.append((gain, error))
        if abs(error) > (tolerance if rendering else tolerance / 2):
            gain = next_gain(trials)
    assert measured is not None or trials_only
    return measured, gain


EVEN_TOLERANCE_LU = 0.75  # spans closer than this to the median are left as they are
EVEN_ROUNDS = 3  # evening rounds at most (each a gain search and a render)
EVEN_MIN_S = 3.0  # a span shorter than this is neither judged nor moved
EVEN_RAMP_S = 1.0  # half the length of the gain ramp at a join between spans


def span_offsets(levels: list[float], spans: list[tuple[float, float]]) -> list[float]:
    """Each span's loudness less the spans' median (0 for a span too short or too quiet
    to judge, and for all when fewer than two can be)."""
    import statistics

    usable = [np.isfinite(v) and b - a >= EVEN_MIN_S for v, (a, b) in zip(levels, spans)]
    if sum(usable) < 2:
        return [0.0] * len(spans)
    median = statistics.median(v for v, ok in zip(levels, usable) if ok)
    return [float(v - median) if ok else 0.0 for v, ok in zip(levels, usable)]


def apply_span_gains(scratch: Scratch, spans: list[tuple[float, float]], gains: list[float], block: int) -> None:
    """Each span's gain (dB) on the scratch programme, ramped over two seconds at each
    join; audio, power and envelope change together, so the next trials see it."""
    ramp = EVEN_RAMP_S * RATE
    xs, ys = [0.0], [gains[0]]
    for (_, end), g0, g1 in zip(spans, gains, gains[1:]):
        xs += [end * RATE - ramp, end * RATE + ramp]
        ys += [g0, g1]
    xs.append(float(scratch.frames))
    ys.append(gains[-1])
    order = np.argsort(xs, kind="stable")
    xs, ys = np.asarray(xs)[order], np.asarray(ys)[order]
    for a in range(0, scratch.frames, block):
        b = min(scratch.frames, a + block)
        db = np.interp(np.arange(a, b, dtype=np.float64), xs, ys)
        scratch.audio[a:b] *= (10 ** (db / 20)).astype(np.float32)[:, None]
        scratch.power[a:b] *= (10 ** (db / 10)).astype(np.float32)
        scratch.envelope_db[a:b] += db.astype(np.float32)
    scratch.coarse = None


def excerpt_overshoot(scratch: Scratch, limiter: Limiter, gain_db: float, suffix: str, work: Path) -> float:
    """The lossy codec's true peak (dBTP) expected over the whole master, from an excerpt.

    The excerpt is ``EXCERPT_WINDOWS`` stretches of ``EXCERPT_S``: half those whose peaks
    stand furthest over the ceiling, half spread evenly over the rest, each limited as in
    the full render (after a second's pre-roll), joined by silence, encoded and measured
    window by window. A codec's overshoot varies from window to window like noise, so the
    loudest of a whole programme's windows is foreseen from the excerpt's mean and spread
    (the expected maximum of as many draws as the programme has windows, with the codec's
    heavier tail), and never below the loudest window heard."""
    n, width = scratch.frames, round(EXCERPT_S * RATE)
    starts = np.arange(0, max(n - width, 1), width)
    loudest = np.array([float(scratch.envelope_db[a : a + width].max()) for a in starts])
    ranked = np.argsort(loudest)[::-1]
    half = EXCERPT_WINDOWS // 2
    rest = np.sort(ranked[half:])
    spread = rest[np.linspace(0, len(rest) - 1, min(half, len(rest))).astype(int)] if len(rest) else rest
    chosen = np.sort(starts[np.unique(np.concatenate([ranked[:half], spread]))])
    gap = np.zeros((2, round(0.25 * RATE)), dtype=np.float32)
    pieces = []
    for a in chosen:
        lo, hi = max(0, a - round(PREROLL_S * RATE)), min(n, a + width)
        env = scratch.envelope_db[lo:hi].astype(np.float64) + gain_db
        reduction = limiter_reduction_db(
            env, limiter.ceiling_db, limiter.lookahead, limiter.release, 0.0, limiter.release_tau
        )
        gain = (10 ** ((gain_db - reduction) / 20)).astype(np.float32)
        pieces += [(scratch.audio[lo:hi].T * gain)[:, a - lo :], gap]
    excerpt = work / "excerpt.wav"
    write_wav(excerpt, np.concatenate(pieces, axis=1), bits=24, dither=False)
    encoded = work / f"excerpt{suffix}"
    encode_lossy(excerpt, encoded)
    with AudioSource(encoded, RATE) as source:
        decoded = source.read_all(max_seconds=None)
    coded, limited, at = [], [], 0
    for piece in pieces[0::2]:
        # the window and half of each silent gap beside it, where the codec smears it
        lo, hi = max(0, at - gap.shape[1] // 2), at + piece.shape[1] + gap.shape[1] // 2
        coded.append(measure(decoded[:, lo:hi], RATE).true_peak_dbtp)
        limited.append(measure(piece, RATE).true_peak_dbtp)
        at += piece.shape[1] + gap.shape[1]
    coded, limited = np.array(coded), np.array(limited)
    heard = float(np.max(coded)) if coded.size else float("-inf")
    # the codec's overshoot of each window held at the ceiling (quiet ones say nothing of it)
    held = np.isfinite(coded) & (limited > limiter.ceiling_db - 3.0)
    overshoot = coded[held] - limited[held]
    if overshoot.size < 2 or len(chosen) >= len(starts):  # every window heard: nothing to foresee
        return heard
    expected = overshoot.mean() + CODEC_TAIL * overshoot.std() * np.sqrt(2 * np.log(len(starts)))
    return float(max(heard, limited[held].max() + expected))


def blocking_misses(report: MasterReport) -> list[str]:
    """The figures a master must meet to carry its name, each failing one in words."""
    m, target, ceiling = report.measured, report.target_lufs, report.ceiling_dbtp
    misses = []
    if abs(m.integrated_lufs - target) > MISS_LU:
        misses.append(f"loudness {m.integrated_lufs:.2f} LUFS, target {target:g} ± {MISS_LU:g}")
    independent = report.verification.get("integrated_lufs")
    if independent is not None and abs(independent - target) > INDEPENDENT_MISS_LU:
        misses.append(
            f"{report.verification.get('meter')} reads {independent:.2f} LUFS, target {target:g} ± {INDEPENDENT_MISS_LU:g}"
        )
    peaks = [("true peak", m.true_peak_dbtp), ("re-read true peak", report.verification.get("reread_true_peak_dbtp"))]
    peaks.append(("the lossy copy's true peak", report.lossy.get("true_peak_dbtp")))
    for label, peak in peaks:
        if peak is not None and peak > ceiling:
            misses.append(f"{label} {peak:.2f} dBTP over the {ceiling:g} dBTP ceiling")
    if m.clipped_samples:
        misses.append(f"{m.clipped_samples} clipped samples")
    return misses


def master_file(
    path: Path,
    outputs: Outputs,
    preset: MasterPreset | str = "streaming",
    *,
    tolerance: float = TOLERANCE_LU,
    max_passes: int = MAX_PASSES,
    block: int = BLOCK_FRAMES,
    scratch_dir: Path | None = None,
    verify: bool = True,
    even_spans: list[tuple[float, float]] | None = None,
    log=None,
) -> MasterReport:
    """Master ``path`` to the preset's loudness and true-peak ceiling; write ``outputs``.

    Raises ``MasterError`` naming the file when it cannot be done: undecodable, empty,
    NaN or infinite samples, silence, or a target further away than 40 dB; and
    ``MasterMiss`` (with the full report) when the master was made but a blocking figure
    missed. The outputs are written under hidden names beside the real ones and take their
    names only when every blocking figure has passed.

    ``even_spans`` (seconds; the songs of a mix) are evened out: the limiter holds a peaky
    song down more than a dense one, so songs matched in the mix come out of it apart.
    Once the gain is found each span's loudness is read (from trials), and the spans further than
    ``EVEN_TOLERANCE_LU`` from their median are moved to it (gain ramps of a second at the
    joins, before the limiter), then the gain is found again.
    """
    preset = preset_named(preset) if isinstance(preset, str) else preset
    say = log or (lambda message: None)
    started = time.perf_counter()
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix="lofi-master-", dir=scratch_dir))
    staged = Outputs()
    try:
        scratch, facts = prepare(path, preset, work, block)
        if not facts.loudness_lufs > ABSOLUTE_GATE_LUFS:
            raise MasterError(
                f"{path.name}: silent (below the {ABSOLUTE_GATE_LUFS:g} LUFS gate); no gain can "
                f"bring it to {preset.target_lufs:g} LUFS"
            )
        gain = preset.target_lufs - facts.loudness_lufs
        if gain > MAX_GAIN_DB:
            raise MasterError(
                f"{path.name}: {facts.loudness_lufs:.1f} LUFS would need +{gain:.1f} dB to reach "
                f"{preset.target_lufs:g} LUFS (more than {MAX_GAIN_DB:g} dB); is it the right file?"
            )
        ceiling = preset.ceiling_dbtp - LIMITER_MARGIN_DB
        fill_envelope(scratch, floor_db=ceiling - gain - 9.0, block=block)
        limiter = Limiter(preset, RATE, ceiling)
        staged = Outputs(*(staged_path(p) if p else None for p in (outputs.wav24, outputs.wav16, outputs.lossy)))
        if staged.lossy and not (staged.wav24 or staged.wav16):
            raise ValueError("a lossy master is encoded from the WAV master; ask for wav24 or wav16 too")
        if staged.lossy:
            lossy_codec(staged.lossy)  # an unknown suffix fails before any work
            # the codec's usual overshoot off the ceiling from the start: an MP3 of a dense
            # mix read 0.5–1.4 dB over its WAV, and an excerpt does not always find where
            limiter.ceiling_db -= CODEC_HEADROOM_DB.get(staged.lossy.suffix.lower(), 0.5)
        passes: list[dict] = []

        encoders: list[LossyEncoder] = []  # the lossy copy of the latest render, still encoding

        def search(**kw) -> tuple[Measurement | None, float]:
            return find_gain(
                scratch,
                limiter,
                preset,
                staged,
                gain,
                passes,
                tolerance,
                max_passes,
                block,
                say,
                encoders=encoders,
                **kw,
            )

        # Everything before the one render is decided on trials (a sweep of the limiter over
        # the scratch envelope and power): the gain, the codec's headroom, the songs' evening.
        _, gain = search(trials_only=True)
        if staged.lossy:
            # Encoders ring over a limited master's peaks. Encode an excerpt first and lower
            # the ceiling by what it foresees, so the full-length copy is encoded once, not
            # once a retry (an hour's MP3 takes half a minute).
            overshoot = excerpt_overshoot(scratch, limiter, gain, staged.lossy.suffix, work) - preset.ceiling_dbtp
            if overshoot > -LOSSY_MARGIN_DB:
                limiter.ceiling_db -= overshoot + LOSSY_MARGIN_DB
                say(f"the lossy excerpt foresees {overshoot:+.2f} dB over the ceiling; limiter lowered")
                _, gain = search(trials_only=True)
        span_gains = [0.0] * len(even_spans or [])
        slopes = [1.0] * len(span_gains)  # LU a span gains per dB given (the limiter gives a peaky one back less)
        previous: list[tuple[float, float]] = []
        for _ in range(EVEN_ROUNDS if even_spans else 0):
            off = span_offsets(trial_loudness_by_span(scratch, limiter, gain, even_spans, block), even_spans)
            slopes = [
                float(np.clip((o - o_was) / g, 0.25, 1.0)) if g else k
                for o, (o_was, g), k in zip(off, previous or [(0.0, 0.0)] * len(off), slopes)
            ]
            step = [float(np.clip(-o / k, -12, 12)) if abs(o) > EVEN_TOLERANCE_LU else 0.0 for o, k in zip(off, slopes)]
            if not any(step):
                break
            apply_span_gains(scratch, even_spans, step, block)
            span_gains = [a + b for a, b in zip(span_gains, step)]
            say(f"songs evened out by {min(step):+.2f} … {max(step):+.2f} dB")
            _, gain = search(trials_only=True)
            previous = list(zip(off, step))
        measured, gain = search()
        for attempt in range(LOSSY_RETRIES + 1):
            if attempt:
                measured, gain = search()  # trials first (the lower ceiling costs loudness), then one render
            encoder = encoders.pop() if encoders else None
            try:
                verification = verify_master(staged, measured) if verify else {}
            except BaseException:
                if encoder:
                    encoder.cancel()
                raise
            lossy = {}
            if encoder:
                figures = encoder.wait()
                lossy = {"file": str(outputs.lossy)}
                lossy.update({k: round(figures[k], 3) for k in ("integrated_lufs", "true_peak_dbtp", "duration_s")})
                overshoot = lossy["true_peak_dbtp"] - preset.ceiling_dbtp
                if overshoot > 0 and attempt < LOSSY_RETRIES:
                    # the encoder's filters ring over the WAV's peaks: lower the ceiling and render
                    # again, stepping past the overshoot (more limiting rings again)
                    limiter.ceiling_db -= 1.5 * overshoot + 0.1
                    say(f"the lossy copy peaks at {lossy['true_peak_dbtp']:.2f} dBTP; limiter lowered")
                    continue
            break
        report = MasterReport(
            input=facts,
            preset=preset.name,
            target_lufs=preset.target_lufs,
            ceiling_dbtp=preset.ceiling_dbtp,
            gain_db=passes[-1]["gain_db"],
            passes=passes,
            measured=measured,
            verification=verification,
            files={k: str(v) for k, v in asdict(outputs).items() if v},
            lossy=lossy,
        )
        report.span_gains_db = [round(g, 2) for g in span_gains]
        report.misses = blocking_misses(report)
        report.seconds = round(time.perf_counter() - started, 2)
        if report.misses:
            report.files = {}
            raise MasterMiss(f"{path.name}: the master misses: {'; '.join(report.misses)}", report)
        for final, temporary in zip(asdict(outputs).values(), asdict(staged).values()):
            if final:
                os.replace(temporary, final)  # beside its final name: the same file system
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for temporary in (staged.wav24, staged.wav16, staged.lossy):
            if temporary:
                temporary.unlink(missing_ok=True)  # a miss or an error: no half-made master stays


def next_gain(trials: list[tuple[float, float]]) -> float:
    """Secant step on (gain, error); the first step assumes loudness follows gain 1:1, and
    once trials lie on both sides of the target the step interpolates between them.

    Hard limiting makes loudness a concave function of gain, so a secant through two
    points short of the target falls short again; when the last two errors share a sign
    the step is stretched by half, which brackets the target sooner."""
    gain, error = trials[-1]
    if len(trials) < 2:
        return gain - error
    short = [t for t in trials if t[1] < 0]
    over = [t for t in trials if t[1] > 0]
    if short and over:
        # bracketed: interpolate between the nearest trial on each side (false position),
        # which cannot overshoot out of the bracket as a secant through the last two can
        (g0, e0), (g1, e1) = max(short, key=lambda t: t[1]), min(over, key=lambda t: t[1])
        return g0 - e0 * (g1 - g0) / (e1 - e0)
    previous_gain, previous_error = trials[-2]
    slope = (error - previous_error) / (gain - previous_gain) if gain != previous_gain else 1.0
    if not 0.02 <= slope <= 1.5:  # a limiter flattens the curve (hard limiting: a lot), never inverts it
        slope = 1.0
    step = error / slope * (1.5 if error * previous_error > 0 and abs(error) > 0.1 else 1.0)
    return gain - float(np.clip(step, -12.0, 12.0))


def verify_master(outputs: Outputs, measured: Measurement) -> dict:
    """An independent meter over the written master: pyloudnorm (BS.1770) when the master
    fits in memory, else ffmpeg's ebur128; and the file re-read by our own meters."""
    path = outputs.wav24 or outputs.wav16
    if path is None:
        return {}
    independent = Ebur128(path) if measured.duration_s > PYLOUDNORM_MAX_S else None
    try:
        reread = measure_file(path)
    except BaseException:
        if independent:
            independent.cancel()
        raise
    result = {
        "reread_lufs": round(reread.integrated_lufs, 3),
        "reread_true_peak_dbtp": round(reread.true_peak_dbtp, 3),
        "reread_duration_s": round(reread.duration_s, 3),
    }
    if independent is None:
        result["meter"] = "pyloudnorm"
        result["integrated_lufs"] = round(pyloudnorm_loudness(path), 3)
    else:
        result["meter"] = "ffmpeg ebur128"
        result.update({k: round(v, 3) for k, v in independent.result().items()})
    return result


__all__ = [
    "MasterError",
    "MasterMiss",
    "MasterPreset",
    "MasterReport",
    "Outputs",
    "PRESETS",
    "master_file",
    "measure_file",
    "ebur128",
    "loudness_by_span",
    "preset_named",
    "preset_table",
    "limiter_reduction_db",
    "to_db",
]


if __name__ == "__main__":  # the lossy copy's meter: python -m lofi_assets.core.production.master --measure FILE
    figures = measure_file(Path(sys.argv[-1]))
    print(
        json.dumps(
            {
                "integrated_lufs": figures.integrated_lufs,
                "true_peak_dbtp": figures.true_peak_dbtp,
                "duration_s": figures.duration_s,
            }
        )
    )
