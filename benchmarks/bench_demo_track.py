"""A 60-minute demo track from its plan to a checked master, timed stage by stage.

The sample plan "Rainy Window Study Session" (60 minutes, 11 prompts) on the demo library
in a fresh storage root and Dagster instance: plans, songs and index first (not timed),
then ``track_job`` with production defaults (gap songs of plan length, best of 4, by the
shipped model; the tape colour; a mix of the plan's 60 minutes; the streaming master
with every export and check). Separation is excluded (no demucs weights here).

    python benchmarks/bench_demo_track.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402

from lofi_assets.definitions import defs  # noqa: E402
from lofi_assets.demo.library import make_demo_library  # noqa: E402
from resources import StorageResource  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RAINY = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"
TIMED = [
    "notion_track",
    "prompt_embeddings",
    "track_playlist",
    "gap_songs",
    "rendered_songs",
    "track_mix",
    "track_master",
]


def step_seconds(instance, run_id: str) -> dict[str, float]:
    return {
        s.step_key: round(s.end_time - s.start_time, 1)
        for s in instance.get_run_step_stats(run_id)
        if s.start_time and s.end_time
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_demo_track.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-track-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data" / "notion", data / "notion")
        (data / "midi").mkdir()
        make_demo_library(data / "library")
        resources = {"storage": StorageResource(root=str(data))}
        (Path(tmp) / "home").mkdir()
        with dg.instance_for_test(temp_dir=str(Path(tmp) / "home")) as instance:
            instance.add_dynamic_partitions("tracks", [RAINY])
            from lofi_assets.core.library.catalog import library_files

            songs = [f.key for f in library_files(data / "library")[0]]
            instance.add_dynamic_partitions("songs", songs)

            def run(job: str, key: str | None = None):
                result = defs.resolve_job_def(job).execute_in_process(
                    instance=instance,
                    partition_key=key,
                    resources=resources,
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                )
                if not result.success:
                    raise SystemExit(f"{job} {key} failed")
                return result

            run("notion_job", RAINY)
            for song in songs:
                run("song_job", song)
            run("library_index_job")
            started = time.perf_counter()
            result = run("track_job", RAINY)
            total = time.perf_counter() - started
            steps = step_seconds(instance, result.run_id)
        checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        master = json.loads((data / "assets" / "track_master" / RAINY / "master.json").read_text())
    print(f"{'step':20} {'seconds':>8}")
    for name in TIMED:
        print(f"{name:20} {steps.get(name, float('nan')):8.1f}")
    print(f"{'track_job in all':20} {total:8.1f}   ({total / 60:.1f} min; goal ≤ 15 min)")
    m = master["measured"]
    print(
        f"master: {m['duration_s'] / 60:.1f} min, {m['integrated_lufs']} LUFS, {m['true_peak_dbtp']} dBTP, "
        f"DR {m['dynamic_range_db']}, correlation {m['correlation']}"
    )
    print("checks:", ", ".join(f"{k} {'pass' if v else 'FAIL'}" for k, v in sorted(checks.items())))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"total_s": round(total, 1), "steps_s": steps, "checks": checks, "master": m}, indent=2) + "\n"
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
