import numpy as np
import pytest

from lofi_assets.core.audio_io import read_audio, write_wav
from lofi_assets.core.production.loudness import measure
from lofi_assets.core.production.mix import MixError, MixSong, chapters, equal_power, mix_length, plan_mix, render_mix

RATE = 44100


def songs_of(seconds, arcs):
    return [
        MixSong(f"s{i}", f"/nowhere/{i}.wav", s, a, f"arc {a}", i + 1, f"song {i}", "library")
        for i, (s, a) in enumerate(zip(seconds, arcs))
    ]


def test_extend_keeps_each_arc_near_its_share_and_hits_the_target():
    songs = songs_of([60, 70, 80, 90], [1, 1, 2, 3])
    placements = plan_mix(songs, 1200, "extend", 5.0, {1: 2, 2: 1, 3: 1})
    assert mix_length(placements) == pytest.approx(1200, abs=0.01)
    arcs = [songs[p.song].arc for p in placements]
    assert arcs == sorted(arcs)  # the journey goes forward
    first_of = {a: next(p.start_s for p in placements if songs[p.song].arc == a) for a in (2, 3)}
    assert first_of[2] == pytest.approx(600, abs=25)  # arc 1 is half the prompts: half the time
    assert first_of[3] == pytest.approx(900, abs=50)


def test_every_arc_plays_even_when_its_share_is_tiny():
    songs = songs_of([60, 60, 60, 60], [1, 2, 3, 4])
    placements = plan_mix(songs, 100, "extend", 5.0, {1: 1, 2: 1, 3: 1, 4: 1})
    assert [songs[p.song].arc for p in placements] == [1, 2, 3, 4]
    assert mix_length(placements) == pytest.approx(100, abs=0.01)


def test_repeat_plays_the_sequence_again_and_trim_cuts_or_leaves_short():
    songs = songs_of([60, 60, 60], [1, 2, 3])
    repeat = plan_mix(songs, 400, "repeat", 5.0)
    assert [p.song for p in repeat][:6] == [0, 1, 2, 0, 1, 2]
    assert repeat[3].play == 2
    assert mix_length(repeat) == pytest.approx(400, abs=0.01)
    assert mix_length(plan_mix(songs, 100, "trim", 5.0)) == pytest.approx(100, abs=0.01)
    assert mix_length(plan_mix(songs, 1000, "trim", 5.0)) == pytest.approx(170, abs=0.01)


def test_bad_plans_are_refused():
    with pytest.raises(MixError, match="no songs"):
        plan_mix([], 100)
    with pytest.raises(MixError, match="unknown duration policy"):
        plan_mix(songs_of([60], [1]), 100, "stretch")
    with pytest.raises(MixError, match="too short"):
        plan_mix(songs_of([1.0], [1]), 100)


def test_equal_power_crossfade_keeps_power():
    out, into = equal_power(1000)
    np.testing.assert_allclose(out**2 + into**2, 1.0, atol=1e-6)
    assert out[0] > 0.99 and into[-1] > 0.99


