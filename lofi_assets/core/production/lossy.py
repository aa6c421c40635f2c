"""The master's lossy copy (MP3 or AAC): encoded by ffmpeg beside the render, measured in a
process of its own, and kept under the ceiling by foreseeing the codec's overshoot from an
excerpt before the render."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import (
    RATE,
    AudioSource,
    aac_encoder,
    ffmpeg_exe,
    write_wav,
)
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.production.limiter import Limiter, limiter_reduction_db
from lofi_assets.core.production.loudness import (
    measure,
)
from lofi_assets.core.production.master_rules import MasterError
from lofi_assets.core.production.master_scratch import Scratch

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])  # for the measuring subprocess


LOSSY_RETRIES = 3  # renders with a lower ceiling when the lossy encoder overshoots it


LOSSY_MARGIN_DB = 0.3  # below the foreseen overshoot: the loudest windows of an hour stray further than a normal tail


CODEC_HEADROOM_DB = {".mp3": 1.0, ".m4a": 0.5, ".aac": 0.5, ".mp4": 0.5}  # the first guess at the codec's overshoot


# Stretches of the programme the lossy excerpt holds: 24 up to an hour, one each 3 minutes
# beyond (on a 3-hour MP3, 24 windows foresaw the codec's peak 0.57 dB short, 60 0.27 dB)
EXCERPT_WINDOWS = 24
EXCERPT_EVERY_S = 180.0


def excerpt_windows(frames: int) -> int:
    return max(EXCERPT_WINDOWS, round(frames / RATE / EXCERPT_EVERY_S))


EXCERPT_S = 2.0  # each stretch's length


PREROLL_S = 1.0  # limited before each stretch, so the limiter's state is as in the render


# A codec's overshoot has a heavier tail than a normal one: over every 2 s window of a
# 10-minute MP3 the loudest stood 4.3 standard deviations over the mean (a normal
# expectation for 300 windows: 3.4), and the foresight fell 0.4 dB short on an hour
CODEC_TAIL = 1.5


def lossy_codec(out: Path) -> list[str]:
    suffix = out.suffix.lower()
    if suffix == ".mp3":
        return ["-c:a", "libmp3lame", "-q:a", "2"]  # LAME VBR V2, about 190 kbps
    if suffix in (".m4a", ".aac", ".mp4"):
        return aac_encoder()
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
            [sys.executable, "-m", "lofi_assets.core.production.verification", "--measure", str(self._tmp)],
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
    """AAC (384 kbps, 48 kHz) or MP3 (LAME VBR V2, about 190 kbps) from the WAV master."""
    LossyEncoder(wav, out, measure=False).wait()
    return out


def excerpt_overshoot(scratch: Scratch, limiter: Limiter, gain_db: float, suffix: str, work: Path) -> float:
    """The lossy codec's true peak (dBTP) expected over the whole master, from an excerpt.

    The excerpt is ``excerpt_windows`` stretches of ``EXCERPT_S``: half those whose peaks
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
    half = excerpt_windows(n) // 2
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
