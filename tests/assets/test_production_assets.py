"""song_stems materialized as an operator would: a tiny untrained HTDemucs in a local
weights folder (real demucs loading and separation), the cache, and the clear failure
when no weights are configured; track_mix then takes a vocal song's instrumental."""

import json

import dagster as dg
import pytest
import torch

from lofi_assets.core.production.mix import MixSong
from lofi_assets.core.production.separation import save_local_model
from lofi_assets.definitions import defs
from lofi_assets.demo.library import synthesize, write_audio
from resources import SeparatorResource, StorageResource

SOURCES = ["drums", "bass", "other", "vocals"]
TINY = "5eed0002"


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    from demucs.htdemucs import HTDemucs

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    save_local_model(
        HTDemucs(sources=SOURCES, channels=8, depth=4, t_layers=1, t_heads=2, nfft=1024, segment=2), folder, TINY
    )
    return folder


def stems_run(instance, data_dir, separator, key):
    res = {"storage": StorageResource(root=str(data_dir)), "separator": separator}
    return defs.resolve_job_def("stems_job").execute_in_process(
        instance=instance, partition_key=key, resources=res, raise_on_error=False
    )


def test_song_stems_separates_caches_and_fails_clearly_without_weights(data_dir, weights):
    write_audio(data_dir / "library" / "1_1_12a.wav", synthesize(70, "D minor", 4, seed=1))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("songs", ["1-1-12a"])
        missing = stems_run(instance, data_dir, SeparatorResource(), "1-1-12a")
        assert not missing.success
        (failure,) = [e for e in missing.all_events if e.is_step_failure]
        assert "LOFI_DEMUCS_WEIGHTS" in failure.step_failure_data.error.message

        separator = SeparatorResource(model=TINY, weights_dir=str(weights))
        first = stems_run(instance, data_dir, separator, "1-1-12a")
        assert first.success
        meta = first.asset_materializations_for_node("song_stems")[0].metadata
        assert meta["cached"].value is False and meta["stems"].value == "bass, drums, other, vocals"
        folder = data_dir / "assets" / "song_stems" / "1-1-12a"
        assert {p.name for p in folder.glob("*.flac")} >= {f"{s}.flac" for s in SOURCES}
        again = stems_run(instance, data_dir, separator, "1-1-12a")
        assert again.asset_materializations_for_node("song_stems")[0].metadata["cached"].value is True
        shifted = stems_run(
            instance, data_dir, SeparatorResource(model=TINY, weights_dir=str(weights), shifts=2), "1-1-12a"
        )
        assert shifted.asset_materializations_for_node("song_stems")[0].metadata["cached"].value is False


def test_mix_takes_the_instrumental_of_a_song_with_vocals(data_dir):
    from lofi_assets.assets.production import mix_songs

    write_audio(data_dir / "library" / "1_1_12a.wav", synthesize(70, "D minor", 4, seed=1))
    storage = StorageResource(root=str(data_dir))
    stems = data_dir / "assets" / "song_stems" / "1-1-12a"
    stems.mkdir(parents=True)
    playlist = {
        "arcs": [{"arc": 1, "name": "Drizzle"}],
        "prompts": [{"arc": 1, "number": 1, "text": "rain", "song_id": "1-1-12a"}],
    }
    (stems / "stems.json").write_text(json.dumps({"has_vocals": False}))
    (song,) = mix_songs(storage, "t", playlist, None)
    assert song.kind == "library" and song.path.endswith("1_1_12a.wav")
    write_audio(stems / "instrumental.flac", synthesize(70, "D minor", 4, seed=1))
    (stems / "stems.json").write_text(json.dumps({"has_vocals": True}))
    (song,) = mix_songs(storage, "t", playlist, None)
    assert song == MixSong(
        "1-1-12a", str(stems / "instrumental.flac"), song.seconds, 1, "Drizzle", 1, "rain", "instrumental"
    )


def test_even_loudness_judges_each_song_against_the_median_outside_the_fades(tmp_path):
    import numpy as np

    from lofi_assets.assets.production import master_checks, song_loudness_rows
    from lofi_assets.core.audio_io import write_wav
    from lofi_assets.core.production.master import Outputs, master_file
    from lofi_assets.demo.library import synthesize

    def rows_for(middle_db: float):
        songs = [synthesize(75, key, 12, seed=i) * 0.3 for i, key in enumerate(("Am", "C", "F"))]
        songs[1] = songs[1] * np.float32(10 ** (middle_db / 20))
        folder = tmp_path / f"at{middle_db:g}"
        write_wav(folder / "mix.wav", np.concatenate(songs, axis=1))
        report = master_file(folder / "mix.wav", Outputs(folder / "master.wav"), "streaming", verify=False)
        info = {
            "chapters": [{"song_id": s, "start_s": t} for s, t in (("a", 0.0), ("b", 12.0), ("c", 24.0))],
            "fade_in_s": 3.0,
            "fade_out_s": 10.0,
        }
        rows = song_loudness_rows(folder / "master.wav", info, report.measured.duration_s)
        check = next(c for c in master_checks(report, None, rows) if c.check_name == "even_loudness")
        return rows, check

    rows, check = rows_for(0.0)
    assert [r["judged"] for r in rows] == [True, True, False]  # the last 2 s lie under the 10 s fade-out
    assert check.passed and all(abs(r["off_lu"]) <= 2 for r in rows[:2])
    rows, check = rows_for(-6.0)  # the middle song left 6 dB down
    assert not check.passed and rows[1]["off_lu"] < -2