def test_render_matches_loudness_crossfades_and_writes_chapters(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i, level in enumerate((0.05, 0.3)):  # very different loudness going in
        t = np.arange(RATE * 12) / RATE
        tone = level * np.sin(2 * np.pi * (220 + 110 * i) * t) + 0.01 * level * rng.standard_normal(t.size)
        path = tmp_path / f"{i}.wav"
        write_wav(path, np.stack([tone, tone]).astype(np.float32))
        paths.append(path)
    songs = [
        MixSong(f"s{i}", str(p), 12.0, i + 1, f"arc {i + 1}", 1, f"song {i}", "library") for i, p in enumerate(paths)
    ]
    placements = plan_mix(songs, 40, "repeat", crossfade_s=2.0)
    result = render_mix(
        songs, placements, tmp_path / "mix.wav", crossfade_s=2.0, fade_in_s=1, fade_out_s=1, level_lufs=-20
    )
    mix = read_audio(tmp_path / "mix.wav")
    assert mix.shape[1] / RATE == pytest.approx(40, abs=0.01) and result.seconds == pytest.approx(40, abs=0.01)
    # Both songs were brought to −20 LUFS: the middles of the first two read the same.
    first = measure(mix[:, 2 * RATE : 8 * RATE], RATE).integrated_lufs
    second = measure(mix[:, 13 * RATE : 18 * RATE], RATE).integrated_lufs
    assert first == pytest.approx(-20, abs=0.5) and second == pytest.approx(-20, abs=0.5)
    assert np.abs(mix[:, :10]).max() < 0.01 and np.abs(mix[:, -10:]).max() < 0.01  # faded in and out
    marks = chapters(placements, songs, 2.0)
    assert marks[0].start_s == 0 and marks[1].start_s == pytest.approx(11.0, abs=0.01)
    assert result.chapters[2]["play"] == 2


def test_a_silent_song_is_named(tmp_path):
    path = tmp_path / "quiet.wav"
    write_wav(path, np.zeros((2, RATE * 5), np.float32))
    songs = [MixSong("q", str(path), 5.0, 1, "a", 1, "q", "library")]
    with pytest.raises(MixError, match="quiet.wav"):
        render_mix(songs, plan_mix(songs, 5.0), tmp_path / "mix.wav")
    assert not (tmp_path / "mix.wav").exists()


def three_hour_pool():
    """Five arcs of a 3-hour plan as fill plans them: each arc's prompts' songs and takes."""
    seconds, arcs, takes = [], [], []
    for arc, count in zip((1, 2, 3, 4, 5), (8, 10, 12, 10, 8)):
        for k in range(count):
            seconds.append(170.0 + 10 * (k % 4))
            arcs.append(arc)
            takes.append(k // 4)
    songs = songs_of(seconds, arcs)
    return [
        MixSong(s.song_id, s.path, s.seconds, s.arc, s.arc_name, s.number, s.title, "generated", t)
        for s, t in zip(songs, takes)
    ]


def test_distinct_fills_three_hours_with_no_song_more_than_twice_nor_within_twenty_minutes():
    from lofi_assets.core.planning.fill import MAX_PLAYS, MIN_REPLAY_S
    from lofi_assets.core.production.mix import play_counts

    songs = three_hour_pool()
    placements = plan_mix(songs, 3 * 3600, "distinct", 5.0, {1: 3, 2: 4, 3: 4, 4: 4, 5: 3})
    assert mix_length(placements) == pytest.approx(3 * 3600, abs=0.01)
    counts = play_counts(placements, songs)
    assert counts["most_plays"] <= MAX_PLAYS and counts["closest_replay_s"] >= MIN_REPLAY_S
    assert counts["distinct_songs"] == len(songs)  # every song plays before any comes round
    arcs = [songs[p.song].arc for p in placements]
    assert arcs == sorted(arcs)


def test_distinct_plays_the_prompts_own_songs_before_their_takes():
    songs = three_hour_pool()
    placements = plan_mix(songs, 3 * 3600, "distinct", 5.0, {1: 3, 2: 4, 3: 4, 4: 4, 5: 3})
    first_arc = [songs[p.song].take for p in placements if songs[p.song].arc == 1]
    assert first_arc[:4] == [0, 0, 0, 0] and first_arc[4] == 1


def test_distinct_stops_an_arc_short_rather_than_breaking_the_rules():
    from lofi_assets.core.production.mix import play_counts

    songs = songs_of([180, 180, 180], [1, 1, 1])  # nine minutes of songs for an hour
    placements = plan_mix(songs, 3600, "distinct", 5.0, {1: 3})
    counts = play_counts(placements, songs)
    assert counts["most_plays"] == 1  # nothing may come round within 20 minutes: each plays once
    assert mix_length(placements) < 10 * 60  # short, and the duration check says so
    from lofi_assets.core.production.mix import arc_fill

    (arc,) = arc_fill(placements, songs, 3600, {1: 3}, 5.0)
    assert arc["share_s"] == 3600 and arc["filled_s"] == pytest.approx(mix_length(placements)) and arc["songs"] == 3


def test_a_last_song_cut_shorter_than_two_crossfades_still_ends_on_the_target():
    from lofi_assets.core.production.mix import junction_s

    songs = songs_of([60, 60], [1, 1])
    placements = plan_mix(songs, 63, "extend", 5.0, {1: 1})
    prev, last = placements[-2], placements[-1]
    assert last.length_s < 10  # cut short: it crossfades for half its length
    assert last.start_s == pytest.approx(
        prev.start_s + prev.length_s - junction_s(prev.length_s, last.length_s, 5.0), abs=1e-3
    )
    rendered = sum(p.length_s for p in placements) - junction_s(prev.length_s, last.length_s, 5.0)
    assert rendered == pytest.approx(63, abs=1e-3) and mix_length(placements) == pytest.approx(63, abs=1e-3)
