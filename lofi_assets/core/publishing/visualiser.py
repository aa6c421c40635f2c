"""The optional spectrum visualiser: a quiet band of bars at the bottom of the scene, in
the scene's light, rising with the music.

The bars are measured here (numpy: a Hann-windowed FFT a frame, 32 bands spaced by octave
fractions from 40 Hz to 11 kHz, a fast rise and a slow fall, as a meter's) and drawn by
ffmpeg: each frame's bar heights go in as a tiny grey mask (4 columns a bar, one of them
the gap), scaled up without smoothing into the band's alpha over a flat colour, and laid
over the video. Every frame of the band changes, so the whole video is encoded again: this
is the one option whose cost grows with the hour (``docs/benchmarks.md``), and it is off
by default.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.gop_stream import x264_args
from lofi_assets.core.publishing.scene_loop import CRF
from lofi_assets.core.publishing.video import VideoError, check_audio, feed_ffmpeg, probe, problems_with, tail

BARS = 32
ROWS = 12  # height steps of a bar
COLUMNS_PER_BAR = 4  # three lit, one gap
BAND_HEIGHT = 72  # px at the bottom of the frame; the now-playing card sits above it
BAND_ALPHA = 150  # of 255: the scene shows through
RATE = 22050  # the audio the bars are measured from (nothing above 11 kHz is drawn)
WINDOW = 2048
LOW_HZ, HIGH_HZ = 40.0, 11000.0
FLOOR_DB, RANGE_DB = -72.0, 54.0  # a band's power from the floor to full height
TILT_DB_PER_OCTAVE = 3.0  # music falls about this much an octave: lifted so the treble shows
FALL = 0.82  # a bar falls to this share of its height a frame unless the music holds it up
CHUNK_FRAMES = 240
# x264's preset for the pass that encodes every frame again: superfast keeps it above 8×
# realtime on two cores (8.4×, veryfast 6.4×) for a file about 1.5× as large
PRESET = "superfast"


def band_height(frame_height: int) -> int:
    """The band's height in a frame ``frame_height`` tall (BAND_HEIGHT at 720 lines)."""
    return round(BAND_HEIGHT * frame_height / 720)


def band_edges(bars: int = BARS) -> np.ndarray:
    return np.geomspace(LOW_HZ, HIGH_HZ, bars + 1)


