"""The model chain, the nightly batch and gap songs, materialized as an operator would,
on a tiny corpus and model."""

import hashlib
import json

import dagster as dg
import pretty_midi
import pytest
from PIL import Image

from lofi_assets.definitions import defs
from resources import EmbedderResource, MidiModelResource, NotionResource, StorageResource

RAINY = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"
TINY = {
    "ops": {
        "midi_corpus": {"config": {"pieces": 16, "workers": 1}},
        "midi_tokenizer": {"config": {"vocab_size": 600}},
        "midi_model": {
            "config": {
                "steps": 80,
                "batch": 4,
                "context": 128,
                "d_model": 64,
                "n_layers": 2,
                "n_heads": 2,
                "dropout": 0.0,
                "lr": 3e-3,
                "threads": 1,
            }
        },
    }
}
NIGHT = {"ops": {"nightly_songs": {"config": {"batch": 3, "bars": 2, "workers": 1}}}}


def resources(root, **generator):
    storage = StorageResource(root=str(root))
    return {
        "storage": storage,
        "notion": NotionResource(storage=storage),
        "embedder": EmbedderResource(),
        "midi_generator": MidiModelResource(**generator),
    }


def run(instance, res, job, key=None, config=None):
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, partition_key=key, resources=res, raise_on_error=False, run_config=config
    )


def checks(result):
    return {c.check_name: c.passed for c in result.get_asset_check_evaluations()}


def test_model_chain_then_three_nights(data_dir):
    pretty = pretty_midi.PrettyMIDI(initial_tempo=90)
    pretty.write(str(data_dir / "midi" / "empty.mid"))  # the operator's bad file is refused, not fatal
    res = resources(data_dir)
    with dg.instance_for_test() as instance:
        model = run(instance, res, "model_job", config=TINY)
        assert model.success
        assert checks(model) == {
            "pieces_reparse": True,
            "round_trip": True,
            "beats_unigram": True,
            "generates_midi": True,
        }
        meta = model.asset_materializations_for_node("midi_model")[0].metadata
        assert meta["steps"].value == 80 and meta["held_out_perplexity"].value < meta["unigram_perplexity"].value
        corpus_meta = model.asset_materializations_for_node("midi_corpus")[0].metadata
        assert corpus_meta["pieces"].value == 16 and "empty.mid: no notes" in corpus_meta["operator_refused"].value
        assert (data_dir / "assets/midi_model/model.pt").exists()

        days = ["2026-11-18", "2026-11-19", "2026-11-20"]  # a three-day backfill
        for day in days:
            night = run(instance, res, "nightly_job", day, NIGHT)
            assert night.success and checks(night) == {"batch_valid": True, "library_files_decode": True}
        reports = [json.loads((data_dir / f"assets/nightly_songs/{d}/report.json").read_text()) for d in days]
        for report in reports:
            assert report["made"] == 3 and report["approved"] + report["rejected"] == 3
            assert "midi_model asset" in report["generator"]
            assert set(report["arrangement_rules"]) == {"one_bass", "keys", "melodic_lead", "steady_drums"}
            assert report["mean_score"] == pytest.approx(
                sum(p["score"]["combined"] for p in report["pieces"]) / 3, abs=1e-3
            )
        assert reports[0]["pieces"][0]["conditions"] != reports[1]["pieces"][0]["conditions"]

        def digests(day):
            folder = data_dir / f"assets/nightly_songs/{day}"
            return sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.mid"))

        added = sorted((data_dir / "library" / "nightly" / days[0]).glob("*.flac"))
        approved = [p for p in reports[0]["pieces"] if p["approved"]]
        assert len(added) == len(approved)
        for flac in added:  # rendered into the library with the conditions it was made with
            sidecar = json.loads(flac.with_suffix(".json").read_text())
            assert sidecar["conditions"]["tempo"] > 0 and sidecar["seconds"] > 0

        before = digests(days[0])
        assert run(instance, res, "nightly_job", days[0], NIGHT).success
        assert digests(days[0]) == before  # a date always makes the same batch


