"""The arrangement rules on single samples of the shipped model against the composer.

Requests (``--count``, default 24; 24 bars): moods in turn, keys of the mood's mode,
56–90 BPM, seeds from 5000, never the requests the self-training rounds used (nightly
batches, ``rft_model.py``). One sample each, no best-of, the default sampling. Key found by the validated finder
(``validate_key_finder.py``) and, for comparison, the old Krumhansl–Schmuckler.

    .venv/bin/python benchmarks/eval_arrangement.py [--count 24] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.composer import MOOD_MODE, compose  # noqa: E402
from lofi_assets.core.generation.conditions import MOODS, Conditions  # noqa: E402
from lofi_assets.core.generation.generate import ModelGenerator  # noqa: E402
from lofi_assets.core.generation.midi_analysis import estimate_key  # noqa: E402
from lofi_assets.core.generation.quality import WEIGHTS, score_midi  # noqa: E402
from resources.midi_model import MODEL_FILE, SHIPPED_MODEL_DIR, TOKENIZER_FILE  # noqa: E402

KEYS = {"major": ("C", "G", "F", "Bb", "D", "Eb"), "minor": ("Am", "Dm", "Em", "Cm", "F#m", "Gm")}


def requests(count: int, bars: int) -> list[Conditions]:
    out = []
    for i in range(count):
        mood = MOODS[i % len(MOODS)]
        key = KEYS[MOOD_MODE[mood]][(i // len(MOODS) + i) % 6]
        out.append(Conditions.parse(56 + (i * 11) % 35, key, mood, bars, 5000 + i))
    return out


def summary(scores, midis, conds) -> dict:
    combined = [s.combined for s in scores]

    def near(method: str) -> float:
        keys = [estimate_key(m, method) for m in midis]
        return round(float(np.mean([k in (c.key, c.key.relative()) for k, c in zip(keys, conds)])), 3)

    return {
        "median_score": round(float(np.median(combined)), 3),
        "approved": f"{sum(s.approved for s in scores)}/{len(scores)}",
        "rules": {r: f"{sum(s.rules[r] for s in scores)}/{len(scores)}" for r in scores[0].rules},
        "sub_scores": {k: round(float(np.median([getattr(s, k) for s in scores])), 3) for k in WEIGHTS},
        "key_same_or_relative": near("temperley-mode"),
        "key_same_or_relative_krumhansl": near("krumhansl"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--bars", type=int, default=24)
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = ModelGenerator.from_files(args.model / MODEL_FILE, args.model / TOKENIZER_FILE)
    conds = requests(args.count, args.bars)
    pieces = [gen.generate(c) for c in conds]
    composed = [compose(c) for c in conds]
    report = {"model": gen.name, "requests": len(conds), "bars": args.bars}
    for name, midis in (("model", [p.midi for p in pieces]), ("composer", composed)):
        scores = [score_midi(m, c.key, drums=c.drums) for m, c in zip(midis, conds)]
        report[name] = summary(scores, midis, conds)
        print(name, json.dumps(report[name]), flush=True)
    report["model"]["median_tokens_per_s"] = round(float(np.median([p.tokens_per_s for p in pieces])), 1)
    out = ROOT / "benchmarks" / "results" / "eval_arrangement.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
