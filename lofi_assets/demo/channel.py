"""``make demo``'s analytics: a SIMULATED channel, served on loopback by the simulated
YouTube Analytics server, pulled and reported by the real pipeline (``lofi analytics``,
the same code that talks to YouTube). The report says on its first line that the figures
come from a server that is not YouTube; no asset ever reads this module.

    lofi demo-channel [--days 90] [--videos 30]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lofi_assets.core.youtube.client import SCOPES
from lofi_assets.demo.analytics_server import FakeAnalytics, simulated_channel

PROJECT = Path(__file__).resolve().parents[2]  # the checkout: cwd of the run, home of the costs example


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90, help="days of figures to pull in one run")
    parser.add_argument("--videos", type=int, default=30, help="videos on the simulated channel")
    args = parser.parse_args(argv)
    today = datetime.now(UTC).date()
    fake = FakeAnalytics(today=today, lag_days=2, monetary=True)
    simulated_channel(fake, videos=args.videos, days=365, seed=11)
    with fake.serve(), tempfile.TemporaryDirectory() as tmp:
        token = Path(tmp) / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info(scopes=list(SCOPES.values()))))
        token.chmod(0o600)
        env = {
            **os.environ,
            "LOFI_YOUTUBE_TOKEN": str(token),
            "LOFI_YOUTUBE_ROOT_URL": fake.base_url,
            "LOFI_YOUTUBE_TOKEN_URI": fake.token_uri,
            "LOFI_YOUTUBE_MONETARY": "1",
            "LOFI_YOUTUBE_DRY_RUN": "",
        }
        lofi = Path(sys.executable).with_name("lofi")
        end = today - timedelta(days=1)
        print(f"simulated channel on {fake.base_url}: {args.videos} videos over a year (NOT YouTube)")
        return subprocess.run(
            [
                str(lofi),
                "analytics",
                "--from",
                str(end - timedelta(days=args.days - 1)),
                "--to",
                str(end),
                "--costs",
                str(PROJECT / "data/analytics/costs.example.yaml"),
            ],
            env=env,
            cwd=PROJECT,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
