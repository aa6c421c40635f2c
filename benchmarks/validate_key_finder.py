"""How often each key finder names the key of pieces whose key is known.

The composer writes every piece in the requested key by construction (its chart, scale
and voicings all come from it), so its pieces are ground truth for a key finder. Requests:
``--count`` pieces (default 400), every mood, a key drawn from all 24, 56–90 BPM, 24 bars,
seeds from 20000 (none the evaluations use). A finder counts as right when it names the
key or its relative (they share every note; the mode is the chart's, not the notes').

    .venv/bin/python benchmarks/validate_key_finder.py [--count 400]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.composer import compose  # noqa: E402
from lofi_assets.core.generation.conditions import MOODS, Conditions  # noqa: E402
from lofi_assets.core.generation.midi_analysis import KEY_METHODS, estimate_key  # noqa: E402
from lofi_assets.core.music_keys import MusicKey  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(20000)
    right = {m: 0 for m in KEY_METHODS}
    exact = {m: 0 for m in KEY_METHODS}
    for i in range(args.count):
        key = MusicKey(int(rng.integers(12)), bool(rng.random() < 0.5))
        cond = Conditions.parse(float(rng.integers(56, 91)), key.name, MOODS[i % len(MOODS)], 24, 20000 + i)
        midi = compose(cond)
        for method in KEY_METHODS:
            found = estimate_key(midi, method)
            exact[method] += found == cond.key
            right[method] += found in (cond.key, cond.key.relative())
    report = {
        "pieces": args.count,
        "same_or_relative": {m: round(v / args.count, 3) for m, v in right.items()},
        "exact": {m: round(v / args.count, 3) for m, v in exact.items()},
    }
    print(json.dumps(report, indent=1))
    out = ROOT / "benchmarks" / "results" / "validate_key_finder.json"
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
