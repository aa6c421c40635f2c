"""Analytics benchmark: a year of daily figures for 500 videos, served by the fake YouTube
Analytics on loopback, backfilled and reported by the real assets.

- **Backfill**: ``video_stats`` over 365 daily partitions in one run (its single-run
  backfill policy) against the reference measured in the same run: the per-partition
  backfill Dagster would otherwise launch (one run per day, each re-pulling its trailing
  window), timed on ``--sample-days`` days and extrapolated to the year.
- **Report**: ``channel_report`` for the last day (goal: under 10 s), against the floor of
  reading the store it is computed from.
- **Feedback**: rounds of "make 8 videos with the bandit's weights, watch their retention,
  report"; the share of videos made in the mood that truly retains best, against the
  even spread (1 in 8).

    python benchmarks/bench_analytics.py                 # 500 videos, 365 days
    python benchmarks/bench_analytics.py --videos 100    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lofi_assets.assets.analytics import channel_report, video_stats  # noqa: E402
from lofi_assets.core.generation.conditions import MOODS  # noqa: E402
from lofi_assets.core.generation.feedback import allocate, generation_weights  # noqa: E402
from lofi_assets.demo.analytics_server import MOOD_RETENTION, FakeAnalytics, simulated_channel  # noqa: E402
from resources import StorageResource, YouTubeResource  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def backfill_and_report(videos: int, days: int, sample_days: int) -> dict:
    today = date(2026, 12, 1)
    fake = FakeAnalytics(today=today, lag_days=2)
    seconds, _ = timed(lambda: simulated_channel(fake, videos=videos, days=days, seed=5))
    print(f"simulated channel: {videos} videos, {len(fake.daily):,} video-days ({seconds:.1f} s to make)")
    end = today - timedelta(days=3)
    start = end - timedelta(days=days - 1)
    with fake.serve(), tempfile.TemporaryDirectory() as tmp:
        token = Path(tmp) / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        os.chmod(token, 0o600)
        youtube = YouTubeResource(token_file=str(token), root_url=fake.base_url, token_uri=fake.token_uri)
        storage = StorageResource(root=str(Path(tmp) / "data"))
        res = {"storage": storage, "youtube": youtube}
        with dg.instance_for_test() as instance:
            calls0 = fake.counts["reports"]
            one_run, result = timed(
                lambda: dg.materialize(
                    [video_stats],
                    instance=instance,
                    resources=res,
                    tags={
                        "dagster/asset_partition_range_start": start.isoformat(),
                        "dagster/asset_partition_range_end": end.isoformat(),
                    },
                )
            )
            assert result.success
            single_calls = fake.counts["reports"] - calls0
            store = next(Path(tmp, "data").glob("assets/video_stats/channels/*/daily.parquet"))
            rows = len(pd.read_parquet(store))

            calls0 = fake.counts["reports"]
            per_day = []
            for k in range(sample_days):
                key = (end - timedelta(days=k)).isoformat()
                seconds, result = timed(
                    lambda key=key: dg.materialize([video_stats], partition_key=key, instance=instance, resources=res)
                )
                assert result.success
                per_day.append(seconds)
            multi_calls = (fake.counts["reports"] - calls0) / sample_days
            multi_year = float(np.mean(per_day)) * days

            report_s, result = timed(
                lambda: dg.materialize(
                    [channel_report], partition_key=end.isoformat(), instance=instance, resources=res
                )
            )
            assert result.success
            read_s, _ = timed(lambda: pd.read_parquet(store))
    print(f"\nbackfill {days} days × {videos} videos ({rows:,} rows in the store)")
    print(f"  one run (single-run policy):   {one_run:7.1f} s   {single_calls:,} reports.query calls")
    print(
        f"  one run per day (reference):   {multi_year:7.1f} s   {multi_calls * days:,.0f} calls "
        f"(extrapolated from {sample_days} days, {np.mean(per_day):.2f} s each)"
    )
    print(f"  speed-up: {multi_year / one_run:.1f}×")
    print(
        f"\nreport for {end}: {report_s:.2f} s (goal < 10 s); reading the store alone {read_s * 1000:.0f} ms "
        f"({report_s / read_s:.0f}× the floor)"
    )
    return {"one_run_s": one_run, "per_day_year_s": multi_year, "report_s": report_s, "rows": rows}


def feedback_rounds(rounds: int = 30, per_round: int = 8, seed: int = 1) -> dict:
    """Make ``per_round`` videos a round with the bandit's mood weights; each video's
    retention is its mood's true mean plus noise; report; repeat."""
    rng = np.random.default_rng(seed)
    best = max(MOOD_RETENTION, key=MOOD_RETENTION.get)
    videos, daily, made = [], [], []
    for r in range(rounds):
        day = (date(2026, 1, 1) + timedelta(days=r)).isoformat()
        weights = generation_weights(
            day,
            pd.DataFrame(videos, columns=["video_id", "mood", "tempo"]),
            pd.DataFrame(daily, columns=["video_id", "day", "views", "averageViewPercentage"]),
        )
        counts = allocate(weights.weights("mood"), per_round)
        for mood, n in counts.items():
            for _ in range(n):
                vid = f"r{r}-{len(videos)}"
                videos.append({"video_id": vid, "mood": mood, "tempo": 75.0})
                pct = float(np.clip(rng.normal(MOOD_RETENTION[mood] * 0.35, 2.5), 1, 100))
                daily.append(
                    {"video_id": vid, "day": day, "views": float(rng.integers(200, 2000)), "averageViewPercentage": pct}
                )
                made.append((r, mood))
    last = [m for r, m in made if r >= rounds - 10]
    first = [m for r, m in made if r < 10]
    share_last, share_first = last.count(best) / len(last), first.count(best) / len(first)
    print(
        f"\nfeedback: {rounds} rounds of {per_round} videos; true best mood '{best}' "
        f"({MOOD_RETENTION[best] * 0.35:.1f} % viewed vs a mean of "
        f"{np.mean(list(MOOD_RETENTION.values())) * 0.35:.1f} %)"
    )
    print(
        f"  share of videos in '{best}': rounds 1–10 {share_first:.0%}, rounds {rounds - 9}–{rounds} "
        f"{share_last:.0%}; even spread {1 / len(MOODS):.1%} ({share_last * len(MOODS):.1f}× the even share)"
    )
    return {"share_first": share_first, "share_last": share_last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sample-days", type=int, default=5)
    args = parser.parse_args()
    backfill_and_report(args.videos, args.days, args.sample_days)
    feedback_rounds()


if __name__ == "__main__":
    main()
