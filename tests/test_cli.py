"""The `lofi` console script, run as a user runs it."""

import json
import os
import subprocess
import sys

import pretty_midi

from tests.conftest import PROJECT_ROOT, SAMPLE_NOTION


def lofi(*args, env=None, check=True):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION_")}
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "lofi_assets.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=full_env,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_parse_prints_the_plan():
    out = lofi("parse", str(SAMPLE_NOTION / "sunday-morning-coffee.md")).stdout
    plan = json.loads(out)
    assert plan["key"] == "sunday-morning-coffee"
    assert [a["name"] for a in plan["arcs"]] == ["Kettle On", "Sunlight", "Slow Pages"]


def test_parse_fails_clearly_on_junk(tmp_path):
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00" * 100)
    result = lofi("parse", str(junk), check=False)
    assert result.returncode == 1 and "not a text file" in result.stderr and "junk" in result.stderr


def test_discover_then_materialize_every_track(data_dir, tmp_path):
    env = {"LOFI_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    first = lofi("discover", env=env).stdout
    assert "3 new" in first and "midnight-train-home" in first
    assert "0 new" in lofi("discover", env=env).stdout  # registered once
    out = lofi("materialize", "--job", "notion_job", "--all", env=env).stdout
    assert "3 of 3 notion_job run(s) succeeded" in out
    assert (data_dir / "assets" / "notion_track" / "sunday-morning-coffee" / "plan.json").is_file()
    # --new: only what the job has not made yet
    assert "nothing new" in lofi("materialize", "--job", "notion_job", "--new", env=env).stdout
    (data_dir / "assets" / "notion_track" / "sunday-morning-coffee" / "plan.json").unlink()
    page = SAMPLE_NOTION / "sunday-morning-coffee.md"
    (data_dir / "notion" / "another-coffee.md").write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    assert "1 new" in lofi("discover", env=env).stdout
    out = lofi("materialize", "--job", "notion_job", "--new", env=env).stdout
    assert "1 of 1 notion_job run(s) succeeded" in out and "another-coffee" in out


def test_match_prints_candidates_and_gaps_for_each_catalog_format(tmp_path):
    import pandas as pd

    plan_path = tmp_path / "plan.json"
    plan_path.write_text(lofi("parse", str(SAMPLE_NOTION / "sunday-morning-coffee.md")).stdout)
    rows = [
        {
            "song_id": "kettle",
            "text": "bright Rhodes chords with a lazy swing and a coffee-shop murmur",
            "bpm": 166,
            "key": "F major",
            "duration": 180,
            "arc": 1,
            "times_used": 0,
        },
        {
            "song_id": "kalimba",
            "text": "gentle kalimba melody over a soft pad, slow and sweet",
            "bpm": 79,
            "key": "c# minor",
            "duration": 150,
            "arc": 3,
            "times_used": 2,
        },
        {
            "song_id": "metal",
            "text": "fast thrash metal guitar riffs",
            "bpm": 180,
            "key": "Em",
            "duration": 200,
            "arc": 2,
            "times_used": 0,
        },
    ]
    paths = [tmp_path / "catalog.csv", tmp_path / "catalog.json", tmp_path / "catalog.parquet"]
    pd.DataFrame(rows).to_csv(paths[0], index=False)
    paths[1].write_text(json.dumps(rows))
    pd.DataFrame(rows).to_parquet(paths[2])
    for path in paths:
        out = json.loads(lofi("match", "--plan", str(plan_path), "--catalog", str(path), "--top-k", "2").stdout)
        prompts = {p["number"]: p for p in out["prompts"]}
        assert len(prompts) == 7 and all(len(p["candidates"]) == 2 for p in prompts.values())
        assert set(prompts[1]["candidates"][0]["terms"]) == {"semantic", "arc", "tempo", "key", "usage"}
        assert prompts[1]["song_id"] == "kettle"  # 166 BPM is double the arc's 80-86
        assert prompts[6]["song_id"] == "kalimba"
        assert all(p["song_id"] != "metal" for p in prompts.values())
        assert prompts[2]["gap_reason"] in ("already used", "nothing similar", "tempo")


def test_match_rejects_a_catalog_without_the_columns(tmp_path):
    (tmp_path / "bad.csv").write_text("song_id,text\na,b\n")
    plan = tmp_path / "plan.json"
    plan.write_text(lofi("parse", str(SAMPLE_NOTION / "sunday-morning-coffee.md")).stdout)
    result = lofi("match", "--plan", str(plan), "--catalog", str(tmp_path / "bad.csv"), check=False)
    assert result.returncode == 2 and "lacks column(s) arc, bpm, duration, key, times_used" in result.stderr


def test_match_on_the_real_catalog(tmp_path):
    from tests.conftest import SHARED_FIXTURES

    if not SHARED_FIXTURES.is_dir():
        import pytest

        pytest.skip(f"shared fixtures not present at {SHARED_FIXTURES}")
    catalog = tmp_path / "real.csv"
    out = subprocess.run(
        [sys.executable, "benchmarks/eval_library_match.py", "--write-catalog", str(catalog)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "catalog of 515 songs written" in out.stdout
    plan = tmp_path / "plan.json"
    plan.write_text(lofi("parse", str(SHARED_FIXTURES / "notion_docs" / "2c2433e5788580d59ae5e3c7cda39e57.md")).stdout)
    result = json.loads(lofi("match", "--plan", str(plan), "--catalog", str(catalog)).stdout)
    assert result["songs"] == 515 and len(result["prompts"]) == 13
    # Track 21's songs are in the library; its slow first arc (45-55 BPM) is matched despite doubled tempi.
    first = result["prompts"][0]
    assert first["song_id"] and first["song_id"].endswith(("_1_1_21a", "_1_1_21b", "_1_1_21c", "_1_1_21d"))


def test_generate_with_the_shipped_model_then_score(tmp_path):
    out = tmp_path / "x.mid"
    made = json.loads(
        lofi(
            "generate",
            "--tempo",
            "75",
            "--key",
            "Am",
            "--mood",
            "cozy",
            "--bars",
            "4",
            "--seed",
            "1",
            "--out",
            str(out),
        ).stdout
    )
    assert out.exists() and made["generator"].startswith("model model.pt@")
    assert made["conditions"] == {"tempo": 75.0, "key": "Am", "mood": "cozy", "bars": 4, "seed": 1, "drums": True}
    scored = json.loads(lofi("score", str(out), "--key", "Am").stdout)
    assert scored["combined"] == made["score"]["combined"]
    assert set(scored) >= {
        "melodic_coherence",
        "harmonic_variety",
        "rhythmic_stability",
        "key_adherence",
        "repetition_structure",
        "note_density",
        "combined",
        "approved",
    }


def test_generate_with_the_composer_fallback(tmp_path):
    out = tmp_path / "c.mid"
    made = json.loads(
        lofi(
            "generate",
            "--tempo",
            "70",
            "--key",
            "Bb",
            "--mood",
            "nostalgic",
            "--bars",
            "16",
            "--out",
            str(out),
            "--composer",
        ).stdout
    )
    assert made["generator"] == "composer (fallback)" and made["score"]["approved"]


def test_generate_from_a_prompt_plays_its_plan(tmp_path):
    out = tmp_path / "p.mid"
    prompt = "walking bass and brushed snare, music box melody"
    made = json.loads(
        lofi("generate", "--prompt", prompt, "--key", "F", "--bars", "8", "--composer", "--out", str(out)).stdout
    )
    assert made["conditions"]["key"] == "F" and made["conditions"]["bars"] == 8
    parts = made["sound_plan"]["parts"]
    assert (parts["bass"]["instrument"], parts["bass"]["idiom"]) == ("upright bass", "walking line")
    assert parts["lead"]["program"] == 10 and made["sound_plan"]["drums"]["kit"] == "brushes"
    midi = pretty_midi.PrettyMIDI(str(out))
    assert {i.program for i in midi.instruments if i.is_drum} == {40}
    assert {i.program for i in midi.instruments if not i.is_drum and i.notes} <= {32, 10, 4}
    neither = lofi("generate", "--bars", "4", "--out", str(tmp_path / "n.mid"), check=False)
    assert neither.returncode == 2 and "give --prompt, or --tempo, --key and --mood" in neither.stderr


def test_generate_and_score_refuse_bad_input(tmp_path):
    bad_key = lofi("generate", "--tempo", "75", "--key", "H", "--mood", "cozy", "--out", "x.mid", check=False)
    assert bad_key.returncode == 2 and "Bbm" in bad_key.stderr and "Traceback" not in bad_key.stderr
    bad_mood = lofi("generate", "--tempo", "75", "--key", "C", "--mood", "angry", "--out", "x.mid", check=False)
    assert bad_mood.returncode == 2 and "peaceful, melancholic" in bad_mood.stderr
    too_fast = lofi("generate", "--tempo", "240", "--key", "C", "--mood", "chill", "--out", "x.mid", check=False)
    assert too_fast.returncode == 2 and "40–200" in too_fast.stderr
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "model.pt").write_bytes(b"half a file")
    (broken / "tokenizer.json").write_text((PROJECT_ROOT / "lofi_assets/models/lofi-gpt/tokenizer.json").read_text())
    corrupt = lofi(
        "generate",
        "--tempo",
        "75",
        "--key",
        "C",
        "--mood",
        "chill",
        "--out",
        str(tmp_path / "y.mid"),
        "--model-dir",
        str(broken),
        check=False,
    )
    assert corrupt.returncode == 1 and "corrupt" in corrupt.stderr and "--composer" in corrupt.stderr
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"not midi")
    scored = lofi("score", str(junk), check=False)
    assert scored.returncode == 1 and "not a readable MIDI file" in scored.stderr


def test_render_prints_the_figures_of_what_it_wrote(tmp_path):
    from lofi_assets.core.generation.composer import compose
    from lofi_assets.core.generation.conditions import Conditions

    midi = tmp_path / "piece.mid"
    compose(Conditions.parse(80, "Am", "melancholic", bars=4, seed=2)).write(str(midi))
    out = tmp_path / "piece.wav"
    figures = json.loads(lofi("render", str(midi), str(out), "--preset", "vinyl").stdout)
    assert figures["soundfont"] == "TimGM6mb.sf2" and figures["preset"] == "vinyl" and figures["stereo"]
    assert out.exists() and figures["seconds"] >= 12.0  # four bars at 80 BPM, then the tail
    assert 0.6 <= figures["correlation"] <= 0.9 and figures["peak_dbfs"] < 0 and figures["lufs"] < -10
    mono = json.loads(lofi("render", str(midi), str(tmp_path / "mono.wav"), "--mono").stdout)
    assert mono["correlation"] > figures["correlation"]

    bad = lofi("render", str(midi), str(tmp_path / "x.wav"), "--preset", "shiny", check=False)
    assert bad.returncode == 2 and "unknown colour preset 'shiny'" in bad.stderr
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"not midi")
    bad = lofi("render", str(junk), str(tmp_path / "j.wav"), check=False)
    assert bad.returncode == 1 and "junk.mid" in bad.stderr and not (tmp_path / "j.wav").exists()


