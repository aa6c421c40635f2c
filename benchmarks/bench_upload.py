"""Upload benchmark: a video-sized file uploaded by the publisher to the fake YouTube on
loopback, throttled to a 10 MB/s line rate, with faults injected: a 503 on a chunk at a
quarter of the way, a connection dropped mid-chunk at half way, and the uploading process
"crashing" at three quarters (a new publisher resumes from the ledger).

Reported per chunk size: wall time, throughput, and the bytes the server received beyond
the file's size, as a share of the file (the goal: under 5 %). The reference, measured in
the same run, is the same upload with no faults.

    python benchmarks/bench_upload.py                  # 180 MB: a 60-minute video
    python benchmarks/bench_upload.py --megabytes 40   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.youtube.client import SCOPES, build_youtube, http_client  # noqa: E402
from lofi_assets.core.youtube.upload import Ledger, Publisher, UploadPlan  # noqa: E402
from lofi_assets.demo.youtube_server import FakeYouTube  # noqa: E402

MB = 1_000_000
MiB = 1024 * 1024


class Crash(Exception):
    """Stands for the machine dying mid-upload."""


def client(fake: FakeYouTube):
    from google.oauth2.credentials import Credentials

    credentials = Credentials.from_authorized_user_info(fake.authorized_user_info(), [SCOPES["youtube"]])
    return build_youtube(http_client(credentials.with_token_uri(fake.token_uri)), fake.base_url)


def run(video: Path, chunk: int, rate: float, faults: bool, folder: Path) -> dict:
    size = video.stat().st_size
    fake = FakeYouTube(rate_bytes_per_s=rate)
    plan = UploadPlan(
        track="bench",
        master_sha256="0" * 64,
        video=video,
        chunk_bytes=chunk,
        body={"snippet": {"title": "bench", "categoryId": "10"}, "status": {"privacyStatus": "private"}},
    )
    ledger = folder / f"ledger-{chunk}-{faults}.json"
    ledger.unlink(missing_ok=True)
    chunks = -(-size // chunk)
    crashed = False
    with fake.serve():
        if faults:
            fake.fail("chunk", "pass", times=chunks // 4)
            fake.fail("chunk", 503)
            fake.fail("chunk", "pass", times=chunks // 4)
            fake.fail("chunk", "drop")

        def crash_at_three_quarters(done: int, total: int) -> None:
            nonlocal crashed
            if faults and not crashed and done >= 0.75 * total:
                crashed = True
                raise Crash()

        started = time.perf_counter()
        try:
            Publisher(
                client(fake), Ledger(ledger, "bench"), backoff_s=0.05, on_progress=crash_at_three_quarters
            ).publish(plan)
        except Crash:
            Publisher(client(fake), Ledger(ledger, "bench"), backoff_s=0.05).publish(plan)
        seconds = time.perf_counter() - started
        (video_id,) = fake.videos
        assert fake.video_bytes[video_id] == video.read_bytes(), "uploaded bytes differ from the file"
        assert fake.counts["videos.insert"] == 1
    extra = fake.bytes_received - size
    return {
        "chunk_mib": chunk / MiB,
        "faults": faults,
        "seconds": round(seconds, 2),
        "throughput_mb_s": round(size / seconds / MB, 2),
        "resent_bytes": extra,
        "resent_share_pct": round(100 * extra / size, 2),
        "status_queries": fake.counts["status_query"],
        "sessions": fake.counts["videos.insert"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=180.0, help="file size (a 60-minute video is ~180 MB)")
    parser.add_argument("--rate", type=float, default=10.0, help="line rate, MB/s")
    parser.add_argument("--chunks", default="2,4,8,16", help="chunk sizes to try, MiB")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_upload.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        video = folder / "video.mp4"
        with open(video, "wb") as fh:
            for _ in range(int(args.megabytes)):
                fh.write(os.urandom(MB))
        rows = [run(video, 4 * MiB, args.rate * MB, False, folder)]
        rows += [run(video, int(float(c) * MiB), args.rate * MB, True, folder) for c in args.chunks.split(",")]
    reference = rows[0]["seconds"]
    print(
        f"{args.megabytes:.0f} MB at {args.rate:g} MB/s; faults: 503 at 25 %, dropped connection at 50 %, "
        f"crash + resume at 75 %"
    )
    print(f"{'chunk MiB':>9} {'faults':>6} {'seconds':>8} {'MB/s':>6} {'re-sent %':>9} {'× clean':>8} {'queries':>7}")
    for r in rows:
        print(
            f"{r['chunk_mib']:>9g} {str(r['faults']):>6} {r['seconds']:>8.1f} {r['throughput_mb_s']:>6.2f} "
            f"{r['resent_share_pct']:>9.2f} {r['seconds'] / reference:>8.2f} {r['status_queries']:>7}"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"megabytes": args.megabytes, "rate_mb_s": args.rate, "rows": rows}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
