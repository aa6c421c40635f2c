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

import os
import shutil
import subprocess
import tempfile
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
    to_db,
)


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
LOSSY_MARGIN_DB = 0.15  # below the excerpt's overshoot, for peaks the excerpt did not hold
CODEC_HEADROOM_DB = {".mp3": 1.0, ".m4a": 0.5, ".aac": 0.5, ".mp4": 0.5}  # the first guess at the codec's overshoot
EXCERPT_WINDOWS, EXCERPT_S, PREROLL_S = 8, 2.0, 1.0
MAX_PASSES = 12
MAX_GAIN_DB = 40.0  # a quieter input is a broken input, not one to be turned up without end
# Under the ceiling: ffmpeg's ebur128 (192 kHz) reads up to 0.3 dB over our 4× meter on full-band material.
LIMITER_MARGIN_DB = 0.5
PYLOUDNORM_MAX_S = 2 * 3600  # pyloudnorm holds the programme in memory; longer masters use ebur128


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


def trial_loudness(scratch: Scratch, limiter: Limiter, gain_db: float, block: int) -> float:
    """Integrated loudness at ``gain_db`` through the limiter, from the scratch power.

    The limiter's gain moves slowly against the K-weighting filter's response, so the
    weighted power of the limited signal is the stored power times the squared gain."""
    meter = LoudnessMeter(RATE)
    for a, b, reduction in limiter.sweep(scratch.envelope_db, gain_db, block):
        meter.add_power(scratch.power[a:b] * 10 ** ((gain_db - reduction) / 10))
    return meter.integrated()


@dataclass
class Outputs:
    """Where the master goes; any of the three may be left out."""

    wav24: Path | None = None
    wav16: Path | None = None
    lossy: Path | None = None  # .mp3 (VBR ~190 kbps) or .m4a (AAC 256 kbps)


def render(
    scratch: Scratch, limiter: Limiter, gain_db: float, outputs: Outputs, block: int, seed: int = 0
) -> Measurement:
    """Write the master at ``gain_db`` and measure what was written."""
    meter = ProgrammeMeter(RATE)
    from contextlib import ExitStack

    with ExitStack() as stack:
        writers = []
        if outputs.wav24:
            writers.append(stack.enter_context(wav_writer(outputs.wav24, bits=24)))
        if outputs.wav16:
            writers.append(stack.enter_context(wav_writer(outputs.wav16, bits=16, dither=True, seed=seed)))
        for a, b, reduction in limiter.sweep(scratch.envelope_db, gain_db, block):
            gain = (10 ** ((gain_db - reduction) / 20)).astype(np.float32)
            out = scratch.audio[a:b].T * gain
            meter.add(out)
            for writer in writers:
                writer.write(out)
    return meter.result()


def lossy_codec(out: Path) -> list[str]:
    suffix = out.suffix.lower()
    if suffix == ".mp3":
        return ["-c:a", "libmp3lame", "-q:a", "2"]  # LAME VBR V2, about 190 kbps
    if suffix in (".m4a", ".aac", ".mp4"):
        return ["-c:a", "aac", "-b:a", "256k"]
    raise ValueError(f"{out.name}: the lossy master must be .mp3 or .m4a")


