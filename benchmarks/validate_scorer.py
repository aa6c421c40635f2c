"""Validate the quality scorer: controls that each break one rule of a real piece must score
below their source, and the groove sub-score must move with MusPy's drum metrics.

Real pieces: composer pieces over every mood, 24 keys, 56–90 BPM and 16–48 bars (the
teacher's corpus distribution). For each, seven controls (five arrangement faults, two
note faults, from ``lofi_assets.core.generation.controls``). Printed and written to
``benchmarks/results/validate_scorer.json``: per control the mean combined score of
control and source, the share of pieces on which the control scores lower (goal ≥ 95 %),
the share that is still approved, and the sub-score that fell most; then the Spearman
correlation of ``groove_consistency`` with MusPy's drum-pattern consistency, drum-in-pattern
rate (duple) and groove consistency over sources and drum controls together.

    .venv/bin/python benchmarks/validate_scorer.py [--pieces 120]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.composer import compose  # noqa: E402
from lofi_assets.core.generation.conditions import KEY_NAMES, MOODS, Conditions  # noqa: E402
from lofi_assets.core.generation.controls import ARRANGEMENT_CONTROLS, NOTE_CONTROLS  # noqa: E402
from lofi_assets.core.generation.quality import WEIGHTS, score_midi  # noqa: E402

GOAL = 0.95


def sources(count: int) -> list[tuple[Conditions, object]]:
    out = []
    for i in range(count):
        cond = Conditions.parse(
            56 + (i * 7) % 35, KEY_NAMES[(i * 5) % 24], MOODS[i % len(MOODS)], (16, 24, 32, 48)[i % 4], 5000 + i
        )
        out.append((cond, compose(cond)))
    return out


def drum_metrics(midi) -> tuple[float, float, float]:
    import muspy
    import pretty_midi

    drums = pretty_midi.PrettyMIDI(initial_tempo=midi.get_tempo_changes()[1][0])
    drums.instruments = [i for i in midi.instruments if i.is_drum]
    if not any(i.notes for i in drums.instruments):
        return (np.nan, np.nan, np.nan)
    music = muspy.from_pretty_midi(drums)
    return (
        muspy.drum_pattern_consistency(music),
        muspy.drum_in_pattern_rate(music, "duple"),
        muspy.groove_consistency(music, 4 * music.resolution),
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pieces", type=int, default=120)
    args = parser.parse_args()
    t0 = time.perf_counter()
    real = sources(args.pieces)
    scored = [(cond, midi, score_midi(midi, cond.key)) for cond, midi in real]
    base = np.array([s.combined for _, _, s in scored])
    report: dict = {
        "pieces": len(real),
        "source": {
            "mean": round(float(base.mean()), 3),
            "approved": round(float(np.mean([s.approved for _, _, s in scored])), 3),
            "all_rules": round(float(np.mean([all(s.rules.values()) for _, _, s in scored])), 3),
        },
        "controls": {},
    }
    print(f"{'control':26s} {'control':>8s} {'source':>8s} {'lower':>7s} {'approved':>9s}  biggest drop")
    print(f"{'(source)':26s} {base.mean():8.3f} {base.mean():8.3f} {'':>7s} {report['source']['approved']:9.2f}")
    groove_rows = [(s.groove_consistency, *drum_metrics(m)) for _, m, s in scored]
    for name, control in {**ARRANGEMENT_CONTROLS, **NOTE_CONTROLS}.items():
        ctrl = [score_midi(control(midi, i), cond.key) for i, (cond, midi, _) in enumerate(scored)]
        c = np.array([s.combined for s in ctrl])
        drops = {
            k: float(np.mean([getattr(a, k) - getattr(b, k) for (_, _, a), b in zip(scored, ctrl)])) for k in WEIGHTS
        }
        worst = max(drops, key=drops.get)
        row = {
            "mean": round(float(c.mean()), 3),
            "source_mean": round(float(base.mean()), 3),
            "lower_than_source": round(float((c < base).mean()), 3),
            "approved": round(float(np.mean([s.approved for s in ctrl])), 3),
            "biggest_drop": {worst: round(drops[worst], 3)},
        }
        report["controls"][name] = row
        flag = "" if row["lower_than_source"] >= GOAL else "  BELOW GOAL"
        print(
            f"{name:26s} {row['mean']:8.3f} {row['source_mean']:8.3f} {row['lower_than_source']:7.2f}"
            f" {row['approved']:9.2f}  {worst} −{drops[worst]:.2f}{flag}"
        )
        if name == "drums re-drawn every bar":
            groove_rows += [
                (s.groove_consistency, *drum_metrics(control(midi, i)))
                for i, ((_, midi, _), s) in enumerate(zip(scored, ctrl))
            ]
    g = np.array(groove_rows, dtype=float)
    ok = ~np.isnan(g).any(axis=1)
    corr = {}
    for j, metric in enumerate(("drum_pattern_consistency", "drum_in_pattern_rate", "groove_consistency"), start=1):
        rho = spearmanr(g[ok, 0], g[ok, j]).statistic
        corr[metric] = round(float(rho), 3)
    report["muspy_spearman_with_groove_consistency"] = {**corr, "files": int(ok.sum())}
    print("Spearman of our groove_consistency with MusPy (sources + drums re-drawn):", corr)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    out = ROOT / "benchmarks" / "results" / "validate_scorer.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out} in {report['seconds']} s")
    failed = [n for n, r in report["controls"].items() if r["lower_than_source"] < GOAL]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
