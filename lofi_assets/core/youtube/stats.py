"""Daily figures of the channel's videos from YouTube: the Analytics API v2 for per-day
metrics, the Data API v3 for the list of uploads and lifetime counts.

- Which videos: the channel's uploads playlist (``channels.list(mine=true)`` →
  ``playlistItems.list``), so videos uploaded by hand count too.
- Per video per day: ``reports.query(ids=channel==MINE, dimensions=day,
  filters=video==ID)``. YouTube's figures lag two to three days, so every pull covers a
  trailing window and the store is upserted by (video, day): a later pull replaces a
  day's early, partial figures.
- Revenue needs the monetary scope: a 403 without it turns revenue off for the pull (the
  rest goes on) and says so.
- Lifetime counts: ``videos.list(part=statistics)``, 50 ids a call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi_assets.core.files import parquet_bytes, write_bytes_atomic
from lofi_assets.core.youtube.client import ApiCaller, YouTubeError, api_error

if TYPE_CHECKING:
    import pandas as pd

METRICS = (
    "views",
    "estimatedMinutesWatched",
    "averageViewDuration",
    "averageViewPercentage",
    "subscribersGained",
    "subscribersLost",
    "likes",
)
REVENUE_METRIC = "estimatedRevenue"
DAILY_COLUMNS = ("video_id", "day", *METRICS, REVENUE_METRIC)
VIDEO_COLUMNS = (
    "video_id",
    "title",
    "published_at",
    "duration_s",
    "tags",
    "description",
    "view_count",
    "like_count",
    "comment_count",
)
IDS_PER_CALL = 50  # videos.list accepts at most 50 ids
_DURATION = re.compile(r"P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def iso_duration_s(text: str | None) -> float | None:
    """``PT1H2M3S`` → 3723.0 (YouTube's contentDetails.duration); None when unreadable."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        return None
    d, h, m, s = match.groups()
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)


def result_table(response: dict[str, Any]) -> pd.DataFrame:
    """A ``youtubeAnalytics#resultTable`` as a DataFrame named by its column headers."""
    import pandas as pd

    headers = [h["name"] for h in response.get("columnHeaders", [])]
    if not headers:
        raise YouTubeError("reports.query answered without columnHeaders")
    rows = response.get("rows") or []
    bad = [r for r in rows if len(r) != len(headers)]
    if bad:
        raise YouTubeError(f"reports.query row {bad[0]!r} does not match the headers {headers}")
    return pd.DataFrame(rows, columns=headers)


@dataclass
class StatsPull:
    """What one pull fetched, and what it could not."""

    start: date
    end: date
    daily: pd.DataFrame
    videos: pd.DataFrame
    channel: dict[str, Any] = field(default_factory=dict)
    revenue: bool = False
    notes: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def latest_day_with_data(self) -> str | None:
        days = self.daily.loc[self.daily["views"].notna(), "day"] if len(self.daily) else []
        return max(days) if len(days) else None


