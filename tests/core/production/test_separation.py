"""Stem separation with demucs: loading from a local folder, applying a model, the cache.

Real weights are not available offline, so a tiny untrained HTDemucs stands in for the
loading and model paths, and a "model" that splits the mix by fixed gains (whose stems
are known exactly) for the normalisation, resampling and file paths."""

import json
import random

import numpy as np
import pytest
import torch
from torch import nn

from lofi_assets.core.audio_io import read_audio
from lofi_assets.core.production.separation import (
    FLOOR_DB,
    SeparationError,
    cache_key,
    has_vocals,
    instrumental,
    load_separator,
    save_local_model,
    separate,
    separate_file,
    weights_digest,
)
from lofi_assets.demo.library import RATE, synthesize, write_audio

SOURCES = ["drums", "bass", "other", "vocals"]
TINY = "5eed0001"  # a signature, as demucs names single models


class GainSplit(nn.Module):
    """Each stem is the mix times a fixed gain: gains summing to one give back the mix."""

    def __init__(self, gains=(0.25, 0.25, 0.25, 0.25), samplerate=44100, segment=2.0):
        super().__init__()
        self.sources, self.samplerate, self.audio_channels, self.segment = SOURCES, samplerate, 2, segment
        self.register_buffer("gains", torch.tensor(gains, dtype=torch.float32))

    def forward(self, mix):
        return mix[:, None] * self.gains[None, :, None, None]


class Untouchable:
    """A model that fails the test if the separation touches it at all."""

    def __getattr__(self, name):
        raise AssertionError(f"the model was used ({name}) although the stems were cached")


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A LocalRepo folder: one tiny HTDemucs under a signature, and a bag naming it."""
    from demucs.htdemucs import HTDemucs

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    tiny = HTDemucs(sources=SOURCES, channels=8, depth=4, t_layers=1, t_heads=2, nfft=1024, segment=2)
    save_local_model(tiny, folder, TINY)
    (folder / "tinybag.yaml").write_text(f"models: ['{TINY}']\nsegment: 2\n")
    return folder


@pytest.fixture(scope="module")
def tiny(weights):
    return load_separator(TINY, weights)


@pytest.fixture(scope="module")
def song():
    return synthesize(75, "A minor", 3, seed=3)


def test_loads_a_model_and_a_bag_from_the_folder_by_name(weights, tiny):
    from demucs.apply import BagOfModels
    from demucs.htdemucs import HTDemucs

    assert isinstance(tiny, HTDemucs) and tiny.sources == SOURCES and not tiny.training
    bag = load_separator("tinybag", weights)
    assert isinstance(bag, BagOfModels) and bag.sources == SOURCES
    single, of_bag = weights_digest(TINY, weights), weights_digest("tinybag", weights)
    assert len(single) == 64 and single != of_bag  # the bag's digest covers its yaml too
    assert weights_digest(TINY, weights) == single


def test_a_missing_folder_or_model_is_named(weights, tmp_path):
    with pytest.raises(SeparationError, match=rf"{tmp_path / 'nowhere'}: no such folder.*'htdemucs'"):
        load_separator("htdemucs", tmp_path / "nowhere")
    with pytest.raises(SeparationError, match=rf"no demucs model 'htdemucs'.*htdemucs\.yaml.*found {TINY}\.th"):
        load_separator("htdemucs", weights)
    (tmp_path / "broken.yaml").write_text("models: ['0000dead']\n")
    with pytest.raises(SeparationError, match=r"broken\.yaml names 0000dead, but there is no 0000dead\.th"):
        weights_digest("broken", tmp_path)
    (tmp_path / "0000beef.th").write_bytes(b"not a torch file")
    with pytest.raises(SeparationError, match=rf"{tmp_path}: cannot load demucs model '0000beef'"):
        load_separator("0000beef", tmp_path)


def test_separate_returns_every_stem_shaped_as_the_input(tiny, song):
    stems = separate(tiny, song)
    assert list(stems) == SOURCES
    for stem in stems.values():
        assert stem.shape == song.shape and stem.dtype == np.float32 and np.isfinite(stem).all()
    assert max(float(np.abs(stem).max()) for stem in stems.values()) > 0
    state = random.getstate()
    again = separate(tiny, song)  # the shifts are seeded: the same stems for the same key
    assert random.getstate() == state
    assert all(np.array_equal(stems[name], again[name]) for name in SOURCES)


def test_silence_stays_finite_and_silent(tiny):
    for level in (0.0, 1e-9):
        quiet = (level * np.random.default_rng(0).standard_normal((2, RATE))).astype(np.float32)
        stems = separate(tiny, quiet)
        assert all(np.isfinite(s).all() and float(np.abs(s).max()) < 1e-6 for s in stems.values()), level


def dc(mix):
    """The mix's mean: demucs (CLI, and HTDemucs inside) adds it back to every stem."""
    return float(mix.mean(0).mean())


def test_normalisation_chunks_and_shifts_are_undone_exactly(song):
    stems = separate(GainSplit(), song, shifts=2, overlap=0.25)
    for stem in stems.values():
        np.testing.assert_allclose(stem, 0.25 * (song - dc(song)) + dc(song), atol=1e-5)
    np.testing.assert_allclose(sum(stems.values()), song + 3 * dc(song), atol=1e-5)


