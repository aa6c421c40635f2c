"""Importing a whole library through the sensor and a real daemon, against the same work
done in one process.

A library of ``--songs`` distinct three-minute mp3 songs (515 by default, named after the
shared fixtures' real library where it is present) is dropped into a fresh data folder; a
fresh instance's daemon (`dagster-daemon run`, what `make dev` runs) finds them with
``library_songs_sensor``, which asks for runs of consecutive songs, and runs them from its
queue. Measured: the seconds until every song is analysed and embedded, and each run's
queue, start-up and work; then the index's rebuild by ``library_index_automation``. Goal:
<= 600 s on two cores and within 2x of the reference.

Reference, in the same run: every song analysed in a pool of one process per core, then
every text embedded in one batch (the model's load included), with no Dagster at all.

The songs are made once and kept in benchmarks/.cache (each is one of 16 synthesised
songs, rotated by its own offset so that every file's audio differs).

    .venv/bin/python benchmarks/bench_library_import.py [--songs 515] [--seconds 180]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from daemon_runs import run_phases, running_daemon, wait_until  # noqa: E402

FIXTURE_LIBRARY = ROOT.parent / "shared" / "fixtures" / "static_dreamscapes" / "library_analysis"
BASES = [(64 + 2 * i, key) for i, key in enumerate(["A minor", "D minor", "F major", "C major"] * 4)]


def song_names(count: int) -> list[str]:
    names = sorted(p.stem for p in FIXTURE_LIBRARY.glob("*.json")) if FIXTURE_LIBRARY.is_dir() else []
    names += [f"{1 + i % 5}_{1 + i % 20}_{40 + i // 100}{chr(97 + i % 26)}" for i in range(len(names), count)]
    return names[:count]


@functools.cache
def base_song(which: int, seconds: float) -> np.ndarray:
    from lofi_assets.demo.library import synthesize

    bpm, key = BASES[which]
    return synthesize(bpm, key, seconds, seed=which)


def make_song(job: tuple[Path, int, float]) -> None:
    from lofi_assets.demo.library import write_audio

    path, index, seconds = job
    audio = base_song(index % len(BASES), seconds)
    rng = np.random.default_rng(index)
    write_audio(path, np.roll(audio, int(rng.integers(1, len(audio))), axis=0) * float(rng.uniform(0.85, 1.0)))


def library(count: int, seconds: float) -> Path:
    folder = ROOT / "benchmarks" / ".cache" / f"library-{count}-{seconds:g}s"
    names = song_names(count)
    todo = [
        (folder / f"{name}.mp3", i, seconds) for i, name in enumerate(names) if not (folder / f"{name}.mp3").exists()
    ]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
        print(f"making {len(todo)} songs of {seconds:g} s in {folder} (once)...", flush=True)
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(make_song, todo, chunksize=4))
    return folder


def reference(files: list[Path]) -> tuple[float, float]:
    """Seconds to analyse every song (a process per core) and to embed their texts."""
    from lofi_assets.core.library.analysis import analyse_file
    from lofi_assets.core.library.catalog import song_text
    from lofi_assets.core.library.embedding import Embedder

    started = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        analyses = list(pool.map(analyse_file, files, chunksize=4))
    analysed = time.perf_counter() - started
    started = time.perf_counter()
    texts = [song_text({**a.to_dict(), "file": f.name}) for a, f in zip(analyses, files, strict=True)]
    Embedder().encode(texts)
    return analysed, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=515)
    parser.add_argument("--seconds", type=float, default=180.0, help="length of each song")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--prepare-only", action="store_true", help="make the songs, measure nothing")
    opts = parser.parse_args()

    import dagster as dg

    songs = sorted(library(opts.songs, opts.seconds).glob("*.mp3"))[: opts.songs]
    if opts.prepare_only:
        return 0
    if opts.skip_reference:
        reference_s = None
    else:
        analysed, embedded = reference(songs)
        reference_s = analysed + embedded
        print(
            f"reference, no Dagster: {len(songs)} songs analysed in {analysed:.1f} s with {os.cpu_count()} "
            f"processes, embedded in {embedded:.1f} s: {reference_s:.1f} s ({reference_s / len(songs):.2f} s a song)",
            flush=True,
        )

    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        (data / "library").mkdir(parents=True)
        for song in songs:  # hard links: the same files, no copying
            os.link(song, data / "library" / song.name)
        home = tmp / "home"
        with running_daemon(home, data, tmp / "daemon.log") as started:
            os.environ["DAGSTER_HOME"] = str(home)
            instance = dg.DagsterInstance.get()

            def imported() -> int:
                return len(instance.get_materialized_partitions(dg.AssetKey("song_embedding")))

            def settled() -> bool:
                runs = instance.get_runs(dg.RunsFilter(job_name="song_job"))
                return imported() >= len(songs) or (
                    bool(runs) and all(r.is_finished for r in runs) and time.time() - started > 240
                )

            done = wait_until(settled, opts.timeout)
            finished = time.time()
            total = finished - started
            count = imported()

            # then library_index_automation rebuilds the index over the new songs
            def indexed():
                return [p for p in run_phases(instance) if p.job != "song_job" and p.ended]

            wait_until(indexed, 240)
            phases = run_phases(instance, "song_job")
            index_runs = indexed()
        log = (tmp / "daemon.log").read_text(errors="replace")

    if not phases:
        print("the daemon started no run; its log:\n" + log[-3000:])
        return 1
    first_request = phases[0].created - started
    print(
        f"daemon: {count} of {len(songs)} songs imported in {total:.1f} s ({total / max(count, 1):.2f} s a song) "
        f"in {len(phases)} run(s){'' if done else ' (TIMED OUT)'}"
    )
    print(f"  daemon start to the sensor's request: {first_request:.1f} s (code location load, hashing the files)")
    for p in phases:
        print(
            f"  run {p.run_id[:8]} {p.partitions:<28} {p.status:<8} queue {p.queue_s:6.1f} s  "
            f"start-up {p.startup_s:5.1f} s  work {p.work_s:6.1f} s"
        )
    print(
        f"  median start-up {statistics.median(p.startup_s for p in phases):.1f} s, "
        f"median queue {statistics.median(p.queue_s for p in phases):.1f} s, "
        f"last run ended {max((p.ended or finished) for p in phases) - started:.1f} s after the daemon started"
    )
    for p in index_runs:
        print(
            f"  then {p.job} ({p.status}, by {p.tags.get('dagster/sensor_name', '?')}): requested "
            f"{p.created - finished:.1f} s after the last song, done {p.ended - started:.1f} s after the daemon "
            f"started (queue {p.queue_s:.1f} s, start-up {p.startup_s:.1f} s, work {p.work_s:.1f} s)"
        )
    if not index_runs:
        print("  the index was not rebuilt within 240 s of the last song")
    if reference_s is not None:
        ratio = total / reference_s
        print(
            f"goal: <= 600 s and <= 2x the reference: {total:.1f} s, {ratio:.2f}x "
            f"({'met' if total <= 600 and ratio <= 2 and count == len(songs) else 'NOT met'})"
        )
    print(json.dumps({"songs": len(songs), "imported": count, "total_s": round(total, 1), "runs": len(phases)}))
    return 0 if count == len(songs) else 1


if __name__ == "__main__":
    sys.exit(main())