class AnalyticsClient(ApiCaller):
    """Pulls the channel's per-day figures with YouTube's retry rules (a spent quota
    raises ``Parked``: the next daily run pulls the same window again)."""

    def __init__(self, youtube, analytics, *, monetary: bool = False, **retry: Any):
        super().__init__(**retry)
        self.youtube = youtube
        self.analytics = analytics
        self.revenue = monetary
        self.requests = 0
        self.notes: list[str] = []

    def _get(self, what: str, make_request: Callable[[], Any]) -> dict[str, Any]:
        self.requests += 1
        return self._call(what, make_request)

    def channel(self) -> dict[str, Any]:
        """The authorised channel: id, title, uploads playlist, subscriber count."""
        response = self._get(
            "channels.list(mine)",
            lambda: self.youtube.channels().list(part="snippet,contentDetails,statistics", mine=True),
        )
        items = response.get("items") or []
        if not items:
            raise YouTubeError("the authorised account has no YouTube channel")
        item = items[0]
        stats = item.get("statistics", {})
        return {
            "channel_id": item["id"],
            "title": item.get("snippet", {}).get("title", ""),
            "uploads": item["contentDetails"]["relatedPlaylists"]["uploads"],
            "subscribers": int(stats["subscriberCount"]) if "subscriberCount" in stats else None,
            "views": int(stats.get("viewCount", 0)),
            "videos": int(stats.get("videoCount", 0)),
        }

    def upload_ids(self, uploads_playlist: str) -> list[str]:
        """Every video id in the uploads playlist, newest first, page by page."""
        ids: list[str] = []
        token = None
        while True:
            page = self._get(
                "playlistItems.list(uploads)",
                lambda t=token: self.youtube.playlistItems().list(
                    part="contentDetails", playlistId=uploads_playlist, maxResults=50, pageToken=t
                ),
            )
            ids += [i["contentDetails"]["videoId"] for i in page.get("items", [])]
            token = page.get("nextPageToken")
            if not token:
                return ids

    def videos(self, ids: list[str]) -> pd.DataFrame:
        """Title, publish time, duration, tags and lifetime counts, 50 ids a call."""
        import pandas as pd

        rows = []
        for start in range(0, len(ids), IDS_PER_CALL):
            batch = ids[start : start + IDS_PER_CALL]
            page = self._get(
                f"videos.list({len(batch)} ids)",
                lambda b=batch: self.youtube.videos().list(
                    part="snippet,contentDetails,statistics", id=",".join(b), maxResults=IDS_PER_CALL
                ),
            )
            for item in page.get("items", []):
                snippet, stats = item.get("snippet", {}), item.get("statistics", {})
                rows.append(
                    {
                        "video_id": item["id"],
                        "title": snippet.get("title", ""),
                        "published_at": snippet.get("publishedAt"),
                        "duration_s": iso_duration_s(item.get("contentDetails", {}).get("duration")),
                        "tags": list(snippet.get("tags", [])),
                        "description": snippet.get("description", ""),
                        "view_count": int(stats.get("viewCount", 0)),
                        "like_count": int(stats.get("likeCount", 0)),
                        "comment_count": int(stats.get("commentCount", 0)),
                    }
                )
        frame = pd.DataFrame(rows, columns=list(VIDEO_COLUMNS))
        frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
        return frame

    def daily(self, video_id: str, start: date, end: date) -> pd.DataFrame:
        """One video's figures per day from ``start`` to ``end`` (days YouTube has not
        processed yet are absent). Revenue is asked for only while the scope allows."""
        from googleapiclient.errors import HttpError

        what = f"reports.query(video=={video_id}, {start}..{end})"
        attempt = 0
        while True:
            metrics = [*METRICS, *([REVENUE_METRIC] if self.revenue else [])]
            self.requests += 1
            try:
                response = (
                    self.analytics.reports()
                    .query(
                        ids="channel==MINE",
                        startDate=start.isoformat(),
                        endDate=end.isoformat(),
                        metrics=",".join(metrics),
                        dimensions="day",
                        filters=f"video=={video_id}",
                        sort="day",
                    )
                    .execute(num_retries=0)
                )
                break
            except Exception as exc:  # classified below
                if isinstance(exc, HttpError) and exc.resp.status == 403 and self.revenue:
                    error = api_error(403, exc.content)
                    if error.reason in ("forbidden", "insufficientPermissions"):
                        self.revenue = False
                        self.notes.append(
                            f"revenue left out: YouTube refused estimatedRevenue (403 {error.reason}); "
                            "grant the monetary scope with `lofi auth --monetary`"
                        )
                        continue
                kind, status, reason = self._classify(exc)
                if kind != "retry":
                    self._raise(kind, status, reason, what)
                self._backoff(attempt, what, reason)
                attempt += 1
        table = result_table(response)
        table.insert(0, "video_id", video_id)
        return table.reindex(columns=list(DAILY_COLUMNS))

    def pull(self, start: date, end: date) -> StatsPull:
        import pandas as pd

        channel = self.channel()
        ids = self.upload_ids(channel["uploads"])
        videos = self.videos(ids)
        frames = []
        for row in videos.itertuples():
            published = row.published_at.date() if pd.notna(row.published_at) else start
            if published > end:
                continue  # not out yet on the window's last day
            frames.append(self.daily(row.video_id, max(start, published), end))
        daily = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(DAILY_COLUMNS))
        return StatsPull(start, end, normalise_daily(daily), videos, channel, self.revenue, self.notes, self.requests)


def normalise_daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed columns in a fixed order: day as a date string, metrics as floats."""
    import pandas as pd

    frame = frame.reindex(columns=list(DAILY_COLUMNS)).copy()
    frame["video_id"] = frame["video_id"].astype(str)
    frame["day"] = pd.to_datetime(frame["day"]).dt.strftime("%Y-%m-%d")
    for column in (*METRICS, REVENUE_METRIC):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def pull_window(day: date, trailing_days: int) -> tuple[date, date]:
    """The days a daily run for ``day`` re-pulls: ``day`` and the ``trailing_days``
    before it, long enough to cover YouTube's two-to-three-day lag."""
    return day - timedelta(days=trailing_days), day


def upsert(store: Path, rows: pd.DataFrame, keys: tuple[str, ...] = ("video_id", "day")) -> pd.DataFrame:
    """Merge ``rows`` into the Parquet table at ``store``: a row for the same keys
    replaces the old one (a later pull knows more). Written to a temporary name first."""
    import pandas as pd

    store = Path(store)
    old = pd.read_parquet(store) if store.exists() else None
    merged = rows if old is None or old.empty else pd.concat([old, rows], ignore_index=True)
    merged = merged.drop_duplicates(list(keys), keep="last").sort_values(list(keys)).reset_index(drop=True)
    write_bytes_atomic(store, parquet_bytes(merged))
    return merged
