"""After `make demo`: run the daemon as `make dev` does and count the runs the sensors ask for.

`make dev` right after `make demo` should start nothing until a page or a song changes:
the sensors skip what the demo already materialized. This runs `dagster-daemon run` on the
demo's instance (DAGSTER_HOME and LOFI_DATA_DIR as the Makefile sets them) for a while,
then lists every run created meanwhile and what each sensor's ticks said.

    make demo && DAGSTER_HOME=$PWD/.dagster_home LOFI_DATA_DIR=$PWD/data \\
        .venv/bin/python benchmarks/check_dev_idle.py --seconds 150
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=150.0, help="how long the daemon runs (sensors tick every 60 s)"
    )
    args = parser.parse_args()

    import dagster as dg

    started = datetime.now(UTC)
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(args.seconds)
        daemon.terminate()
        daemon.wait(60)
        log.seek(0)
        said = [line.strip() for line in log if "sensor" in line.lower() and ("skipped" in line or "already" in line)]
    runs = dg.DagsterInstance.get().get_runs(dg.RunsFilter(created_after=started))
    print(f"runs requested in {args.seconds:.0f} s of the daemon: {len(runs)}")
    for run in runs:
        print(f"  {run.job_name} {run.tags.get('dagster/partition')} by {run.tags.get('dagster/sensor_name')}")
    for line in said:
        print(f"  {line[-160:]}")
    return 1 if runs else 0


if __name__ == "__main__":
    sys.exit(main())
