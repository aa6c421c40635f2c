"""A real 3-hour plan from its page to a checked video, stage by stage.

One of the channel's own plans (``../shared/fixtures/static_dreamscapes/notion_docs/``,
180 minutes) in a fresh storage root and Dagster instance with the demo library analysed
and indexed (not timed), then ``track_job`` with production defaults: gap songs and their
takes by the shipped model, the tape colour, a mix of the plan's 180 minutes, the
streaming master with every export and check, metadata, thumbnails and the video. For each
stage: seconds, the peak resident memory of this process and its children while it ran,
and the bytes it wrote; then the music: distinct songs, takes, plays and the closest replay.

    python benchmarks/bench_three_hour.py [--plan 291433e57885806792f6e0aa1ac46418]
    python benchmarks/bench_three_hour.py --plan 293433e57885807ab72edea95328d5b0
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

from benchmarks.memory import MemorySampler  # noqa: E402
from lofi_assets.core.library.catalog import library_files  # noqa: E402
from lofi_assets.definitions import defs  # noqa: E402
from lofi_assets.demo.library import make_demo_library  # noqa: E402
from resources import NotionResource, StorageResource  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "static_dreamscapes" / "notion_docs"
STAGES = [
    "notion_track",
    "prompt_embeddings",
    "track_playlist",
    "gap_songs",
    "rendered_songs",
    "track_mix",
    "track_master",
    "track_metadata",
    "track_thumbnail",
    "track_video",
]
GOAL_S = 30 * 60


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="291433e57885806792f6e0aa1ac46418", help="a fixture page id (180 minutes)")
    parser.add_argument("--out", help="default: results/bench_three_hour_<first 8 of the plan>.json")
    args = parser.parse_args()
    args.out = args.out or str(Path(__file__).parent / "results" / f"bench_three_hour_{args.plan[:8]}.json")
    page = FIXTURES / f"{args.plan}.md"
    if not page.exists():
        raise SystemExit(f"{page}: not found (the shared fixtures are read from ../shared)")
    with tempfile.TemporaryDirectory(prefix="bench-3h-") as tmp:
        data = Path(tmp) / "data"
        (data / "notion").mkdir(parents=True)
        shutil.copy(page, data / "notion" / page.name)
        (data / "midi").mkdir()
        make_demo_library(data / "library")
        storage = StorageResource(root=str(data))
        resources = {"storage": storage, "notion": NotionResource(storage=storage)}
        (Path(tmp) / "home").mkdir()
        with dg.instance_for_test(temp_dir=str(Path(tmp) / "home")) as instance:
            instance.add_dynamic_partitions("tracks", [args.plan])
            songs = [f.key for f in library_files(data / "library")[0]]
            instance.add_dynamic_partitions("songs", songs)

            def run(job: str, key: str | None = None, raise_on_failure: bool = True):
                job_def = defs.resolve_job_def(job)
                result = job_def.execute_in_process(
                    instance=instance,
                    partition_key=key,
                    resources=resources,
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                )
                if raise_on_failure and not result.success:
                    raise SystemExit(f"{job} {key} failed")
                return result

            run("notion_job", args.plan)
            for song in songs:
                run("song_job", song)
            run("library_index_job")
            from lofi_assets.cli.pipeline import show_progress

            show_progress()  # each piece, render and master pass on stderr as it finishes
            sampler = MemorySampler()
            sampler.start()
            started = time.perf_counter()
            result = run("track_job", args.plan, raise_on_failure=False)
            total = time.perf_counter() - started
            sampler.stop()
            stats = {s.step_key: s for s in instance.get_run_step_stats(result.run_id)}
        checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
        assets = data / "assets"
        rows = {}
        for stage in STAGES:
            s = stats.get(stage)
            if s is None or not s.start_time:
                continue
            end = s.end_time or time.time()
            rows[stage] = {
                "seconds": round(end - s.start_time, 1),
                "peak_rss_mb": round(sampler.peak(s.start_time, end) / 2**20),
                "written_mb": round(folder_bytes(assets / stage / args.plan) / 2**20, 1),
                "status": str(s.status.value) if s.status else "?",
            }
        mix = json.loads((assets / "track_mix" / args.plan / "mix.json").read_text()) if rows.get("track_mix") else {}
        made = json.loads((assets / "gap_songs" / args.plan / "gap_songs.json").read_text())
        master_file = assets / "track_master" / args.plan / "master.json"
        master = json.loads(master_file.read_text()) if master_file.exists() else {}
    print(f"{'stage':18} {'seconds':>8} {'peak MB':>8} {'written MB':>11}  status")
    for stage, r in rows.items():
        print(f"{stage:18} {r['seconds']:8.1f} {r['peak_rss_mb']:8d} {r['written_mb']:11.1f}  {r['status']}")
    print(
        f"{'track_job in all':18} {total:8.1f}   ({total / 60:.1f} min; goal ≤ {GOAL_S // 60} min: {total / GOAL_S:.2f}×)"
    )
    pieces = made.get("songs", [])
    print(
        f"gap pieces {len(pieces)} ({sum(p.get('take', 0) > 0 for p in pieces)} further takes), "
        f"candidates made {sum(len(p['candidates']) for p in pieces)}"
    )
    if mix:
        print(
            f"mix {mix['seconds'] / 60:.1f} min: {mix.get('distinct_songs')} distinct songs, most plays "
            f"{mix.get('most_plays')}, closest replay {(mix.get('closest_replay_s') or 0) / 60:.1f} min"
        )
    if master:
        m = master["measured"]
        print(
            f"master {m['integrated_lufs']:.2f} LUFS, {m['true_peak_dbtp']:.2f} dBTP, correlation "
            f"{m['correlation']:.3f}, width {master.get('width')}, passes {len(master['passes'])}; lossy copy "
            f"{master.get('lossy', {}).get('true_peak_dbtp')} dBTP"
        )
    print("checks:", ", ".join(f"{k} {'pass' if v else 'FAIL'}" for k, v in sorted(checks.items())))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {
                "plan": args.plan,
                "total_s": round(total, 1),
                "stages": rows,
                "gap_pieces": len(pieces),
                "takes": sum(p.get("take", 0) > 0 for p in pieces),
                "fill": made.get("fill"),
                "mix": {
                    k: mix.get(k) for k in ("seconds", "distinct_songs", "most_plays", "closest_replay_s", "takes")
                },
                "master": master.get("measured"),
                "lossy": master.get("lossy"),
                "master_passes": master.get("passes"),
                "width": master.get("width"),
                "checks": checks,
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if result.success and all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
