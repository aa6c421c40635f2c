"""The written master measured again: re-read by our own meters, and by an independent one
(pyloudnorm where the master fits in memory, else ffmpeg's ebur128 in its own process)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lofi_assets.core.audio_io import (
    BLOCK_FRAMES,
    RATE,
    AudioSource,
    ffmpeg_exe,
)
from lofi_assets.core.production.loudness import (
    LoudnessMeter,
    Measurement,
    ProgrammeMeter,
)
from lofi_assets.core.production.master_rules import MasterError

# pyloudnorm holds the programme in memory as float64 (an hour is 2.8 GB); longer masters are
# checked by ffmpeg's ebur128, which streams, in its own process beside our re-read
PYLOUDNORM_MAX_S = 20 * 60


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


def verify_master(path: Path | None, measured: Measurement) -> dict:
    """An independent meter over the written master: pyloudnorm (BS.1770) when the master
    fits in memory, else ffmpeg's ebur128; and the file re-read by our own meters."""
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


if __name__ == "__main__":  # the lossy copy's meter: python -m lofi_assets.core.production.verification --measure FILE
    import json
    import sys

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
