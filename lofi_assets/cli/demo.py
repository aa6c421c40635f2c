"""The demo's SIMULATED inputs: a synthesised song library, and a channel on loopback
(labelled NOT YouTube) pulled and reported by the real pipeline."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    """Add this group's commands to the ``lofi`` parser."""
    p = sub.add_parser("demo-library", help="write the synthesised demo songs into the library folder")
    p.add_argument("--seconds", type=float, default=None, help="length of each song (default 30)")
    p.set_defaults(func=cmd_demo_library)

    p = sub.add_parser(
        "demo-channel",
        help="the demo's analytics: a SIMULATED channel on loopback (not YouTube), "
        "pulled and reported by the real pipeline",
    )
    p.add_argument("--days", type=int, default=90, help="days of figures to pull in one run")
    p.add_argument("--videos", type=int, default=30, help="videos on the simulated channel")
    p.set_defaults(func=cmd_demo_channel)


def cmd_demo_library(args: argparse.Namespace) -> int:
    from lofi_assets.definitions import defs
    from lofi_assets.demo.library import make_demo_library

    folder = defs.resources["storage"].input_dir("library")
    written = make_demo_library(folder, seconds=args.seconds)
    print(f"demo library in {folder}: {len(written)} song(s) written")
    return 0


def cmd_demo_channel(args: argparse.Namespace) -> int:
    from lofi_assets.demo.channel import main as demo_channel

    return demo_channel(["--days", str(args.days), "--videos", str(args.videos)])
