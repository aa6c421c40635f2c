"""Analytics materialized as an operator would: a date range backfilled in one run from a
fake channel on loopback, a later run re-pulling the lagging days, the day's report with
its charts and page, and the weights it hands the nightly batch."""

import json
from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest
from PIL import Image

from lofi_assets.asset_files import latest_weights
from lofi_assets.assets.analytics import channel_report, video_stats
from lofi_assets.core.generation.requests import nightly_requests
from lofi_assets.demo.analytics_server import MOOD_RETENTION, FakeAnalytics, simulated_channel
from resources import StorageResource, YouTubeResource

TODAY = date(2026, 11, 30)
RANGE = {"dagster/asset_partition_range_start": "2026-11-01", "dagster/asset_partition_range_end": "2026-11-27"}


@pytest.fixture
def channel(tmp_path):
    fake = FakeAnalytics(today=TODAY, lag_days=2)
    simulated_channel(fake, videos=16, days=120, seed=3)
    with fake.serve():
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        token.chmod(0o600)
        yield (
            fake,
            YouTubeResource(token_file=str(token), root_url=fake.base_url, token_uri=fake.token_uri, backoff_s=0.001),
        )


def res(data_dir, youtube):
    return {"storage": StorageResource(root=str(data_dir)), "youtube": youtube}


def test_backfill_a_range_in_one_run_then_repull_the_lagging_days(channel, data_dir):
    fake, youtube = channel
    with dg.instance_for_test() as instance:
        result = dg.materialize([video_stats], instance=instance, resources=res(data_dir, youtube), tags=RANGE)
        assert result.success
        materialized = {e.partition for e in result.get_asset_materialization_events()}
        assert materialized == {f"2026-11-{d:02d}" for d in range(1, 28)}  # 27 partitions, one run
        store = pd.read_parquet(data_dir / "assets/video_stats/channels/UC-sim/daily.parquet")
        assert store["day"].min() == "2026-10-28" and store["day"].max() == "2026-11-27"  # 4 trailing days
        assert not store.duplicated(["video_id", "day"]).any()
        reports_calls = fake.counts["reports"]
        assert reports_calls == 16 - sum(
            1 for v in fake.videos.values() if v["snippet"]["publishedAt"][:10] > "2026-11-27"
        )

        # Two days on, YouTube has finished the 28th and 29th and revised the 27th.
        vid = sorted(fake.videos)[-1]
        fake.set_day(vid, date(2026, 11, 27), views=99999, averageViewPercentage=20.0)
        fake.today = TODAY + timedelta(days=2)
        again = dg.materialize(
            [video_stats], partition_key="2026-11-29", instance=instance, resources=res(data_dir, youtube)
        )
        assert again.success
        store = pd.read_parquet(data_dir / "assets/video_stats/channels/UC-sim/daily.parquet")
        assert store["day"].max() == "2026-11-29" and not store.duplicated(["video_id", "day"]).any()
        assert store.loc[(store.video_id == vid) & (store.day == "2026-11-27"), "views"].item() == 99999
        meta = again.get_asset_materialization_events()[0].materialization.metadata
        assert meta["latest_day_with_data"].value == "2026-11-29" and meta["lag_days"].value == 0
        check = again.get_asset_check_evaluations()[0]
        assert check.passed


def test_report_page_charts_and_feedback_for_the_nightly_batch(channel, data_dir):
    fake, youtube = channel
    with dg.instance_for_test() as instance:
        assert dg.materialize([video_stats], instance=instance, resources=res(data_dir, youtube), tags=RANGE).success
        result = dg.materialize(
            [channel_report], partition_key="2026-11-27", instance=instance, resources=res(data_dir, youtube)
        )
        assert result.success
        folder = data_dir / "assets/channel_report/2026-11-27"
        page = (folder / "report.html").read_text()
        for heading in (
            "Overview",
            "Top videos",
            "Upload timing",
            "Revenue and costs",
            "Library reuse",
            "Generation quality",
            "Retention by mood",
            "Next nightly batch",
        ):
            assert f"<h2>{heading}</h2>" in page
        assert "NOT YouTube (simulated channel)" in page  # labelled as what it is
        assert page.count("data:image/png;base64,") == 6
        for png in folder.glob("*.png"):
            with Image.open(png) as img:
                assert img.format == "PNG"
        meta = result.get_asset_materialization_events()[0].materialization.metadata
        assert meta["next_milestone"].value in (1_000, 10_000, 100_000)
        assert result.get_asset_check_evaluations()[0].passed

        # The fake's known answer: melancholic holds viewers best; the batch leans to it.
        weights = latest_weights(StorageResource(root=str(data_dir)), "2026-11-28", with_evidence=True)
        mood = weights.weights("mood")
        assert max(mood, key=mood.get) == max(MOOD_RETENTION, key=MOOD_RETENTION.get)
        even = nightly_requests("2026-11-28", 50, 8)
        fed = nightly_requests("2026-11-28", 50, 8, mood, weights.weights("tempo"))
        count = lambda reqs: sum(r.conditions.mood == "melancholic" for r in reqs)  # noqa: E731
        assert count(fed) > count(even)


def test_without_credentials_nothing_is_pulled_and_the_report_says_so(data_dir):
    with dg.instance_for_test() as instance:
        resources = res(data_dir, YouTubeResource())
        stats = dg.materialize([video_stats], partition_key="2026-11-27", instance=instance, resources=resources)
        meta = stats.get_asset_materialization_events()[0].materialization.metadata
        assert meta["youtube_mode"].value == "dry-run" and meta["videos"].value == 0
        assert not stats.get_asset_check_evaluations()  # nothing pulled, nothing checked: not a pass
        report = dg.materialize([channel_report], partition_key="2026-11-27", instance=instance, resources=resources)
        assert report.success
        page = (data_dir / "assets/channel_report/2026-11-27/report.html").read_text()
        assert "No YouTube credentials" in page
        assert "no retention figures yet" in page


def test_quota_fails_the_partition_clearly_and_keeps_the_store(channel, data_dir):
    fake, youtube = channel
    with dg.instance_for_test() as instance:
        assert dg.materialize(
            [video_stats], partition_key="2026-11-20", instance=instance, resources=res(data_dir, youtube)
        ).success
        before = pd.read_parquet(data_dir / "assets/video_stats/channels/UC-sim/daily.parquet")
        fake.fail("reports", 403, "quotaExceeded")
        result = dg.materialize(
            [video_stats],
            partition_key="2026-11-21",
            instance=instance,
            resources=res(data_dir, youtube),
            raise_on_error=False,
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.step_failure_data.user_failure_data.description
        assert "quotaExceeded" in message and "2026-11-21" in message and "next daily run" in message
        assert pd.read_parquet(data_dir / "assets/video_stats/channels/UC-sim/daily.parquet").equals(before)


def test_a_run_without_credentials_keeps_the_channel_already_pulled(channel, data_dir):
    fake, youtube = channel
    with dg.instance_for_test() as instance:
        assert dg.materialize(
            [video_stats], partition_key="2026-11-20", instance=instance, resources=res(data_dir, youtube)
        ).success
        assert dg.materialize(
            [video_stats], partition_key="2026-11-21", instance=instance, resources=res(data_dir, YouTubeResource())
        ).success
        report = dg.materialize(
            [channel_report], partition_key="2026-11-20", instance=instance, resources=res(data_dir, YouTubeResource())
        )
        page = (data_dir / "assets/channel_report/2026-11-20/report.html").read_text()
        assert report.success and "simulated channel" in page and "No YouTube credentials" not in page
