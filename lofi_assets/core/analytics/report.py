"""The channel's daily report: tables a person reads at a glance, charts, one HTML page.

Every figure is computed from the stats store (``video_stats``), the generation reports
and the playlists, up to and including the report's day, so a report for a past day
shows what was known then (less the figures YouTube filled in later).
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi_assets.core.files import atomic_local_path

if TYPE_CHECKING:
    import pandas as pd

MILESTONES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -- tables -----------------------------------------------------------------------------------


def window(daily: pd.DataFrame, end: date, days: int) -> pd.DataFrame:
    """Rows of the ``days`` days ending at ``end`` (inclusive)."""
    start = (end - timedelta(days=days - 1)).isoformat()
    return daily[(daily["day"] >= start) & (daily["day"] <= end.isoformat())]


def overview(daily: pd.DataFrame, day: date, days: int = 28) -> pd.DataFrame:
    """Views, watch hours, net subscribers, likes and revenue: the last ``days`` days
    against the ``days`` before them."""
    import pandas as pd

    now, before = window(daily, day, days), window(daily, day - timedelta(days=days), days)

    def figures(frame: pd.DataFrame) -> dict[str, float]:
        return {
            "views": frame["views"].sum(),
            "watch hours": frame["estimatedMinutesWatched"].sum() / 60,
            "subscribers (net)": (frame["subscribersGained"].fillna(0) - frame["subscribersLost"].fillna(0)).sum(),
            "likes": frame["likes"].sum(),
            "revenue": frame["estimatedRevenue"].sum(min_count=1),
        }

    a, b = figures(now), figures(before)
    rows = []
    for name in a:
        change = (a[name] - b[name]) / b[name] * 100 if b[name] and not pd.isna(b[name]) else None
        rows.append(
            {
                "figure": name,
                f"last {days} days": _round(a[name]),
                f"previous {days} days": _round(b[name]),
                "change %": None if change is None or pd.isna(change) else round(change, 1),
            }
        )
    return pd.DataFrame(rows)


def top_videos(daily: pd.DataFrame, videos: pd.DataFrame, day: date, days: int = 28, n: int = 10) -> pd.DataFrame:
    """The ``n`` videos with the most views in the last ``days`` days."""
    import pandas as pd

    recent = window(daily, day, days)
    if recent.empty:
        return pd.DataFrame(columns=["title", "views", "watch hours", "avg view %", "subscribers"])
    recent = recent.assign(pv=recent["averageViewPercentage"].fillna(0) * recent["views"])
    g = (
        recent.groupby("video_id")
        .agg(
            views=("views", "sum"),
            minutes=("estimatedMinutesWatched", "sum"),
            pv=("pv", "sum"),
            subs=("subscribersGained", "sum"),
        )
        .reset_index()
    )
    g = g.merge(videos[["video_id", "title"]], on="video_id", how="left")
    g["avg view %"] = (g["pv"] / g["views"].clip(lower=1)).round(1)
    g["watch hours"] = (g["minutes"] / 60).round(1)
    g = g.sort_values(["views", "video_id"], ascending=[False, True]).head(n)
    return g.rename(columns={"subs": "subscribers"})[
        ["video_id", "title", "views", "watch hours", "avg view %", "subscribers"]
    ].reset_index(drop=True)


@dataclass
class Growth:
    subscribers: float
    daily_net: float  # mean net subscribers a day over the window
    rate_pct_per_month: float | None  # growth over 30 days at that pace, as % of today's count
    milestone: int | None
    milestone_date: date | None
    days_to_milestone: int | None


def subscriber_growth(daily: pd.DataFrame, day: date, subscribers: float | None = None, days: int = 28) -> Growth:
    """Growth at the pace of the last ``days`` days and the date of the next milestone.
    ``subscribers`` is the channel's count today (the net gains summed when unknown)."""
    net = daily["subscribersGained"].fillna(0) - daily["subscribersLost"].fillna(0)
    known = daily.assign(net=net)
    total = (
        float(subscribers)
        if subscribers is not None
        else float(known.loc[known["day"] <= day.isoformat(), "net"].sum())
    )
    recent = window(known, day, days)
    per_day = recent.groupby("day")["net"].sum()
    pace = float(per_day.sum() / days) if len(per_day) else 0.0
    milestone = next((m for m in MILESTONES if m > total), None)
    if milestone is None or pace <= 0:
        return Growth(total, pace, round(pace * 30 / total * 100, 2) if total else None, milestone, None, None)
    days_left = math.ceil((milestone - total) / pace)
    return Growth(
        total,
        round(pace, 3),
        round(pace * 30 / total * 100, 2) if total else None,
        milestone,
        day + timedelta(days=days_left),
        days_left,
    )


