"""The bandit moves the nightly batch toward what holds viewers, and keeps exploring."""

import pandas as pd
import pytest

from lofi_assets.core.generation.conditions import MOODS
from lofi_assets.core.generation.feedback import (
    GenerationWeights,
    allocate,
    attach_attributes,
    changes,
    generation_weights,
    tempo_band,
    thompson_weights,
    track_conditions,
)
from lofi_assets.core.generation.requests import nightly_requests
from lofi_assets.core.generation.sound_plan import PALETTE_ORDER


def evidence(winner: str, n_each: int = 4, win: float = 0.30, rest: float = 0.15) -> tuple[pd.DataFrame, pd.DataFrame]:
    videos, daily = [], []
    for mood in MOODS:
        for k in range(n_each):
            vid = f"{mood}-{k}"
            videos.append({"video_id": vid, "mood": mood, "tempo": 84.0 if mood == winner else 66.0})
            daily.append(
                {
                    "video_id": vid,
                    "day": "2026-11-01",
                    "views": 500.0,
                    "averageViewPercentage": 100 * (win if mood == winner else rest),
                }
            )
    return pd.DataFrame(videos), pd.DataFrame(daily)


def test_weight_moves_toward_the_winning_mood_and_keeps_exploring():
    videos, daily = evidence("focused")
    weights = generation_weights("2026-11-02", videos, daily, exploration=0.2)
    mood = weights.weights("mood")
    assert max(mood, key=mood.get) == "focused" and mood["focused"] > 0.5
    assert min(mood.values()) >= 0.2 / len(MOODS) - 1e-9  # every mood still tried
    assert sum(mood.values()) == pytest.approx(1, abs=1e-3)  # rounded to 4 places
    tempo = weights.weights("tempo")
    assert max(tempo, key=tempo.get) == "fast"
    assert weights.videos_used == 4 * len(MOODS)


def test_no_evidence_leaves_the_spread_even():
    weights = generation_weights(
        "2026-11-02",
        pd.DataFrame(columns=["video_id", "mood", "tempo"]),
        pd.DataFrame(columns=["video_id", "day", "views", "averageViewPercentage"]),
    )
    assert list(weights.weights("mood").values()) == pytest.approx([1 / len(MOODS)] * len(MOODS))
    assert weights.videos_used == 0


def test_weak_evidence_moves_less_than_strong():
    strong = thompson_weights(
        "mood",
        ["a", "b"],
        pd.DataFrame({"arm": ["a"] * 8 + ["b"] * 8, "retention": [0.3] * 8 + [0.2] * 8, "views": 100}),
    )
    weak = thompson_weights(
        "mood", ["a", "b"], pd.DataFrame({"arm": ["a", "b"], "retention": [0.3, 0.2], "views": 100})
    )
    assert strong.weights["a"] > weak.weights["a"] > 0.5


def test_weights_shift_the_nightly_batch():
    videos, daily = evidence("melancholic")
    weights = generation_weights("2026-11-02", videos, daily)
    even = nightly_requests("2026-11-03", 48, 16)
    fed = nightly_requests("2026-11-03", 48, 16, weights.weights("mood"), weights.weights("tempo"))
    share = lambda reqs, mood: sum(r.conditions.mood == mood for r in reqs) / len(reqs)  # noqa: E731
    assert share(even, "melancholic") == pytest.approx(1 / 8)
    assert share(fed, "melancholic") > 0.5
    assert all(share(fed, m) > 0 for m in MOODS)  # exploration keeps every mood in the batch
    fast = sum(r.conditions.tempo >= 80 for r in fed) / len(fed)
    assert fast > 0.6  # the winner's videos were fast
    assert nightly_requests("2026-11-03", 48, 16, weights.weights("mood")) == nightly_requests(
        "2026-11-03", 48, 16, weights.weights("mood")
    )  # still fixed by the date


