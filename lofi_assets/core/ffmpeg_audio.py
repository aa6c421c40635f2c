"""Audio that pedalboard cannot open on Linux (AAC in ``.m4a``/``.mp4``), decoded by ffmpeg
through a pipe, with the reader interface ``AudioSource`` uses (``read``, ``seek(0)``,
``frames``), already at the rate asked for: the lossy copy of a 3-hour master is measured
without a temporary file of decoded samples."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

PIPE_DECODED = (".m4a", ".mp4", ".aac")

_STREAM = re.compile(r"Stream #\d+:\d+.*?: Audio: .*?, (\d+) Hz, ([^,]+)")
_TIME = re.compile(r"^out_time_us=(\d+)$", re.M)
_CHANNELS = {"mono": 1, "stereo": 2}


class FfmpegAudio:
    """An audio file decoded by ``ffmpeg`` (the binary's path) to stereo float32 at ``rate``."""

    def __init__(self, path: Path, rate: int, ffmpeg: str):
        self.path, self.rate, self._ffmpeg = Path(path), rate, ffmpeg
        # the packets copied to nowhere: the stream's rate and layout, and its length counted
        # from what is really there (no decoding, a second for hours)
        scan = subprocess.run(
            [self._ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-progress", "pipe:1", "-i", str(self.path)]
            + ["-map", "0:a:0", "-c", "copy", "-f", "null", "-"],
            capture_output=True,
            text=True,
            errors="replace",
        )
        stream, times = _STREAM.search(scan.stderr), _TIME.findall(scan.stdout)
        if scan.returncode != 0 or not stream:
            last = (scan.stderr.strip().splitlines() or ["no audio stream"])[-1]
            raise ValueError(f"ffmpeg cannot read it ({last})")
        self.samplerate = int(stream.group(1))
        layout = stream.group(2).strip().split("(")[0]
        self.num_channels = _CHANNELS.get(layout, int(layout.split()[0]) if layout[:1].isdigit() else 2)
        self.frames = round(int(times[-1]) / 1e6 * rate) if times else 0
        self._proc: subprocess.Popen | None = None

    def _start(self) -> None:
        self.close()
        self._proc = subprocess.Popen(
            [self._ffmpeg, "-nostdin", "-v", "error", "-i", str(self.path), "-map", "0:a:0"]
            + ["-f", "f32le", "-ac", "2", "-ar", str(self.rate), "-af", "aresample=resampler=soxr", "pipe:1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def seek(self, frame: int) -> None:
        if frame != 0:
            raise ValueError("a piped decode seeks only to the start")
        self._start()

    def read(self, frames: int) -> np.ndarray:
        if self._proc is None:
            self._start()
        data = self._proc.stdout.read(frames * 8)  # two float32 channels a frame
        return np.frombuffer(data[: len(data) // 8 * 8], np.float32).reshape(-1, 2).T

    def resampled_to(self, rate: int) -> FfmpegAudio:
        return self if rate == self.rate else FfmpegAudio(self.path, rate, self._ffmpeg)

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
