"""A sound plan's effects and layers reach the audio, each layer as its own stem at its
level, and the check finds what is missing or off."""

import numpy as np
import pretty_midi
import pytest

from lofi_assets.core.audio_io import read_audio
from lofi_assets.core.production.sound_stage import dress, sound_plan_problems
from lofi_assets.core.production.textures import LEVEL_DB
from resources import RendererResource

RATE = 44100


def _music(seconds: float = 4.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = (0.1 * np.sin(2 * np.pi * 220 * t) * (np.mod(t, 0.5) < 0.4)).astype(np.float32)
    return np.stack([x, x])


def test_dress_adds_each_layer_at_its_level_and_the_music_drops_for_only():
    music = _music()
    out, stems, heard = dress(music, ["rain", "train"], [], "rails and rain only", RATE, 80.0, 7, 4.0)
    assert set(stems) == {"rain", "train"} and out.shape == music.shape
    for layer in heard.layers:
        assert layer["measured_db"] == pytest.approx(LEVEL_DB[layer["texture"]], abs=0.05)
    assert heard.music_gain_db == -10.0
    residual = out - sum(stems.values())
    assert np.allclose(residual, music * 10 ** (-10 / 20), atol=1e-5)  # the music, 10 dB down
    same, _, _ = dress(music, [], [], "", RATE, 80.0, 7, 4.0)
    assert np.array_equal(same, music)  # nothing planned, nothing changed


def test_the_check_finds_a_layer_missing_off_level_or_unplanned_and_an_effect_without_mark():
    plan = {"textures": ["rain"], "effects": ["long reverb", "slowed"]}
    good = {
        "layers": [{"texture": "rain", "planned_db": -20.0, "measured_db": -20.3}],
        "effects": [{"name": "long reverb", "mark": {"heard": True}}],
    }
    assert sound_plan_problems(plan, good) == []
    off = {**good, "layers": [{"texture": "rain", "planned_db": -20.0, "measured_db": -24.0}]}
    assert sound_plan_problems(plan, off) == ["layer rain at -24.0 dB, planned -20.0 dB"]
    assert "layer rain planned, not in the render" in sound_plan_problems(plan, {**good, "layers": []})
    assert sound_plan_problems({}, good)[0] == "layer rain not planned"
    quiet = {**good, "effects": [{"name": "long reverb", "mark": {"heard": False}}]}
    assert sound_plan_problems(plan, quiet)[0].startswith("effect long reverb left no mark")


def test_a_rendered_song_carries_its_plan_with_stems(tmp_path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=80)
    keys = pretty_midi.Instrument(4)
    keys.notes = [pretty_midi.Note(90, p, 0.0, 2.5) for p in (57, 60, 64)]
    pm.instruments.append(keys)
    pm.write(str(tmp_path / "s.mid"))
    plan = {"prompt": "Rhodes, light rain, deep reverb", "textures": ["rain"], "effects": ["long reverb"]}
    row = RendererResource().render_file(tmp_path / "s.mid", tmp_path / "s.wav", 3, sound_plan=plan)
    (layer,) = row["heard"]["layers"]
    assert layer["planned_db"] == LEVEL_DB["rain"] - 6 and abs(layer["measured_db"] - layer["planned_db"]) < 0.1
    stem = read_audio(tmp_path / layer["stem"])
    assert stem.shape[1] == read_audio(tmp_path / "s.wav").shape[1]
    (effect,) = row["heard"]["effects"]
    assert effect["name"] == "long reverb" and effect["mark"]["heard"]
    assert sound_plan_problems(plan, row["heard"]) == []
    plain = RendererResource().render_file(tmp_path / "s.mid", tmp_path / "p.wav", 3, sound_plan={"textures": []})
    assert "heard" not in plain and not (tmp_path / "p.stems").exists()
