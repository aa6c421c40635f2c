"""Commands that drive the Dagster instance in ``DAGSTER_HOME``: register partitions,
run jobs headless (the runs show in the UI), set the pools' limits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lofi_assets.cli.instance import dagster_instance


def register(sub) -> None:
    """Add this group's commands to the ``lofi`` parser."""
    p = sub.add_parser("discover", help="register new tracks partitions from the sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("materialize", help="run a job (default track_job) for partitions, headless")
    p.add_argument("keys", nargs="*")
    p.add_argument(
        "--job",
        default="track_job",
        help="track_job, publish_job, notion_job, song_job, library_index_job, model_job or nightly_job",
    )
    p.add_argument("--all", action="store_true", help="every registered partition of the job")
    p.add_argument("--new", action="store_true", help="the registered partitions the job has not materialized yet")
    p.add_argument("--keep-going", action="store_true", help="exit 0 even if some partitions fail")
    p.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    p.add_argument(
        "--config",
        default=None,
        help="a YAML run config ({ops: {asset: {config: ...}}}); ops the job lacks are ignored",
    )
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("pools", help="set the concurrency pools' limits on the instance (youtube 1, notion 2, gpu 1)")
    p.set_defaults(func=cmd_pools)


def _batches(job, instance, keys: list) -> list[list]:
    """Runs for ``keys``: consecutive partitions share a run where every asset of the job
    takes a range (its backfill policy), as a backfill in the UI would; else one each."""
    from lofi_assets.partitions import partition_batches

    policies = [job.asset_layer.asset_graph.get(k).backfill_policy for k in job.asset_layer.selected_asset_keys]
    if keys == [None] or not policies or None in policies:
        return [[key] for key in keys]
    most = min(p.max_partitions_per_run or len(keys) for p in policies)
    return partition_batches(job.partitions_def.get_partition_keys(dynamic_partitions_store=instance), keys, most)


def cmd_discover(args: argparse.Namespace) -> int:
    from lofi_assets.core.ingest.change_scan import ScanCursor, track_tick
    from lofi_assets.core.library.catalog import library_tick
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import songs_partitions, tracks_partitions

    instance = dagster_instance()
    notion = defs.resources["notion"]
    storage = defs.resources["storage"]
    known = set(instance.get_dynamic_partitions(tracks_partitions.name))
    # A full scan (no cursor), with no tick budget: the same decision the sensor makes.
    tick = track_tick(notion.open_source(), ScanCursor(), known, max_seconds=float("inf"))
    if tick.new_keys:
        instance.add_dynamic_partitions(tracks_partitions.name, tick.new_keys)
    known_songs = set(instance.get_dynamic_partitions(songs_partitions.name))
    songs = library_tick(storage.input_dir("library"), {}, known_songs)
    if songs.new_keys:
        instance.add_dynamic_partitions(songs_partitions.name, songs.new_keys)
    titles = {ref.key: ref.title for ref in tick.scan.changed}
    if args.json:
        print(
            json.dumps(
                {
                    "source": notion.mode,
                    "new_tracks": tick.new_keys,
                    "new_songs": songs.new_keys,
                    "refused": songs.refused,
                },
                indent=2,
            )
        )
    else:
        print(f"tracks from {notion.mode}: {len(tick.scan.changed)} page(s), {len(tick.new_keys)} new")
        for key in tick.new_keys:
            print(f"  + {key}  {titles.get(key) or ''}")
        print(f"songs in {storage.input_dir('library')}: {len(songs.new_keys)} new")
        for key in songs.new_keys:
            print(f"  + {key}")
        for message in songs.refused:
            print(f"  refused: {message}")
    return 0


def cmd_materialize(args: argparse.Namespace) -> int:
    from lofi_assets.definitions import defs

    instance = dagster_instance()
    job = defs.resolve_job_def(args.job)
    partitions_def = job.partitions_def
    keys = list(args.keys)
    if (args.all or args.new) and partitions_def is not None:
        every = set(partitions_def.get_partition_keys(dynamic_partitions_store=instance))
        if args.new:  # only what the job has not made yet (what a sensor would ask for)
            made = [instance.get_materialized_partitions(k) for k in job.asset_layer.selected_asset_keys]
            every -= set.intersection(*made) if made else set()
        keys = sorted(set(keys) | every)
        if args.new and not keys:
            print(f"lofi materialize: every partition of {args.job} is materialized; nothing new")
            return 0
    if partitions_def is None:
        keys = [None]
    elif not keys:
        print("lofi materialize: no partitions given (name keys or use --all after 'lofi discover')", file=sys.stderr)
        return 2
    run_config = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}
    if args.config:
        import yaml

        try:
            ops = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            print(f"lofi materialize: cannot read run config {args.config}: {exc}", file=sys.stderr)
            return 2
        # One file serves several jobs: keep the ops this job has.
        names = {node.name for node in job.graph.nodes}
        run_config["ops"] = {k: v for k, v in (ops.get("ops") or {}).items() if k in names}
    from lofi_assets.partitions import range_tags

    show_progress()
    failed = []
    batches = _batches(job, instance, keys)
    for batch in batches:
        one = len(batch) == 1
        result = job.execute_in_process(
            instance=instance,
            partition_key=batch[0] if one else None,
            raise_on_error=False,
            tags={"lofi/trigger": "cli", **({} if one else range_tags(batch))},
            run_config=run_config,
        )
        detail = ""
        if not result.success:
            failed.append(batch)
            failures = [e for e in result.all_events if e.is_step_failure]
            if failures and failures[0].step_failure_data.error:
                detail = " — " + failures[0].step_failure_data.error.message.strip().splitlines()[0]
        span = (batch[0] or "") if one else f"{batch[0]}..{batch[-1]} ({len(batch)} partitions)"
        print(f"{'ok' if result.success else 'FAILED':6} {args.job} {span}  run {result.run_id[:8]}{detail}")
    partitions = f" ({len(keys)} partition(s))" if partitions_def is not None else ""
    print(f"{len(batches) - len(failed)} of {len(batches)} {args.job} run(s) succeeded{partitions}")
    return 1 if failed and not args.keep_going else 0


def show_progress() -> None:
    """Print the long stages' progress lines (``lofi.progress``) as the steps run here."""
    import logging

    from lofi_assets.core.progress import PROGRESS_LOGGER

    logger = logging.getLogger(PROGRESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def cmd_pools(args: argparse.Namespace) -> int:
    from lofi_assets.pools import apply_pool_limits

    for pool, limit in apply_pool_limits(dagster_instance()).items():
        print(f"pool {pool}: {limit} at a time")
    return 0
