import pytest

from lofi_assets.core.planning.fill import (
    MAX_TAKES,
    MIN_REPLAY_S,
    alternates,
    arc_shares,
    plan_fill,
    pool_needed_s,
    take_letter,
)


def test_a_three_hour_plan_gets_takes_enough_for_each_arc_to_pass_twice_twenty_minutes_apart():
    per_arc = {1: 3, 2: 4, 3: 4, 4: 4, 5: 3}
    library = {1: 2 * 180.0, 2: 0.0, 3: 180.0, 4: 0.0, 5: 0.0}
    gaps = {1: 1, 2: 4, 3: 3, 4: 4, 5: 3}
    fill = plan_fill(3 * 3600, per_arc, library, gaps, 180.0)
    assert sum(f.share_s for f in fill.values()) == pytest.approx(3 * 3600)
    for f in fill.values():
        assert f.pool_s >= pool_needed_s(f.share_s, 180.0) or f.takes == MAX_TAKES
        assert f.pool_s >= MIN_REPLAY_S  # two passes put every replay 20 minutes after the first play
        assert f.pool_s - f.gaps * 180.0 < pool_needed_s(f.share_s, 180.0)  # one take fewer would not do
    assert fill[2].takes == 2  # 40 minutes: 20 minutes and a song of pool, from four prompts


def test_a_short_video_needs_every_song_once_and_no_target_one_take():
    assert pool_needed_s(600, 180) == 600 and pool_needed_s(3600, 180) == 1800
    short = plan_fill(600, {1: 2}, {1: 0.0}, {1: 2}, 50.0)
    assert short[1].takes == 6 and short[1].pool_s >= 600
    assert plan_fill(None, {1: 2}, {1: 0.0}, {1: 2}, 50.0)[1].takes == 1
    assert plan_fill(600, {1: 2}, {1: 900.0}, {1: 1}, 50.0)[1].takes == 1  # the library already has enough
    assert arc_shares(100, {1: 1, 2: 3}) == {1: 25, 2: 75}
    assert [take_letter(i) for i in range(3)] == ["a", "b", "c"]


def test_alternates_pass_the_threshold_and_no_song_serves_twice():
    prompts = [
        {
            "arc": 1,
            "number": 1,
            "song_id": "x",
            "candidates": [{"song_id": "x", "total": 0.9}, {"song_id": "y", "total": 0.8}],
        },
        {
            "arc": 1,
            "number": 2,
            "song_id": None,
            "candidates": [{"song_id": "y", "total": 0.85}, {"song_id": "z", "total": 0.6}],
        },
        {
            "arc": 2,
            "number": 1,
            "song_id": "w",
            "candidates": [{"song_id": "v", "total": 0.75}, {"song_id": "u", "total": 0.9}],
        },
    ]
    out = alternates(prompts, 0.7, {"x": 1, "y": 1, "z": 1, "w": 1, "v": 1})
    assert out == {(1, 1): ["y"], (1, 2): [], (2, 1): ["v"]}  # z under the threshold, u not in the library
