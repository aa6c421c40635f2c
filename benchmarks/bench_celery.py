"""The same track chain on the Celery executor (two workers) against in process: what
distributing the steps costs.

The chain is notion_track → prompt_embeddings → track_playlist for one sample track (the
one tests/test_celery_executor.py runs), on PostgreSQL instance storage from
deploy/celery/dagster.yaml in both cases, so the difference is the executor alone: for
Celery, a task per step through the broker, the job and the instance rebuilt in the
worker for each step, and the orchestrator's one-second polling of results. One run of
each is made first and not counted (model loads, imports, the database's first writes).

    .venv/bin/python benchmarks/bench_celery.py [--runs 5] [--broker redis://127.0.0.1:6379/0]

Needs PostgreSQL (LOFI_TEST_PG_*) and a broker, as the test does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402
import psycopg2  # noqa: E402

from tests.conftest import PROJECT_ROOT, SAMPLE_NOTION  # noqa: E402
from tests.pg import PG  # noqa: E402
from tests.test_celery_executor import (  # noqa: E402
    BROKER,
    TRACK,
    Workers,
    broker_reachable,
    celery_env,
    celery_track_chain,
    execute_with_deadline,
    step_workers,
    worker_env,
    write_instance,
)

# dagster-celery registers its task again for every step it submits; Celery 5.7 warns.
warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already registered")


def timed(fn) -> float:
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    if not result.success:
        raise RuntimeError("the run failed")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--broker", default=BROKER)
    parser.add_argument("--out", default=None, help="write the figures as JSON here too")
    args = parser.parse_args()
    if why := broker_reachable(args.broker):
        sys.exit(f"no broker at {args.broker}: {why}")

    admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    admin.autocommit = True
    db = f"lofi_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{db}"')
    tmp = Path(tempfile.mkdtemp(prefix="bench_celery_"))
    workers = None
    try:
        data = tmp / "data"
        shutil.copytree(SAMPLE_NOTION, data / "notion")
        home = tmp / "dagster_home"
        write_instance(home)
        tag = uuid.uuid4().hex[:8]
        env = celery_env(home, data, db, f"lofi-bench-{tag}", broker=args.broker)
        os.environ.update(env)

        with dg.DagsterInstance.get() as instance:
            instance.add_dynamic_partitions("tracks", [TRACK])

            # In process: the same job on the in-process executor, same instance storage.
            os.environ["LOFI_EXECUTOR"] = "multiprocess"
            job = celery_track_chain()
            in_process = lambda: job.execute_in_process(instance=instance, partition_key=TRACK)  # noqa: E731
            timed(in_process)
            local = [timed(in_process) for _ in range(args.runs)]

            # Celery: two workers started from deploy/celery/celery.yaml, code preloaded.
            os.environ["LOFI_EXECUTOR"] = "celery"
            started = time.perf_counter()
            workers = Workers(worker_env(env), env["LOFI_CELERY_QUEUE"], count=2, log_dir=tmp, tag=tag)
            workers.wait_ready(timeout=120)
            startup = time.perf_counter() - started
            celery_run = lambda: execute_with_deadline(instance, timeout=300)  # noqa: E731
            timed(celery_run)
            remote, spread = [], set()
            for _ in range(args.runs):
                started = time.perf_counter()
                result = celery_run()
                remote.append(time.perf_counter() - started)
                assert result.success
                spread.update(step_workers(instance, result.run_id)[0].values())
    finally:
        if workers:
            workers.stop()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(tmp, ignore_errors=True)

    figures = {
        "chain": "notion_track -> prompt_embeddings -> track_playlist (one tracks partition)",
        "runs": args.runs,
        "in_process_s": {"median": round(statistics.median(local), 2), "runs": [round(x, 2) for x in local]},
        "celery_2_workers_s": {"median": round(statistics.median(remote), 2), "runs": [round(x, 2) for x in remote]},
        "overhead_ratio": round(statistics.median(remote) / statistics.median(local), 1),
        "overhead_per_step_s": round((statistics.median(remote) - statistics.median(local)) / 3, 2),
        "worker_startup_s": round(startup, 1),
        "workers_used": len(spread),
        "cores": os.cpu_count(),
    }
    print(f"chain of 3 steps, {args.runs} runs each after one warm-up, PostgreSQL instance, broker {args.broker}")
    print(f"  in process:          median {figures['in_process_s']['median']:.2f} s  {figures['in_process_s']['runs']}")
    print(
        f"  celery, 2 workers:   median {figures['celery_2_workers_s']['median']:.2f} s  "
        f"{figures['celery_2_workers_s']['runs']}  (steps spread over {len(spread)} workers)"
    )
    print(
        f"  overhead: {figures['overhead_ratio']}x the in-process time, "
        f"{figures['overhead_per_step_s']:.2f} s a step; two workers ready in {startup:.1f} s"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    main()
