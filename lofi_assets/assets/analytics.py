"""Analytics: the channel's daily figures from YouTube, and the daily report that turns
them into decisions (what to upload when, what to make next)."""

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import yaml
from pydantic import Field

from lofi_assets import asset_files
from lofi_assets.asset_files import (
    STATS_STORE,
    STATS_VIDEOS,
    channel_dir,
    latest_weights,
    local_dir,
    uploaded_video_id,
)
from lofi_assets.core.analytics import report as cr
from lofi_assets.core.analytics.daily_report import ReportInputs, ReportSettings, build_report, report_problems
from lofi_assets.core.files import parquet_bytes, read_json, write_bytes_atomic
from lofi_assets.core.generation.feedback import (
    attach_attributes,
    track_conditions,
)
from lofi_assets.core.tables import markdown_bullets, markdown_table
from lofi_assets.core.youtube.client import AuthError, Parked, YouTubeError
from lofi_assets.core.youtube.stats import DAILY_COLUMNS, AnalyticsClient, normalise_daily, pull_window, upsert
from lofi_assets.partitions import daily_partitions
from resources import StorageResource, YouTubeResource

if TYPE_CHECKING:
    import pandas as pd


def linked_videos(storage: StorageResource) -> dict[str, dict]:
    """Video id → the track this pipeline published it for, the conditions its songs
    were made with, and its A/B titles (from the upload ledgers)."""
    out = {}
    for key, _ in asset_files.LEDGER.each(storage):
        video_id = uploaded_video_id(storage, key)
        if not video_id:
            continue
        meta = asset_files.METADATA.read(storage, key) or {}
        out[video_id] = {
            "track": key,
            "variants": meta.get("variants") or [meta.get("title")],
            **track_conditions(asset_files.GAP_SONGS.read(storage, key)),
        }
    return out


STATS_STORE_VALID = "stats_store_valid"


class VideoStatsConfig(dg.Config):
    trailing_days: int = Field(
        default=4,
        description="days before the partition re-pulled each run: YouTube's "
        "figures lag 2–3 days, so a day's early figures are replaced by later pulls",
    )


# A multi-asset that may leave its check unevaluated: without credentials nothing is pulled,
# and the UI shows the check as skipped rather than passed.
@dg.multi_asset(
    name="video_stats",
    specs=[
        dg.AssetSpec(
            "video_stats",
            partitions_def=daily_partitions,
            group_name="analytics",
            kinds={"youtube", "parquet"},
            code_version="1",
            deps=[dg.AssetDep("youtube_video", partition_mapping=dg.AllPartitionMapping())],
            description="Per published video per day: views, watch time, subscribers, likes (and revenue) from "
            "the YouTube Analytics API, upserted into one store per channel.",
        )
    ],
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    # A refused request our client gave up on (after its own backoff) is worth one more
    # try later; quota and credentials fail without retry (dg.Failure says so).
    retry_policy=dg.RetryPolicy(max_retries=2, delay=120, backoff=dg.Backoff.EXPONENTIAL),
    check_specs=[
        dg.AssetCheckSpec(
            STATS_STORE_VALID,
            asset="video_stats",
            description="the store re-read: one row per video and day, no negative "
            "figure, view percentages within 0–100 (a little over for "
            "replays)",
        )
    ],
    can_subset=True,
)
def video_stats(
    context: dg.AssetExecutionContext, config: VideoStatsConfig, storage: StorageResource, youtube: YouTubeResource
):
    """Per published video per day: views, minutes watched, average view duration and
    percentage, subscribers, likes (and revenue with the monetary scope), from the YouTube
    Analytics API; lifetime counts from the Data API. Each run re-pulls a trailing window
    and upserts ``video_stats/channels/<channel>/daily.parquet``; a backfill of a date
    range is one run."""
    import pandas as pd

    first, last = (date.fromisoformat(k) for k in (context.partition_key_range.start, context.partition_key_range.end))
    start, end = pull_window(first, config.trailing_days)[0], last
    if not youtube.live:
        # A channel pulled before stays the one the report reads; only a pipeline that has
        # never pulled records that it has nothing.
        if (asset_files.STATS_SOURCE.read(storage) or {}).get("mode") != "live":
            asset_files.STATS_SOURCE.write(storage, None, {"mode": "none", **youtube.describe()})
        context.log.warning("no YouTube credentials: no figures pulled")
        # Nothing was pulled, so nothing is checked: stats_store_valid stays unevaluated.
        yield dg.MaterializeResult(
            asset_key="video_stats",
            metadata={
                **youtube.describe(),
                "videos": 0,
                "rows": 0,
                "note": "no YouTube token: nothing to pull (run `lofi auth`, set LOFI_YOUTUBE_TOKEN); "
                "stats_store_valid not evaluated",
            },
        )
        return
    try:
        client = AnalyticsClient(
            youtube.client(), youtube.analytics_client(), monetary=youtube.monetary, **youtube.publisher_options()
        )
        pull = client.pull(start, end)
    except Parked as exc:
        raise dg.Failure(
            description=f"video_stats {first}..{last}: {exc}; the next daily run pulls this window again",
            allow_retries=False,
        ) from None
    except AuthError as exc:
        raise dg.Failure(description=f"video_stats: {exc}", allow_retries=False) from None
    except YouTubeError as exc:
        raise dg.Failure(description=f"video_stats {first}..{last}: {exc}") from None
    videos = attach_attributes(pull.videos, linked_videos(storage))
    store = channel_dir(storage, pull.channel["channel_id"])
    merged = upsert(store / STATS_STORE, pull.daily)
    write_bytes_atomic(store / STATS_VIDEOS, parquet_bytes(videos))
    asset_files.STATS_SOURCE.write(
        storage,
        None,
        {
            "mode": "live",
            "api": youtube.root_url or "https://youtube.googleapis.com/",
            "channel": pull.channel,
            "pulled_at": datetime.now(UTC).isoformat(),
            "window": [start.isoformat(), end.isoformat()],
            "revenue": pull.revenue,
            "notes": pull.notes,
        },
    )
    problems = store_problems(pd.read_parquet(store / STATS_STORE))
    latest = pull.latest_day_with_data
    for note in pull.notes:
        context.log.warning(note)
    yield dg.MaterializeResult(
        asset_key="video_stats",
        metadata={
            **youtube.describe(),
            "channel": pull.channel.get("title", ""),
            "videos": len(videos),
            "rows_pulled": len(pull.daily),
            "rows_in_store": len(merged),
            "requests": pull.requests,
            "window": f"{start} .. {end}",
            "latest_day_with_data": latest or "none",
            "lag_days": (end - date.fromisoformat(latest)).days if latest else None,
            "revenue": pull.revenue,
            "notes": dg.MetadataValue.md(markdown_bullets(pull.notes)),
            "store": dg.MetadataValue.path(str(store / STATS_STORE)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=STATS_STORE_VALID,
                passed=not problems,
                metadata={"problems": dg.MetadataValue.md(markdown_bullets(problems))},
            )
        ],
    )