def first_week_views(daily: pd.DataFrame, videos: pd.DataFrame, first_days: int = 7) -> pd.DataFrame:
    """Each video's views in its first ``first_days`` days, with its upload weekday and hour."""
    import pandas as pd

    v = videos.dropna(subset=["published_at"])[["video_id", "published_at"]].copy()
    if v.empty or daily.empty:
        return pd.DataFrame(columns=["video_id", "weekday", "hour", "views"])
    v["start"] = v["published_at"].dt.strftime("%Y-%m-%d")
    v["end"] = (v["published_at"] + pd.Timedelta(days=first_days - 1)).dt.strftime("%Y-%m-%d")
    # Only videos whose whole first week lies in the figures pulled (an older video's
    # first week is unknown, not zero; a newer one's is not over yet).
    v = v[(v["start"] >= daily["day"].min()) & (v["end"] <= daily["day"].max())]
    if v.empty:
        return pd.DataFrame(columns=["video_id", "weekday", "hour", "views"])
    d = daily.merge(v, on="video_id")
    d = d[(d["day"] >= d["start"]) & (d["day"] <= d["end"])]
    views = d.groupby("video_id")["views"].sum()
    v["views"] = v["video_id"].map(views).fillna(0)
    v["weekday"] = v["published_at"].dt.day_of_week
    v["hour"] = v["published_at"].dt.hour
    return v[["video_id", "weekday", "hour", "views"]]


def upload_timing(daily: pd.DataFrame, videos: pd.DataFrame, first_days: int = 7) -> pd.DataFrame:
    """Mean first-week views by upload weekday and hour (rows: weekday, columns: hour)."""
    import pandas as pd

    fw = first_week_views(daily, videos, first_days)
    if fw.empty:
        return pd.DataFrame()
    table = fw.pivot_table(index="weekday", columns="hour", values="views", aggfunc="mean")
    table.index = [WEEKDAYS[i] for i in table.index]
    return table.round(1)


def best_slot(daily: pd.DataFrame, videos: pd.DataFrame, first_days: int = 7) -> dict[str, Any] | None:
    """The weekday and the hour whose uploads had the most first-week views on average."""
    fw = first_week_views(daily, videos, first_days)
    if fw.empty:
        return None
    by_day = fw.groupby("weekday")["views"].agg(["mean", "count"])
    by_hour = fw.groupby("hour")["views"].agg(["mean", "count"])
    wd, hr = int(by_day["mean"].idxmax()), int(by_hour["mean"].idxmax())
    return {
        "weekday": WEEKDAYS[wd],
        "weekday_mean_views": round(float(by_day.loc[wd, "mean"]), 1),
        "weekday_videos": int(by_day.loc[wd, "count"]),
        "hour": hr,
        "hour_mean_views": round(float(by_hour.loc[hr, "mean"]), 1),
        "hour_videos": int(by_hour.loc[hr, "count"]),
    }


def monthly_costs(costs: list[dict[str, Any]]) -> float:
    """The operator's costs per month (``monthly`` amounts, or ``yearly`` / 12)."""
    return float(sum(float(c.get("monthly", 0) or 0) + float(c.get("yearly", 0) or 0) / 12 for c in costs))


def revenue_vs_costs(daily: pd.DataFrame, costs: list[dict[str, Any]], day: date, months: int = 6) -> pd.DataFrame:
    """Revenue by calendar month against the operator's monthly costs (the current
    month's costs pro rata to the report's day)."""
    import pandas as pd

    monthly = monthly_costs(costs)
    out = []
    first = date(day.year, day.month, 1)
    for k in range(months - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - k, 12)
        start = date(y, m + 1, 1)
        end = min(day, (date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - timedelta(days=1)))
        days_in_month = ((date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)) - start).days
        rows = daily[(daily["day"] >= start.isoformat()) & (daily["day"] <= end.isoformat())]
        revenue = rows["estimatedRevenue"].sum(min_count=1)
        cost = monthly * ((end - start).days + 1) / days_in_month
        out.append(
            {
                "month": start.strftime("%Y-%m"),
                "revenue": _round(revenue),
                "costs": round(cost, 2),
                "net": None if pd.isna(revenue) else round(float(revenue) - cost, 2),
            }
        )
    return pd.DataFrame(out)


