"""Reading and writing audio for the sound stages.

Everything inside the pipeline is float32 ``[channels, frames]`` at 44.1 kHz stereo.
Reading goes through pedalboard's ``AudioFile`` (wav, flac, mp3, ogg, aiff) and its
streaming resampler (AAC through ffmpeg, ``ffmpeg_audio``), so a 48 or 96 kHz file comes in at 44.1 kHz and a four-hour file can
be read a block at a time. Writing WAV uses the standard library's ``wave`` so that the
sample format is exactly what is asked for (16- or 24-bit PCM; 16-bit with TPDF dither),
always to a temporary name that is renamed into place when complete.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from lofi_assets.core.files import atomic_local_path

RATE = 44100
CHANNELS = 2
BLOCK_FRAMES = 1 << 18  # about 6 s at 44.1 kHz: small enough for any length, large enough for numpy


class AudioInputError(ValueError):
    """Audio that cannot be used; the message names the file and the reason."""


def to_stereo(block: np.ndarray) -> np.ndarray:
    """Mono is duplicated, more than two channels are folded down to two."""
    if block.ndim == 1:
        block = block[None, :]
    if block.shape[0] == 1:
        return np.repeat(block, 2, axis=0)
    if block.shape[0] > 2:
        return np.stack([block[0::2].mean(axis=0), block[1::2].mean(axis=0)])
    return block


def check_finite(block: np.ndarray, name: str, offset_frames: int, rate: int) -> None:
    if not np.isfinite(block).all():
        bad = int(np.argwhere(~np.isfinite(block))[0][-1])
        raise AudioInputError(
            f"{name}: NaN or infinite samples from {(offset_frames + bad) / rate:.3f} s; the file is corrupt"
        )


def open_audio_file(path: Path, rate: int = RATE):
    """pedalboard's reader for ``path`` (ffmpeg's for AAC, which pedalboard cannot open on
    Linux), with a clear error (naming the file) for an unreadable, empty, undecodable or
    zero-length file."""
    from pedalboard.io import AudioFile

    from lofi_assets.core.ffmpeg_audio import PIPE_DECODED, FfmpegAudio

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioInputError(f"{path.name}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise AudioInputError(f"{path.name}: the file is empty (0 bytes)")
    try:
        handle = FfmpegAudio(path, rate, ffmpeg_exe()) if path.suffix.lower() in PIPE_DECODED else AudioFile(str(path))
    except Exception as exc:  # pedalboard raises ValueError/RuntimeError for undecodable data
        raise AudioInputError(f"{path.name}: not decodable audio ({str(exc).splitlines()[0]})") from None
    if handle.frames <= 0:
        handle.close()
        raise AudioInputError(f"{path.name}: no audio frames (zero length)")
    return handle


class AudioSource:
    """A decodable audio file read a block at a time at ``rate``, as stereo float32."""

    def __init__(self, path: Path, rate: int = RATE):
        self.path = Path(path)
        self.rate = rate
        self._file = open_audio_file(self.path, rate)
        self.source_rate = float(self._file.samplerate)
        self.source_channels = int(self._file.num_channels)
        self._reader = self._file if int(self.source_rate) == rate else self._file.resampled_to(rate)
        self.frames = int(self._reader.frames)
        self._position = 0

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def blocks(self, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """Stereo float32 blocks from the start; NaN or infinity is refused with its time."""
        self._reader.seek(0)
        self._position = 0
        while self._position < self.frames:
            try:
                block = self._reader.read(min(block_frames, self.frames - self._position))
            except Exception as exc:
                raise AudioInputError(
                    f"{self.path.name}: decoding failed at {self._position / self.rate:.1f} s ({exc})"
                ) from None
            if block.shape[-1] == 0:
                break
            check_finite(block, self.path.name, self._position, self.rate)
            yield to_stereo(block.astype(np.float32, copy=False))
            self._position += block.shape[-1]

    def read_all(self, max_seconds: float | None = None) -> np.ndarray:
        if max_seconds is not None and self.seconds > max_seconds:
            raise AudioInputError(
                f"{self.path.name}: {self.seconds / 60:.1f} min long; at most "
                f"{max_seconds / 60:.0f} min can be read whole"
            )
        out = np.empty((CHANNELS, self.frames), dtype=np.float32)
        at = 0
        for block in self.blocks():
            n = min(block.shape[1], self.frames - at)
            out[:, at : at + n] = block[:, :n]
            at += n
        return out[:, :at]

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_audio(path: Path, rate: int = RATE, max_seconds: float | None = 30 * 60) -> np.ndarray:
    """A whole (song-length) file as stereo float32 ``[2, frames]`` at ``rate``."""
    with AudioSource(path, rate) as source:
        return source.read_all(max_seconds)


def tpdf_dither(block: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Quantise to ``bits`` with triangular dither of ±1 LSB (the sum of two uniform ±½ LSB)."""
    scale = float(2 ** (bits - 1))
    noise = rng.random(block.shape, dtype=np.float32) - rng.random(block.shape, dtype=np.float32)
    return np.clip(np.round(block * scale + noise), -scale, scale - 1)