def store_problems(store: "pd.DataFrame") -> list[str]:
    problems = []
    missing = set(DAILY_COLUMNS) - set(store.columns)
    if missing:
        return [f"columns missing: {sorted(missing)}"]
    dupes = int(store.duplicated(["video_id", "day"]).sum())
    if dupes:
        problems.append(f"{dupes} duplicate (video, day) rows")
    numeric = store.drop(columns=["video_id", "day", "subscribersLost"]).select_dtypes("number")
    if (numeric < 0).any().any():
        problems.append("negative figures: " + ", ".join(numeric.columns[(numeric < 0).any()]))
    if (store["averageViewPercentage"] > 150).any():
        problems.append("averageViewPercentage over 150")
    return problems


# -- the report --------------------------------------------------------------------------------


class ChannelReportConfig(dg.Config):
    window_days: int = Field(default=28, description="the recent period of the overview and top videos")
    costs_file: str | None = Field(
        default=None,
        description="YAML list of costs (name, monthly or yearly, currency); default <root>/analytics/costs.yaml",
    )
    quality_last_n: int = Field(default=200, description="pieces the drift detector looks at")
    quality_window: int = Field(default=20, description="rolling window of the drift detector")
    drift_threshold: float = Field(
        default=0.03, description="alert when the rolling mean is this far below the baseline (and significantly so)"
    )
    exploration: float = Field(default=0.2, description="share of the nightly batch spread evenly whatever wins")
    next_batch: int = Field(default=50, description="pieces in the batch the weights are shown for")


def read_costs(storage: StorageResource, configured: str | None) -> tuple[list[dict], str]:
    path = Path(configured) if configured else Path(str(storage.input_dir("analytics"))) / "costs.yaml"
    if not path.exists():
        return [], f"no costs listed ({path} not found)"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("costs", data) if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("name") for i in items):
        raise dg.Failure(
            description=f"{path}: expected a list of costs with name and monthly or yearly", allow_retries=False
        )
    return items, str(path)


def quality_scores(storage: StorageResource, day: str) -> list[float]:
    """Combined scores of every generated piece up to ``day``, oldest first: the nightly
    batches by date, then the tracks' gap songs by the time they were made."""
    scored: list[tuple[str, int, float]] = []
    for night, report in asset_files.NIGHTLY_REPORT.each(storage):
        if night <= day:
            for i, piece in enumerate((read_json(report) or {}).get("pieces", [])):
                if (piece.get("score") or {}).get("combined") is not None:
                    scored.append((night, i, float(piece["score"]["combined"])))
    for _, path in asset_files.GAP_SONGS.each(storage):
        made = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
        if made <= day:
            for i, song in enumerate((read_json(path) or {}).get("songs", [])):
                if (song.get("score") or {}).get("combined") is not None:
                    scored.append((made, i, float(song["score"]["combined"])))
    return [s for _, _, s in sorted(scored, key=lambda x: (x[0], x[1]))]


