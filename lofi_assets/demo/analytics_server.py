"""A SIMULATED channel on loopback (not YouTube): the YouTube Analytics API v2 and the Data API reads that
analytics needs, on top of the fake YouTube (same OAuth token endpoint).

- ``GET /youtube/v3/channels?mine=true``: the channel, its uploads playlist, statistics;
- ``GET /youtube/v3/playlistItems?playlistId=<uploads>``: pages of 50 (``nextPageToken``);
- ``GET /youtube/v3/videos?id=a,b,…``: snippet, contentDetails, statistics; more than 50
  ids is a 400, as on YouTube;
- ``GET /v2/reports``: a ``youtubeAnalytics#resultTable`` (``columnHeaders`` + ``rows``)
  for ``ids=channel==MINE``, ``dimensions=day``, ``filters=video==ID``; the last
  ``lag_days`` days are not there yet (YouTube's processing lag); ``estimatedRevenue``
  without the monetary scope is a 403 ``forbidden``; unknown metrics a 400.

Faults are queued on the routes ``reports``, ``channels``, ``videos`` like the base fake's.
:func:`simulated_channel` fills the channel with a year of plausible, seeded figures in
which some moods hold viewers better than others (the known answer for the bandit).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lofi_assets.core.youtube.client import SCOPES
from lofi_assets.core.youtube.stats import METRICS as CLIENT_METRICS
from lofi_assets.core.youtube.stats import REVENUE_METRIC
from lofi_assets.demo.youtube_server import FakeYouTube, _Handler

# What the real client asks for, so the simulated channel cannot drift from it
METRICS = (*CLIENT_METRICS, REVENUE_METRIC)
INTEGER = {"views", "estimatedMinutesWatched", "averageViewDuration", "subscribersGained", "subscribersLost", "likes"}
MONETARY = SCOPES["monetary"]
MOOD_RETENTION = {
    "peaceful": 38.0,
    "melancholic": 52.0,
    "uplifting": 31.0,
    "dreamy": 41.0,
    "cozy": 44.0,
    "chill": 40.0,
    "focused": 47.0,
    "nostalgic": 36.0,
}


class FakeAnalytics(FakeYouTube):
    def __init__(
        self,
        *,
        today: date | None = None,
        lag_days: int = 2,
        monetary: bool = False,
        channel_title: str = "Static Dreamscapes (simulated)",
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.today = today or datetime.now(UTC).date()
        self.lag_days = lag_days
        self.monetary = monetary  # whether the owner granted the revenue scope
        self.channel_title = channel_title
        self.subscribers = 0
        self.daily: dict[tuple[str, str], dict[str, float]] = {}  # (video, day) → figures
        self.upload_order: list[str] = []

    def handler_base(self) -> type:
        return _AnalyticsHandler

    def add_video(
        self, video_id: str, title: str, published: datetime, duration_s: int, tags: list[str], description: str = ""
    ) -> None:
        with self.lock:
            self.videos[video_id] = {
                "kind": "youtube#video",
                "id": video_id,
                "snippet": {
                    "title": title,
                    "publishedAt": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "tags": tags,
                    "description": description,
                    "categoryId": "10",
                },
                "contentDetails": {"duration": f"PT{duration_s // 3600}H{duration_s % 3600 // 60}M{duration_s % 60}S"},
                "statistics": {"viewCount": "0", "likeCount": "0", "commentCount": "0"},
            }
            self.upload_order.insert(0, video_id)  # the uploads playlist lists the newest first

    def set_day(self, video_id: str, day: date, **figures: float) -> None:
        with self.lock:
            self.daily[(video_id, day.isoformat())] = figures
            stats = self.videos[video_id]["statistics"]
            stats["viewCount"] = str(int(stats["viewCount"]) + int(figures.get("views", 0)))
            stats["likeCount"] = str(int(stats["likeCount"]) + int(figures.get("likes", 0)))
            self.subscribers += int(figures.get("subscribersGained", 0)) - int(figures.get("subscribersLost", 0))

    def visible_until(self) -> date:
        return self.today - timedelta(days=self.lag_days + 1)


class _AnalyticsHandler(_Handler):
    fake: FakeAnalytics

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        routes = {
            "/v2/reports": self._reports,
            "/youtube/v3/channels": self._channels,
            "/youtube/v3/videos": self._videos,
        }
        if url.path == "/youtube/v3/playlistItems" and query.get("playlistId", [""])[0] == "UU-sim":
            routes[url.path] = self._uploads
        if url.path not in routes:
            return super().do_GET()
        if not self._authorized():
            return
        route = url.path.rsplit("/", 1)[-1]
        with self.fake.lock:
            self.fake.counts[route] += 1
        answered, _ = self._answer_fault(route)
        if not answered:
            routes[url.path]({k: v for k, v in query.items()})

    def _channels(self, query: dict[str, list[str]]) -> None:
        if query.get("mine", [""])[0] != "true":
            return self._error(400, "missingRequiredParameter", "mine=true is the only filter this fake knows")
        fake = self.fake
        self._send(
            200,
            {
                "kind": "youtube#channelListResponse",
                "items": [
                    {
                        "kind": "youtube#channel",
                        "id": "UC-sim",
                        "snippet": {"title": fake.channel_title},
                        "contentDetails": {"relatedPlaylists": {"uploads": "UU-sim"}},
                        "statistics": {
                            "subscriberCount": str(fake.subscribers),
                            "videoCount": str(len(fake.videos)),
                            "viewCount": str(sum(int(v["statistics"]["viewCount"]) for v in fake.videos.values())),
                        },
                    }
                ],
            },
        )

    def _uploads(self, query: dict[str, list[str]]) -> None:
        per_page = min(50, int(query.get("maxResults", ["5"])[0]))
        start = int(query.get("pageToken", ["0"])[0] or 0)
        ids = self.fake.upload_order[start : start + per_page]
        body = {
            "kind": "youtube#playlistItemListResponse",
            "items": [{"kind": "youtube#playlistItem", "contentDetails": {"videoId": i}} for i in ids],
            "pageInfo": {"totalResults": len(self.fake.upload_order), "resultsPerPage": per_page},
        }
        if start + per_page < len(self.fake.upload_order):
            body["nextPageToken"] = str(start + per_page)
        self._send(200, body)

    def _videos(self, query: dict[str, list[str]]) -> None:
        ids = [i for i in ",".join(query.get("id", [""])).split(",") if i]
        if len(ids) > 50:
            return self._error(400, "badRequest", "The request specifies more than 50 video ids.")
        with self.fake.lock:
            items = [self.fake.videos[i] for i in ids if i in self.fake.videos]
        self._send(200, {"kind": "youtube#videoListResponse", "items": items})

    def _reports(self, query: dict[str, list[str]]) -> None:
        q = {k: v[0] for k, v in query.items()}
        for name in ("ids", "startDate", "endDate", "metrics"):
            if name not in q:
                return self._error(400, "required", f"Required parameter: {name}")
        if q["ids"] != "channel==MINE":
            return self._error(403, "forbidden", "Forbidden")
        metrics = q["metrics"].split(",")
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            return self._error(
                400, "badRequest", f"Unknown identifier ({unknown[0]}) given in field parameters.metrics."
            )
        if "estimatedRevenue" in metrics and not self.fake.monetary:
            return self._error(403, "forbidden", "Forbidden")
        if q.get("dimensions") != "day" or not q.get("filters", "").startswith("video=="):
            return self._error(400, "badRequest", "The query is not supported.")
        video = q["filters"].removeprefix("video==")
        start, end = date.fromisoformat(q["startDate"]), date.fromisoformat(q["endDate"])
        if end < start:
            return self._error(400, "badRequest", "The start date is after the end date.")
        rows = []
        last = min(end, self.fake.visible_until())
        day = start
        with self.fake.lock:
            while day <= last:
                figures = self.fake.daily.get((video, day.isoformat()))
                if figures:
                    rows.append([day.isoformat(), *(figures.get(m, 0) for m in metrics)])
                day += timedelta(days=1)
        headers = [{"name": "day", "columnType": "DIMENSION", "dataType": "STRING"}] + [
            {"name": m, "columnType": "METRIC", "dataType": "INTEGER" if m in INTEGER else "FLOAT"} for m in metrics
        ]
        self._send(200, {"kind": "youtubeAnalytics#resultTable", "columnHeaders": headers, "rows": rows})


def simulated_channel(
    fake: FakeAnalytics, *, videos: int = 24, days: int = 365, seed: int = 7, retention: dict[str, float] | None = None
) -> None:
    """Fill ``fake`` with ``videos`` uploads over the last ``days`` days and their daily
    figures up to today: views decaying from an upload peak to a long tail, retention by
    mood (``retention``: the known answer), subscribers and likes in proportion, revenue
    at an RPM of about $2."""
    rng = random.Random(seed)
    retention = retention or MOOD_RETENTION
    moods = sorted(retention)
    today = fake.today
    for n in range(videos):
        mood = moods[n % len(moods)]
        age = int((videos - n) * days / (videos + 1))
        published = datetime.combine(today - timedelta(days=age), datetime.min.time(), UTC) + timedelta(
            hours=rng.choice([14, 16, 18, 20])
        )
        tempo = rng.choice([62, 70, 74, 78, 84, 88])
        duration = rng.choice([3600, 5400, 7200])
        vid = f"sim{n:04d}{mood[:3]}"
        fake.add_video(
            vid,
            f"{mood.title()} lofi beats to relax and study to — {tempo} BPM mix #{n + 1}",
            published,
            duration,
            ["lofi", mood, f"{tempo} bpm", "study music"],
            f"A {mood} lo-fi mix at {tempo} BPM.",
        )
        peak = rng.uniform(300, 1500) * (1.6 if published.weekday() >= 4 else 1.0)
        pct = retention[mood]
        for k in range(age + 1):
            day = published.date() + timedelta(days=k)
            if day > today:
                break
            views = int(peak * math.exp(-k / 12) + peak * 0.08 * rng.uniform(0.6, 1.4))
            p = max(5.0, min(95.0, rng.gauss(pct, 2.0)))
            avg_s = int(duration * p / 100 * 0.35)
            fake.set_day(
                vid,
                day,
                views=views,
                estimatedMinutesWatched=int(views * avg_s / 60),
                averageViewDuration=avg_s,
                averageViewPercentage=round(p * 0.35, 2),
                subscribersGained=int(views * 0.012 * p / 40),
                subscribersLost=int(views * 0.002),
                likes=int(views * 0.03),
                estimatedRevenue=round(views / 1000 * 2.1, 2),
            )
