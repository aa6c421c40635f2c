"""Pulling daily figures from a fake YouTube Analytics on loopback that answers as the real
API does: result tables with column headers, the processing lag, 403 without the monetary
scope, quota and rate-limit errors."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from lofi_assets.core.youtube.client import SCOPES, Parked, YouTubeError, build_analytics, build_youtube, http_client
from lofi_assets.core.youtube.stats import (
    AnalyticsClient,
    iso_duration_s,
    pull_window,
    result_table,
    upsert,
)
from lofi_assets.demo.analytics_server import FakeAnalytics

TODAY = date(2026, 11, 30)
FAST = {"backoff_s": 0.001, "max_backoff_s": 0.01}


@pytest.fixture
def fake():
    server = FakeAnalytics(today=TODAY, lag_days=2)
    with server.serve():
        yield server


def client_for(fake: FakeAnalytics, monetary: bool = False) -> AnalyticsClient:
    from google.oauth2.credentials import Credentials

    credentials = Credentials.from_authorized_user_info(fake.authorized_user_info(), [SCOPES["analytics"]])
    http = http_client(credentials.with_token_uri(fake.token_uri))
    return AnalyticsClient(
        build_youtube(http, fake.base_url), build_analytics(http, fake.base_url), monetary=monetary, **FAST
    )


def add(fake: FakeAnalytics, vid: str, published: date, days: int, views: int = 100) -> None:
    fake.add_video(vid, f"video {vid}", datetime.combine(published, datetime.min.time(), UTC), 3600, ["lofi"])
    for k in range(days):
        fake.set_day(
            vid,
            published + timedelta(days=k),
            views=views + k,
            estimatedMinutesWatched=10 * (views + k),
            averageViewDuration=600,
            averageViewPercentage=16.7,
            subscribersGained=2,
            subscribersLost=1,
            likes=3,
            estimatedRevenue=0.25,
        )


def test_pull_reads_result_tables_and_leaves_out_the_lagging_days(fake):
    add(fake, "a", date(2026, 11, 20), 11)
    add(fake, "b", date(2026, 11, 25), 6, views=40)
    pull = client_for(fake).pull(date(2026, 11, 22), TODAY)
    by_video = pull.daily.groupby("video_id")["day"].agg(["min", "max", "count"])
    # Nothing after today − lag − 1 exists yet; b's figures start at its publication.
    assert by_video.loc["a"].tolist() == ["2026-11-22", "2026-11-27", 6]
    assert by_video.loc["b"].tolist() == ["2026-11-25", "2026-11-27", 3]
    row = pull.daily[(pull.daily.video_id == "a") & (pull.daily.day == "2026-11-22")].iloc[0]
    assert row["views"] == 102 and row["estimatedMinutesWatched"] == 1020 and row["averageViewPercentage"] == 16.7
    assert pd.isna(row["estimatedRevenue"]) and not pull.revenue
    assert pull.latest_day_with_data == "2026-11-27"
    assert pull.channel["subscribers"] == 17 and pull.channel["uploads"] == "UU-sim"
    assert set(pull.videos["video_id"]) == {"a", "b"} and pull.videos["duration_s"].tolist() == [3600.0, 3600.0]
    assert fake.counts["reports"] == 2


def test_revenue_without_the_monetary_scope_is_left_out_and_said(fake):
    add(fake, "a", date(2026, 11, 20), 5)
    add(fake, "b", date(2026, 11, 21), 5)
    client = client_for(fake, monetary=True)
    pull = client.pull(date(2026, 11, 20), TODAY)
    assert not pull.revenue and pull.daily["estimatedRevenue"].isna().all()
    assert any("monetary" in n for n in pull.notes)
    assert fake.counts["reports"] == 3  # one 403, then both videos without revenue
    fake.monetary = True
    pull = client_for(fake, monetary=True).pull(date(2026, 11, 20), TODAY)
    assert pull.revenue and pull.daily["estimatedRevenue"].sum() == pytest.approx(0.25 * 10)


def test_quota_parks_until_pacific_midnight_and_rate_limits_retry(fake):
    add(fake, "a", date(2026, 11, 20), 5)
    fake.fail("reports", 403, "rateLimitExceeded")
    fake.fail("reports", 503)
    client = client_for(fake)
    assert len(client.pull(date(2026, 11, 20), TODAY).daily) == 5 and client.retries == 2
    fake.fail("reports", 403, "quotaExceeded")
    with pytest.raises(Parked, match="quotaExceeded.*midnight Pacific"):
        client_for(fake).pull(date(2026, 11, 20), TODAY)


def test_other_refusals_fail_with_the_reason(fake):
    add(fake, "a", date(2026, 11, 20), 5)
    fake.fail("reports", 400, "badRequest")
    with pytest.raises(YouTubeError, match="badRequest"):
        client_for(fake).pull(date(2026, 11, 20), TODAY)


def test_many_uploads_page_through_the_playlist_and_batch_50_ids(fake):
    for n in range(120):
        fake.add_video(f"v{n:03d}", f"t{n}", datetime(2026, 1, 1, tzinfo=UTC), 60, [])
    client = client_for(fake)
    ids = client.upload_ids("UU-sim")
    assert len(ids) == 120 and ids[0] == "v119"  # newest first
    videos = client.videos(ids)
    assert len(videos) == 120
    assert fake.counts["videos"] == 3  # 50 + 50 + 20


def test_result_table_needs_headers_that_match_rows():
    table = result_table({"columnHeaders": [{"name": "day"}, {"name": "views"}], "rows": [["2026-01-01", 3]]})
    assert table.to_dict("records") == [{"day": "2026-01-01", "views": 3}]
    assert result_table({"columnHeaders": [{"name": "day"}]}).empty  # no rows: no figures yet
    with pytest.raises(YouTubeError, match="does not match"):
        result_table({"columnHeaders": [{"name": "day"}], "rows": [["x", 1]]})


def test_upsert_replaces_early_figures_with_later_ones(tmp_path):
    store = tmp_path / "daily.parquet"
    first = pd.DataFrame({"video_id": ["a", "a"], "day": ["2026-11-01", "2026-11-02"], "views": [10.0, 1.0]})
    upsert(store, first)
    later = pd.DataFrame({"video_id": ["a", "a"], "day": ["2026-11-02", "2026-11-03"], "views": [25.0, 7.0]})
    merged = upsert(store, later)
    assert merged["views"].tolist() == [10.0, 25.0, 7.0]
    assert pd.read_parquet(store).equals(merged)
    assert list(tmp_path.iterdir()) == [store]  # no temporary file left


def test_window_and_durations():
    assert pull_window(date(2026, 11, 30), 4) == (date(2026, 11, 26), date(2026, 11, 30))
    assert iso_duration_s("PT1H2M3S") == 3723 and iso_duration_s("PT45S") == 45 and iso_duration_s("P1DT1M") == 86460
    assert iso_duration_s("") is None and iso_duration_s("soon") is None
