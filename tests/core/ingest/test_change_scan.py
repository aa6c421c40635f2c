"""The sensor's decision logic (cursor, look-back, dedupe, bounded ticks), free of Dagster."""

import os
import time
from datetime import UTC, datetime

from lofi_assets.core.ingest.change_scan import ScanCursor, scan_changes, track_tick
from lofi_assets.core.ingest.markdown_folder import MarkdownFolderSource
from lofi_assets.core.ingest.notion_api import NotionApiSource
from lofi_assets.core.partition_keys import page_id_to_key
from tests.fakes.notion import FakeNotion


def api(fake: FakeNotion) -> NotionApiSource:
    return NotionApiSource(fake.token, fake.database_id, transport=fake.transport(), requests_per_second=0)


def test_same_minute_edits_are_caught_by_the_look_back():
    fake = FakeNotion()
    a = fake.add_page("A", "2026-11-20T10:05:00.000Z")
    first = scan_changes(api(fake), ScanCursor())
    assert [r.key for r in first.changed] == [page_id_to_key(a)]
    # B was edited later in the same minute; Notion rounds both to 10:05.
    b = fake.add_page("B", "2026-11-20T10:05:00.000Z")
    second = scan_changes(api(fake), ScanCursor.from_json(first.cursor.to_json()))
    assert [r.key for r in second.changed] == [page_id_to_key(b)]
    third = scan_changes(api(fake), second.cursor)
    assert third.changed == []
    fake.edit(a, "2026-11-20T10:09:00.000Z")
    fourth = scan_changes(api(fake), third.cursor)
    assert [(r.key, r.edited_iso) for r in fourth.changed] == [(page_id_to_key(a), "2026-11-20T10:09:00.000Z")]
    # Only edits inside the look-back are remembered.
    assert set(fourth.cursor.seen) == {page_id_to_key(a)}


def test_bounded_ticks_continue_where_they_stopped():
    fake = FakeNotion()
    keys = [page_id_to_key(fake.add_page(f"p{i}", f"2026-11-20T10:{i % 60:02d}:00.000Z")) for i in range(250)]
    cursor, found, ticks = ScanCursor(), [], 0
    while True:
        result = scan_changes(api(fake), cursor, max_batches=1)
        found += [r.key for r in result.changed]
        cursor, ticks = result.cursor, ticks + 1
        if result.complete:
            break
        assert cursor.scan_cursor and cursor.high_water is None  # mid-scan: no mark moves yet
    assert ticks == 3 and sorted(found) == sorted(keys)
    assert cursor.high_water == datetime(2026, 11, 20, 10, 59, tzinfo=UTC)
    assert scan_changes(api(fake), cursor).changed == []


def test_archived_pages_are_skipped():
    fake = FakeNotion()
    fake.add_page("gone", "2026-11-20T10:00:00.000Z", archived=True)
    live = fake.add_page("live", "2026-11-20T10:01:00.000Z")
    tick = track_tick(api(fake), ScanCursor(), known_keys=set())
    assert tick.new_keys == [page_id_to_key(live)]
    assert len(tick.scan.archived) == 1
    assert tick.runs == [(page_id_to_key(live), f"{page_id_to_key(live)}@2026-11-20T10:01:00.000Z")]


def test_markdown_folder_changes_by_modification_time(tmp_path):
    (tmp_path / "one.md").write_text("# One\n")
    (tmp_path / f"Two {'ab' * 16}.md").write_text("# Two\n")
    (tmp_path / ".~lock.md").write_text("temp")
    source = MarkdownFolderSource(tmp_path)
    first = track_tick(source, ScanCursor(), known_keys={"one"})
    assert sorted(first.new_keys) == ["ab" * 16]
    assert sorted(k for k, _ in first.runs) == ["ab" * 16, "one"]
    assert track_tick(source, first.scan.cursor, known_keys={"one", "ab" * 16}).runs == []
    later = time.time() + 120
    os.utime(tmp_path / "one.md", (later, later))
    assert [k for k, _ in track_tick(source, first.scan.cursor, known_keys=set()).runs] == ["one"]