def test_a_model_at_another_rate_gets_resampled_audio():
    t = np.arange(3 * RATE) / RATE
    tones = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 3000 * t)]).astype(np.float32)
    stems = separate(GainSplit(samplerate=48000), tones, shifts=0)
    assert stems["bass"].shape == tones.shape
    error = (sum(stems.values()) - tones)[:, RATE // 10 : -RATE // 10]  # resampling filters ring at the edges
    assert float(np.sqrt(np.mean(error**2) / np.mean(tones**2))) < 1e-3


def test_a_segment_longer_than_a_transformer_was_trained_on_is_refused(tiny, song):
    with pytest.raises(SeparationError, match=r"segment 5 s is outside \(0, 2\]"):
        separate(tiny, song, segment=5)


def test_instrumental_and_vocal_detection(song):
    stems = separate(GainSplit((0.3, 0.2, 0.2, 0.3)), song, shifts=0)
    np.testing.assert_allclose(instrumental(stems), stems["drums"] + stems["bass"] + stems["other"], atol=1e-6)
    present, level = has_vocals(stems, song)
    assert present and level == pytest.approx(20 * np.log10(0.3), abs=0.05)
    faint = {**stems, "vocals": 0.01 * song}
    assert has_vocals(faint, song) == (False, pytest.approx(-40.0, abs=0.05))
    silent = np.zeros_like(song)
    assert has_vocals({"vocals": silent}, silent) == (False, FLOOR_DB)


def test_the_cache_key_changes_with_everything_that_decides_the_stems():
    base = ("a" * 64, "htdemucs", "b" * 64, 1, 0.25, None)
    key = cache_key(*base)
    assert len(key) == 64 and cache_key(*base) == key
    for i, other in enumerate(("c" * 64, "htdemucs_ft", "d" * 64, 2, 0.5, 8.0)):
        changed = list(base)
        changed[i] = other
        assert cache_key(*changed) != key, i
    assert cache_key(*base[:4], 0.250, None) == key  # canonical numbers


def run(path, out_dir, model, shifts=1):
    return separate_file(
        path,
        out_dir,
        model,
        model_name="gains",
        weights_digest="0" * 64,
        shifts=shifts,
        overlap=0.25,
        segment=None,
        device="cpu",
    )


def test_separate_file_writes_stems_and_reuses_them(tmp_path, song):
    path = write_audio(tmp_path / "song.flac", song)
    out = tmp_path / "stems"
    first = run(path, out, GainSplit())
    assert not first.cached and first.has_vocals and first.vocals_db == pytest.approx(-12.04, abs=0.05)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{s}.flac" for s in SOURCES] + ["instrumental.flac", "stems.json"]
    )
    mix = read_audio(path)  # the song as stored (16-bit FLAC)
    np.testing.assert_allclose(read_audio(first.stems["drums"]), 0.25 * (mix - dc(mix)) + dc(mix), atol=1e-6)
    np.testing.assert_allclose(read_audio(first.instrumental), 0.75 * (mix - dc(mix)) + 3 * dc(mix), atol=1e-6)
    manifest = json.loads((out / "stems.json").read_text())
    assert manifest["cache_key"] == first.cache_key and manifest["stems"]["vocals"] == "vocals.flac"
    assert manifest["parameters"] == {"shifts": 1, "overlap": 0.25, "segment": None, "device": "cpu"}
    assert manifest["source"]["frames"] == song.shape[1]

    again = run(path, out, Untouchable())
    assert again.cached and again.cache_key == first.cache_key and again.stems == first.stems

    recomputed = run(path, out, GainSplit(), shifts=2)
    assert not recomputed.cached and recomputed.cache_key != first.cache_key
    assert json.loads((out / "stems.json").read_text())["cache_key"] == recomputed.cache_key

    (out / "bass.flac").unlink()  # a stem gone: the cache no longer counts
    assert not run(path, out, GainSplit(), shifts=2).cached
    (out / "stems.json").write_text(f'{{"cache_key": "{recomputed.cache_key}"}}')  # damaged manifest
    assert not run(path, out, GainSplit(), shifts=2).cached


def test_a_song_without_vocals_gets_no_instrumental(tmp_path, song):
    path = write_audio(tmp_path / "song.wav", song)
    out = tmp_path / "stems"
    assert run(path, out, GainSplit()).instrumental is not None
    result = run(path, out, GainSplit((0.5, 0.25, 0.25, 0.0)), shifts=2)
    assert not result.has_vocals and result.instrumental is None and result.vocals_db == FLOOR_DB
    assert not (out / "instrumental.flac").exists()  # the earlier one is not left looking current


def test_a_48khz_file_is_separated_at_44_1khz(tmp_path, tiny):
    path = write_audio(tmp_path / "song48.wav", synthesize(75, "A minor", 2, seed=4), rate=48000)
    frames = round(2 * RATE * RATE / 48000)  # 2 s of samples played at 48 kHz, read at 44.1 kHz
    result = separate_file(path, tmp_path / "stems", tiny, model_name=TINY, weights_digest="0" * 64)
    assert all(abs(read_audio(p).shape[1] - frames) <= 1 for p in result.stems.values())


def test_bad_input_files_are_named(tmp_path):
    noise = tmp_path / "noise.wav"
    noise.write_bytes(np.random.default_rng(0).bytes(20000))
    with pytest.raises(SeparationError, match=r"noise\.wav: not decodable audio"):
        run(noise, tmp_path / "stems", GainSplit())
    with pytest.raises(SeparationError, match=r"gone\.wav: no such file"):
        run(tmp_path / "gone.wav", tmp_path / "stems", GainSplit())
    assert not (tmp_path / "stems" / "stems.json").exists()
