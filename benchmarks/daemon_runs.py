"""A real Dagster daemon for the operating-path benchmarks, and the phases of its runs.

The daemon is `dagster-daemon run -w workspace.yaml`, what `make dev` runs beside the UI:
sensors tick, the queue starts runs (up to the instance's limit), and each run is a
process that loads the code location, then executes its steps. A run's life is split into

- queue: from its creation (the sensor's request) to its launch (``RUN_STARTING``);
- start-up: from its launch to its first step's start (a new process loads the code
  location and the run's resources);
- work: from its first step's start to its end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_home(home: Path) -> Path:
    """An instance folder with the project's local dagster.yaml (as `make dev` makes one)."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    return home


@contextmanager
def running_daemon(home: Path, data_dir: Path, log: Path):
    """The daemon on the instance in ``home`` (made fresh if need be) over ``data_dir``;
    yields the moment it was started (``time.time()``)."""
    fresh_home(home)
    environ = {**os.environ, "DAGSTER_HOME": str(home), "LOFI_DATA_DIR": str(data_dir)}
    with open(log, "w") as out:
        started = time.time()
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield started
        finally:
            daemon.terminate()
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()


@dataclass
class RunPhases:
    run_id: str
    job: str
    partitions: str
    status: str
    tags: dict
    created: float
    launched: float | None
    first_step: float | None
    ended: float | None

    @property
    def queue_s(self) -> float:
        return (self.launched or self.created) - self.created

    @property
    def startup_s(self) -> float:
        return (self.first_step or self.launched or self.created) - (self.launched or self.created)

    @property
    def work_s(self) -> float:
        return (self.ended or self.first_step or 0) - (self.first_step or self.ended or 0)


def run_phases(instance, job_name: str | None = None) -> list[RunPhases]:
    """Every run of the instance (or of one job), oldest first, with its phases' times."""
    import dagster as dg

    from lofi_assets.partitions import run_partitions

    records = instance.get_run_records(dg.RunsFilter(job_name=job_name) if job_name else None)
    phases = []
    for record in sorted(records, key=lambda r: r.create_timestamp.timestamp()):
        run = record.dagster_run
        events = instance.get_records_for_run(
            run.run_id, of_type={dg.DagsterEventType.RUN_STARTING, dg.DagsterEventType.STEP_START}
        ).records
        first = {}
        for event in events:  # oldest first
            first.setdefault(event.event_log_entry.dagster_event_type, event.event_log_entry.timestamp)
        tags = run.tags
        phases.append(
            RunPhases(
                run_id=run.run_id,
                job=run.job_name,
                partitions=run_partitions(tags) or "",
                status=run.status.value,
                tags=dict(tags),
                created=record.create_timestamp.timestamp(),
                launched=first.get(dg.DagsterEventType.RUN_STARTING, record.start_time),
                first_step=first.get(dg.DagsterEventType.STEP_START),
                ended=record.end_time,
            )
        )
    return phases


def wait_until(condition, timeout_s: float, every_s: float = 2.0) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(every_s)
    return condition()