def reuse_rate(playlists: list[dict[str, Any]]) -> pd.DataFrame:
    """Per track: prompts filled from the library against songs that had to be made."""
    import pandas as pd

    rows = []
    for p in playlists:
        prompts = p.get("prompts", [])
        reused = sum(1 for x in prompts if x.get("song_id"))
        rows.append(
            {
                "track": p.get("title") or p.get("track"),
                "songs": len(prompts),
                "reused": reused,
                "made": len(prompts) - reused,
                "reuse %": round(100 * reused / len(prompts), 1) if prompts else None,
            }
        )
    return pd.DataFrame(rows, columns=["track", "songs", "reused", "made", "reuse %"])


@dataclass
class Drift:
    """Generation quality over the last pieces: a rolling mean against the baseline."""

    pieces: int
    baseline: float | None
    recent: float | None
    drop: float | None
    z: float | None
    alert: bool
    first_alert: int | None  # index (in the pieces given) where the rolling mean first crossed
    rolling: list[float] = field(default_factory=list)


def quality_drift(
    scores: list[float] | np.ndarray, last_n: int = 200, window_size: int = 20, threshold: float = 0.03
) -> Drift:
    """Compare each rolling mean of ``window_size`` pieces with the baseline (the mean of
    the pieces of the last ``last_n`` before the final window); alert when the latest
    rolling mean is more than ``threshold`` below it and the drop is significant (z > 2)."""
    s = np.asarray(scores, dtype=float)[-last_n:]
    s = s[np.isfinite(s)]
    if len(s) < 2 * window_size:
        return Drift(len(s), None, float(s.mean()) if len(s) else None, None, None, False, None, [])
    base = s[:-window_size]
    baseline = float(base.mean())
    rolling = np.convolve(s, np.ones(window_size) / window_size, mode="valid")
    recent = float(rolling[-1])
    sd = float(base.std(ddof=1)) or 1e-9
    z = (baseline - recent) / (sd / math.sqrt(window_size))
    crossed = np.nonzero(baseline - rolling > threshold)[0]
    alert = baseline - recent > threshold and z > 2
    return Drift(
        len(s),
        round(baseline, 4),
        round(recent, 4),
        round(baseline - recent, 4),
        round(z, 2),
        bool(alert),
        int(crossed[0] + window_size - 1) if alert and len(crossed) else None,
        [round(float(x), 4) for x in rolling],
    )


