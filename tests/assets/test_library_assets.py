"""Library and planning assets on a small real library (seconds of synthesised audio)."""

import json

import dagster as dg
import pandas as pd
import pytest

from lofi_assets.core.production import master_rules as rules
from lofi_assets.core.production.limiter import LIMITER_MARGIN_DB
from lofi_assets.core.production.master_rules import PRESETS
from lofi_assets.definitions import defs
from lofi_assets.demo.library import synthesize, write_audio
from resources import EmbedderResource, MidiModelResource, NotionResource, StorageResource

RAINY = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"


@pytest.fixture
def library(data_dir):
    lib = data_dir / "library"
    write_audio(lib / "1_1_12a.mp3", synthesize(70, "D minor", 6, seed=1))
    write_audio(lib / "A_2_4_12a.flac", synthesize(76, "F major", 6, seed=2))
    write_audio(lib / "4_10_12a.wav", synthesize(64, "A minor", 6, seed=3))
    (lib / "broken.mp3").write_text("a text file with an mp3 name")
    (lib / "copy.wav").write_bytes((lib / "4_10_12a.wav").read_bytes())
    return data_dir


def resources(root):
    storage = StorageResource(root=str(root))
    return {
        "storage": storage,
        "notion": NotionResource(storage=storage),
        "embedder": EmbedderResource(),
        "midi_generator": MidiModelResource(),
    }


# The track's gaps are generated short and its mix is a minute and a half here, filled by playing
# its songs again (`extend`: four-bar pieces are not always approved, so an arc may have one
# song); the generation and production tests cover the rest.
SHORT_GAPS = {
    "ops": {
        "gap_songs": {"config": {"bars": 4, "candidates": 1, "workers": 1, "target_minutes": 1.5}},
        "track_mix": {"config": {"target_minutes": 1.5, "crossfade_s": 1.0, "policy": "extend"}},
    }
}


def run(instance, res, job, key=None):
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance,
        partition_key=key,
        resources=res,
        raise_on_error=False,
        run_config=SHORT_GAPS if job == "track_job" else None,
    )


def failure_message(result):
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.message


def test_library_to_playlist(library):
    res = resources(library)
    songs = ["1-1-12a", "a-2-4-12a", "4-10-12a", "broken", "copy"]
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [RAINY])
        instance.add_dynamic_partitions("songs", songs)
        assert run(instance, res, "notion_job", RAINY).success
        for key in songs[:3]:
            result = run(instance, res, "song_job", key)
            assert result.success, failure_message(result)
            assert all(c.passed for c in result.get_asset_check_evaluations())
        broken = run(instance, res, "song_job", "broken")
        assert not broken.success and "broken.mp3: not decodable audio" in failure_message(broken)
        copy = run(instance, res, "song_job", "copy")
        assert not copy.success and "copy.wav is the same audio as 4_10_12a.wav" in failure_message(copy)

        analysis = json.loads((library / "assets/library_song/1-1-12a/analysis.json").read_text())
        assert analysis["prompt_text"].startswith("slow Rhodes chords with brushed drums")
        assert abs(analysis["bpm"] - 70) <= 2 and analysis["source_track"] == 12

        index = run(instance, res, "library_index_job")
        assert index.success and index.get_asset_check_evaluations()[0].passed
        catalog = pd.read_parquet(library / "assets/library_index/catalog.parquet")
        assert sorted(catalog["song_id"]) == ["1-1-12a", "4-10-12a", "a-2-4-12a"]  # the bad ones left out
        assert catalog["energy"].min() < 0.34 < 0.66 < catalog["energy"].max()  # spread, not saturated

        track = run(instance, res, "track_job", RAINY)
        assert track.success, failure_message(track)
        playlist = json.loads((library / f"assets/track_playlist/{RAINY}/playlist.json").read_text())
        by_number = {p["number"]: p for p in playlist["prompts"]}
        assert by_number[1]["song_id"] == "1-1-12a"
        assert by_number[10]["song_id"] == "4-10-12a"
        assert by_number[4]["song_id"] == "a-2-4-12a"
        assert playlist["matched"] == 3 and playlist["gaps"] == 8
        assert all(
            p["gap_reason"] in ("nothing similar", "tempo", "already used")
            for p in playlist["prompts"]
            if not p["song_id"]
        )
        arc1 = playlist["arcs"][0]
        assert arc1["matched"] == 1 and arc1["matched_s"] == pytest.approx(6, abs=0.1) and arc1["target_s"] > 0
        checks = {c.check_name: c.passed for c in track.get_asset_check_evaluations()}
        assert checks["no_song_twice"]
        # the eight gaps got MIDI from the shipped model, each file named in gap_songs.json
        made = json.loads((library / f"assets/gap_songs/{RAINY}/gap_songs.json").read_text())
        assert "shipped with the package" in made["generator"]
        assert sorted(s["number"] for s in made["songs"]) == sorted(
            p["number"] for p in playlist["prompts"] if not p["song_id"]
        )
        assert all((library / f"assets/gap_songs/{RAINY}" / s["file"]).exists() for s in made["songs"])
        # reused library songs and rendered gaps are mixed together, in arc order
        mix = json.loads((library / f"assets/track_mix/{RAINY}/mix.json").read_text())
        kinds = {c["song_id"]: c["kind"] for c in mix["chapters"]}
        assert kinds.get("1-1-12a") == "library" and "generated" in kinds.values()
        assert all(checks[name] for name in ("mix_valid", "loudness_on_target", "true_peak_under_ceiling"))
        assert checks["stereo_image"] and checks["even_loudness"]
        # pictures of every render and of the master, named in the metadata
        rendered = json.loads((library / f"assets/rendered_songs/{RAINY}/rendered.json").read_text())
        assert all((library / f"assets/rendered_songs/{RAINY}" / s["picture"]).exists() for s in rendered["songs"])
        assert all(0.6 <= s["correlation"] <= 0.9 for s in rendered["songs"])
        master_meta = next(
            e.materialization.metadata
            for e in track.get_asset_materialization_events()
            if e.materialization.asset_key == dg.AssetKey("track_master")
        )
        assert master_meta["picture"].value.endswith("master.png")
        assert "data:image/jpeg;base64," in master_meta["master_picture"].value
        # each stage aims inside the window its blocking check judges, with room to spare:
        # a check a stage can miss by a hair on real material is the stage's defect
        master = json.loads((library / f"assets/track_master/{RAINY}/master.json").read_text())
        measured, preset = master["measured"], PRESETS[master["preset"]]
        assert rules.CORRELATION_GUARD[0] <= measured["correlation"] <= rules.CORRELATION_GUARD[1]
        assert abs(measured["integrated_lufs"] - preset.target_lufs) <= rules.LOUDNESS_TOLERANCE_LU
        assert measured["true_peak_dbtp"] <= preset.ceiling_dbtp - LIMITER_MARGIN_DB / 2
        assert master["lossy"]["true_peak_dbtp"] <= preset.ceiling_dbtp
        assert abs(mix["seconds"] - mix["target_s"]) <= rules.DURATION_TOLERANCE * mix["target_s"] / 2
        assert all(abs(s["off_lu"]) <= rules.EVEN_LOUDNESS_LU / 2 for s in master["songs"] if s["judged"])


