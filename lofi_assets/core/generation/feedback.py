"""What the audience keeps listening to, fed back into what the nightly batch makes.

Each generation condition (a mood, a tempo band, a genre palette) is an arm of a Thompson-sampling bandit.
A video's reward is its retention (views-weighted average percentage viewed) and it
counts as ``pseudo_count`` observations of the arms it was made with, on a Beta prior
centred on the channel's mean retention (an arm no video has tried yet is as good as the
average, but uncertain, so it keeps being tried). An arm's weight is the probability that
it is the best, mixed with uniform exploration; the night's pieces are allotted by the
weights. With no evidence the weights are uniform and the batch is what it was before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lofi_assets.core.generation.conditions import MOODS, mood_from_text
from lofi_assets.core.generation.sound_plan import PALETTE_ORDER, palette_in_text

if TYPE_CHECKING:
    import pandas as pd

TEMPO_BANDS = {"slow": (45.0, 68.0), "mid": (68.0, 80.0), "fast": (80.0, 95.0)}


def tempo_band(tempo: float | None) -> str | None:
    if tempo is None or not np.isfinite(tempo):
        return None
    for name, (lo, hi) in TEMPO_BANDS.items():
        if tempo < hi:
            return name
    return "fast"


@dataclass
class ArmStats:
    arm: str
    videos: int
    views: float
    retention: float | None  # views-weighted mean fraction watched
    alpha: float
    beta: float
    p_best: float
    weight: float


@dataclass
class DimensionWeights:
    """The weights of one condition (``mood``, ``tempo`` or ``palette``) and the evidence behind them."""

    dimension: str
    arms: list[ArmStats]
    prior_mean: float | None

    @property
    def weights(self) -> dict[str, float]:
        return {a.arm: a.weight for a in self.arms}


@dataclass
class GenerationWeights:
    """What the next nightly batches should favour; written by the channel report."""

    day: str
    exploration: float
    dimensions: dict[str, DimensionWeights] = field(default_factory=dict)
    videos_used: int = 0

    def weights(self, dimension: str) -> dict[str, float] | None:
        dim = self.dimensions.get(dimension)
        return dim.weights if dim else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "exploration": self.exploration,
            "videos_used": self.videos_used,
            "dimensions": {
                k: {"dimension": v.dimension, "prior_mean": v.prior_mean, "arms": [asdict(a) for a in v.arms]}
                for k, v in self.dimensions.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationWeights:
        dims = {
            k: DimensionWeights(v["dimension"], [ArmStats(**a) for a in v["arms"]], v.get("prior_mean"))
            for k, v in data.get("dimensions", {}).items()
        }
        return cls(data["day"], float(data.get("exploration", 0.2)), dims, int(data.get("videos_used", 0)))


def thompson_weights(
    dimension: str,
    arms: Iterable[str],
    evidence: pd.DataFrame,
    *,
    exploration: float = 0.2,
    pseudo_count: float = 10.0,
    prior_strength: float = 4.0,
    draws: int = 20000,
    seed: int = 0,
) -> DimensionWeights:
    """Weights over ``arms`` from ``evidence`` (columns ``arm``, ``retention`` as a
    fraction 0–1, ``views``): P(arm is best) under Thompson sampling, mixed with
    ``exploration`` spread evenly. Fixed ``seed``: the same evidence, the same weights."""
    arms = list(arms)
    rows = evidence[evidence["arm"].isin(arms) & evidence["retention"].notna()]
    prior_mean = float(np.average(rows["retention"], weights=rows["views"].clip(lower=1))) if len(rows) else None
    m = min(max(prior_mean if prior_mean is not None else 0.5, 0.01), 0.99)
    stats = []
    for arm in arms:
        own = rows[rows["arm"] == arm]
        r = own["retention"].clip(0, 1).to_numpy()
        stats.append(
            [
                arm,
                len(own),
                float(own["views"].sum()),
                float(np.average(r, weights=own["views"].clip(lower=1))) if len(own) else None,
                m * prior_strength + pseudo_count * r.sum(),
                (1 - m) * prior_strength + pseudo_count * (1 - r).sum(),
            ]
        )
    alpha = np.array([s[4] for s in stats])
    beta = np.array([s[5] for s in stats])
    if len(rows) == 0:
        p_best = np.full(len(arms), 1 / len(arms))
    else:
        samples = np.random.default_rng(seed).beta(alpha, beta, size=(draws, len(arms)))
        p_best = np.bincount(samples.argmax(axis=1), minlength=len(arms)) / draws
    weights = (1 - exploration) * p_best + exploration / len(arms)
    return DimensionWeights(
        dimension,
        [
            ArmStats(s[0], s[1], s[2], s[3], round(s[4], 3), round(s[5], 3), round(float(p), 4), round(float(w), 4))
            for s, p, w in zip(stats, p_best, weights)
        ],
        prior_mean,
    )


def video_evidence(videos: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Per video: views, views-weighted retention (fraction), mood, tempo band and palette."""
    import pandas as pd

    if daily.empty or videos.empty:
        return pd.DataFrame(columns=["video_id", "views", "retention", "mood", "tempo_band", "palette"])
    d = daily.dropna(subset=["views"]).copy()
    d["pct_views"] = d["averageViewPercentage"].fillna(0) * d["views"]
    per = d.groupby("video_id").agg(views=("views", "sum"), pct_views=("pct_views", "sum")).reset_index()
    per["retention"] = np.where(per["views"] > 0, per["pct_views"] / per["views"].clip(lower=1) / 100.0, np.nan)
    videos = videos if "palette" in videos else videos.assign(palette=None)  # a table stored before palettes
    merged = per.merge(videos[["video_id", "mood", "tempo", "palette"]], on="video_id", how="left")
    merged["tempo_band"] = merged["tempo"].map(tempo_band)
    return merged[["video_id", "views", "retention", "mood", "tempo_band", "palette"]]


