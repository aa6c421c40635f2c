"""The waveform-and-spectrogram picture: what it draws is what the file holds."""

import numpy as np
import pytest
from PIL import Image

from lofi_assets.core.audio_io import write_wav
from lofi_assets.core.production.audio_picture import (
    FFT,
    RATE,
    AudioPictureError,
    scan,
    write_audio_picture,
)


def test_the_picture_shows_the_channels_and_the_pitch(tmp_path):
    t = np.arange(3 * RATE) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t)
    left_only = np.stack([tone, 0.1 * tone]).astype(np.float32)
    left_only[:, 2 * RATE :] = 0  # the last second silent
    path = write_wav(tmp_path / "tone.wav", left_only)
    peaks, spectra = scan(path, width=300)
    assert peaks[0, :150].min() == pytest.approx(0.5, abs=0.01) and peaks[1, :150].max() < 0.06
    assert peaks[:, 220:].max() == 0  # the silent second
    bins = np.fft.rfftfreq(FFT, 1 / RATE)
    assert bins[spectra[:100].argmax(axis=1)] == pytest.approx(1000, abs=RATE / FFT)
    assert spectra[50].max() == pytest.approx(20 * np.log10(0.5 * 0.55), abs=1.0)  # the mid: (0.5 + 0.05) / 2
    png = write_audio_picture(path, tmp_path / "tone.png")
    with Image.open(png) as image:
        assert image.size == (1200, 420)


def test_a_file_too_short_to_picture_is_refused(tmp_path):
    path = write_wav(tmp_path / "blip.wav", np.zeros((2, 1000), dtype=np.float32))
    with pytest.raises(AudioPictureError, match="blip.wav"):
        write_audio_picture(path, tmp_path / "blip.png")
    assert not (tmp_path / "blip.png").exists()
