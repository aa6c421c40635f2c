import os

from lofi_assets.core.ingest.plan import Arc, Prompt, TrackPlan
from lofi_assets.core.library.catalog import (
    calibrate_energy,
    library_tick,
    plans_by_track_number,
    prompt_context,
    song_text,
    usage_counts,
)
from lofi_assets.core.published import plan_is_published as is_published
from lofi_assets.demo.library import synthesize, write_audio


def plan12():
    return TrackPlan(
        key="p12",
        title="Rain",
        source="s",
        track_number=12,
        vibe="soft rain, warm lamp",
        arcs=[Arc(1, "Grey Afternoon", description="brushed drums")],
        prompts=[Prompt(1, 1, "slow Rhodes chords", anchor_phrase="rain on the glass")],
    )


def test_song_carries_the_prompt_it_was_made_for():
    ctx = prompt_context(plans_by_track_number([plan12()]), "A_1_1_12b")
    assert ctx["prompt_text"] == "slow Rhodes chords" and ctx["anchor_phrase"] == "rain on the glass"
    assert (ctx["prefix"], ctx["arc"], ctx["prompt"], ctx["source_track"], ctx["order"]) == ("A", 1, 1, 12, "b")
    text = song_text({**ctx, "bpm": 70, "key": "D minor", "energy": 0.2})
    assert text.startswith("slow Rhodes chords. rain on the glass. Grey Afternoon, brushed drums, soft rain")
    assert "slow tempo, D minor, calm, low energy" in text
    unknown = prompt_context({}, "1_1_99a")
    assert unknown["prompt_text"] is None and unknown["source_track"] == 99


def test_freely_named_song_is_described_by_its_name():
    assert song_text({"file": "late_night_rain.mp3", "bpm": 90, "key": "C major", "arc": None}).startswith(
        "late night rain. upbeat tempo"
    )


def test_energy_is_calibrated_across_the_library_not_saturated():
    raw = {f"s{i}": 1.0 for i in range(5)}  # a fixed scale saturates: every song says 1.0
    features = {
        f"s{i}": {"rms_dbfs": -20 + i, "onset_rate": 3 + i, "spectral_centroid_hz": 1000 + 100 * i} for i in range(5)
    }
    energy = calibrate_energy(raw, features)
    assert energy["s0"] == 0.0 and energy["s4"] == 1.0
    assert len(set(energy.values())) == 5


def test_usage_is_derived_from_published_playlists():
    playlists = [{"prompts": [{"song_id": "a"}, {"song_id": None}, {"song_id": "b"}]}, {"prompts": [{"song_id": "a"}]}]
    assert usage_counts(playlists) == {"a": 2, "b": 1}
    assert is_published({"status": "Published"}) and is_published({"youtube_url": "https://youtu.be/x"})
    assert not is_published({"status": "Planned"})


def test_library_tick_refuses_the_same_audio_under_a_second_name(tmp_path):
    first = write_audio(tmp_path / "1_1_12a.wav", synthesize(70, "Am", 3, seed=1))
    write_audio(tmp_path / "2_4_12a.flac", synthesize(80, "C", 3, seed=2))
    copy = tmp_path / "rain copy.wav"
    copy.write_bytes(first.read_bytes())
    os.utime(copy, (first.stat().st_mtime + 10, first.stat().st_mtime + 10))
    (tmp_path / "notes.txt").write_text("not audio")
    tick = library_tick(tmp_path, {}, set())
    assert tick.new_keys == ["1-1-12a", "2-4-12a"]
    digest = tick.cache["rain copy.wav"][2][:12]
    assert tick.refused == [f"rain copy.wav is the same audio as 1_1_12a.wav (sha256 {digest}); not imported twice"]
    again = library_tick(tmp_path, tick.cache, set(tick.new_keys))
    assert again.runs == [] and again.new_keys == []
    write_audio(tmp_path / "2_4_12a.flac", synthesize(82, "C", 3, seed=3))  # re-rendered
    changed = library_tick(tmp_path, again.cache, set(tick.new_keys))
    assert [k for k, _ in changed.runs] == ["2-4-12a"]


def test_a_nightly_song_is_described_by_its_sidecar(tmp_path):
    import json

    from lofi_assets.core.library.catalog import sidecar_context, song_text

    audio = tmp_path / "2026-11-20-003-cozy-Am-75.flac"
    audio.write_bytes(b"")
    assert sidecar_context(audio) == {}
    audio.with_suffix(".json").write_text(
        json.dumps({"conditions": {"mood": "cozy", "tempo": 75, "key": "Am"}, "score": {"combined": 0.81}})
    )
    context = sidecar_context(audio)
    assert context["mood_words"] == "cozy lo-fi" and context["quality_score"] == 0.81
    text = song_text({"file": audio.name, "arc": None, "bpm": 75, "key": "A minor", **context})
    assert text.startswith("cozy lo-fi") and "2026" not in text
