"""Song reuse on a real library: our matcher against the scoring of the tool it replaces.

Data: ``../shared/fixtures/static_dreamscapes/`` — 515 analysed songs and ten track plans.
A song's file name gives its source track, arc and prompt; where the source track's plan
states its track number (tracks 11, 20 and 21), the song's text is the prompt it was made
for. Every other song keeps only what was measured (tempo, key, energy) and is a
distractor. The analysis's tempo is often double the planned tempo, as beat trackers do.

Measures, for the prompts of the numbered plans (a hit is a song made for that prompt):
self-retrieval recall@1 and @5; the share of prompts with a candidate above the
threshold; prompts matched by the assignment; and, on slow arcs (45–60 BPM), prompts left
unmatched because of tempo. The reference scoring — 0.5 semantic + 0.2 arc + 0.05 usage, a
hard ±10 BPM filter on the prompt's tempo (arc range midpoint, else its tempo word), no
key term, first-come assignment, scaled to 0–1 — runs on the same data and embeddings.

    .venv/bin/python benchmarks/eval_library_match.py [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.ingest.plan_parser import parse_track_plan  # noqa: E402
from lofi_assets.core.library.catalog import plans_by_track_number, prompt_context, song_text  # noqa: E402
from lofi_assets.core.library.embedding import Embedder  # noqa: E402
from lofi_assets.core.planning.matching import (  # noqa: E402
    Catalog,
    Weights,
    match,
    queries_from_plan,
)

FIXTURES = ROOT.parent / "shared" / "fixtures" / "static_dreamscapes"
OLD_TEMPO_WORDS = {"slow": 70.0, "mid": 90.0, "up": 110.0}


def load_fixtures():
    plans = [
        parse_track_plan(p.read_text(encoding="utf-8"), key=p.stem, source=str(p))
        for p in sorted((FIXTURES / "notion_docs").glob("*.md"))
    ]
    numbered = plans_by_track_number(plans)
    records = []
    for path in sorted((FIXTURES / "library_analysis").glob("*.json")):
        data = json.loads(path.read_text())
        context = prompt_context(numbered, path.stem)
        record = {
            "song_id": path.stem,
            "file": path.name,
            "bpm": data["bpm"],
            "key": data["key"],
            "duration": data["duration_seconds"],
            "energy_raw": 0.5,
            **context,
            "times_used": 0,
        }
        record["text"] = song_text(record)
        records.append(record)
    return plans, numbered, records


def write_catalog(records: list[dict], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(
        [{k: r[k] for k in ("song_id", "text", "bpm", "key", "duration", "arc", "times_used")} for r in records]
    )
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".json":
        frame.to_json(path, orient="records", indent=1)
    else:
        frame.to_parquet(path, index=False)


def old_scores(queries, query_emb, catalog: Catalog, weights: Weights) -> np.ndarray:
    """The replaced tool: semantic, arc and usage terms, a hard ±10 BPM filter, no key term."""
    semantic = np.clip(query_emb @ catalog.embeddings.T, 0, 1)
    raw_bpm = catalog.tempo_bpm[:, 0]
    usage = 1.0 - np.minimum(1.0, np.log1p(catalog.times_used) / np.log1p(10))
    out = np.empty_like(semantic)
    for i, q in enumerate(queries):
        diff = np.abs(catalog.arc.astype(int) - q.arc)
        arc = np.where(diff == 0, 1.0, np.where(diff == 1, 0.5, 0.0)) * (catalog.arc >= 0)
        # Its terms weigh 0.75 in all; scaled to 0-1 so one threshold means the same for both.
        scale = weights.semantic + weights.arc + weights.usage
        out[i] = (weights.semantic * semantic[i] + weights.arc * arc + weights.usage * usage) / scale
        target = None
        if q.bpm_range is not None:
            target = sum(q.bpm_range) / 2 if q.tempo_source == "arc" else None
        if target is None:
            text = q.text.lower()
            word = "slow" if "slow" in text else "mid" if "mid" in text else "up" if "upbeat" in text else None
            target = OLD_TEMPO_WORDS.get(word)
        if target is not None:
            out[i][np.abs(raw_bpm - target) > 10] = -np.inf
    return out


def first_come(total: np.ndarray, threshold: float) -> dict[int, int]:
    used, out = set(), {}
    for i in range(total.shape[0]):
        for j in np.argsort(-total[i]):
            if total[i, j] < threshold:
                break
            if j not in used:
                used.add(j)
                out[i] = int(j)
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.70)
    parser.add_argument(
        "--write-catalog",
        metavar="PATH",
        help="also write the real library as a catalog (CSV, JSON or Parquet) for `lofi match`",
    )
    opts = parser.parse_args()
    if not FIXTURES.is_dir():
        sys.exit(f"fixtures not found at {FIXTURES}")

    plans, numbered, records = load_fixtures()
    if opts.write_catalog:
        write_catalog(records, Path(opts.write_catalog))
        print(f"catalog of {len(records)} songs written to {opts.write_catalog}")
    embedder = Embedder()
    started = time.perf_counter()
    song_emb, _ = embedder.encode([r["text"] for r in records])
    embed_s = time.perf_counter() - started
    catalog = Catalog.from_records(records, song_emb)
    weights = Weights()

    rows = {"ours": [], "reference": []}
    slow = {"ours": [0, 0], "reference": [0, 0]}  # [slow prompts, unmatched for tempo]
    match_ms = []
    for track_number, plan in sorted(numbered.items()):
        queries = queries_from_plan(plan)
        query_emb, _ = embedder.encode([p.full_text or p.text for p in plan.prompts])
        started = time.perf_counter()
        result, ours_total = match(queries, query_emb, catalog, weights=weights, threshold=opts.threshold)
        match_ms.append((time.perf_counter() - started) * 1e3)
        ref_total = old_scores(queries, query_emb, catalog, weights)
        ref_assigned = first_come(ref_total, opts.threshold)
        for i, q in enumerate(queries):
            relevant = {
                j
                for j, r in enumerate(records)
                if r["source_track"] == track_number and r["arc"] == q.arc and r["prompt"] == q.number
            }
            if not relevant:
                continue
            is_slow = q.bpm_range is not None and q.bpm_range[1] <= 60
            for name, total, assigned in (
                ("ours", ours_total, {k for k, p in enumerate(result.prompts) if p.song_id}),
                ("reference", ref_total, set(ref_assigned)),
            ):
                order = np.argsort(-total[i])
                rows[name].append(
                    {
                        "r1": order[0] in relevant,
                        "r5": bool(relevant & set(order[:5].tolist())),
                        "above": bool(np.max(total[i]) >= opts.threshold),
                        "matched": i in assigned,
                    }
                )
                if is_slow:
                    slow[name][0] += 1
                    best_relevant = max(total[i, j] for j in relevant)
                    if name == "ours":
                        lost = result.prompts[i].gap_reason == "tempo"
                    else:  # every song made for the prompt was filtered out by the hard tempo window
                        lost = i not in assigned and not np.isfinite(best_relevant)
                    slow[name][1] += int(lost)

    # Prompts of the plans with no number: their own songs carry no text here, so what
    # passes the threshold is a song made for another track (a reuse, not a self-hit).
    other = [p for p in plans if p.track_number is None]
    passing = total_prompts = 0
    for plan in other:
        query_emb, _ = embedder.encode([p.full_text or p.text for p in plan.prompts])
        result, _ = match(queries_from_plan(plan), query_emb, catalog, weights=weights, threshold=opts.threshold)
        passing += result.matched
        total_prompts += len(result.prompts)

    print(
        f"library: {len(records)} songs; plans: {len(plans)} ({len(numbered)} with a track number: "
        f"{sorted(numbered)}); prompts evaluated: {len(rows['ours'])}; threshold {opts.threshold}"
    )
    print(
        f"embed {len(records)} song texts: {embed_s:.2f} s; match one track: "
        f"{np.median(match_ms):.1f} ms (median of {len(match_ms)})"
    )
    print(f"{'':12} {'recall@1':>9} {'recall@5':>9} {'above thr':>10} {'matched':>8} {'slow: lost to tempo':>20}")
    for name in ("ours", "reference"):
        r = rows[name]
        n = len(r)
        print(
            f"{name:12} {sum(x['r1'] for x in r) / n:9.1%} {sum(x['r5'] for x in r) / n:9.1%} "
            f"{sum(x['above'] for x in r) / n:10.1%} {sum(x['matched'] for x in r) / n:8.1%} "
            f"{slow[name][1]:>9} of {slow[name][0]}"
        )
    print(
        f"prompts of the {len(other)} unnumbered plans reusing a song from another track: "
        f"{passing} of {total_prompts} ({passing / max(1, total_prompts):.0%})"
    )


if __name__ == "__main__":
    main()