def test_song_adds_texture_and_effect_words_without_changing_the_notes(tmp_path):
    fixed = ("--seconds", "8", "--tempo", "72", "--key", "Dm", "--mood", "cozy", "--seed", "3", "--composer")
    plain = json.loads(lofi("song", "nylon guitar over a lazy beat", "--out", str(tmp_path / "a.wav"), *fixed).stdout)
    rainy = json.loads(
        lofi(
            "song", "nylon guitar over a lazy beat, light rain, deep reverb", "--out", str(tmp_path / "b.wav"), *fixed
        ).stdout
    )
    notes = [
        [(n.pitch, n.start, n.end) for i in pretty_midi.PrettyMIDI(str(tmp_path / f)).instruments for n in i.notes]
        for f in ("a.mid", "b.mid")
    ]
    assert notes[0] == notes[1]  # the words changed the sound, not the music
    assert "heard" not in plain and plain["sound_plan"]["parts"]["keys"]["instrument"] == "nylon guitar"
    (layer,) = rainy["heard"]["layers"]
    assert layer["texture"] == "rain" and (tmp_path / layer["stem"]).is_file()
    assert [e["name"] for e in rainy["heard"]["effects"]] == ["long reverb"]
    assert json.loads((tmp_path / "b.json").read_text())["heard"] == rainy["heard"]
    bad = lofi("song", "rain", "--out", str(tmp_path / "c.mp3"), check=False)
    assert bad.returncode == 2 and "must end in .wav" in bad.stderr


