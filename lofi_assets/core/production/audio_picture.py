"""A waveform and a spectrogram of an audio file as one PNG: what an engineer checks by eye.

The top third is the waveform, left channel above the centre line and right below, each
column the sample peak of its stretch, so a mono file reads as a mirror and a panned part
as a lopsided one. The rest is a spectrogram of the mid signal on a logarithmic
frequency axis (30 Hz to 16 kHz, lines at 100 Hz, 1 kHz and 10 kHz), one 4096-point FFT
window at the centre of each column, coloured from dark (−90 dB) to bright (0 dB): a
low-passed drum bus shows as a ceiling, tape hiss as a haze, a mono mix as nothing at all
in the waveform's asymmetry. The file is read a block at a time, so an hour-long master
takes the memory of one block.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lofi_assets.core.audio_io import BLOCK_FRAMES, RATE, AudioSource
from lofi_assets.core.files import write_png

WIDTH, HEIGHT = 1200, 420
WAVE_HEIGHT = 140
FFT = 4096
LOW_HZ, HIGH_HZ = 30.0, 16000.0
FLOOR_DB = -90.0
BACKGROUND, LINE = (24, 24, 30), (82, 82, 96)
LEFT, RIGHT = (94, 153, 224), (240, 214, 90)
# dark violet → red → orange → pale yellow, as magnitude rises
PALETTE = np.array([(12, 8, 30), (90, 20, 100), (190, 50, 70), (245, 140, 40), (250, 240, 170)], dtype=float)


class AudioPictureError(ValueError):
    pass


def colour_of(level: np.ndarray) -> np.ndarray:
    """0–1 levels to RGB along the palette."""
    position = np.clip(level, 0, 1) * (len(PALETTE) - 1)
    low = np.floor(position).astype(int).clip(0, len(PALETTE) - 2)
    t = (position - low)[..., None]
    return (PALETTE[low] * (1 - t) + PALETTE[low + 1] * t).astype(np.uint8)


def scan(path: Path, width: int = WIDTH) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the L and R sample peaks ``[2, width]`` and the magnitude spectrum (dB
    re full scale) of an FFT window at its centre ``[width, FFT // 2 + 1]``."""
    with AudioSource(Path(path), RATE) as source:
        frames = source.frames
        if frames < FFT:
            raise AudioPictureError(f"{Path(path).name}: {frames} frames, too short to picture")
        edges = np.linspace(0, frames, width + 1).astype(np.int64)
        centres = ((edges[:-1] + edges[1:]) // 2).clip(FFT // 2, frames - FFT // 2)
        peaks = np.zeros((2, width))
        spectra = np.full((width, FFT // 2 + 1), FLOOR_DB)
        window = np.hanning(FFT)
        scale = 2.0 / window.sum()  # a full-scale sine reads 0 dB
        carry = np.zeros((2, 0), dtype=np.float32)
        at = 0  # the frame where ``carry`` starts
        for block in source.blocks(BLOCK_FRAMES):
            start = at + carry.shape[1]
            end = start + block.shape[1]
            columns = np.searchsorted(edges, np.arange(start, end), side="right") - 1
            columns = columns.clip(0, width - 1)
            for channel in (0, 1):
                np.maximum.at(peaks[channel], columns, np.abs(block[channel]))
            buffer = np.concatenate([carry, block], axis=1)
            for c in np.flatnonzero((centres + FFT // 2 <= end) & (centres + FFT // 2 > start)):
                a = centres[c] - FFT // 2 - at
                mid = 0.5 * (buffer[0, a : a + FFT] + buffer[1, a : a + FFT])
                magnitude = np.abs(np.fft.rfft(mid * window)) * scale
                spectra[c] = 20 * np.log10(np.maximum(magnitude, 10 ** (FLOOR_DB / 20)))
            keep = min(FFT, buffer.shape[1])
            carry, at = buffer[:, -keep:], end - keep
    return peaks, spectra


def render_audio_picture(peaks: np.ndarray, spectra: np.ndarray, height: int = HEIGHT) -> Image.Image:
    width = peaks.shape[1]
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    centre = WAVE_HEIGHT // 2
    for x in range(width):
        draw.line([(x, centre), (x, centre - peaks[0, x] * (centre - 2))], fill=LEFT)
        draw.line([(x, centre), (x, centre + peaks[1, x] * (centre - 2))], fill=RIGHT)
    draw.line([(0, centre), (width, centre)], fill=LINE)
    rows = height - WAVE_HEIGHT - 2
    bins = np.fft.rfftfreq(FFT, 1 / RATE)
    wanted = np.geomspace(HIGH_HZ, LOW_HZ, rows)  # top row highest
    index = np.searchsorted(bins, wanted).clip(1, len(bins) - 1)
    levels = (spectra[:, index].T - FLOOR_DB) / -FLOOR_DB  # [rows, width]
    image.paste(Image.fromarray(colour_of(levels), "RGB"), (0, WAVE_HEIGHT + 2))
    for hz in (100.0, 1000.0, 10000.0):
        y = WAVE_HEIGHT + 2 + int(np.interp(np.log(hz), np.log([LOW_HZ, HIGH_HZ]), [rows - 1, 0]))
        draw.line([(0, y), (14, y)], fill=(200, 200, 210))
        draw.text((18, y - 6), f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}", fill=(200, 200, 210))
    return image


def write_audio_picture(audio: Path, png: Path) -> Path:
    """The picture of ``audio`` written to ``png`` (temporary name, then rename) and
    opened back to check."""
    return write_png(render_audio_picture(*scan(audio)), png, AudioPictureError)
