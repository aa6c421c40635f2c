import subprocess

import numpy as np
import pytest

from lofi_assets.core.audio_io import RATE, AudioInputError, AudioSource, aac_encoder, ffmpeg_exe, write_wav
from lofi_assets.demo.library import synthesize


@pytest.fixture(scope="module")
def m4a(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aac")
    wav = write_wav(folder / "song.wav", synthesize(80, "F", 8, seed=2) * 0.3)
    out = folder / "song.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(wav), *aac_encoder(), str(out)], check=True)
    return wav, out


def test_aac_is_read_at_the_pipeline_rate_block_by_block(m4a):
    wav, aac = m4a
    with AudioSource(aac) as source:
        assert source.source_rate == 48000 and source.source_channels == 2
        assert source.frames == pytest.approx(8 * RATE, abs=0.05 * RATE)  # the encoder's priming aside
        blocks = list(source.blocks(1 << 14))
        again = np.concatenate(list(source.blocks(1 << 16)), axis=1)  # from the start again
    decoded = np.concatenate(blocks, axis=1)
    assert decoded.shape[0] == 2 and decoded.dtype == np.float32
    np.testing.assert_array_equal(decoded, again)
    with AudioSource(wav) as original:
        reference = original.read_all()
    # the same music: loudness and spectrum close (AAC delays it by its priming samples)
    n = min(decoded.shape[1], reference.shape[1])
    assert np.sqrt(np.mean(decoded[:, :n] ** 2)) == pytest.approx(np.sqrt(np.mean(reference[:, :n] ** 2)), rel=0.05)


def test_a_broken_aac_file_is_named(tmp_path):
    bad = tmp_path / "broken.m4a"
    bad.write_bytes(b"\x00\x00\x00\x18ftypM4A " + b"junk" * 100)
    with pytest.raises(AudioInputError, match="broken.m4a: not decodable audio"):
        AudioSource(bad)