def test_playlist_without_an_index_is_all_gaps(data_dir):
    res = resources(data_dir)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", ["sunday-morning-coffee"])
        result = run(instance, res, "track_job", "sunday-morning-coffee")
        assert result.success
        playlist = json.loads((data_dir / "assets/track_playlist/sunday-morning-coffee/playlist.json").read_text())
        assert playlist["matched"] == 0 and playlist["library_songs"] == 0


def test_a_batch_of_songs_is_one_run_and_each_song_keeps_its_own_record(library):
    # One run over a range of consecutive songs, a broken file among them: the good songs are
    # materialized each with its own metadata and check, the broken one is named in the failure.
    res = resources(library)
    songs = ["1-1-12a", "broken", "a-2-4-12a", "4-10-12a"]
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("songs", songs)
        result = defs.resolve_job_def("song_job").execute_in_process(
            instance=instance,
            resources=res,
            raise_on_error=False,
            tags={"dagster/asset_partition_range_start": "1-1-12a", "dagster/asset_partition_range_end": "4-10-12a"},
        )
        assert not result.success
        message = failure_message(result)
        assert (
            "1 of 4 songs failed (3 imported): song broken: " in message
            and "broken.mp3: not decodable audio" in message
        )
        good = ["1-1-12a", "4-10-12a", "a-2-4-12a"]
        for asset in ("library_song", "song_embedding"):
            assert sorted(instance.get_materialized_partitions(dg.AssetKey(asset))) == good
        sha = {
            e.materialization.partition: e.materialization.metadata["sha256"].value
            for e in result.get_asset_materialization_events()
            if e.materialization.asset_key == dg.AssetKey("library_song")
        }
        for key in good:
            assert sha[key] == json.loads((library / f"assets/library_song/{key}/analysis.json").read_text())["sha256"]
        checks = {c.partition: c.passed for c in result.get_asset_check_evaluations()}
        assert checks == dict.fromkeys(good, True)
        # the index is built from the batch like from single runs
        assert run(instance, res, "library_index_job").success
        assert len(pd.read_parquet(library / "assets/library_index/catalog.parquet")) == 3
