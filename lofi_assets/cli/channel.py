"""Commands for the YouTube channel: authorise it once, read each track's upload record,
pull its figures and write the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lofi_assets.cli.instance import dagster_instance
from lofi_assets.core.published import ledger_video_id, watch_url


def register(sub) -> None:
    """Add this group's commands to the ``lofi`` parser."""
    p = sub.add_parser("uploads", help="each track's upload record: live video, parked, or dry-run requests")
    p.set_defaults(func=cmd_uploads)

    from lofi_assets.settings import settings
    from resources.youtube import default_token_file

    env = settings()

    p = sub.add_parser("auth", help="authorise the YouTube channel once; writes the token file (mode 0600)")
    p.add_argument(
        "--client-secrets",
        default=env.youtube_client_secrets,
        help="OAuth client JSON (default: LOFI_YOUTUBE_CLIENT_SECRETS)",
    )
    p.add_argument(
        "--token",
        default=env.youtube_token or default_token_file(),
        help="where to write the token (default: LOFI_YOUTUBE_TOKEN or ~/.config/lofi/youtube-token.json)",
    )
    p.add_argument("--monetary", action="store_true", help="also grant the revenue scope (analytics)")
    p.add_argument("--port", type=int, default=0, help="loopback port for the redirect (default: any free)")
    p.add_argument("--no-browser", action="store_true", help="print the consent URL instead of opening it")
    p.add_argument("--browser", default=None, help="a browser name known to Python's webbrowser module")
    p.set_defaults(func=cmd_auth)

    p = sub.add_parser("analytics", help="pull the channel's figures for a date range in one run, then report")
    p.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--every-day", action="store_true", help="a report for every day of the range, not only the last")
    p.add_argument("--costs", default=None, help="costs YAML (default: <root>/analytics/costs.yaml)")
    p.set_defaults(func=cmd_analytics)


def cmd_uploads(args: argparse.Namespace) -> int:
    """One line per track: what went (or would go) to YouTube, from the files the assets wrote."""
    from lofi_assets import asset_files
    from resources.storage import StorageResource

    storage = StorageResource()
    keys = asset_files.partitions_written(storage, asset_files.LEDGER.asset)
    if not keys:
        print("no upload records yet: run `lofi materialize --job publish_job --all`", file=sys.stderr)
        return 1
    for key in keys:
        ledger, dry = asset_files.LEDGER.read(storage, key), asset_files.DRY_RUN.read(storage, key)
        if video_id := ledger_video_id(ledger):
            steps = ", ".join(f"{k} {v.get('status')}" for k, v in ledger["steps"].items())
            print(f"{key}  live     {watch_url(video_id)}  ({steps})")
        elif ledger and ledger.get("parked"):
            print(f"{key}  parked   until {ledger['parked']['until']} ({ledger['parked']['reason']})")
        elif dry:
            insert = dry["requests"][0]
            status = insert["body"]["status"]
            when = f" publishAt {status['publishAt']}" if status.get("publishAt") else ""
            print(
                f"{key}  dry-run  {insert['method']} {insert['uri'].split('?')[0]}  "
                f'"{insert["body"]["snippet"]["title"]}" {status["privacyStatus"]}{when}; '
                f"{insert['media']['bytes'] / 1e6:.1f} MB; {len(dry['requests'])} requests in "
                f"{asset_files.DRY_RUN.path(storage, key)}"
            )
        else:
            print(f"{key}  none     no upload yet")
    return 0


def cmd_auth(args: argparse.Namespace) -> int:
    from lofi_assets.core.youtube.client import AuthError, run_auth_flow, scopes_for

    if not args.client_secrets:
        print(
            "lofi auth: no OAuth client: pass --client-secrets or set LOFI_YOUTUBE_CLIENT_SECRETS (a Desktop-app "
            "client JSON from Google Cloud Console, with the YouTube Data API v3 and YouTube Analytics API "
            "enabled)",
            file=sys.stderr,
        )
        return 2
    token = Path(os.path.expanduser(args.token))
    try:
        run_auth_flow(
            Path(args.client_secrets),
            token,
            scopes_for(args.monetary),
            port=args.port,
            open_browser=not args.no_browser,
            browser=args.browser,
        )
    except AuthError as exc:
        print(f"lofi auth: {exc}", file=sys.stderr)
        return 1
    print(f"token written to {token} (mode 0600); publish with: export LOFI_YOUTUBE_TOKEN={token}")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    """One run pulls the whole range (video_stats backfills as a single run); then reports."""
    from datetime import date

    from lofi_assets import asset_files
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import range_tags

    instance = dagster_instance()
    first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if last < first:
        print("lofi analytics: --to is before --from", file=sys.stderr)
        return 2
    stats = defs.resolve_job_def("analytics_job").get_subset(op_selection=["video_stats"])
    result = stats.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={**range_tags([first.isoformat(), last.isoformat()]), "lofi/trigger": "cli"},
    )
    print(f"{'ok' if result.success else 'FAILED':6} video_stats {first}..{last}  run {result.run_id[:8]}")
    if not result.success:
        return 1
    report = defs.resolve_job_def("analytics_job").get_subset(op_selection=["channel_report"])
    config = (
        {"ops": {"channel_report": {"config": {"costs_file": str(Path(args.costs).absolute())}}}}
        if args.costs
        else None
    )
    since = first if args.every_day else last  # a range of reports is one run too
    run = report.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=config,
        tags={**range_tags([since.isoformat(), last.isoformat()]), "lofi/trigger": "cli"},
    )
    span = f"{since}..{last}" if since != last else str(last)
    print(f"{'ok' if run.success else 'FAILED':6} channel_report {span}  run {run.run_id[:8]}")
    failed = not run.success
    print(f"report: {asset_files.REPORT_HTML.path(defs.resources['storage'], last.isoformat())}")
    return 1 if failed else 0
