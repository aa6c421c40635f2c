"""One notion_tracks_sensor tick over 10,000 pages served by the fake Notion on loopback.

The tick is the real sensor (build_sensor_context, a SQLite test instance, the Notion API
source over real HTTP): 100 data-source queries of 100 pages, dedupe, 10,000 new
partition keys and run requests. Goal: under 10 s with no rate limit.

Reference, measured in the same run: the same 100 query requests sent with plain httpx
and decoded, nothing else (the transport floor). With Notion's real limit of 3 requests/s,
a tick is bounded by its time budget and continues on the next tick; that part reports how
many pages one budgeted tick covers.

    .venv/bin/python benchmarks/bench_sensor.py [--pages 10000] [--rate-limited]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402
import httpx  # noqa: E402

from resources import NotionResource, StorageResource  # noqa: E402
from sensors.notion_sensor import TICK_BUDGET_S, notion_tracks_sensor  # noqa: E402
from tests.fakes.notion import FakeNotion  # noqa: E402


def run_tick(fake: FakeNotion, url: str, rps: float, cursor: str | None = None) -> tuple[dg.SensorResult, float]:
    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test() as instance:
        notion = NotionResource(
            storage=StorageResource(root=tmp),
            token=fake.token,
            database_id=fake.database_id,
            base_url=url,
            requests_per_second=rps,
        )
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"notion": notion}) as context:
            started = time.perf_counter()
            result = notion_tracks_sensor(context)
            return result, time.perf_counter() - started


def raw_queries(fake: FakeNotion, url: str) -> tuple[int, float]:
    headers = {"Authorization": f"Bearer {fake.token}", "Notion-Version": "2025-09-03"}
    started = time.perf_counter()
    pages, cursor = 0, None
    with httpx.Client(base_url=url, headers=headers) as client:
        client.get(f"/v1/databases/{fake.database_id}").json()
        while True:
            body = {"page_size": 100, "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}]}
            if cursor:
                body["start_cursor"] = cursor
            data = client.post(f"/v1/data_sources/{fake.data_source_id}/query", json=body).json()
            pages += len(data["results"])
            if not data["has_more"]:
                break
            cursor = data["next_cursor"]
    return pages, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument(
        "--rate-limited",
        action="store_true",
        help=f"also run one tick at 3 requests/s (takes about {TICK_BUDGET_S:.0f} s)",
    )
    opts = parser.parse_args()

    fake = FakeNotion()
    for i in range(opts.pages):
        fake.add_page(
            f"Track {i}",
            f"2026-{1 + i // 28 // 24 // 60 % 12:02d}-{1 + i // 24 // 60 % 28:02d}"
            f"T{i // 60 % 24:02d}:{i % 60:02d}:00.000Z",
        )
    with fake.serve() as url:
        raw_pages, raw_s = raw_queries(fake, url)
        result, tick_s = run_tick(fake, url, rps=0)
        assert len(result.run_requests) == opts.pages == raw_pages
        print(f"fake Notion on loopback: {opts.pages} pages")
        print(
            f"sensor tick, no rate limit: {tick_s:6.2f} s  ({opts.pages / tick_s:7.0f} pages/s, "
            f"{len(result.run_requests)} run requests)  goal < 10 s: {'met' if tick_s < 10 else 'MISSED'}"
        )
        print(
            f"reference, raw httpx queries: {raw_s:6.2f} s  ({raw_pages / raw_s:7.0f} pages/s)  "
            f"ratio {tick_s / raw_s:4.1f}x"
        )
        again, again_s = run_tick(fake, url, rps=0, cursor=result.cursor)
        print(f"next tick, nothing changed:   {again_s:6.2f} s  ({len(again.run_requests)} run requests)")
        if opts.rate_limited:
            limited, limited_s = run_tick(fake, url, rps=3.0)
            print(
                f"sensor tick at 3 requests/s:  {limited_s:6.2f} s  covers {len(limited.run_requests)} pages; "
                f"the rest follow on the next tick(s)"
            )


if __name__ == "__main__":
    main()