def test_master_prints_the_figures_and_refuses_silence(tmp_path):
    from lofi_assets.core.audio_io import write_wav
    from lofi_assets.demo.library import synthesize

    song = tmp_path / "song.wav"
    write_wav(song, synthesize(72, "D minor", 8, seed=3) * 0.2)
    out = tmp_path / "out" / "master.wav"
    proc = lofi("master", str(song), str(out), "--preset", "streaming")
    report = json.loads(proc.stdout)
    assert abs(report["measured"]["integrated_lufs"] + 14) <= 0.05
    assert report["measured"]["true_peak_dbtp"] <= -1.0
    assert out.exists() and (out.parent / "master_16bit.wav").exists() and (out.parent / "master.m4a").exists()

    # a master that misses (one pass is not enough for bare drums): the figures on stdout,
    # what missed on stderr, exit 1, and no file under the real names
    from lofi_assets.demo.library import sparse_drums

    drums = tmp_path / "drums.wav"
    write_wav(drums, sparse_drums(120, 4, seed=1))
    proc = lofi("master", str(drums), str(tmp_path / "d" / "master.wav"), "--max-passes", "1", check=False)
    assert proc.returncode == 1 and "the master misses: loudness" in proc.stderr
    assert json.loads(proc.stdout)["misses"][0].startswith("loudness")
    assert list((tmp_path / "d").iterdir()) == []

    silent = tmp_path / "silent.wav"
    write_wav(silent, synthesize(72, "D minor", 3, seed=3) * 0)
    proc = lofi("master", str(silent), str(tmp_path / "s.wav"), check=False)
    assert proc.returncode == 1 and "silent.wav: silent" in proc.stderr
    assert not (tmp_path / "s.wav").exists()


