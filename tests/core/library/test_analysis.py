"""Analysis on synthesised songs whose tempo and key are known, and on bad files."""

import numpy as np
import pytest

from lofi_assets.core.library.analysis import (
    AudioError,
    TempoCandidate,
    analyse_file,
    decode,
    pick_lofi_tempo,
)
from lofi_assets.core.music_keys import key_compatibility, parse_key
from lofi_assets.demo.library import RATE, synthesize, write_audio


@pytest.mark.parametrize(
    "suffix,bpm,key",
    [(".mp3", 70, "D minor"), (".wav", 84, "F major"), (".flac", 64, "A minor"), (".ogg", 78, "G major")],
)
def test_measures_tempo_key_and_loudness(tmp_path, suffix, bpm, key):
    path = write_audio(tmp_path / f"song{suffix}", synthesize(bpm, key, 12, seed=bpm))
    a = analyse_file(path)
    assert abs(a.duration_s - 12) < 0.1
    assert abs(a.bpm - bpm) <= 2, (a.bpm, a.tempo_candidates)
    assert {c.relation for c in a.tempo_candidates} == {"raw", "half", "double"}
    assert key_compatibility(parse_key(a.key), parse_key(key)) >= 0.5, a.key
    assert -30 < a.loudness_lufs < -10
    assert len(a.sha256) == 64 and 0 <= a.energy_raw <= 1


def test_doubled_tracker_tempo_is_brought_down_an_octave():
    # What a beat tracker says of a 70 BPM lo-fi song: 140, with the half period almost as strong.
    candidates = [TempoCandidate(140, "raw", 1.0), TempoCandidate(70, "half", 0.9), TempoCandidate(280, "double", 0.2)]
    assert pick_lofi_tempo(candidates) == 70
    # A real 140 BPM song with no half-time pulse stays at 140.
    assert (
        pick_lofi_tempo(
            [TempoCandidate(140, "raw", 1.0), TempoCandidate(70, "half", 0.1), TempoCandidate(280, "double", 0.0)]
        )
        == 140
    )


def test_bad_files_get_clear_errors(tmp_path):
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio " * 50)
    silent = write_audio(tmp_path / "silent.wav", np.zeros((2, RATE * 2), dtype=np.float32))
    long = write_audio(tmp_path / "long.wav", synthesize(70, "Am", 6, seed=1))
    with pytest.raises(AudioError, match="empty.mp3: the file is empty"):
        analyse_file(empty)
    with pytest.raises(AudioError, match="notes.mp3: not decodable audio"):
        analyse_file(text)
    with pytest.raises(AudioError, match="silent.wav: silent"):
        analyse_file(silent)
    with pytest.raises(AudioError, match="long.wav: .* h long"):
        decode(long, max_duration_s=3)


def test_truncated_mp3_is_refused(tmp_path):
    path = write_audio(tmp_path / "cut.mp3", synthesize(72, "Am", 12, seed=2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioError, match="cut.mp3: the last .* s are digital silence; the file looks truncated"):
        analyse_file(path)


@pytest.mark.parametrize("rate", [44100, 48000])
def test_loudness_agrees_with_pyloudnorm(rate):
    import pyloudnorm
    from scipy.signal import resample_poly

    from lofi_assets.core.library.analysis import integrated_loudness

    audio = synthesize(75, "Am", 10, seed=4)
    if rate != RATE:
        audio = resample_poly(audio, 160, 147, axis=1).astype(np.float32)
    audio[:, : rate * 2] *= 0.01  # a quiet intro the gates must leave out
    ours = integrated_loudness(audio, rate)
    reference = pyloudnorm.Meter(rate).integrated_loudness(audio.T.astype(np.float64))
    assert abs(ours - reference) < 0.01
