"""Synthesised lo-fi songs for the demo library and the tests.

Until the pipeline composes and renders its own songs, the demo library is made here: a
jazz progression on a soft electric-piano tone, a root bass, swung hats, kick and snare,
and a vinyl-hiss bed, at a given tempo and key, deterministic for a seed. Each song is
real audio with a known tempo and key, which is also what the analysis tests need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import RATE
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.music_keys import MusicKey, parse_key

# Progressions as (semitones above the tonic, chord intervals), one chord a bar:
# I–IV–V7–I and i7–iv7–V7–i7, so the key is plain to hear (and to measure).
_MAJOR_PROGRESSION = [(0, (0, 4, 7, 12)), (5, (0, 4, 7, 12)), (7, (0, 4, 7, 10)), (0, (0, 4, 7, 12))]
_MINOR_PROGRESSION = [(0, (0, 3, 7, 10)), (5, (0, 3, 7, 10)), (7, (0, 4, 7, 10)), (0, (0, 3, 7, 10))]


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _epiano(freq: float, length: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length) / RATE
    env = np.exp(-t * 1.8) * (1 - np.exp(-t * 200))
    tone = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(2 * np.pi * 2 * freq * t) * np.exp(-t * 6)
    return (tone * env * (1 + 0.05 * np.sin(2 * np.pi * 4.5 * t + rng.uniform(0, 6)))).astype(np.float32)


def _kick(length: int) -> np.ndarray:
    t = np.arange(length) / RATE
    freq = 45 + 70 * np.exp(-t * 30)
    return (np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t * 9)).astype(np.float32)


def _noise_hit(length: int, decay: float, rng: np.random.Generator, bright: bool) -> np.ndarray:
    t = np.arange(length) / RATE
    noise = rng.standard_normal(length)
    if bright:
        noise = np.diff(noise, prepend=0.0)  # a crude high-pass for hats
    return (noise * np.exp(-t * decay)).astype(np.float32)


@dataclass(frozen=True)
class DemoSong:
    file: str
    bpm: float
    key: str
    seconds: float
    seed: int


def synthesize(bpm: float, key: MusicKey | str, seconds: float, seed: int = 0) -> np.ndarray:
    """A stereo lo-fi loop, ``[2, frames]`` float32 at 44.1 kHz, peaking near -3 dBFS."""
    key = parse_key(key) if isinstance(key, str) else key
    rng = np.random.default_rng(seed)
    total = int(seconds * RATE)
    out = np.zeros((2, total + RATE), dtype=np.float32)
    beat = 60.0 / bpm
    bar = 4 * beat
    progression = _MINOR_PROGRESSION if key.minor else _MAJOR_PROGRESSION
    base = 48 + key.tonic  # chords around C3..B3

    def add(signal: np.ndarray, start_s: float, gain: float, pan: float = 0.0, spread_s: float = 0.0) -> None:
        # ``spread_s``: the right channel a little later (a stereo pair's spread), so the
        # song is stereo as a finished lo-fi track is (correlation near 0.8), not mono
        for channel, side, lag in ((0, 1 - pan, 0.0), (1, 1 + pan, spread_s)):
            start = int((start_s + lag) * RATE)
            end = min(start + len(signal), out.shape[1])
            if start < end:
                out[channel, start:end] += signal[: end - start] * gain * side

    n_bars = int(np.ceil(seconds / bar))
    for b in range(n_bars):
        root, intervals = progression[b % len(progression)]
        t0 = b * bar
        for i, iv in enumerate(intervals):
            note = base + root + iv + (12 if iv < 5 and i > 0 else 0)
            add(
                _epiano(_midi_hz(note), int(bar * RATE), rng),
                t0 + rng.uniform(0, 0.015),
                0.12,
                pan=0.4 * (i - 1.5),
                spread_s=0.012,
            )
        bass = _epiano(_midi_hz(base - 12 + root), int(2 * beat * RATE), rng)
        add(bass, t0, 0.25)
        add(bass, t0 + 2 * beat, 0.2)
        for q in range(4):
            tq = t0 + q * beat
            if q in (0, 2):
                add(_kick(int(0.4 * RATE)), tq, 0.55)
            else:
                add(_noise_hit(int(0.25 * RATE), 18, rng, bright=False), tq + 0.01, 0.12)
            for eighth, swing in ((0, 0.0), (1, 0.58)):
                add(
                    _noise_hit(int(0.05 * RATE), 80, rng, bright=True),
                    tq + swing * beat * eighth,
                    0.05 * rng.uniform(0.7, 1.0),
                    pan=0.6,
                )
    out = out[:, :total]
    out += (0.004 * rng.standard_normal(out.shape)).astype(np.float32)  # hiss bed
    fade = min(total // 4, int(0.5 * RATE))
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    out[:, :fade] *= ramp
    out[:, total - fade :] *= ramp[::-1]
    return (out * (0.7 / max(1e-9, float(np.abs(out).max())))).astype(np.float32)


def sparse_drums(bpm: float, seconds: float, seed: int = 0) -> np.ndarray:
    """Lo-fi drums alone over a quiet pad: a kick on 1 and 3, a snare on 2 and 4, nothing
    else, the pad 40 dB under the hits (a crest factor near 30 dB). The hardest material
    for a limiter: each hit needs deep reduction and the bed between must come back.
    ``[2, frames]`` float32, peaking near -1 dBFS."""
    rng = np.random.default_rng(seed)
    total = int(seconds * RATE)
    t = np.arange(total) / RATE
    pad = 0.009 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 0.25 * t))
    out = np.stack([pad, 0.95 * pad]).astype(np.float32)
    beat = 60.0 / bpm
    for i, start in enumerate(np.arange(0.0, seconds - 0.3, beat)):
        hit = _kick(int(0.3 * RATE)) if i % 2 == 0 else _noise_hit(int(0.2 * RATE), 45, rng, bright=False)
        at = int(start * RATE)
        end = min(at + len(hit), total)
        out[:, at:end] += 0.85 * hit[: end - at]
    return out


def write_audio(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Write mp3 (VBR ~190 kbps), wav, flac or ogg by suffix, via a temporary name."""
    from pedalboard.io import AudioFile

    path = Path(path)
    extra = {"quality": "V2"} if path.suffix.lower() == ".mp3" else {}
    with atomic_local_path(path, suffix=path.suffix) as tmp:
        with AudioFile(str(tmp), "w", rate, samples.shape[0], **extra) as fh:
            fh.write(samples)
    return path