def test_analytics_pulls_a_range_in_one_run_and_reports_every_day(data_dir, tmp_path):
    """`lofi analytics` against the fake channel on loopback: one video_stats run for the
    range, one channel_report run writing each day's page, and `lofi pools`."""
    from datetime import date

    from lofi_assets.demo.analytics_server import FakeAnalytics, simulated_channel

    fake = FakeAnalytics(today=date(2026, 11, 30))
    simulated_channel(fake, videos=8, days=60, seed=2)
    home = tmp_path / "home"
    home.mkdir()
    with fake.serve():
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        token.chmod(0o600)
        env = {
            "LOFI_DATA_DIR": str(data_dir),
            "DAGSTER_HOME": str(home),
            "LOFI_YOUTUBE_TOKEN": str(token),
            "LOFI_YOUTUBE_ROOT_URL": fake.base_url,
            "LOFI_YOUTUBE_TOKEN_URI": fake.token_uri,
        }
        out = lofi("analytics", "--from", "2026-11-20", "--to", "2026-11-22", "--every-day", env=env).stdout
    assert "ok     video_stats 2026-11-20..2026-11-22" in out
    assert "ok     channel_report 2026-11-20..2026-11-22" in out
    for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
        assert (data_dir / "assets" / "channel_report" / day / "report.html").is_file()
    out_by_then = sum(v["snippet"]["publishedAt"][:10] <= "2026-11-22" for v in fake.videos.values())
    assert fake.counts["reports"] == out_by_then  # one reports.query per video for the whole range
    pools = lofi("pools", env={"DAGSTER_HOME": str(home)}).stdout
    assert "pool notion: 2 at a time" in pools and "pool youtube: 1 at a time" in pools
    bad = lofi("analytics", "--from", "2026-11-22", "--to", "2026-11-20", env=env, check=False)
    assert bad.returncode == 2 and "before" in bad.stderr


def test_materialize_runs_consecutive_songs_as_one_run(data_dir, tmp_path):
    from lofi_assets.demo.library import synthesize, write_audio

    env = {"LOFI_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    for i, name in enumerate(("dawn.wav", "dusk.wav", "noon.wav")):
        write_audio(data_dir / "library" / name, synthesize(64 + 6 * i, "A minor", 3, seed=i))
    assert ": 3 new\n  + dawn\n  + dusk\n  + noon" in lofi("discover", env=env).stdout
    out = lofi("materialize", "--job", "song_job", "--all", env=env).stdout
    assert "ok     song_job dawn..noon (3 partitions)" in out
    assert "1 of 1 song_job run(s) succeeded (3 partition(s))" in out
    for key in ("dawn", "dusk", "noon"):
        assert (data_dir / "assets" / "song_embedding" / key / "embedding.npy").is_file()
