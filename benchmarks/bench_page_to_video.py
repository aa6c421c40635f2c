"""From a new Notion page to its video, through the sensor and a real daemon.

A fresh instance and data folder hold the demo library, analysed and indexed (untimed),
as after `make demo`. The daemon (`dagster-daemon run`, what `make dev` runs) is started;
once the Notion sensor has ticked with nothing to do, a new page is written into the
folder source: a plan of 10 minutes (the sample "Rainy Window Study Session" with its
target duration set to 10). Measured, in seconds:

- tick: the page written → the sensor's run request (the sensor ticks every 60 s);
- queue: the request → the run's launch;
- start-up: the launch → the first step (the run's process loading the code location);
- work: the first step → ``track_job`` done (each step's own process start included,
  reported apart).

Goal: start-up and queue under 15 % of the total. Reference in the same run: the same
plan under another page id, ``track_job`` executed in this process (no daemon, no queue,
no step processes).

    .venv/bin/python benchmarks/bench_page_to_video.py [--no-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from daemon_runs import fresh_home, run_phases, running_daemon, wait_until  # noqa: E402

from lofi_assets.core.files import write_text_atomic  # noqa: E402

RAINY = ROOT / "data" / "notion" / "Rainy Window Study Session 4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b.md"
PAGE_ID = "9d0e1f2a3b4c4d5e8f6a7b8c9d0e1f2a"
REFERENCE_ID = "1a2b3c4d5e6f4a7b8c9d0e1f2a3b4c5d"


def write_page(folder: Path, page_id: str, title: str) -> Path:
    text = RAINY.read_text(encoding="utf-8")
    text = text.replace("# Rainy Window Study Session", f"# {title}", 1)
    text = re.sub(r"^Target duration: .*$", "Target duration: 10", text, count=1, flags=re.M)
    text = re.sub(r"^Last edited time: .*$", "", text, count=1, flags=re.M)  # the file's own time counts
    path = folder / f"{title} {page_id}.md"
    write_text_atomic(path, text)  # the sensor never sees half a page
    return path


def step_startups(instance, run_id: str) -> float:
    """Seconds the run's steps spent starting their own processes."""
    import dagster as dg

    starting: dict[str, float] = {}
    total = 0.0
    records = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.STEP_WORKER_STARTING, dg.DagsterEventType.STEP_START}
    ).records
    for record in records:
        entry = record.event_log_entry
        if entry.dagster_event_type == dg.DagsterEventType.STEP_WORKER_STARTING:
            starting[entry.step_key] = entry.timestamp
        elif entry.step_key in starting:
            total += entry.timestamp - starting.pop(entry.step_key)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--timeout", type=float, default=1200.0)
    opts = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_page_") as tmp:
        tmp = Path(tmp)
        data, home = tmp / "data", tmp / "home"
        (data / "notion").mkdir(parents=True)
        (data / "midi").mkdir()
        fresh_home(home)
        os.environ["DAGSTER_HOME"], os.environ["LOFI_DATA_DIR"] = str(home), str(data)

        import dagster as dg

        from lofi_assets.core.library.catalog import library_files
        from lofi_assets.definitions import defs
        from lofi_assets.demo.library import make_demo_library
        from lofi_assets.partitions import range_tags

        instance = dg.DagsterInstance.get()
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

        def run(job: str, key: str | None = None, tags: dict | None = None):
            result = defs.resolve_job_def(job).execute_in_process(
                instance=instance, partition_key=key, tags=tags, run_config=quiet, raise_on_error=False
            )
            if not result.success:
                raise SystemExit(f"{job} {key or ''} failed")
            return result

        make_demo_library(data / "library")
        songs = [f.key for f in library_files(data / "library")[0]]
        instance.add_dynamic_partitions("songs", songs)
        run("song_job", tags=range_tags(songs))
        run("library_index_job")
        print(f"library: {len(songs)} songs analysed and indexed (untimed)", flush=True)

        reference_s = None
        if not opts.no_reference:
            write_page(data / "notion", REFERENCE_ID, "Rain Reference Set")
            instance.add_dynamic_partitions("tracks", [REFERENCE_ID])
            started = time.perf_counter()
            run("track_job", REFERENCE_ID)
            reference_s = time.perf_counter() - started
            print(f"reference: track_job in this process {reference_s:.1f} s", flush=True)

        with running_daemon(home, data, tmp / "daemon.log") as daemon_started:
            log = tmp / "daemon.log"
            # the Notion sensor's first tick: the page must be new to it
            if not wait_until(lambda: "notion_tracks_sensor" in log.read_text(errors="replace"), 120, 0.5):
                print("the Notion sensor never ticked; the daemon's log:\n" + log.read_text()[-3000:])
                return 1
            time.sleep(2)
            written = time.time()
            write_page(data / "notion", PAGE_ID, "Evening Drizzle Short Set")

            def track_runs():
                return [p for p in run_phases(instance, "track_job") if p.partitions == PAGE_ID]

            done = wait_until(lambda: any(p.ended for p in track_runs()), opts.timeout)
            runs = track_runs()
            other = [p for p in run_phases(instance) if p.created > daemon_started and p.partitions != PAGE_ID]
            steps_startup = step_startups(instance, runs[0].run_id) if runs else 0.0
        daemon_log = log.read_text(errors="replace") if log.exists() else ""

    if not runs or not done:
        print(
            f"no finished track_job run for the page in {opts.timeout:.0f} s; the daemon's log:\n{daemon_log[-3000:]}"
        )
        return 1
    r = runs[0]
    tick = r.created - written
    total = r.ended - written
    overhead = r.queue_s + r.startup_s
    print(f"page written → track_job {r.status.lower()} in {total:.1f} s (run {r.run_id[:8]}):")
    print(f"  tick     {tick:6.1f} s  (sensor every 60 s)")
    print(f"  queue    {r.queue_s:6.1f} s")
    print(f"  start-up {r.startup_s:6.1f} s")
    print(f"  work     {r.work_s:6.1f} s  (of which {steps_startup:.1f} s starting each step's process)")
    print(
        f"goal: start-up and queue under 15 % of the total: {overhead:.1f} s, {100 * overhead / total:.1f} % "
        f"({'met' if overhead / total < 0.15 else 'NOT met'}); with the step processes' start: "
        f"{100 * (overhead + steps_startup) / total:.1f} %"
    )
    if reference_s:
        print(
            f"reference (in this process): {reference_s:.1f} s; daemon work / reference {r.work_s / reference_s:.2f}x"
        )
    for p in other:
        print(f"  other run meanwhile: {p.job} {p.partitions} ({p.status})")
    print(
        json.dumps(
            {
                "total_s": round(total, 1),
                "tick_s": round(tick, 1),
                "queue_s": round(r.queue_s, 1),
                "startup_s": round(r.startup_s, 1),
                "work_s": round(r.work_s, 1),
                "step_startup_s": round(steps_startup, 1),
                "reference_s": round(reference_s, 1) if reference_s else None,
            }
        )
    )
    return 0 if r.status == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())