def test_gap_songs_for_every_gap_with_the_composer_fallback(data_dir, tmp_path):
    """No library and no model: every prompt is a gap, composed, rendered, mixed to the
    run's target and mastered with every blocking check passing."""
    res = resources(data_dir, checkpoint_dir=str(tmp_path / "no-model"), fallback_to_composer=True)
    config = {
        "ops": {
            "gap_songs": {"config": {"bars": 8, "candidates": 2, "workers": 1, "target_minutes": 1.5, "stop_at": None}},
            "rendered_songs": {"config": {"preset": "vinyl"}},
            "track_mix": {"config": {"target_minutes": 1.5}},
        }
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [RAINY])
        result = run(instance, res, "track_job", RAINY, config)
        assert result.success
        assert all(checks(result).values()), checks(result)
        made = json.loads((data_dir / f"assets/gap_songs/{RAINY}/gap_songs.json").read_text())
        assert made["generator"].startswith("composer (fallback: no checkpoint")
        assert len(made["songs"]) == 11  # no library: every prompt is a gap
        for song in made["songs"]:
            midi = pretty_midi.PrettyMIDI(str(data_dir / f"assets/gap_songs/{RAINY}" / song["file"]))
            assert abs(midi.get_tempo_changes()[1][0] - song["conditions"]["tempo"]) < 0.01
            assert song["score"]["combined"] >= 0.70 and len(song["candidates"]) >= 2
            assert song["generator"] == "composer (fallback)"
            with Image.open(data_dir / f"assets/gap_songs/{RAINY}" / song["piano_roll"]) as roll:
                assert roll.size == (1200, 420)  # its piano roll beside it
            # its sound plan, and the instruments it names are the ones that play
            planned = {p["program"] for p in song["sound_plan"]["parts"].values()}
            assert {i.program for i in midi.instruments if not i.is_drum and i.notes} <= planned
        by_number = {s["number"]: s["sound_plan"] for s in made["songs"]}
        assert by_number[1]["parts"]["keys"]["instrument"] == "Rhodes" and by_number[1]["drums"]["kit"] == "brushes"
        assert by_number[9]["parts"]["lead"]["instrument"] == "flute" and "rimshot" in by_number[9]["drums"]["feel"]
        gap_meta = next(
            e.materialization.metadata
            for e in result.get_asset_materialization_events()
            if e.materialization.asset_key == dg.AssetKey("gap_songs")
        )
        assert (
            "| 3.9 | gentle flute line in the distance | lead: flute (GM 73), melody |" in gap_meta["sound_plans"].value
        )

        rendered = json.loads((data_dir / f"assets/rendered_songs/{RAINY}/rendered.json").read_text())
        assert rendered["preset"] == "vinyl" and len(rendered["songs"]) == 11
        assert all(r["seconds"] >= r["midi_seconds"] for r in rendered["songs"])
        mix = json.loads((data_dir / f"assets/track_mix/{RAINY}/mix.json").read_text())
        assert mix["target_s"] == 90 and mix["seconds"] == pytest.approx(90, abs=0.05)
        assert mix["target_source"] == "run config" and mix["chapters"][0]["start_s"] == 0
        arcs = [c["arc"] for c in mix["chapters"]]
        assert arcs == sorted(arcs) and len(set(arcs)) == 4  # every arc, in order
        master = json.loads((data_dir / f"assets/track_master/{RAINY}/master.json").read_text())
        assert abs(master["measured"]["integrated_lufs"] + 14) <= 0.05
        assert master["measured"]["true_peak_dbtp"] <= -1.0
        folder = data_dir / f"assets/track_master/{RAINY}"
        assert {p.name for p in folder.iterdir()} >= {"master.wav", "master_16bit.wav", "master.m4a", "master.json"}

        # A mix left short of its target: the duration check fails and blocks the track.
        short = {"ops": {**config["ops"], "track_mix": {"config": {"target_minutes": 60, "policy": "trim"}}}}
        again = run(instance, res, "track_job", RAINY, short)
        assert not again.success
        assert checks(again)["duration_matches_plan"] is False


