"""The `lofi` console script, run as a user runs it."""

import json
import os
import subprocess
import sys

from tests.conftest import PROJECT_ROOT, SAMPLE_NOTION


def lofi(*args, env=None, check=True):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION_")}
    full_env.update(env or {})
    result = subprocess.run([sys.executable, "-m", "lofi_assets.cli", *args], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, env=full_env, timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_parse_prints_the_plan():
    out = lofi("parse", str(SAMPLE_NOTION / "sunday-morning-coffee.md")).stdout
    plan = json.loads(out)
    assert plan["key"] == "sunday-morning-coffee"
    assert [a["name"] for a in plan["arcs"]] == ["Kettle On", "Sunlight", "Slow Pages"]


def test_parse_fails_clearly_on_junk(tmp_path):
    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\x00" * 100)
    result = lofi("parse", str(junk), check=False)
    assert result.returncode == 1 and "not a text file" in result.stderr and "junk" in result.stderr


def test_discover_then_materialize_every_track(data_dir, tmp_path):
    env = {"LOFI_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir()
    first = lofi("discover", env=env).stdout
    assert "3 new" in first and "midnight-train-home" in first
    assert "0 new" in lofi("discover", env=env).stdout  # registered once
    out = lofi("materialize", "--all", env=env).stdout
    assert "3 of 3 track(s) materialized" in out
    assert (data_dir / "assets" / "notion_track" / "sunday-morning-coffee" / "plan.json").is_file()
