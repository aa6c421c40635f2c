"""Mastering, start to finish: the gain found by secant steps into a true-peak limiter, the
songs evened out, the lossy copy kept under the ceiling, one render, then verification;
the outputs take their names only when every blocking figure has passed.

The programme is never held in memory: ``master_scratch`` decodes, EQs and compresses it
into scratch files with its K-weighted power and peak envelope, so each gain trial is one
sweep of the ``limiter`` over two arrays. Everything is decided on trials (the gain, the
codec's headroom from ``lossy``, the songs' gains from ``evening``); a final pass renders
the master and meters the real output, and ``verification`` measures the written files
again. What a master must meet lives in ``master_rules``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import (
    BLOCK_FRAMES,
    RATE,
    wav_writer,
)
from lofi_assets.core.production.evening import even_out
from lofi_assets.core.production.limiter import LIMITER_MARGIN_DB, Limiter
from lofi_assets.core.production.lossy import (
    CODEC_HEADROOM_DB,
    LOSSY_MARGIN_DB,
    LOSSY_RETRIES,
    LossyEncoder,
    excerpt_overshoot,
    lossy_codec,
)
from lofi_assets.core.production.loudness import (
    ABSOLUTE_GATE_LUFS,
    Measurement,
    ProgrammeMeter,
)
from lofi_assets.core.production.master_rules import (
    CORRELATION_AIM,
    MAX_GAIN_DB,
    TOLERANCE_LU,
    MasterError,
    MasterPreset,
    blocking_misses,
    preset_named,
)
from lofi_assets.core.production.master_scratch import (
    InputFacts,
    Scratch,
    fill_envelope,
    prepare,
    steer_limited_width,
    steer_width,
    trial_loudness,
)
from lofi_assets.core.production.verification import verify_master
from lofi_assets.core.production.width import WidthStep

MAX_PASSES = 12


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
    width: dict = field(default_factory=dict)  # what the master did to the stereo width (WidthStep)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["measured"] = self.measured.to_dict()
        return data


class MasterMiss(MasterError):
    """A master was made but a blocking figure missed (loudness, true peak, the lossy
    copy's peak, clipping): nothing was written under the real names. ``report`` holds
    every figure, ``report.misses`` the failing ones."""

    def __init__(self, message: str, report: MasterReport):
        super().__init__(message)
        self.report = report


@dataclass
class Outputs:
    """Where the master goes; any of the three may be left out."""

    wav24: Path | None = None
    wav16: Path | None = None
    lossy: Path | None = None  # .m4a (AAC 384 kbps, 48 kHz) or .mp3 (VBR ~190 kbps)


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
        width = steer_width(scratch, facts, block)
        if width.side_gain_db:
            say(
                f"correlation {width.correlation_before:.3f} outside {CORRELATION_AIM}: side "
                f"{width.side_gain_db:+.2f} dB → {width.correlation_after:.3f}"
            )
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
        floor_db = ceiling - gain - 9.0  # passages this far under the ceiling are not oversampled
        fill_envelope(scratch, floor_db=floor_db, block=block)
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

        def search(start_gain: float, **kw) -> tuple[Measurement | None, float]:
            return find_gain(
                scratch,
                limiter,
                preset,
                staged,
                start_gain,
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
        _, gain = search(gain, trials_only=True)
        if staged.lossy:
            # Encoders ring over a limited master's peaks. Encode an excerpt first and lower
            # the ceiling by what it foresees, so the full-length copy is encoded once, not
            # once a retry (an hour's MP3 takes half a minute).
            overshoot = excerpt_overshoot(scratch, limiter, gain, staged.lossy.suffix, work) - preset.ceiling_dbtp
            if overshoot > -LOSSY_MARGIN_DB:
                limiter.ceiling_db -= overshoot + LOSSY_MARGIN_DB
                say(f"the lossy excerpt foresees {overshoot:+.2f} dB over the ceiling; limiter lowered")
                _, gain = search(gain, trials_only=True)
        span_gains: list[float] = []
        if even_spans:
            span_gains, gain = even_out(
                scratch, limiter, even_spans, gain, block, lambda g: search(g, trials_only=True)[1], say
            )
        # The limiter holds loud passages down, so the limited master's width differs from
        # the programme's: foreseen from the trial at this gain, and steered once more.
        limited = steer_limited_width(scratch, limiter, gain, floor_db, block)
        if limited.side_gain_db:
            say(f"the limited master would read {limited.correlation_before:.3f}: side {limited.side_gain_db:+.2f} dB")
            _, gain = search(gain, trials_only=True)
        width = WidthStep(
            width.correlation_before, width.side_gain_db + limited.side_gain_db, limited.correlation_after
        )
        measured, gain = search(gain)
        for attempt in range(LOSSY_RETRIES + 1):
            if attempt:
                measured, gain = search(gain)  # trials first (the lower ceiling costs loudness), then one render
            encoder = encoders.pop() if encoders else None
            try:
                verification = verify_master(staged.wav24 or staged.wav16, measured) if verify else {}
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
        report.width = width.to_dict()
        report.misses = blocking_misses(measured, verification, lossy, preset.target_lufs, preset.ceiling_dbtp)
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
