"""Start-up benchmark: what a run worker and each step subprocess pay before any work.

Loading the code location (``import lofi_assets.definitions``) in a fresh interpreter,
median of several, against ``import dagster`` alone (the floor no code location can go
under) measured in the same run; then which heavy libraries the load pulled in.

    python benchmarks/bench_startup.py            # 5 fresh interpreters each
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 2.0  # the definitions load within twice what `import dagster` alone takes
HEAVY = [
    "torch",
    "pandas",
    "pedalboard",
    "matplotlib",
    "sentence_transformers",
    "scipy",
    "pretty_midi",
    "miditok",
    "demucs",
    "googleapiclient",
    "notion_client",
    "PIL",
    "sklearn",
    "transformers",
]


def fresh(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_startup.json"))
    args = parser.parse_args()

    fresh("import lofi_assets.definitions")  # warm the file cache and __pycache__
    python = statistics.median(fresh("pass") for _ in range(args.repeat))
    dagster = statistics.median(fresh("import dagster") for _ in range(args.repeat))
    ours = statistics.median(fresh("import lofi_assets.definitions") for _ in range(args.repeat))
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, sys, lofi_assets.definitions; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    print(f"{'fresh interpreter':40} {python:6.2f} s")
    print(f"{'import dagster':40} {dagster:6.2f} s")
    print(f"{'import lofi_assets.definitions':40} {ours:6.2f} s  ({ours - dagster:+.2f} s over dagster alone)")
    print(f"{'definitions / import dagster':40} {ours / dagster:6.2f}×  (goal ≤ {GOAL_RATIO:g}×)")
    print(f"heavy libraries loaded with the definitions: {', '.join(loaded) or 'none'}")
    result = {
        "python_s": round(python, 3),
        "dagster_s": round(dagster, 3),
        "definitions_s": round(ours, 3),
        "ratio_to_dagster": round(ours / dagster, 2),
        "heavy_loaded": loaded,
        "repeat": args.repeat,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