# The demo library: songs made for prompts of the sample tracks (track 12 "Rainy Window
# Study Session" and track 13 "Sunday Morning Coffee"), named [Prefix_]Arc_Prompt_Track[Order].
DEMO_LIBRARY = [
    DemoSong("1_1_12a.mp3", 70, "D minor", 30, 1),
    DemoSong("1_2_12a.wav", 72, "A minor", 30, 2),
    DemoSong("A_2_4_12a.flac", 76, "F major", 30, 3),
    DemoSong("2_5_12b.ogg", 75, "C major", 30, 4),
    DemoSong("3_7_12a.mp3", 78, "E minor", 30, 5),
    DemoSong("4_10_12a.mp3", 64, "A minor", 30, 6),
    DemoSong("1_1_13a.mp3", 84, "F major", 30, 7),
    DemoSong("2_4_13a.wav", 88, "Bb major", 30, 8),
    DemoSong("3_6_13a.mp3", 80, "G major", 30, 9),
    DemoSong("late_night_rain_loop.mp3", 68, "C minor", 30, 10),
]


def make_demo_library(folder: Path, songs: list[DemoSong] | None = None, seconds: float | None = None) -> list[Path]:
    """Write the demo songs that are not there yet; returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for song in songs or DEMO_LIBRARY:
        path = folder / song.file
        if path.exists():
            continue
        write_audio(path, synthesize(song.bpm, song.key, seconds or song.seconds, song.seed))
        written.append(path)
    return written