def generation_weights(
    day: str, videos: pd.DataFrame, daily: pd.DataFrame, *, exploration: float = 0.2, seed: int | None = None
) -> GenerationWeights:
    """Mood, tempo-band and palette weights for the nightly batch from the channel's videos."""
    evidence = video_evidence(videos, daily)
    seed = seed if seed is not None else int(day.replace("-", ""))
    result = GenerationWeights(day, exploration, videos_used=int(evidence["retention"].notna().sum()))
    for dimension, column, arms in (
        ("mood", "mood", MOODS),
        ("tempo", "tempo_band", tuple(TEMPO_BANDS)),
        ("palette", "palette", PALETTE_ORDER),
    ):
        frame = evidence.rename(columns={column: "arm"})[["arm", "retention", "views"]]
        result.dimensions[dimension] = thompson_weights(dimension, arms, frame, exploration=exploration, seed=seed)
    return result


def allocate(weights: Mapping[str, float], count: int) -> dict[str, int]:
    """``count`` pieces over the arms in proportion to ``weights`` (largest remainder)."""
    names = list(weights)
    w = np.array([max(0.0, float(weights[n])) for n in names])
    w = w / w.sum() if w.sum() > 0 else np.full(len(names), 1 / len(names))
    exact = w * count
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: count - counts.sum()]:
        counts[i] += 1
    return dict(zip(names, counts.tolist()))


def changes(previous: GenerationWeights | None, current: GenerationWeights, batch: int) -> pd.DataFrame:
    """What the new weights change in a batch of ``batch`` pieces, arm by arm, against
    the previous weights (or the even spread when there were none)."""
    import pandas as pd

    rows = []
    for dimension, dim in current.dimensions.items():
        before_w = (previous.weights(dimension) if previous else None) or {a.arm: 1 / len(dim.arms) for a in dim.arms}
        before, after = allocate(before_w, batch), allocate(dim.weights, batch)
        for arm in dim.arms:
            rows.append(
                {
                    "dimension": dimension,
                    "arm": arm.arm,
                    "videos": arm.videos,
                    "retention_pct": None if arm.retention is None else round(100 * arm.retention, 1),
                    "p_best": arm.p_best,
                    "weight_before": round(before_w.get(arm.arm, 0.0), 4),
                    "weight": arm.weight,
                    "pieces_before": before[arm.arm],
                    "pieces": after[arm.arm],
                }
            )
    return pd.DataFrame(rows)


_BPM = re.compile(r"\b(\d{2,3})\s*bpm\b", re.IGNORECASE)


def attach_attributes(videos: pd.DataFrame, linked: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Add ``track``, ``mood``, ``tempo``, ``tempo_band``, ``palette`` and ``title_variant``
    to the video table. A video this pipeline published (``linked``: video id → its track's
    conditions and A/B titles) takes them from its track; any other video from its own
    title, tags and description, by the words the planner reads moods and the sound plan
    reads genres from and a "NN BPM" mention."""
    import pandas as pd

    out = videos.copy()
    tracks, moods, tempi, variants, palettes = [], [], [], [], []
    for row in out.itertuples():
        link = linked.get(row.video_id) or {}
        text = [
            row.title or "",
            " ".join(row.tags if isinstance(row.tags, (list, tuple, np.ndarray)) else []),
            row.description or "",
        ]
        tracks.append(link.get("track"))
        moods.append(link.get("mood") or mood_from_text(*text))
        palettes.append(link.get("palette") or palette_in_text(*text))
        bpm = _BPM.search(" ".join(text))
        tempi.append(link.get("tempo") if link.get("tempo") is not None else (float(bpm.group(1)) if bpm else None))
        titles = list(link.get("variants") or [])
        variants.append(f"variant {chr(65 + titles.index(row.title))}" if row.title in titles else None)
    out["track"], out["mood"], out["tempo"], out["title_variant"] = tracks, moods, tempi, variants
    out["palette"] = palettes
    out["tempo_band"] = out["tempo"].map(lambda t: tempo_band(float(t)) if t is not None and pd.notna(t) else None)
    return out


def track_conditions(gap_songs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The mood and the genre palette most of a track's made songs were asked for, and
    their mean tempo."""
    import pandas as pd

    made = [s for s in (gap_songs or {}).get("songs", []) if s.get("conditions")]
    if not made:
        return {}
    songs = [s["conditions"] for s in made]
    moods = pd.Series([s.get("mood") for s in songs]).dropna()
    palettes = pd.Series([(s.get("sound_plan") or {}).get("palette") for s in made]).dropna()
    tempi = [float(s["tempo"]) for s in songs if s.get("tempo") is not None]
    return {
        "mood": moods.mode().iloc[0] if len(moods) else None,
        "tempo": round(float(np.mean(tempi)), 1) if tempi else None,
        **({"palette": palettes.mode().iloc[0]} if len(palettes) else {}),
    }