def test_allocate_and_changes_report_what_moved():
    assert allocate({"a": 0.5, "b": 0.3, "c": 0.2}, 10) == {"a": 5, "b": 3, "c": 2}
    assert sum(allocate({"a": 1, "b": 1, "c": 1}, 10).values()) == 10
    videos, daily = evidence("cozy")
    weights = generation_weights("2026-11-02", videos, daily)
    table = changes(None, weights, 40).set_index(["dimension", "arm"])
    assert table.loc[("mood", "cozy"), "pieces_before"] == 5 and table.loc[("mood", "cozy"), "pieces"] > 25
    assert table.loc[("mood", "cozy"), "retention_pct"] == 30.0
    again = GenerationWeights.from_dict(weights.to_dict())
    assert again.weights("mood") == weights.weights("mood")


def test_attributes_from_the_track_or_from_the_video_text():
    videos = pd.DataFrame(
        {
            "video_id": ["ours", "old"],
            "title": ["Night Drive A", "Rainy cafe beats - 72 BPM"],
            "tags": [["lofi"], ["lofi", "rain"]],
            "description": ["", "sad rainy evening"],
        }
    )
    linked = {"ours": {"track": "k1", "mood": "focused", "tempo": 84.0, "variants": ["Night Drive B", "Night Drive A"]}}
    out = attach_attributes(videos, linked).set_index("video_id")
    assert out.loc["ours", ["track", "mood", "tempo", "tempo_band", "title_variant"]].tolist() == [
        "k1",
        "focused",
        84.0,
        "fast",
        "variant B",
    ]
    assert out.loc["old", "mood"] == "melancholic" and out.loc["old", "tempo"] == 72.0
    assert out.loc["old", "tempo_band"] == "mid" and pd.isna(out.loc["old", "track"])
    assert track_conditions(
        {
            "songs": [
                {"conditions": {"mood": "cozy", "tempo": 70}},
                {"conditions": {"mood": "cozy", "tempo": 80}},
                {"conditions": {"mood": "chill", "tempo": 75}},
            ]
        }
    ) == {"mood": "cozy", "tempo": 75.0}
    assert tempo_band(50) == "slow" and tempo_band(68) == "mid" and tempo_band(99) == "fast"


def test_palette_weights_follow_the_palette_that_holds_viewers():
    videos, daily = evidence("cozy")
    # the cozy winners were lo-fi jazz, every other video synthwave
    videos["palette"] = ["lo-fi jazz" if m == "cozy" else "synthwave" for m in videos["mood"]]
    palette = generation_weights("2026-11-02", videos, daily).weights("palette")
    assert set(palette) == set(PALETTE_ORDER) and max(palette, key=palette.get) == "lo-fi jazz"
    assert min(palette.values()) > 0  # untried palettes are still explored
    fed = nightly_requests("2026-11-03", 50, 8, palette_weights=palette)
    assert sum(r.plan.palette == "lo-fi jazz" for r in fed) > 15  # 10 of 50 when even
    # a table stored before palettes has no palette column: nothing is known, the spread is even
    unknown = generation_weights("2026-11-02", videos.drop(columns="palette"), daily).weights("palette")
    assert list(unknown.values()) == pytest.approx([1 / len(PALETTE_ORDER)] * len(PALETTE_ORDER))


def test_a_video_palette_comes_from_its_track_or_its_words():
    videos = pd.DataFrame(
        {
            "video_id": ["ours", "old", "plain"],
            "title": ["Night Drive", "Late night jazz café", "Study beats"],
            "tags": [[], ["jazz"], []],
            "description": ["", "", ""],
        }
    )
    out = attach_attributes(videos, {"ours": {"track": "k1", "palette": "synthwave"}}).set_index("video_id")
    assert out.loc["ours", "palette"] == "synthwave" and out.loc["old", "palette"] == "lo-fi jazz"
    assert pd.isna(out.loc["plain", "palette"])
    songs = [
        {"conditions": {"mood": "cozy", "tempo": 70}, "sound_plan": {"palette": "ambient"}},
        {"conditions": {"mood": "cozy", "tempo": 70}, "sound_plan": {"palette": "ambient"}},
        {"conditions": {"mood": "cozy", "tempo": 70}, "sound_plan": {"palette": "lo-fi jazz"}},
    ]
    assert track_conditions({"songs": songs})["palette"] == "ambient"
