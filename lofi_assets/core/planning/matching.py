"""Reuse library songs for a track: multi-factor scoring, a global assignment, and gaps.

Score of song *s* for prompt *p* (weights configurable; the reference split):

- 50 % semantic: cosine of the prompt's and the song's sentence embeddings (clipped at 0);
- 20 % arc: the song was made for the same arc number 1.0, an adjacent arc 0.5, else 0;
- 15 % tempo: soft proximity of the song's tempo to the arc's BPM range (or, without one,
  the range the prompt's tempo words imply), octave-aware: the best of the song's raw,
  half and double tempo, each weighed by its confidence; 0.5 when nothing sets a target;
- 10 % key: the key the prompt (or its arc) names against the song's: same 1.0, relative or
  a fifth away 0.5, else 0; 0.5 when either is unknown;
- 5 % usage: ``1 - log1p(n)/log1p(10)`` for a song used in *n* published tracks.

Songs are assigned to prompts by a maximum-weight matching (Hungarian algorithm) on each
pair's margin over the threshold, so a song is used at most once per track, no prompt takes
a song another needs more, and pairs below the threshold are never assigned. Each
unmatched prompt is a gap with its reason.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.music_keys import MusicKey, key_compatibility, key_in_text, parse_key

TERMS = ("semantic", "arc", "tempo", "key", "usage")
TEMPO_SIGMA = 6.0  # BPM: how fast the tempo term falls off outside the target range
# Tempo candidates assumed for catalogs that give one BPM: trackers often double lo-fi tempo.
DEFAULT_OCTAVE_CONFIDENCE = {"raw": 1.0, "half": 0.9, "double": 0.6}

# Tempo words in prompts and the ranges they mean for lo-fi, first match wins.
TEMPO_WORDS: list[tuple[re.Pattern[str], tuple[float, float]]] = [
    (re.compile(r"\b(very|extremely|super)\s+slow\b|\bbeatless\b|\bno drums\b", re.I), (45.0, 60.0)),
    (re.compile(r"\bslow(ed|ly)?\b|\bdown-?tempo\b|\bslow\s+bpm\b", re.I), (55.0, 72.0)),
    (re.compile(r"\bmid[- ]?tempo\b|\bmoderate\b", re.I), (70.0, 90.0)),
    (re.compile(r"\bup-?beat\b|\bdriving\b|\bup-?tempo\b|\bfast\b|\benergetic\b", re.I), (88.0, 110.0)),
]
_EXPLICIT_BPM = re.compile(r"\b(\d{2,3})\s*bpm\b", re.I)


@dataclass
class Weights:
    semantic: float = 0.50
    arc: float = 0.20
    tempo: float = 0.15
    key: float = 0.10
    usage: float = 0.05

    def as_array(self) -> np.ndarray:
        return np.array([getattr(self, t) for t in TERMS], dtype=np.float32)


def tempo_words_range(text: str) -> tuple[float, float] | None:
    if m := _EXPLICIT_BPM.search(text):
        bpm = float(m.group(1))
        return bpm - 3.0, bpm + 3.0
    for pattern, bpm_range in TEMPO_WORDS:
        if pattern.search(text):
            return bpm_range
    return None


@dataclass
class Query:
    """One prompt to match."""

    arc: int
    number: int
    text: str
    bpm_range: tuple[float, float] | None
    tempo_source: str  # "arc", "words" or "none"
    key_tonic: int = -1
    key_minor: bool = False


def queries_from_plan(plan: TrackPlan) -> list[Query]:
    arcs = {a.number: a for a in plan.arcs}
    out = []
    for p in plan.prompts:
        arc = arcs.get(p.arc)
        if arc is not None and arc.bpm_min is not None:
            bpm_range, source = (arc.bpm_min, arc.bpm_max), "arc"
        elif (words := tempo_words_range(p.full_text or p.text)) is not None:
            bpm_range, source = words, "words"
        else:
            bpm_range, source = None, "none"
        key = key_in_text(p.full_text or p.text) or (key_in_text(f"{arc.name} {arc.description}") if arc else None)
        out.append(
            Query(
                arc=p.arc,
                number=p.number,
                text=p.text,
                bpm_range=bpm_range,
                tempo_source=source,
                key_tonic=key.tonic if key else -1,
                key_minor=bool(key and key.minor),
            )
        )
    return out


@dataclass
class Catalog:
    """The songs to choose from, as arrays (one row a song)."""

    song_ids: list[str]
    texts: list[str]
    tempo_bpm: np.ndarray  # [S, 3] raw, half, double
    tempo_conf: np.ndarray  # [S, 3]
    key_tonic: np.ndarray  # [S] pitch class, -1 unknown
    key_minor: np.ndarray  # [S] bool
    duration_s: np.ndarray  # [S]
    arc: np.ndarray  # [S] arc the song was made for, -1 unknown
    times_used: np.ndarray  # [S]
    embeddings: np.ndarray | None = None  # [S, D], unit rows

    def __len__(self) -> int:
        return len(self.song_ids)

    @classmethod
    def from_records(cls, records: list[dict], embeddings: np.ndarray | None = None) -> Catalog:
        n = len(records)
        tempo_bpm = np.zeros((n, 3), dtype=np.float32)
        tempo_conf = np.zeros((n, 3), dtype=np.float32)
        key_tonic = np.full(n, -1, dtype=np.int16)
        key_minor = np.zeros(n, dtype=bool)
        for i, r in enumerate(records):
            cands = r.get("tempo_candidates")
            if isinstance(cands, str) and cands:
                cands = json.loads(cands)
            bpm = _float(r.get("bpm"))
            if cands:
                by_rel = {c["relation"]: c for c in cands}
                for j, rel in enumerate(("raw", "half", "double")):
                    if rel in by_rel:
                        tempo_bpm[i, j] = by_rel[rel]["bpm"]
                        tempo_conf[i, j] = by_rel[rel]["confidence"]
            elif bpm and bpm > 0:
                raw = _float(r.get("bpm_raw")) or bpm
                tempo_bpm[i] = (raw, raw / 2, raw * 2)
                tempo_conf[i] = [DEFAULT_OCTAVE_CONFIDENCE[k] for k in ("raw", "half", "double")]
            key = parse_key(str(r.get("key") or ""))
            if key is not None:
                key_tonic[i], key_minor[i] = key.tonic, key.minor
        return cls(
            song_ids=[str(r["song_id"]) for r in records],
            texts=[str(r.get("text") or "") for r in records],
            tempo_bpm=tempo_bpm,
            tempo_conf=tempo_conf,
            key_tonic=key_tonic,
            key_minor=key_minor,
            duration_s=np.array([_float(r.get("duration")) or 0.0 for r in records], dtype=np.float32),
            arc=np.array([_int(r.get("arc"), -1) for r in records], dtype=np.int16),
            times_used=np.array([_int(r.get("times_used"), 0) for r in records], dtype=np.int32),
            embeddings=embeddings,
        )


def _float(value) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(value, default: int) -> int:
    f = _float(value)
    return default if f is None else int(f)


# -- the terms ---------------------------------------------------------------------------


def tempo_term(catalog: Catalog, bpm_range: tuple[float, float] | None) -> np.ndarray:
    if bpm_range is None:
        return np.full(len(catalog), 0.5, dtype=np.float32)
    lo, hi = bpm_range
    bpm = catalog.tempo_bpm
    dist = np.where(bpm < lo, lo - bpm, np.where(bpm > hi, bpm - hi, 0.0))
    prox = np.exp(-0.5 * (dist / TEMPO_SIGMA) ** 2)
    prox[bpm <= 0] = 0.0
    return (prox * catalog.tempo_conf).max(axis=1).astype(np.float32)


def key_term(catalog: Catalog, tonic: int, minor: bool) -> np.ndarray:
    if tonic < 0:
        return np.full(len(catalog), 0.5, dtype=np.float32)
    # key_compatibility against each of the 24 keys, then looked up per song.
    target = MusicKey(tonic, minor)
    table = np.array(
        [key_compatibility(target, MusicKey(t, m)) for m in (False, True) for t in range(12)], dtype=np.float32
    )
    st = catalog.key_tonic.astype(np.int32)
    term = table[np.where(st < 0, 0, st) + 12 * catalog.key_minor]
    term[st < 0] = 0.5
    return term


def arc_term(catalog: Catalog, arc: int) -> np.ndarray:
    diff = np.abs(catalog.arc.astype(np.int32) - arc)
    term = np.where(diff == 0, 1.0, np.where(diff == 1, 0.5, 0.0)).astype(np.float32)
    term[catalog.arc < 0] = 0.0
    return term


def usage_term(catalog: Catalog) -> np.ndarray:
    return (1.0 - np.minimum(1.0, np.log1p(catalog.times_used) / math.log1p(10))).astype(np.float32)


def score(queries: list[Query], query_emb: np.ndarray, catalog: Catalog, weights: Weights) -> np.ndarray:
    """Terms ``[len(TERMS), P, S]``; the total is ``weights · terms``."""
    assert catalog.embeddings is not None, "catalog embeddings are needed"
    semantic = np.clip(query_emb @ catalog.embeddings.T, 0.0, 1.0).astype(np.float32)
    usage = usage_term(catalog)
    terms = np.empty((len(TERMS), len(queries), len(catalog)), dtype=np.float32)
    terms[0] = semantic
    for i, q in enumerate(queries):
        terms[1, i] = arc_term(catalog, q.arc)
        terms[2, i] = tempo_term(catalog, q.bpm_range)
        terms[3, i] = key_term(catalog, q.key_tonic, q.key_minor)
        terms[4, i] = usage
    return terms


def total_score(terms: np.ndarray, weights: Weights) -> np.ndarray:
    return np.tensordot(weights.as_array(), terms, axes=1)


# -- assignment and gaps -----------------------------------------------------------------


def assign(total: np.ndarray, threshold: float) -> dict[int, int]:
    """prompt index -> song index, maximising the summed score, each song at most once."""
    n_prompts, n_songs = total.shape
    if n_prompts == 0 or n_songs == 0:
        return {}
    # Each prompt's best k songs hold an optimal assignment when k >= the number of prompts.
    k = min(n_songs, max(n_prompts, 16))
    top = np.argpartition(-total, k - 1, axis=1)[:, :k]
    cols = np.unique(top[np.take_along_axis(total, top, axis=1) >= threshold])
    if cols.size == 0:
        return {}
    sub = total[:, cols]
    # Maximise the summed margin over the threshold: a strong match is not given up for two
    # barely-passing ones, and no pair below the threshold is ever used.
    margin = np.where(sub >= threshold, sub - threshold, -1e3)
    from scipy.optimize import linear_sum_assignment  # scipy loads in a second: only where used

    rows, picked = linear_sum_assignment(margin, maximize=True)
    return {int(r): int(cols[c]) for r, c in zip(rows, picked, strict=True) if margin[r, c] >= 0}


@dataclass
class Candidate:
    song_id: str
    total: float
    terms: dict[str, float]


@dataclass
class PromptMatch:
    arc: int
    number: int
    text: str
    tempo_target: list[float] | None
    tempo_source: str
    candidates: list[Candidate]
    song_id: str | None = None
    score: float | None = None
    gap_reason: str | None = None  # nothing similar | tempo | already used


@dataclass
class ArcCoverage:
    arc: int
    name: str
    prompts: int
    matched: int
    matched_s: float
    target_s: float | None


@dataclass
class MatchResult:
    threshold: float
    weights: dict[str, float]
    prompts: list[PromptMatch]
    arcs: list[ArcCoverage] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(1 for p in self.prompts if p.song_id)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["matched"] = self.matched
        data["gaps"] = len(self.prompts) - self.matched
        return data


def gap_reason(i: int, total: np.ndarray, terms: np.ndarray, weights: Weights, threshold: float) -> str:
    best = float(total[i].max()) if total.shape[1] else 0.0
    if best >= threshold:
        return "already used"  # good songs exist, but the assignment gave them to other prompts
    # Would some song pass if its tempo fitted? Then tempo is what keeps it out.
    tempo_free = total[i] + weights.tempo * (1.0 - terms[2, i])
    if total.shape[1] and float(tempo_free.max()) >= threshold:
        return "tempo"
    return "nothing similar"


def match(
    queries: list[Query],
    query_emb: np.ndarray,
    catalog: Catalog,
    *,
    weights: Weights | None = None,
    threshold: float = 0.70,
    top_k: int = 5,
) -> tuple[MatchResult, np.ndarray]:
    weights = weights or Weights()
    terms = score(queries, query_emb, catalog, weights)
    total = total_score(terms, weights)
    assigned = assign(total, threshold)
    prompts = []
    k = min(top_k, len(catalog))
    for i, q in enumerate(queries):
        order = np.argsort(-total[i])[:k] if k else []
        cands = [
            Candidate(
                catalog.song_ids[j],
                round(float(total[i, j]), 4),
                {t: round(float(terms[n, i, j]), 4) for n, t in enumerate(TERMS)},
            )
            for j in order
        ]
        pm = PromptMatch(
            arc=q.arc,
            number=q.number,
            text=q.text,
            tempo_target=list(q.bpm_range) if q.bpm_range else None,
            tempo_source=q.tempo_source,
            candidates=cands,
        )
        if i in assigned:
            j = assigned[i]
            pm.song_id, pm.score = catalog.song_ids[j], round(float(total[i, j]), 4)
        else:
            pm.gap_reason = gap_reason(i, total, terms, weights, threshold)
        prompts.append(pm)
    return MatchResult(threshold=threshold, weights=asdict(weights), prompts=prompts), total


def arc_coverage(plan: TrackPlan, result: MatchResult, durations: dict[str, float]) -> list[ArcCoverage]:
    """Matched seconds per arc against the plan's target, split by the arcs' prompt counts."""
    total_prompts = max(1, len(plan.prompts))
    out = []
    for arc in plan.arcs:
        in_arc = [p for p in result.prompts if p.arc == arc.number]
        matched = [p for p in in_arc if p.song_id]
        target = plan.target_duration_min * 60 * len(in_arc) / total_prompts if plan.target_duration_min else None
        out.append(
            ArcCoverage(
                arc=arc.number,
                name=arc.name,
                prompts=len(in_arc),
                matched=len(matched),
                matched_s=round(sum(durations.get(p.song_id, 0.0) for p in matched), 1),
                target_s=round(target, 1) if target else None,
            )
        )
    return out


def load_catalog_file(path: Path) -> list[dict]:
    """Catalog rows from CSV, JSON (a list of objects, or {"songs": [...]}) or Parquet.

    Columns: ``song_id``, ``text``, ``bpm``, ``key``, ``duration`` (seconds), ``arc``,
    ``times_used``; optional ``bpm_raw`` and ``tempo_candidates`` (JSON list of
    ``{"bpm", "relation", "confidence"}``).
    """
    import pandas as pd

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    elif suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        frame = pd.DataFrame(data["songs"] if isinstance(data, dict) else data)
    else:
        raise ValueError(f"{path.name}: catalog must be .csv, .json or .parquet")
    missing = {"song_id", "text", "bpm", "key", "duration", "arc", "times_used"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path.name}: catalog lacks column(s) {', '.join(sorted(missing))}")
    return frame.to_dict(orient="records")
