"""``lofi``: the pipeline from a terminal, on the same code paths as the assets and sensors.

- ``lofi discover``: register partitions from the sources (the sensor's own tick logic)
  and print the new keys.
- ``lofi parse FILE``: print a page's track plan as JSON.
- ``lofi materialize [KEY ...] [--all]``: run ``track_job`` for tracks, headless, against
  the Dagster instance in ``DAGSTER_HOME`` (so the runs show in the UI).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _instance():
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        home = Path(".dagster_home").absolute()
        home.mkdir(exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set; using {home}", file=sys.stderr)
    return dg.DagsterInstance.get()


def cmd_parse(args: argparse.Namespace) -> int:
    from lofi_assets.core.page_keys import key_from_filename, title_from_filename
    from lofi_assets.core.plan_parser import PlanParseError, decode_page_bytes, parse_track_plan

    path = Path(args.file)
    key = args.key or key_from_filename(path.stem)
    try:
        text = decode_page_bytes(path.read_bytes(), f"page {key} ({path})")
        plan = parse_track_plan(text, key=key, source=str(path), fallback_title=title_from_filename(path.stem))
    except OSError as exc:
        print(f"lofi parse: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except PlanParseError as exc:
        print(f"lofi parse: {exc}", file=sys.stderr)
        return 1
    print(plan.to_json())
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from lofi_assets.core.change_scan import ScanCursor, track_tick
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import tracks_partitions

    instance = _instance()
    notion = defs.resources["notion"]
    known = set(instance.get_dynamic_partitions(tracks_partitions.name))
    # A full scan (no cursor), with no tick budget: the same decision the sensor makes.
    tick = track_tick(notion.open_source(), ScanCursor(), known, max_seconds=float("inf"))
    if tick.new_keys:
        instance.add_dynamic_partitions(tracks_partitions.name, tick.new_keys)
    titles = {ref.key: ref.title for ref in tick.scan.changed}
    if args.json:
        print(json.dumps({"source": notion.mode, "new": tick.new_keys, "known": sorted(known)}, indent=2))
    else:
        print(f"tracks from {notion.mode}: {len(tick.scan.changed)} page(s), {len(tick.new_keys)} new")
        for key in tick.new_keys:
            print(f"  + {key}  {titles.get(key) or ''}")
    return 0


def cmd_materialize(args: argparse.Namespace) -> int:
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import tracks_partitions

    instance = _instance()
    keys = list(args.keys)
    if args.all:
        keys = sorted(set(keys) | set(instance.get_dynamic_partitions(tracks_partitions.name)))
    if not keys:
        print("lofi materialize: no tracks given (name keys or use --all after 'lofi discover')", file=sys.stderr)
        return 2
    job = defs.resolve_job_def("track_job")
    failed = []
    for key in keys:
        result = job.execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False, tags={"lofi/trigger": "cli"},
            run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
        )
        status = "ok" if result.success else "FAILED"
        detail = ""
        if not result.success:
            failed.append(key)
            failures = [e for e in result.all_events if e.is_step_failure]
            if failures and failures[0].step_failure_data.error:
                detail = " — " + failures[0].step_failure_data.error.message.strip().splitlines()[-1]
        print(f"{status:6} {key}  run {result.run_id[:8]}{detail}")
    print(f"{len(keys) - len(failed)} of {len(keys)} track(s) materialized")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lofi", description="The lo-fi channel pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="print a Notion page's track plan as JSON")
    p.add_argument("file")
    p.add_argument("--key", help="partition key (default: from the file name)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("discover", help="register new tracks partitions from the sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("materialize", help="run track_job for tracks, headless")
    p.add_argument("keys", nargs="*")
    p.add_argument("--all", action="store_true", help="every registered track")
    p.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    p.set_defaults(func=cmd_materialize)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
