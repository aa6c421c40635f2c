"""Find new and edited track pages, a bounded slice at a time.

The cursor is a high-water mark of edit times. Notion rounds ``last_edited_time`` to the
minute, so a page edited later in the same minute as the mark would be missed by a strict
"after the mark" query; each scan therefore re-reads from two minutes before the mark and
drops pages already seen with the same edit time. A scan that runs out of time keeps the
source's own cursor and continues on the next tick, so no tick comes near the 60 s limit
of a Dagster sensor however large the database is.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lofi_assets.core.ingest.sources import PageRef, TrackSource, iso_utc, parse_iso

LOOKBACK = timedelta(minutes=2)


@dataclass
class ScanCursor:
    high_water: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)  # key -> edit time, inside the look-back
    scan_since: datetime | None = None  # the filter of a scan that is still going
    scan_cursor: str | None = None  # the source's cursor to continue it from
    scan_high: datetime | None = None  # the newest edit that scan has met so far

    def to_json(self) -> str:
        def iso(m: datetime | None) -> str | None:
            return iso_utc(m) if m else None

        return json.dumps(
            {
                "high_water": iso(self.high_water),
                "seen": self.seen,
                "scan_since": iso(self.scan_since),
                "scan_cursor": self.scan_cursor,
                "scan_high": iso(self.scan_high),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> ScanCursor:
        if not text:
            return cls()
        data = json.loads(text)

        def moment(name: str) -> datetime | None:
            return parse_iso(data[name]) if data.get(name) else None

        return cls(
            high_water=moment("high_water"),
            seen=dict(data.get("seen", {})),
            scan_since=moment("scan_since"),
            scan_cursor=data.get("scan_cursor"),
            scan_high=moment("scan_high"),
        )


@dataclass
class ScanResult:
    changed: list[PageRef]
    archived: list[PageRef]
    cursor: ScanCursor
    complete: bool  # the source was read to its end
    batches: int
    pages_listed: int


def scan_changes(
    source: TrackSource,
    cursor: ScanCursor,
    *,
    max_seconds: float = 20.0,
    max_batches: int | None = None,
    page_size: int = 100,
) -> ScanResult:
    """Pages new or edited since ``cursor``; returns the cursor to store for next time."""
    started = time.monotonic()
    if cursor.scan_cursor:
        since, source_cursor, scan_high = cursor.scan_since, cursor.scan_cursor, cursor.scan_high
    else:
        since = cursor.high_water - LOOKBACK if cursor.high_water else None
        source_cursor, scan_high = None, None
    seen = dict(cursor.seen)
    changed: list[PageRef] = []
    archived: list[PageRef] = []
    batches = listed = 0
    complete = False
    while True:
        batch = source.list_changed(since, source_cursor, page_size)
        batches += 1
        listed += len(batch.pages)
        for ref in batch.pages:
            if ref.archived:
                archived.append(ref)
                continue
            if scan_high is None or ref.last_edited > scan_high:
                scan_high = ref.last_edited
            if seen.get(ref.key) == ref.edited_iso:
                continue
            seen[ref.key] = ref.edited_iso
            changed.append(ref)
        source_cursor = batch.next_cursor
        if source_cursor is None:
            complete = True
            break
        if time.monotonic() - started >= max_seconds or (max_batches is not None and batches >= max_batches):
            break

    high_water = cursor.high_water
    if complete and scan_high is not None and (high_water is None or scan_high > high_water):
        high_water = scan_high
    newest = max(filter(None, [high_water, scan_high]), default=None)
    if newest is not None:  # only edits inside the look-back can come round again
        floor = iso_utc(newest - LOOKBACK)
        seen = {k: v for k, v in seen.items() if v >= floor}
    next_cursor = ScanCursor(
        high_water=high_water,
        seen=seen,
        scan_since=None if complete else since,
        scan_cursor=None if complete else source_cursor,
        scan_high=None if complete else scan_high,
    )
    return ScanResult(
        changed=changed, archived=archived, cursor=next_cursor, complete=complete, batches=batches, pages_listed=listed
    )


@dataclass
class TrackTick:
    """What one sensor tick (or ``lofi discover``) decides: keys to register, runs to ask for."""

    new_keys: list[str]
    runs: list[tuple[str, str]]  # (partition key, run key)
    scan: ScanResult

    @property
    def edits(self) -> dict[str, str]:
        """Each new or edited page's edit time, by partition key."""
        return {ref.key: ref.edited_iso for ref in self.scan.changed}


def track_tick(
    source: TrackSource,
    cursor: ScanCursor,
    known_keys: set[str],
    *,
    max_seconds: float = 20.0,
    max_batches: int | None = None,
) -> TrackTick:
    """The sensor's decision, free of Dagster: new partition keys, and one run per new or
    edited page keyed by page id and edit time (an edit re-runs; a re-read does not)."""
    scan = scan_changes(source, cursor, max_seconds=max_seconds, max_batches=max_batches)
    new_keys = sorted({ref.key for ref in scan.changed} - known_keys)
    runs = [(ref.key, f"{ref.key}@{ref.edited_iso}") for ref in scan.changed]
    return TrackTick(new_keys=new_keys, runs=runs, scan=scan)