def bar_levels(audio: Path, fps: int, seconds: float, bars: int = BARS) -> Iterator[np.ndarray]:
    """Each video frame's bar heights in [0, 1], from ``audio`` decoded to mono as it streams."""
    proc = subprocess.Popen(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(audio), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE),
         "-f", "f32le", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    hop = RATE / fps
    frames = int(np.floor(seconds * fps + 1e-6))
    freqs = np.fft.rfftfreq(WINDOW, 1 / RATE)
    edges = band_edges(bars)
    which = np.searchsorted(edges, freqs) - 1  # each FFT bin's band (-1 or ``bars``: outside)
    bands = np.zeros((len(freqs), bars), np.float32)  # bins to bands: power @ bands sums each band
    for b in range(bars):
        inside = which == b
        if inside.any():
            bands[inside, b] = 1.0
        else:  # a band narrower than a bin (the lowest few) reads the bin nearest its centre
            bands[int(np.argmin(np.abs(freqs - np.sqrt(edges[b] * edges[b + 1])))), b] = 1.0
    centres = np.sqrt(edges[:-1] * edges[1:])
    tilt = TILT_DB_PER_OCTAVE * np.log2(centres / 1000.0)
    window = np.hanning(WINDOW).astype(np.float32)
    scale = 4.0 / (window.sum() ** 2)  # a full-scale sine reads about 0 dB in its band
    buffer = np.zeros(WINDOW // 2, np.float32)  # the first frame's window starts half a window early
    consumed = -WINDOW // 2  # sample index of buffer[0]
    level = np.zeros(bars)
    done = 0
    try:
        while done < frames:
            n = min(CHUNK_FRAMES, frames - done)
            need = int(np.ceil((done + n - 1) * hop)) + WINDOW // 2 - consumed - len(buffer) + 1
            raw = proc.stdout.read(max(need, 0) * 4) if need > 0 else b""  # type: ignore[union-attr]
            more = np.frombuffer(raw[: len(raw) // 4 * 4], np.float32)
            buffer = np.concatenate([buffer, more])
            starts = (np.round((np.arange(done, done + n)) * hop).astype(int) - WINDOW // 2) - consumed
            padded = np.concatenate([buffer, np.zeros(WINDOW, np.float32)])  # past the end: silence
            segments = padded[starts[:, None] + np.arange(WINDOW)[None, :]] * window
            power = (np.abs(np.fft.rfft(segments, axis=1)) ** 2 * scale).astype(np.float32)
            db = 10 * np.log10(power @ bands + 1e-12) + tilt
            target = np.clip((db - FLOOR_DB) / RANGE_DB, 0.0, 1.0)
            for row in target:
                level = np.maximum(row, level * FALL)
                yield level
            done += n
            drop = max(0, int(starts[-1]) - 1)  # keep what the next chunk's windows still need
            buffer, consumed = buffer[drop:], consumed + drop
    finally:
        proc.kill()
        proc.wait()


def mask_frame(level: np.ndarray, rows: int = ROWS) -> bytes:
    """Bar heights as a ``rows`` × ``bars * COLUMNS_PER_BAR`` grey mask (lit cells at BAND_ALPHA)."""
    lit = np.round(level * rows).astype(int)
    grid = (np.arange(rows)[::-1, None] < lit[None, :]).astype(np.uint8) * BAND_ALPHA
    cells = np.repeat(grid, COLUMNS_PER_BAR, axis=1)
    cells[:, COLUMNS_PER_BAR - 1 :: COLUMNS_PER_BAR] = 0  # the gap between bars
    return cells.tobytes()


def add_visualiser(
    video: Path, out: Path, colour: tuple[int, int, int], *, fps: int | None = None, preset: str = PRESET
) -> float:
    """``video`` with the bars of its own sound drawn in a band at the bottom, encoded again
    as ``out`` (its audio copied); verified before it is named. Returns the encode's seconds."""
    import time

    started = time.perf_counter()
    video, out = Path(video), Path(out)
    found = probe(video)
    if found.video is None:
        raise VideoError(f"{video.name}: no video stream to draw the visualiser over")
    _, seconds = check_audio(video)
    fps = fps or round(found.video.fps or 24)
    width, height = found.video.width, found.video.height
    band = band_height(height)
    mask_w = BARS * COLUMNS_PER_BAR
    hex_colour = "0x{:02x}{:02x}{:02x}".format(*colour)
    graph = (
        f"[1:v]scale={width}:{band}:flags=neighbor,format=gray[alpha];"
        f"color=c={hex_colour}:s={width}x{band}:r={fps}[flat];"
        f"[flat][alpha]alphamerge[bars];"
        f"[0:v][bars]overlay=x=0:y={height - band}:format=yuv420:shortest=1,format=yuv420p[v]"
    )
    with atomic_local_path(out, suffix=".mp4") as tmp:
        args = [
            ffmpeg_exe(), "-nostdin", "-y", "-v", "error", "-i", str(video),
            "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{mask_w}x{ROWS}", "-r", str(fps), "-i", "-",
            "-filter_complex", graph, "-map", "[v]", "-map", "0:a:0",
            *x264_args(fps, CRF, preset), "-c:a", "copy",
            "-t", f"{seconds:.6f}", "-movflags", "+faststart", "-f", "mp4", str(tmp),
        ]  # fmt: skip
        code, said = feed_ffmpeg(args, (mask_frame(level) for level in bar_levels(video, fps, seconds)))
        if code != 0:
            raise VideoError(f"{out.name}: the visualiser could not be drawn: {tail(said)}")
        problems = problems_with(probe(tmp), seconds, (width, height))
        if problems:
            raise VideoError(f"{out.name} (with the visualiser): {'; '.join(problems)}")
    return round(time.perf_counter() - started, 2)