def retention_by(daily: pd.DataFrame, videos: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """Views-weighted average percentage viewed, by a video attribute (mood, tempo band,
    palette, title variant), best first."""
    import pandas as pd

    if daily.empty or attribute not in videos:
        return pd.DataFrame(columns=[attribute, "videos", "views", "avg view %"])
    d = daily.dropna(subset=["views"]).merge(videos[["video_id", attribute]], on="video_id")
    d = d.dropna(subset=[attribute])
    if d.empty:
        return pd.DataFrame(columns=[attribute, "videos", "views", "avg view %"])
    d = d.assign(pv=d["averageViewPercentage"].fillna(0) * d["views"])
    g = d.groupby(attribute).agg(videos=("video_id", "nunique"), views=("views", "sum"), pv=("pv", "sum"))
    g["avg view %"] = (g["pv"] / g["views"].clip(lower=1)).round(1)
    return g.drop(columns="pv").sort_values("avg view %", ascending=False).reset_index()


def _round(value: Any, digits: int = 1) -> Any:
    import pandas as pd

    return None if value is None or pd.isna(value) else round(float(value), digits)


# -- charts and the page -------------------------------------------------------------------------


def _pyplot():
    """pyplot on the Agg backend: files only, no display needed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(width: float = 7.5, height: float = 3.2):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ax.grid(alpha=0.3)
    return plt, fig, ax


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    with atomic_local_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def chart_views(daily: pd.DataFrame, day: date, path: Path, days: int = 90) -> Path:
    import pandas as pd

    plt, fig, ax = _figure()
    per_day = window(daily, day, days).groupby("day")[["views", "estimatedMinutesWatched"]].sum()
    x = pd.to_datetime(per_day.index)
    ax.plot(x, per_day["views"], color="#c0587e", label="views")
    ax.set_ylabel("views a day")
    ax2 = ax.twinx()
    ax2.plot(x, per_day["estimatedMinutesWatched"] / 60, color="#4f7cac", alpha=0.7, label="watch hours")
    ax2.set_ylabel("watch hours a day")
    ax.set_title(f"Views and watch time, last {days} days")
    fig.autofmt_xdate()
    return _save(plt, fig, path)


def chart_subscribers(daily: pd.DataFrame, growth: Growth, day: date, path: Path) -> Path:
    import pandas as pd

    plt, fig, ax = _figure()
    net = (daily["subscribersGained"].fillna(0) - daily["subscribersLost"].fillna(0)).groupby(daily["day"]).sum()
    net = net[net.index <= day.isoformat()]
    cumulative = net.cumsum()
    offset = growth.subscribers - (float(cumulative.iloc[-1]) if len(cumulative) else 0.0)
    x = pd.to_datetime(cumulative.index)
    ax.plot(x, cumulative + offset, color="#6a8d5b", label="subscribers")
    if growth.milestone_date and growth.days_to_milestone and growth.days_to_milestone <= 3 * 365:
        ax.plot(
            [pd.Timestamp(day), pd.Timestamp(growth.milestone_date)],
            [growth.subscribers, growth.milestone],
            "--",
            color="#6a8d5b",
            alpha=0.6,
            label=f"at today's pace: {growth.milestone:,} on {growth.milestone_date}",
        )
    ax.set_title("Subscribers and the next milestone")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    return _save(plt, fig, path)


def chart_timing(table: pd.DataFrame, path: Path) -> Path:
    plt, fig, ax = _figure(7.5, 3.0)
    if table.empty:
        ax.text(0.5, 0.5, "no uploads with a first week of figures yet", ha="center", va="center")
    else:
        ax.grid(False)
        im = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="magma")
        ax.set_yticks(range(len(table.index)), table.index)
        ax.set_xticks(range(len(table.columns)), [f"{h:02d}h" for h in table.columns], fontsize=7)
        fig.colorbar(im, ax=ax, label="first-week views")
    ax.set_title("First-week views by upload weekday and hour (UTC)")
    return _save(plt, fig, path)


def chart_revenue(table: pd.DataFrame, path: Path) -> Path:
    plt, fig, ax = _figure()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["revenue"].fillna(0), 0.4, label="revenue", color="#e0a458")
    ax.bar(x + 0.2, table["costs"], 0.4, label="costs", color="#8c8c8c")
    ax.set_xticks(x, table["month"])
    ax.set_title("Revenue against costs by month")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def chart_quality(scores: list[float], drift: Drift, window_size: int, path: Path) -> Path:
    plt, fig, ax = _figure()
    s = np.asarray(scores, dtype=float)[-drift.pieces :] if drift.pieces else np.array([])
    ax.plot(np.arange(len(s)), s, ".", alpha=0.35, color="#777777", label="piece score")
    if drift.rolling:
        ax.plot(
            np.arange(window_size - 1, window_size - 1 + len(drift.rolling)),
            drift.rolling,
            color="#c0587e",
            label=f"rolling mean of {window_size}",
        )
    if drift.baseline is not None:
        ax.axhline(drift.baseline, color="#4f7cac", ls="--", label=f"baseline {drift.baseline:.3f}")
    ax.set_title("Generation quality, last pieces" + ("  — DRIFT" if drift.alert else ""))
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def chart_retention(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(tables), figsize=(2.5 * len(tables), 3.0), dpi=100)
    for ax, (name, table) in zip(np.atleast_1d(axes), tables.items()):
        if table.empty:
            ax.text(0.5, 0.5, "no data", ha="center", va="center")
        else:
            ax.barh(table[name].astype(str), table["avg view %"], color="#4f7cac")
            ax.invert_yaxis()
        ax.set_title(f"avg view % by {name.replace('_', ' ')}", fontsize=9)
        ax.tick_params(labelsize=7)
    return _save(plt, fig, path)


def html_page(title: str, sections: list[tuple[str, Any]], notes: list[str]) -> str:
    """One self-contained page: tables as HTML, charts embedded as data URIs."""
    import pandas as pd

    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:14px;margin:.5em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}th{background:#f3f0ea}img{max-width:100%}"
        ".note{background:#fff7e0;padding:.6em 1em;border-left:4px solid #e0a458}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in notes]
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if isinstance(content, pd.DataFrame):
            parts.append(
                content.to_html(index=False, na_rep="—", border=0, float_format=_number)
                if not content.empty
                else "<p>no data yet</p>"
            )
        elif isinstance(content, Path):
            parts.append(f"<img alt='{html.escape(heading)}' src='{png_data_uri(content)}'>")
        else:
            parts.append(f"<p>{html.escape(str(content))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