def test_a_longer_video_gets_more_takes_and_no_song_comes_round_within_twenty_minutes(data_dir, tmp_path):
    """Six minutes from a plan of 11 prompts and no library: each gap gets takes (a, b…:
    the same conditions, other seeds), and the mix plays every song once before any repeats."""
    res = resources(data_dir, checkpoint_dir=str(tmp_path / "no-model"), fallback_to_composer=True)
    config = {
        "ops": {
            "gap_songs": {"config": {"bars": 8, "candidates": 1, "workers": 2, "target_minutes": 6}},
            "track_mix": {"config": {"target_minutes": 6}},
        }
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [RAINY])
        result = run(instance, res, "track_job", RAINY, config)
        assert result.success, checks(result)
        made = json.loads((data_dir / f"assets/gap_songs/{RAINY}/gap_songs.json").read_text())
        takes = [s for s in made["songs"] if s["take"] > 0]
        assert takes and all(f["pool_s"] >= f["needed_s"] for f in made["fill"])
        first = {(s["arc"], s["number"]): s for s in made["songs"] if s["take"] == 0}
        for take in takes:  # the same conditions and prompt, another seed, a letter in its name
            own = first[(take["arc"], take["number"])]
            assert take["prompt"] == own["prompt"] and take["conditions"]["tempo"] == own["conditions"]["tempo"]
            assert take["conditions"]["seed"] != own["conditions"]["seed"]
            assert take["name"].split("-")[1][-1] == "abcdefgh"[take["take"]]
        mix = json.loads((data_dir / f"assets/track_mix/{RAINY}/mix.json").read_text())
        assert mix["seconds"] == pytest.approx(360, abs=0.05) and mix["policy"] == "distinct"
        assert mix["most_plays"] == 1 and mix["takes"] == len(takes)  # six minutes: nothing comes round


def test_gap_songs_without_a_model_fail_clearly(data_dir, tmp_path):
    res = resources(data_dir, checkpoint_dir=str(tmp_path / "no-model"))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tracks", [RAINY])
        result = run(instance, res, "track_job", RAINY)
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "no checkpoint at" in failure.step_failure_data.error.message
        assert failure.step_key == "gap_songs"


def test_nightly_batch_takes_the_newest_reports_weights(data_dir, tmp_path):
    """A channel report's weights (here strongly for ``focused`` and fast tempi) steer the
    next batch; ``use_feedback: false`` keeps the even spread."""
    from lofi_assets.core.generation.conditions import MOODS
    from lofi_assets.core.generation.feedback import ArmStats, DimensionWeights, GenerationWeights

    def arms(names, favourite):
        return [
            ArmStats(n, 4, 1000.0, 0.2, 1.0, 1.0, 0.0, 0.86 if n == favourite else 0.14 / (len(names) - 1))
            for n in names
        ]

    weights = GenerationWeights(
        "2026-11-19",
        0.2,
        {
            "mood": DimensionWeights("mood", arms(MOODS, "focused"), 0.2),
            "tempo": DimensionWeights("tempo", arms(["slow", "mid", "fast"], "fast"), 0.2),
        },
        videos_used=32,
    )
    folder = data_dir / "assets/channel_report/2026-11-19"
    folder.mkdir(parents=True)
    (folder / "generation_weights.json").write_text(json.dumps(weights.to_dict()))
    res = resources(data_dir, checkpoint_dir=str(tmp_path / "no-model"), fallback_to_composer=True)
    night = {"ops": {"nightly_songs": {"config": {"batch": 8, "bars": 2, "workers": 1}}}}
    with dg.instance_for_test() as instance:
        fed = run(instance, res, "nightly_job", "2026-11-20", night)
        assert fed.success
        meta = fed.asset_materializations_for_node("nightly_songs")[0].metadata
        assert "channel_report 2026-11-19" in meta["conditions"].value
        pieces = json.loads((data_dir / "assets/nightly_songs/2026-11-20/report.json").read_text())["pieces"]
        assert sum(p["conditions"]["mood"] == "focused" for p in pieces) >= 6
        night["ops"]["nightly_songs"]["config"]["use_feedback"] = False
        even = run(instance, res, "nightly_job", "2026-11-20", night)
        pieces = json.loads((data_dir / "assets/nightly_songs/2026-11-20/report.json").read_text())["pieces"]
        assert len({p["conditions"]["mood"] for p in pieces}) == 8  # one of each mood
        assert (
            "use_feedback off" in even.asset_materializations_for_node("nightly_songs")[0].metadata["conditions"].value
        )