class WavWriter:
    """A PCM WAV file written a block at a time (16 or 24 bit; 16 with TPDF dither).

    Float input in [-1, 1); anything beyond full scale is clipped and counted.
    """

    def __init__(self, handle: wave.Wave_write, bits: int, rate: int, dither: bool, seed: int):
        if bits not in (16, 24):
            raise ValueError(f"WAV bit depth must be 16 or 24, not {bits}")
        self._wav = handle
        self.bits = bits
        self.dither = dither
        self._rng = np.random.default_rng(seed)
        self.frames = 0
        self.clipped = 0
        handle.setnchannels(CHANNELS)
        handle.setsampwidth(bits // 8)
        handle.setframerate(rate)

    def write(self, block: np.ndarray) -> None:
        block = to_stereo(np.asarray(block, dtype=np.float32))
        scale = float(2 ** (self.bits - 1))
        if self.dither:
            ints = tpdf_dither(block, self.bits, self._rng)
        else:
            ints = np.round(block.astype(np.float64) * scale)
        self.clipped += int(np.count_nonzero((ints > scale - 1) | (ints < -scale)))
        ints = np.clip(ints, -scale, scale - 1).astype("<i4").T.copy()  # interleaved frames
        if self.bits == 16:
            data = ints.astype("<i2").tobytes()
        else:
            data = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()  # little-endian low three bytes
        self._wav.writeframesraw(data)
        self.frames += block.shape[1]


@contextmanager
def wav_writer(
    path: Path, bits: int = 24, rate: int = RATE, dither: bool = False, seed: int = 0
) -> Iterator[WavWriter]:
    """Write ``path`` through a temporary name; only a finished file carries the name."""
    with atomic_local_path(Path(path), suffix=".wav") as tmp:
        with wave.open(str(tmp), "wb") as handle:
            writer = WavWriter(handle, bits, rate, dither, seed)
            yield writer


def write_wav(
    path: Path, samples: np.ndarray, bits: int = 24, rate: int = RATE, dither: bool | None = None, seed: int = 0
) -> Path:
    """A whole signal as a PCM WAV (dither defaults on for 16 bit)."""
    with wav_writer(path, bits, rate, dither=bits == 16 if dither is None else dither, seed=seed) as writer:
        for start in range(0, samples.shape[-1], BLOCK_FRAMES):
            writer.write(samples[..., start : start + BLOCK_FRAMES])
    return Path(path)


def write_flac(path: Path, samples: np.ndarray, rate: int = RATE, bits: int = 24) -> Path:
    """A lossless FLAC (for library songs), through a temporary name."""
    from pedalboard.io import AudioFile

    with atomic_local_path(Path(path), suffix=".flac") as tmp:
        with AudioFile(str(tmp), "w", rate, samples.shape[0], bit_depth=bits) as fh:
            fh.write(np.clip(samples, -1.0, 1.0))
    return Path(path)


def ffmpeg_exe() -> str:
    """The ffmpeg binary that imageio-ffmpeg ships (encoders for MP3, AAC and H.264)."""
    import imageio_ffmpeg  # its import looks for the binary: only when an encoder is needed

    return imageio_ffmpeg.get_ffmpeg_exe()


# What YouTube recommends for a stereo upload's audio: AAC-LC at 384 kb/s, 48 kHz.
AAC_BITRATE = "384k"
AAC_RATE = 48000


def aac_encoder(bitrate: str = AAC_BITRATE) -> list[str]:
    """ffmpeg's AAC-LC encoder at ``bitrate`` and ``AAC_RATE`` (resampled by soxr, the better
    of ffmpeg's two resamplers), set so that it does not click: its fast coder, without
    perceptual noise substitution or intensity stereo. By default (the two-loop coder, PNS
    on) it put 1,241 samples of 120 s of a limited master more than 0.2 off the source, one
    of them 1.25 off (+1.6 dBFS from a −3.4 dBTP source); set so, 13 and 0.24, the error
    −42.2 dB against −40.7, at three times the pace (160× realtime on a core).
    docs/decisions/2026-12-07-aac-without-clicks.md"""
    return [
        *("-c:a", "aac", "-aac_coder", "fast", "-aac_pns", "0", "-aac_is", "0", "-b:a", bitrate),
        *("-af", f"aresample={AAC_RATE}:resampler=soxr"),
    ]
