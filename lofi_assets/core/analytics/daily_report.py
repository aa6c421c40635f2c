"""One day's channel report, built: the figures known that day in, the tables, charts,
findings, the generation weights and the HTML page out. The reading of the stored figures
and the writing of the files are the asset's; what the report says is decided here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofi_assets.core.analytics import report as cr
from lofi_assets.core.generation.feedback import GenerationWeights, changes, generation_weights

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ReportSettings:
    window_days: int = 28  # the recent period of the overview and top videos
    quality_last_n: int = 200  # pieces the drift detector looks at
    quality_window: int = 20  # rolling window of the drift detector
    drift_threshold: float = 0.03  # alert when the rolling mean is this far below the baseline
    exploration: float = 0.2  # share of the nightly batch spread evenly whatever wins
    next_batch: int = 50  # pieces in the batch the weights are shown for


@dataclass
class ReportInputs:
    """What was known on ``day``: the stored figures up to it, and the pipeline's own records."""

    day: date
    daily: pd.DataFrame  # per video per day, up to ``day``
    videos: pd.DataFrame  # the channel's videos published by ``day``
    source: dict  # where the figures came from (video_stats' source.json)
    costs: list[dict]
    costs_note: str
    scores: list[float]  # generated pieces' combined scores, oldest first
    playlists: list[dict]  # every track's playlist (library reuse)
    previous_weights: GenerationWeights | None  # the day before's, to say what moved


@dataclass
class DailyReport:
    source: str
    findings: list[str]
    growth: cr.Growth
    drift: cr.Drift
    top: pd.DataFrame
    changed: pd.DataFrame
    charts: dict[str, Path]
    weights: GenerationWeights
    sections: list[tuple[str, Any]]
    page: str  # the self-contained HTML page


def build_report(inputs: ReportInputs, settings: ReportSettings, out: Path) -> DailyReport:
    """The day's tables, findings and weights; its charts written as PNGs under ``out``."""
    day, daily, videos = inputs.day, inputs.daily, inputs.videos
    channel = inputs.source.get("channel") or {}
    growth = cr.subscriber_growth(daily, day, channel.get("subscribers"), settings.window_days)
    money = cr.revenue_vs_costs(daily, inputs.costs, day)
    drift = cr.quality_drift(inputs.scores, settings.quality_last_n, settings.quality_window, settings.drift_threshold)
    retention = {a: cr.retention_by(daily, videos, a) for a in ("mood", "tempo_band", "palette", "title_variant")}
    weights = generation_weights(day.isoformat(), videos, daily, exploration=settings.exploration)
    changed = changes(inputs.previous_weights, weights, settings.next_batch)
    charts = {
        "views": cr.chart_views(daily, day, out / "views.png"),
        "subscribers": cr.chart_subscribers(daily, growth, day, out / "subscribers.png"),
        "timing": cr.chart_timing(cr.upload_timing(daily, videos), out / "upload_timing.png"),
        "revenue": cr.chart_revenue(money, out / "revenue.png"),
        "quality": cr.chart_quality(inputs.scores, drift, settings.quality_window, out / "quality.png"),
        "retention": cr.chart_retention(retention, out / "retention.png"),
    }
    top = cr.top_videos(daily, videos, day, settings.window_days)
    findings = report_findings(growth, cr.best_slot(daily, videos), drift, changed, weights, inputs.costs_note)
    sections = [
        ("Overview", cr.overview(daily, day, settings.window_days)),
        ("Views and watch time", charts["views"]),
        ("Top videos", top),
        ("Subscribers", charts["subscribers"]),
        ("Upload timing", charts["timing"]),
        ("Revenue and costs", money),
        ("Revenue chart", charts["revenue"]),
        ("Library reuse", cr.reuse_rate(inputs.playlists)),
        ("Generation quality", charts["quality"]),
        ("Retention", charts["retention"]),
        ("Retention by mood", retention["mood"]),
        ("Retention by tempo", retention["tempo_band"]),
        ("Retention by palette", retention["palette"]),
        ("Retention by title variant", retention["title_variant"]),
        ("Next nightly batch", changed),
    ]
    label = source_label(inputs.source)
    page = cr.html_page(f"Channel report {day.isoformat()}", sections, [label, *findings])
    return DailyReport(label, findings, growth, drift, top, changed, charts, weights, sections, page)


def source_label(source: dict) -> str:
    if source.get("mode") != "live":
        return "No YouTube credentials: no figures have been pulled (run `lofi auth`, set LOFI_YOUTUBE_TOKEN)."
    api = source.get("api", "")
    where = "YouTube" if "googleapis.com" in api else f"a server at {api} that is NOT YouTube (simulated channel)"
    return (
        f"Figures from {where}, pulled {source.get('pulled_at', '?')[:16]} UTC for channel "
        f"{source.get('channel', {}).get('title', '?')!r}."
    )


def report_findings(
    growth: cr.Growth,
    slot: dict | None,
    drift: cr.Drift,
    changed: pd.DataFrame,
    weights: GenerationWeights,
    costs_note: str,
) -> list[str]:
    lines = []
    if growth.milestone_date:
        lines.append(
            f"{growth.subscribers:,.0f} subscribers, {growth.daily_net:+.1f} a day: "
            f"{growth.milestone:,} on {growth.milestone_date} at this pace"
        )
    if slot:
        lines.append(
            f"best upload slot so far: {slot['weekday']} ({slot['weekday_mean_views']:.0f} first-week views "
            f"over {slot['weekday_videos']} video{'s' if slot['weekday_videos'] != 1 else ''}), "
            f"{slot['hour']:02d}:00 UTC"
        )
    if drift.alert:
        lines.append(
            f"DRIFT: generation quality {drift.recent} against a baseline of {drift.baseline} "
            f"(−{drift.drop}, z {drift.z}) — check the model before the next batch"
        )
    moved = changed[changed["pieces"] != changed["pieces_before"]]
    if weights.videos_used and len(moved):
        lines.append(
            "next nightly batch: "
            + ", ".join(f"{r.arm} {r.pieces_before}→{r.pieces}" for r in moved.itertuples())
            + f" of {int(changed[changed['dimension'] == 'mood']['pieces'].sum())} pieces "
            f"(from {weights.videos_used} videos' retention)"
        )
    elif not weights.videos_used:
        lines.append("no retention figures yet: the nightly batch stays evenly spread")
    if costs_note.startswith("no costs"):
        lines.append(costs_note)
    return lines


def report_problems(html_path: Path, report: DailyReport) -> list[str]:
    """What is missing from the written page: a section, a chart that does not open, weights
    that do not sum to 1."""
    from PIL import Image

    problems = []
    page = html_path.read_text(encoding="utf-8") if html_path.exists() else ""
    sections, charts, weights = report.sections, report.charts, report.weights
    for heading, _ in sections:
        if f"<h2>{heading}</h2>" not in page.replace("&amp;", "&"):
            problems.append(f"section {heading!r} missing from report.html")
    for name, path in charts.items():
        try:
            with Image.open(path) as img:
                img.verify()
        except Exception as exc:  # any decode failure is the finding
            problems.append(f"chart {name}: {type(exc).__name__}: {exc}")
    for dim, values in ((d, weights.weights(d)) for d in weights.dimensions):
        if abs(sum(values.values()) - 1) > 1e-3:
            problems.append(f"{dim} weights sum to {sum(values.values()):.4f}")
    return problems