class LossyEncoder:
    """ffmpeg encoding the lossy copy from the WAV master, in its own process so it runs
    beside the verification; the file takes its name only when ffmpeg succeeded."""

    def __init__(self, wav: Path, out: Path):
        self.out = out
        self._atomic = atomic_local_path(out, suffix=out.suffix.lower())
        tmp = self._atomic.__enter__()
        self._proc = subprocess.Popen(
            [
                ffmpeg_exe(),
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav),
                *lossy_codec(out),
                str(tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self) -> Path:
        _, stderr = self._proc.communicate()
        if self._proc.returncode != 0:
            error = MasterError(f"{self.out.name}: ffmpeg could not encode ({stderr.strip()[-300:]})")
            self._atomic.__exit__(MasterError, error, None)
            raise error
        self._atomic.__exit__(None, None, None)
        return self.out

    def cancel(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._atomic.__exit__(RuntimeError, RuntimeError("cancelled"), None)


def encode_lossy(wav: Path, out: Path) -> Path:
    """MP3 (LAME VBR V2, about 190 kbps) or AAC (256 kbps) from the WAV master."""
    return LossyEncoder(wav, out).wait()


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


def ebur128(path: Path) -> dict:
    """ffmpeg's own BS.1770 meter (``ebur128`` filter, true peak by oversampling)."""
    proc = subprocess.run(
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
        capture_output=True,
        text=True,
    )
    text = proc.stderr
    if proc.returncode != 0 or "Summary:" not in text:
        raise MasterError(f"{Path(path).name}: ffmpeg ebur128 failed ({text.strip()[-300:]})")
    summary = text[text.rindex("Summary:") :]

    def number(label: str) -> float:
        line = next(line for line in summary.splitlines() if line.strip().startswith(label))
        return float(line.split(":")[1].split()[0])

    return {"integrated_lufs": number("I:"), "loudness_range_lu": number("LRA:"), "true_peak_dbtp": number("Peak:")}


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
    rendering: bool = False,
) -> tuple[Measurement, float]:
    """Secant steps on the gain until a rendered master measures within ``tolerance`` of
    the target (or ``max_passes`` are spent); each pass is appended to ``passes``. With
    ``rendering`` every pass renders (a gain already near the target)."""
    trials: list[tuple[float, float]] = []  # (gain, loudness − target)
    measured: Measurement | None = None
    # once the real output has been metered, every pass renders
    for count in range(max_passes):
        # Trials aim at half the tolerance: the render differs from a trial by a few
        # hundredths (the limiter against the K-weighting), and must still land inside.
        rendering = rendering or count == max_passes - 1 or (bool(trials) and abs(trials[-1][1]) <= tolerance / 2)
        if rendering:
            measured = render(scratch, limiter, gain, outputs, block)
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
    assert measured is not None
    return measured, gain


EVEN_TOLERANCE_LU = 0.75  # spans closer than this to the median are left as they are
EVEN_ROUNDS = 3  # evening rounds at most (each a gain search and a render)
EVEN_MIN_S = 3.0  # a span shorter than this is neither judged nor moved
EVEN_RAMP_S = 1.0  # half the length of the gain ramp at a join between spans


def span_offsets(rendered: Path, spans: list[tuple[float, float]], block: int) -> list[float]:
    """Each span's loudness in ``rendered`` less the spans' median (0 for a span too short
    or too quiet to judge, and for all when fewer than two can be)."""
    import statistics

    levels = loudness_by_span(rendered, spans, block)
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


def excerpt_overshoot(scratch: Scratch, limiter: Limiter, gain_db: float, suffix: str, work: Path) -> float:
    """The true peak (dBTP) of the lossy codec's copy of the master's most limited
    seconds: the ``EXCERPT_WINDOWS`` stretches whose peaks stand furthest over the
    ceiling, each limited as in the full render (after a second's pre-roll), joined by
    silence, encoded and measured."""
    n, width = scratch.frames, round(EXCERPT_S * RATE)
    starts = np.arange(0, max(n - width, 1), width)
    loudest = np.array([float(scratch.envelope_db[a : a + width].max()) for a in starts])
    chosen = np.sort(starts[np.argsort(loudest)[::-1][:EXCERPT_WINDOWS]])
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
    return measure_file(encoded).true_peak_dbtp


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
    After the first render each span's loudness is read, and the spans further than
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
        measured, gain = find_gain(scratch, limiter, preset, staged, gain, passes, tolerance, max_passes, block, say)
        span_gains = [0.0] * len(even_spans or [])
        slopes = [1.0] * len(span_gains)  # LU a span gains per dB given (the limiter gives a peaky one back less)
        previous: list[tuple[float, float]] = []
        for _ in range(EVEN_ROUNDS if even_spans else 0):
            off = span_offsets(staged.wav24 or staged.wav16, even_spans, block)
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
            measured, gain = find_gain(
                scratch, limiter, preset, staged, gain, passes, tolerance, max_passes, block, say
            )
            previous = list(zip(off, step))
        if staged.lossy:
            # Encoders ring over a limited master's peaks. Encode the most limited seconds
            # first and lower the ceiling by what they overshoot, so the full-length copy
            # is encoded once, not once a retry (an hour's MP3 takes a minute).
            overshoot = excerpt_overshoot(scratch, limiter, gain, staged.lossy.suffix, work) - preset.ceiling_dbtp
            if overshoot > 0:
                limiter.ceiling_db -= overshoot + LOSSY_MARGIN_DB
                say(f"the lossy excerpt peaks {overshoot:.2f} dB over the ceiling; limiter lowered")
                measured, gain = find_gain(
                    scratch, limiter, preset, staged, gain, passes, tolerance, max_passes, block, say
                )
        for attempt in range(LOSSY_RETRIES + 1):
            if attempt:
                measured, gain = find_gain(
                    scratch, limiter, preset, staged, gain, passes, tolerance, max_passes, block, say, rendering=True
                )
            encoder = LossyEncoder(staged.wav24 or staged.wav16, staged.lossy) if staged.lossy else None
            try:
                verification = verify_master(staged, measured) if verify else {}
            except BaseException:
                if encoder:
                    encoder.cancel()
                raise
            lossy = {}
            if encoder:
                encoder.wait()
                lossy_measured = measure_file(staged.lossy)
                lossy = {
                    "file": str(outputs.lossy),
                    "integrated_lufs": round(lossy_measured.integrated_lufs, 3),
                    "true_peak_dbtp": round(lossy_measured.true_peak_dbtp, 3),
                    "duration_s": round(lossy_measured.duration_s, 3),
                }
                overshoot = lossy_measured.true_peak_dbtp - preset.ceiling_dbtp
                if overshoot > 0 and attempt < LOSSY_RETRIES:
                    # the encoder's filters ring over the WAV's peaks: lower the ceiling and render
                    # again, stepping past the overshoot (more limiting rings again)
                    limiter.ceiling_db -= 1.5 * overshoot + 0.1
                    say(f"the lossy copy peaks at {lossy_measured.true_peak_dbtp:.2f} dBTP; limiter lowered")
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
    reread = measure_file(path)
    result = {
        "reread_lufs": round(reread.integrated_lufs, 3),
        "reread_true_peak_dbtp": round(reread.true_peak_dbtp, 3),
        "reread_duration_s": round(reread.duration_s, 3),
    }
    if measured.duration_s <= PYLOUDNORM_MAX_S:
        result["meter"] = "pyloudnorm"
        result["integrated_lufs"] = round(pyloudnorm_loudness(path), 3)
    else:
        result["meter"] = "ffmpeg ebur128"
        result.update({k: round(v, 3) for k, v in ebur128(path).items()})
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
