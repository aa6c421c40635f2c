"""Songs evened out in the master: the limiter holds a peaky song down more than a dense one,
so songs matched in the mix come out of it apart; each song's span gets a gain before the
limiter, ramped at the joins."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import (
    RATE,
)
from lofi_assets.core.production.limiter import Limiter
from lofi_assets.core.production.master_rules import MIN_JUDGED_S
from lofi_assets.core.production.master_scratch import Scratch, trial_loudness_by_span
from lofi_assets.core.production.verification import loudness_by_span

EVEN_TOLERANCE_LU = 0.75  # spans closer than this to the median are left as they are


EVEN_ROUNDS = 3  # evening rounds at most (each a gain search and a render)


EVEN_RAMP_S = 1.0  # half the length of the gain ramp at a join between spans


def span_offsets(levels: list[float], spans: list[tuple[float, float]]) -> list[float]:
    """Each span's loudness less the spans' median (0 for a span too short or too quiet
    to judge, and for all when fewer than two can be)."""

    usable = [np.isfinite(v) and b - a >= MIN_JUDGED_S for v, (a, b) in zip(levels, spans)]
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


def even_out(
    scratch: Scratch,
    limiter: Limiter,
    spans: list[tuple[float, float]],
    gain: float,
    block: int,
    refind: Callable[[float], float],
    say: Callable[[str], None],
) -> tuple[list[float], float]:
    """Move the spans further than ``EVEN_TOLERANCE_LU`` from their median toward it, up to
    ``EVEN_ROUNDS`` times; ``refind`` finds the master's gain again after each move (from
    the gain it had). Each step is scaled by what the span's last step bought: the limiter
    gives a peaky song back less than a dense one. Returns each span's gain and the
    master's gain."""
    span_gains = [0.0] * len(spans)
    slopes = [1.0] * len(spans)  # LU a span gains per dB given
    previous: list[tuple[float, float]] = []
    for _ in range(EVEN_ROUNDS):
        off = span_offsets(trial_loudness_by_span(scratch, limiter, gain, spans, block), spans)
        slopes = [
            float(np.clip((o - o_was) / g, 0.25, 1.0)) if g else k
            for o, (o_was, g), k in zip(off, previous or [(0.0, 0.0)] * len(off), slopes)
        ]
        step = [float(np.clip(-o / k, -12, 12)) if abs(o) > EVEN_TOLERANCE_LU else 0.0 for o, k in zip(off, slopes)]
        if not any(step):
            break
        apply_span_gains(scratch, spans, step, block)
        span_gains = [a + b for a, b in zip(span_gains, step)]
        say(f"songs evened out by {min(step):+.2f} … {max(step):+.2f} dB")
        gain = refind(gain)
        previous = list(zip(off, step))
    return span_gains, gain


def song_spans(mix: dict, seconds: float | None) -> list[tuple[float, float]]:
    """Each chapter's stretch of the mix (from where its song comes through to where the
    next does), less the mix's own fade-in and fade-out; empty ones are ``(a, a)``."""
    chapters = mix.get("chapters", [])
    if not chapters or not seconds:
        return []
    first, last = mix.get("fade_in_s", 0.0), seconds - mix.get("fade_out_s", 0.0)
    ends = [c["start_s"] for c in chapters[1:]] + [seconds]
    spans = [(max(c["start_s"], first), min(end, last)) for c, end in zip(chapters, ends)]
    return [(a, max(a, b)) for a, b in spans]


def song_loudness_rows(master_wav: Path, mix: dict, seconds: float) -> list[dict]:
    """Each chapter's stretch of the master (from where the song comes through to where the
    next does, less the mix's own fade-in and fade-out) with its integrated loudness and
    its distance from the median of the judged stretches."""

    chapters = mix.get("chapters", [])
    spans = song_spans(mix, seconds)
    if not spans:
        return []
    judged = [b - a >= MIN_JUDGED_S for a, b in spans]
    loudness = loudness_by_span(master_wav, spans)
    levels = [v for v, j in zip(loudness, judged) if j and math.isfinite(v)]
    median = statistics.median(levels) if levels else float("nan")
    rows = []
    for c, v, j in zip(chapters, loudness, judged):
        ok = j and math.isfinite(v)
        rows.append(
            {
                "song_id": c["song_id"],
                "start_s": c["start_s"],
                "lufs": round(v, 2) if ok else None,
                "off_lu": round(v - median, 2) if ok else None,
                "judged": j,  # False: under the mix's fades or too short to measure
            }
        )
    return rows