def track_playlists(storage: StorageResource) -> list[dict]:
    return [read_json(path) or {} for _, path in asset_files.PLAYLIST.each(storage)]


@dg.asset(
    partitions_def=daily_partitions,
    group_name="analytics",
    kinds={"pandas", "html"},
    code_version="1",
    deps=[video_stats],
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec(
            "report_complete",
            asset="channel_report",
            description="report.html re-read with every section; every chart opens "
            "as a PNG; weights sum to 1 per condition",
        )
    ],
)
def channel_report(
    context: dg.AssetExecutionContext, config: ChannelReportConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """The day's report: overview, top videos, growth and the next subscriber milestone,
    best upload weekday and hour, revenue against costs, library reuse, generation quality
    drift, retention by mood, tempo and title variant, and the weights it sets for the
    nightly batch. Charts as PNG, everything on one HTML page (``report.html``). A
    backfill of a date range is one run that writes each day's report."""
    problems: list[str] = []
    for key in context.partition_keys:
        report = write_report(storage, config, key)
        problems += [f"{key}: {p}" for p in report.pop("problems")]
        if report["drift"].alert:
            context.log.warning(
                f"{key}: generation quality drift: rolling mean {report['drift'].recent} vs "
                f"baseline {report['drift'].baseline}"
            )
    return dg.MaterializeResult(
        metadata={**report_metadata(report), "reports_written": len(context.partition_keys)},
        check_results=[
            dg.AssetCheckResult(
                check_name="report_complete",
                passed=not problems,
                metadata={"problems": dg.MetadataValue.md(markdown_bullets(problems))},
            )
        ],
    )


def write_report(storage: StorageResource, config: ChannelReportConfig, day_key: str) -> dict:
    """Read what was known on ``day_key``, build the report, write it under
    ``channel_report/<day>/``."""
    import pandas as pd

    day = date.fromisoformat(day_key)
    source = asset_files.STATS_SOURCE.read(storage) or {}
    folder = channel_dir(storage, (source.get("channel") or {}).get("channel_id", "none"))
    store = folder / STATS_STORE
    daily = pd.read_parquet(store) if store.exists() else normalise_daily(pd.DataFrame(columns=list(DAILY_COLUMNS)))
    daily = daily[daily["day"] <= day_key]
    videos = (
        pd.read_parquet(folder / STATS_VIDEOS)
        if (folder / STATS_VIDEOS).exists()
        else pd.DataFrame(
            columns=["video_id", "title", "published_at", "mood", "tempo", "tempo_band", "palette", "title_variant"]
        )
    )
    if len(videos):
        videos = videos[videos["published_at"].dt.strftime("%Y-%m-%d") <= day_key]
    costs, costs_note = read_costs(storage, config.costs_file)
    inputs = ReportInputs(
        day=day,
        daily=daily,
        videos=videos,
        source=source,
        costs=costs,
        costs_note=costs_note,
        scores=quality_scores(storage, day_key),
        playlists=track_playlists(storage),
        previous_weights=latest_weights(storage, (day - timedelta(days=1)).isoformat()),
    )
    settings = ReportSettings(**{f.name: getattr(config, f.name) for f in fields(ReportSettings)})
    report = build_report(inputs, settings, local_dir(storage, asset_files.REPORT_HTML.asset, day_key))
    asset_files.WEIGHTS.write(storage, day_key, report.weights.to_dict())
    html_path = Path(str(asset_files.REPORT_HTML.write_bytes(storage, day_key, report.page.encode())))
    return {
        "source": report.source,
        "findings": report.findings,
        "growth": report.growth,
        "drift": report.drift,
        "top": report.top,
        "changed": report.changed,
        "charts": report.charts,
        "html": html_path,
        "problems": report_problems(html_path, report),
    }


def report_metadata(report: dict) -> dict:
    growth, drift = report["growth"], report["drift"]
    return {
        "source": report["source"],
        "findings": dg.MetadataValue.md(markdown_bullets(report["findings"])),
        "subscribers": growth.subscribers,
        "next_milestone": growth.milestone,
        "milestone_date": str(growth.milestone_date) if growth.milestone_date else "not at this pace",
        "drift_alert": drift.alert,
        "quality_recent": drift.recent,
        "quality_baseline": drift.baseline,
        "top_videos": dg.MetadataValue.md(frame_markdown(report["top"].head(5))),
        "views_chart": dg.MetadataValue.md(f"![views]({cr.png_data_uri(report['charts']['views'])})"),
        "next_batch": dg.MetadataValue.md(frame_markdown(report["changed"])),
        "report": dg.MetadataValue.path(str(report["html"])),
        **{f"chart_{k}": dg.MetadataValue.path(str(v)) for k, v in report["charts"].items()},
    }


def frame_markdown(frame: "pd.DataFrame") -> str:
    return markdown_table(list(frame.columns), frame.itertuples(index=False)) if len(frame) else "none"
