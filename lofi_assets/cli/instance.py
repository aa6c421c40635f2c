"""The Dagster instance the commands run against: ``DAGSTER_HOME``, else ``./.dagster_home``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def dagster_instance():
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        home = Path(".dagster_home").absolute()
        home.mkdir(exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set; using {home}", file=sys.stderr)
    return dg.DagsterInstance.get()
