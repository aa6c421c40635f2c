"""``lofi``: the pipeline from a terminal, on the same code paths as the assets and sensors.

- ``lofi discover``: register partitions from the sources (the sensor's own tick logic)
  and print the new keys.
- ``lofi parse FILE``: print a page's track plan as JSON.
- ``lofi materialize [KEY ...] [--all | --new] [--job J]``: run a job (``track_job`` by default)
  headless against the Dagster instance in ``DAGSTER_HOME`` (so the runs show in the UI).
- ``lofi demo-library``: write the synthesised demo songs into the library folder.
- ``lofi demo-channel``: pull and report a simulated channel served on loopback (the
  demo's analytics; labelled NOT YouTube).
- ``lofi match --plan PLAN.json --catalog CATALOG [--top-k N]``: the playlist matcher.
- ``lofi generate --tempo 75 --key Am --mood cozy --bars 32 --seed 1 --out x.mid``: one
  conditioned piece from the MIDI model (``--composer`` for the rule-based fallback).
- ``lofi score FILE.mid [--key Am]``: the quality sub-scores as JSON.
- ``lofi uploads``: each track's upload record (live ledger or dry-run requests).
- ``lofi auth [--client-secrets F] [--token F] [--monetary]``: authorise the YouTube
  channel once (browser consent); writes the token file with mode 0600.
- ``lofi pools``: set the concurrency pools' limits (youtube 1, notion 2, gpu 1) on the
  instance in ``DAGSTER_HOME``.
- ``lofi analytics --from D --to D``: pull the channel's figures for a date range in one
  run, then write the report of the last day (or of every day with ``--every-day``).
"""

from __future__ import annotations

import argparse

from lofi_assets.cli import channel, demo, music, pipeline

# The order ``lofi --help`` lists them in: the pipeline first, then single files, the channel
COMMAND_GROUPS = (pipeline, demo, music, channel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lofi", description="The lo-fi channel pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)
