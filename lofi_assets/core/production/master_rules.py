"""What a master must meet: the presets (target loudness, ceiling, the processing on the way)
and the blocking figures, one table that the master's misses, the asset's checks and their
descriptions all read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lofi_assets.core.production.loudness import Measurement


class MasterError(ValueError):
    """A master that cannot be made; the message names the input and the reason."""


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


class MasterPresetName(StrEnum):
    """The mastering presets by name (typed config: a wrong name is refused with these)."""

    streaming = "streaming"
    cd = "cd"
    vinyl = "vinyl"
    club = "club"


class LossyFormat(StrEnum):
    """The master's lossy copy: AAC goes into the video as it is (its true peak checked here)."""

    aac = "aac"  # AAC-LC 384 kbps at 48 kHz in .m4a, YouTube's recommendation
    mp3 = "mp3"  # LAME VBR V2, about 190 kbps


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


TOLERANCE_LU = 0.05  # the gain search stops when the rendered master is this close to the target
MAX_GAIN_DB = 40.0  # a quieter input is a broken input, not one to be turned up without end

# The blocking figures, one table that MasterMiss, the asset's checks and their descriptions
# all read. Loudness is judged twice, with two tolerances, decided once here: our own meter
# must read within 0.1 LU (the gain search lands within 0.05, and a render differs from the
# last trial by a few hundredths), an independent meter within 0.5 LU (pyloudnorm's
# K-weighting, built from rounded filter parameters, reads about 0.04 LU low, and ffmpeg's
# ebur128 prints one decimal; 0.5 LU is what streaming services themselves allow).
LOUDNESS_TOLERANCE_LU = 0.1
INDEPENDENT_TOLERANCE_LU = 0.5
MIN_DYNAMIC_RANGE_DB = 6.0  # DR above this: a master that still breathes
CORRELATION_RANGE = (0.7, 0.9)  # the brief's: stereo, and no hole in the middle
# The master steers a programme outside this (the window less a margin, so what the
# limiter and the codec move afterwards stays inside) to its nearer edge, by mid/side.
CORRELATION_AIM = (CORRELATION_RANGE[0] + 0.03, CORRELATION_RANGE[1] - 0.03)
# The limited master's foreseen correlation must lie inside this (half the margin), or the
# side is steered once more; a smaller miss is not worth measuring the envelope again.
CORRELATION_GUARD = (CORRELATION_RANGE[0] + 0.015, CORRELATION_RANGE[1] - 0.015)
MAX_SIDE_GAIN_DB = 6.0  # the most the master widens or narrows a programme
DURATION_TOLERANCE = 0.02  # of the plan's target duration
EVEN_LOUDNESS_LU = 2.0  # every song's stretch of the master this close to the songs' median
MIN_JUDGED_S = 3.0  # a song's stretch shorter than this (fades left out) is neither judged nor evened

# Check names (the asset's blocking checks on track_master)
LOUDNESS_ON_TARGET = "loudness_on_target"
TRUE_PEAK_UNDER_CEILING = "true_peak_under_ceiling"
DYNAMIC_RANGE = "dynamic_range"
STEREO_CORRELATION = "stereo_correlation"
NO_CLIPPING = "no_clipping"
DURATION_MATCHES_PLAN = "duration_matches_plan"
EVEN_LOUDNESS = "even_loudness"

BLOCKING_CHECKS: dict[str, str] = {
    LOUDNESS_ON_TARGET: (
        f"integrated loudness within {LOUDNESS_TOLERANCE_LU:g} LU of the preset's target by our meter, "
        f"{INDEPENDENT_TOLERANCE_LU:g} LU by the independent one"
    ),
    TRUE_PEAK_UNDER_CEILING: "true peak at or below the preset's ceiling (−1.0 dBTP for streaming)",
    DYNAMIC_RANGE: f"DR above {MIN_DYNAMIC_RANGE_DB:g} dB",
    STEREO_CORRELATION: (
        f"correlation between {CORRELATION_RANGE[0]:g} and {CORRELATION_RANGE[1]:g} "
        "(the brief's: stereo, and no hole in the middle)"
    ),
    NO_CLIPPING: "no sample at full scale in the master or its 16-bit export",
    DURATION_MATCHES_PLAN: f"within {DURATION_TOLERANCE:.0%} of the target duration",
    EVEN_LOUDNESS: f"every song's stretch of the master within {EVEN_LOUDNESS_LU:g} LU of the songs' median loudness",
}


def loudness_on_target(ours_lufs: float, independent_lufs: float | None, target_lufs: float) -> bool:
    return abs(ours_lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU and (
        independent_lufs is None or abs(independent_lufs - target_lufs) <= INDEPENDENT_TOLERANCE_LU
    )


def duration_matches(seconds: float, target_s: float | None) -> bool:
    return target_s is None or abs(seconds - target_s) <= DURATION_TOLERANCE * target_s


def correlation_in_range(correlation: float) -> bool:
    lo, hi = CORRELATION_RANGE
    return lo <= correlation <= hi


def blocking_misses(measured: Measurement, verification: dict, lossy: dict, target: float, ceiling: float) -> list[str]:
    """The figures a master must meet to carry its name (those the master itself controls:
    loudness, true peaks, clipping), each failing one in words: ``measured`` by our meters
    at the render, ``verification`` the written file re-read and the independent meter,
    ``lossy`` the lossy copy's figures."""
    m = measured
    misses = []
    if abs(m.integrated_lufs - target) > LOUDNESS_TOLERANCE_LU:
        misses.append(f"loudness {m.integrated_lufs:.2f} LUFS, target {target:g} ± {LOUDNESS_TOLERANCE_LU:g}")
    independent = verification.get("integrated_lufs")
    if independent is not None and abs(independent - target) > INDEPENDENT_TOLERANCE_LU:
        misses.append(
            f"{verification.get('meter')} reads {independent:.2f} LUFS, "
            f"target {target:g} ± {INDEPENDENT_TOLERANCE_LU:g}"
        )
    peaks = [("true peak", m.true_peak_dbtp), ("re-read true peak", verification.get("reread_true_peak_dbtp"))]
    peaks.append(("the lossy copy's true peak", lossy.get("true_peak_dbtp")))
    for label, peak in peaks:
        if peak is not None and peak > ceiling:
            misses.append(f"{label} {peak:.2f} dBTP over the {ceiling:g} dBTP ceiling")
    if m.clipped_samples:
        misses.append(f"{m.clipped_samples} clipped samples")
    return misses


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
