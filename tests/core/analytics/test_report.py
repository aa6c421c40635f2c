"""The report's figures from fixed data, checked against figures worked out by hand."""

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lofi_assets.core.analytics import report as cr
from lofi_assets.core.youtube.stats import DAILY_COLUMNS, normalise_daily

DAY = date(2026, 3, 31)


def daily_rows(rows: list[dict]) -> pd.DataFrame:
    return normalise_daily(pd.DataFrame([{c: r.get(c, 0) for c in DAILY_COLUMNS} for r in rows]))


@pytest.fixture
def stats() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two videos: A (Monday 18:00 upload) gets 100 views a day, B (Saturday 14:00) 300,
    over March; A also earns revenue of $1 a day, B $2."""
    rows = []
    for d in pd.date_range("2026-03-01", "2026-03-31"):
        day = d.strftime("%Y-%m-%d")
        rows.append(
            {
                "video_id": "A",
                "day": day,
                "views": 100,
                "estimatedMinutesWatched": 600,
                "averageViewPercentage": 20.0,
                "subscribersGained": 3,
                "subscribersLost": 1,
                "likes": 5,
                "estimatedRevenue": 1.0,
            }
        )
        if day >= "2026-03-07":
            rows.append(
                {
                    "video_id": "B",
                    "day": day,
                    "views": 300,
                    "estimatedMinutesWatched": 1200,
                    "averageViewPercentage": 10.0,
                    "subscribersGained": 4,
                    "subscribersLost": 0,
                    "likes": 9,
                    "estimatedRevenue": 2.0,
                }
            )
    videos = pd.DataFrame(
        {
            "video_id": ["A", "B"],
            "title": ["Rainy", "Cozy"],
            "published_at": [datetime(2026, 3, 2, 18, tzinfo=UTC), datetime(2026, 3, 7, 14, tzinfo=UTC)],
            "mood": ["melancholic", "cozy"],
            "tempo_band": ["slow", "mid"],
        }
    )
    return daily_rows(rows), videos


def test_overview_compares_the_last_28_days_with_the_28_before(stats):
    daily, _ = stats
    table = cr.overview(daily, DAY, 28).set_index("figure")
    # Last 28 days: 4–31 March: A 28 × 100, B 25 days (7–31) × 300.
    assert table.loc["views", "last 28 days"] == 28 * 100 + 25 * 300
    # The 28 days before: 5 Feb – 3 Mar: A on 1–3 March only.
    assert table.loc["views", "previous 28 days"] == 300
    assert table.loc["views", "change %"] == round((10300 - 300) / 300 * 100, 1)
    assert table.loc["watch hours", "last 28 days"] == round((28 * 600 + 25 * 1200) / 60, 1)
    assert table.loc["subscribers (net)", "last 28 days"] == 28 * 2 + 25 * 4
    assert table.loc["revenue", "last 28 days"] == 28 * 1 + 25 * 2


def test_top_videos_rank_by_recent_views_with_weighted_retention(stats):
    daily, videos = stats
    top = cr.top_videos(daily, videos, DAY, 28)
    assert top["video_id"].tolist() == ["B", "A"]
    assert top.loc[0, "views"] == 7500 and top.loc[0, "watch hours"] == 500.0 and top.loc[0, "avg view %"] == 10.0


def test_growth_and_milestone_date(stats):
    daily, _ = stats
    g = cr.subscriber_growth(daily, DAY, subscribers=900, days=28)
    # Net a day over the last 28 days: (28 × 2 + 25 × 4) / 28 = 156 / 28.
    assert g.daily_net == pytest.approx(156 / 28, abs=1e-3)
    assert g.milestone == 1000
    assert g.days_to_milestone == int(np.ceil(100 / (156 / 28)))  # 18 days
    assert g.milestone_date == date(2026, 4, 18)
    unknown = cr.subscriber_growth(daily, DAY, subscribers=None)
    assert unknown.subscribers == 31 * 2 + 25 * 4  # the net gains summed


def test_best_upload_slot_from_first_week_views(stats):
    daily, videos = stats
    fw = cr.first_week_views(daily, videos).set_index("video_id")
    assert fw.loc["A", "views"] == 700 and fw.loc["B", "views"] == 2100
    slot = cr.best_slot(daily, videos)
    assert slot["weekday"] == "Sat" and slot["hour"] == 14 and slot["weekday_mean_views"] == 2100
    table = cr.upload_timing(daily, videos)
    assert table.loc["Mon", 18] == 700


def test_revenue_against_costs_by_month(stats):
    daily, _ = stats
    costs = [{"name": "server", "monthly": 20}, {"name": "font licence", "yearly": 120}]
    assert cr.monthly_costs(costs) == 30
    table = cr.revenue_vs_costs(daily, costs, date(2026, 3, 31), months=2).set_index("month")
    assert pd.isna(table.loc["2026-02", "revenue"]) and table.loc["2026-02", "costs"] == 30
    assert table.loc["2026-03", "revenue"] == 31 * 1 + 25 * 2
    assert table.loc["2026-03", "net"] == 81 - 30
    mid = cr.revenue_vs_costs(daily, costs, date(2026, 3, 15), months=1)
    assert mid.loc[0, "costs"] == round(30 * 15 / 31, 2)  # the month so far, pro rata


def test_reuse_rate_per_track():
    table = cr.reuse_rate(
        [
            {"title": "Rain", "prompts": [{"song_id": "s1"}, {"song_id": None}, {"song_id": "s2"}, {"song_id": None}]},
            {"track": "k2", "prompts": [{"song_id": None}]},
        ]
    )
    assert table.to_dict("records") == [
        {"track": "Rain", "songs": 4, "reused": 2, "made": 2, "reuse %": 50.0},
        {"track": "k2", "songs": 1, "reused": 0, "made": 1, "reuse %": 0.0},
    ]


def test_drift_detector_finds_a_known_shift_and_stays_quiet_without_one():
    rng = np.random.default_rng(0)
    steady = rng.normal(0.80, 0.02, 180)
    quiet = cr.quality_drift(steady, last_n=200, window_size=20, threshold=0.03)
    assert not quiet.alert and abs(quiet.drop) < 0.03
    shifted = np.concatenate([steady, rng.normal(0.72, 0.02, 40)])  # shift at piece 180 of 220
    drift = cr.quality_drift(shifted, last_n=200, window_size=20, threshold=0.03)
    assert drift.alert and drift.recent == pytest.approx(0.72, abs=0.015) and drift.z > 2
    # The last 200 pieces start at piece 20, so the shift is at index 160; the rolling
    # mean crosses within one window of it.
    assert 160 <= drift.first_alert <= 180
    assert cr.quality_drift([0.8] * 10, window_size=20).alert is False  # too few pieces to judge


def test_retention_by_attribute_is_views_weighted(stats):
    daily, videos = stats
    table = cr.retention_by(daily, videos, "mood")
    assert table["mood"].tolist() == ["melancholic", "cozy"]
    assert table["avg view %"].tolist() == [20.0, 10.0]


def test_charts_and_page_open(stats, tmp_path: Path):
    daily, videos = stats
    growth = cr.subscriber_growth(daily, DAY, 900)
    paths = [
        cr.chart_views(daily, DAY, tmp_path / "v.png"),
        cr.chart_subscribers(daily, growth, DAY, tmp_path / "s.png"),
        cr.chart_timing(cr.upload_timing(daily, videos), tmp_path / "t.png"),
        cr.chart_revenue(cr.revenue_vs_costs(daily, [], DAY), tmp_path / "r.png"),
    ]
    for p in paths:
        with Image.open(p) as img:
            assert img.format == "PNG" and img.size[0] >= 600
    page = cr.html_page(
        "Report <1>", [("Top", cr.top_videos(daily, videos, DAY)), ("Views", paths[0])], ["a note & more"]
    )
    assert "Report &lt;1&gt;" in page and "<table" in page and "data:image/png;base64," in page
    assert "a note &amp; more" in page
