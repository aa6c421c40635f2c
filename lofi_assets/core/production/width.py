"""The master steers its stereo width into the window its check judges.

Songs come from different places (renders of different fonts, library songs as they were
made), so a mix can land a hair outside the correlation window that ``stereo_correlation``
judges. The master measures the programme's left/right correlation as it is prepared and,
when it lies outside the aim (the window less a margin), scales the side signal (mid/side)
by the gain that brings it to the nearer edge of the aim, within ``MAX_SIDE_GAIN_DB``.

Correlation here is the meters' own: Σ L·R / √(Σ L² · Σ R²). With mid M = (L+R)/2 and side
S = (L−R)/2, a side gain w gives Σ L·R = ΣM² − w²ΣS² and Σ L², Σ R² = ΣM² ± 2wΣMS + w²ΣS²,
so the correlation at any w follows from three sums gathered in the first pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lofi_assets.core.production.master_rules import CORRELATION_AIM, MAX_SIDE_GAIN_DB

STEREO_CHUNK = 4096  # frames one stereo sum covers (93 ms): the limiter's gain barely moves within it


@dataclass
class StereoSums:
    """Σ M², Σ S², Σ M·S over a programme (or a weighted one)."""

    mm: float = 0.0
    ss: float = 0.0
    ms: float = 0.0

    def correlation(self, side_gain: float = 1.0) -> float:
        """The programme's correlation with its side scaled by ``side_gain`` (1 for silence)."""
        w = side_gain
        lr = self.mm - w * w * self.ss
        ll = self.mm + 2 * w * self.ms + w * w * self.ss
        rr = self.mm - 2 * w * self.ms + w * w * self.ss
        denom = math.sqrt(max(ll, 0.0) * max(rr, 0.0))
        return lr / denom if denom > 0 else 1.0


class StereoChunks:
    """M², S² and M·S summed over each ``STEREO_CHUNK`` frames of a programme, gathered a
    block at a time; weighted by the limiter's gain over each chunk, they give the
    correlation of the limited master before it is rendered."""

    def __init__(self) -> None:
        self.mm = np.zeros(0)
        self.ss = np.zeros(0)
        self.ms = np.zeros(0)

    def add(self, start: int, block: np.ndarray) -> None:
        """A ``[2, frames]`` block that starts at frame ``start`` of the programme."""
        left, right = block[0].astype(np.float64), block[-1].astype(np.float64)
        mid, side = 0.5 * (left + right), 0.5 * (left - right)
        first = start // STEREO_CHUNK
        index = (start + np.arange(mid.size)) // STEREO_CHUNK - first
        size = first + int(index[-1]) + 1 if mid.size else first
        if size > self.mm.size:
            grow = size - self.mm.size
            self.mm, self.ss, self.ms = (np.concatenate([a, np.zeros(grow)]) for a in (self.mm, self.ss, self.ms))
        for total, values in ((self.mm, mid * mid), (self.ss, side * side), (self.ms, mid * side)):
            part = np.bincount(index, weights=values)
            total[first : first + part.size] += part

    def sums(self, weights: np.ndarray | None = None) -> StereoSums:
        """The programme's sums, each chunk weighted (its mean squared gain) when given."""
        if weights is None:
            return StereoSums(float(self.mm.sum()), float(self.ss.sum()), float(self.ms.sum()))
        # einsum, not ``@``: a BLAS dot's threads busy-wait on every core (see loudness.py)
        return StereoSums(*(float(np.einsum("i,i->", weights, a)) for a in (self.mm, self.ss, self.ms)))

    def scale_side(self, side_gain: float) -> None:
        self.ss *= side_gain * side_gain
        self.ms *= side_gain


@dataclass(frozen=True)
class WidthStep:
    """What the master did to the width: the correlation found, the side gain applied (0 dB
    when none was needed) and the correlation it aims the programme at."""

    correlation_before: float
    side_gain_db: float
    correlation_after: float

    def to_dict(self) -> dict:
        return {
            "correlation_before": round(self.correlation_before, 4),
            "side_gain_db": round(self.side_gain_db, 2),
            "correlation_after": round(self.correlation_after, 4),
        }


def side_gain_for(sums: StereoSums, aim: tuple[float, float] = CORRELATION_AIM) -> WidthStep:
    """The side gain that brings the programme's correlation to the nearer edge of ``aim``
    (none when it is inside, or when there is no side or no mid to move), found by bisection
    on the exact correlation (it falls as the side grows) within ±``MAX_SIDE_GAIN_DB``."""
    now = sums.correlation()
    lo, hi = aim
    if lo <= now <= hi or sums.ss <= 0 or sums.mm <= 0:
        return WidthStep(now, 0.0, now)
    target = lo if now < lo else hi
    limit = 10 ** (MAX_SIDE_GAIN_DB / 20)
    a, b = 1 / limit, limit  # correlation(a) is the highest, correlation(b) the lowest
    for _ in range(60):
        w = math.sqrt(a * b)
        if sums.correlation(w) > target:
            a = w
        else:
            b = w
    w = math.sqrt(a * b)
    return WidthStep(now, 20 * math.log10(w), sums.correlation(w))


def apply_side_gain(block: np.ndarray, side_gain: float) -> np.ndarray:
    """``[2, frames]`` with its side scaled by ``side_gain``."""
    mid, side = 0.5 * (block[0] + block[1]), 0.5 * (block[0] - block[1]) * side_gain
    return np.stack([mid + side, mid - side]).astype(np.float32)
