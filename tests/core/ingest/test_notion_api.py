"""The Notion API source against a fake Notion at the wire (httpx.MockTransport)."""

import time
from datetime import UTC, datetime

import httpx
import pytest

from lofi_assets.core.ingest.notion_api import NotionApiSource
from lofi_assets.core.ingest.plan_parser import parse_track_plan
from lofi_assets.core.ingest.sources import PageNotFound, SourceError
from lofi_assets.core.partition_keys import page_id_to_key
from tests.fakes.notion import (
    FakeNotion,
    bullet,
    heading,
    numbered,
    paragraph,
    table,
    todo,
    toggle,
    track_page_blocks,
    unsupported,
)


def source_for(fake: FakeNotion, **kwargs) -> NotionApiSource:
    options = dict(requests_per_second=0, backoff_s=0.01, max_retries=3)
    options.update(kwargs)
    return NotionApiSource(fake.token, fake.database_id, transport=fake.transport(), **options)


def edited(minute: int, hour: int = 10) -> str:
    return f"2026-11-20T{hour:02d}:{minute:02d}:00.000Z"


def test_lists_pages_page_by_page_oldest_first():
    fake = FakeNotion()
    ids = [fake.add_page(f"Track {i}", edited(i % 60, 10 + i // 60)) for i in range(250)]
    source = source_for(fake)
    seen, cursor, batches = [], None, 0
    while True:
        batch = source.list_changed(None, cursor, page_size=100)
        seen.extend(batch.pages)
        batches += 1
        if batch.next_cursor is None:
            break
        cursor = batch.next_cursor
    assert batches == 3
    assert [r.key for r in seen] == [page_id_to_key(i) for i in ids]
    assert all(a.last_edited <= b.last_edited for a, b in zip(seen, seen[1:], strict=False))
    assert seen[0].title == "Track 0" and seen[0].location.startswith("https://www.notion.so/")
    assert fake.requests_to(r"/v1/databases/") == 1  # the data source is looked up once


def test_filter_on_last_edited_time():
    fake = FakeNotion()
    fake.add_page("old", edited(1))
    new = fake.add_page("new", edited(30))
    batch = source_for(fake).list_changed(datetime(2026, 11, 20, 10, 30, tzinfo=UTC), None)
    assert [r.key for r in batch.pages] == [page_id_to_key(new)]


def test_429_is_retried_after_retry_after():
    fake = FakeNotion()
    fake.add_page("a", edited(1))
    fake.fail(
        "POST",
        r"/query$",
        status=429,
        headers={"Retry-After": "1"},
        body={"object": "error", "status": 429, "code": "rate_limited", "message": "slow down"},
    )
    started = time.monotonic()
    batch = source_for(fake).list_changed(None, None)
    assert len(batch.pages) == 1
    assert time.monotonic() - started >= 1.0
    assert fake.requests_to(r"/query$") == 2


@pytest.mark.parametrize("status", [502, 503, 529])
def test_server_errors_on_post_are_retried(status):
    fake = FakeNotion()
    fake.add_page("a", edited(1))
    fake.fail("POST", r"/query$", status=status, body="<html>bad gateway</html>", times=2)
    batch = source_for(fake).list_changed(None, None)
    assert len(batch.pages) == 1
    assert fake.requests_to(r"/query$") == 3


@pytest.mark.parametrize("exception", [httpx.ReadTimeout, httpx.ConnectError])
def test_timeouts_and_connection_errors_are_retried(exception):
    fake = FakeNotion()
    pid = fake.add_page("a", edited(1), track_page_blocks())
    fake.fail("GET", r"/children$", exception=exception, times=2)
    doc = source_for(fake).fetch(page_id_to_key(pid))
    assert "Arc 1" in doc.markdown


def test_retries_give_up_with_a_clear_error():
    fake = FakeNotion()
    fake.fail(
        "POST",
        r"/query$",
        status=503,
        times=10,
        body={"object": "error", "status": 503, "code": "service_unavailable", "message": "down"},
    )
    with pytest.raises(SourceError, match="503 service_unavailable after 4 attempt"):
        source_for(fake, max_retries=3).list_changed(None, None)


@pytest.mark.parametrize(
    "status,code,error",
    [
        (400, "validation_error", SourceError),
        (401, "unauthorized", SourceError),
        (404, "object_not_found", PageNotFound),
    ],
)
def test_client_errors_fail_fast(status, code, error):
    fake = FakeNotion()
    fake.fail(
        "POST",
        r"/query$",
        status=status,
        times=5,
        body={"object": "error", "status": status, "code": code, "message": "no"},
    )
    with pytest.raises(error, match=f"{status} {code}"):
        source_for(fake).list_changed(None, None)
    assert fake.requests_to(r"/query$") == 1


def test_wrong_token_is_a_401_that_names_no_secret():
    fake = FakeNotion()
    source = NotionApiSource(
        "secret_wrong_token_value", fake.database_id, transport=fake.transport(), requests_per_second=0
    )
    with pytest.raises(SourceError) as info:
        source.list_changed(None, None)
    assert "401 unauthorized" in str(info.value)
    assert "secret_wrong_token_value" not in str(info.value)


def test_requests_are_kept_to_the_rate_limit():
    fake = FakeNotion()
    for i in range(5):
        fake.add_page(f"p{i}", edited(i))
    source = source_for(fake, requests_per_second=20)
    cursor = None
    while True:
        batch = source.list_changed(None, cursor, page_size=1)
        if not (cursor := batch.next_cursor):
            break
    times = [t for _, _, t in fake.log]
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.045


def test_fetch_walks_blocks_recursively_and_parses():
    fake = FakeNotion()
    blocks = [
        table([["Field", "Value"], ["Duration", "1 hour"], ["Mood Arc", "Dusk → Night"]]),
        heading(2, "🌆 Dusk (BPM 70–76)"),
        paragraph("City lights come on."),
        toggle(
            "Prompts",
            [todo("1. warm Rhodes, light rain — dusk", checked=True), todo("2. soft bass and brushes — dusk")],
        ),
        heading(
            2, "🌙 Night (BPM 62–68)", children=[numbered("3. sparse piano — night"), numbered("4. pads only — night")]
        ),
        unsupported("ai_block"),
        heading(2, "Post-upload checklist"),
        todo("Add chapters"),
        bullet("note", children=[bullet("nested note")]),
    ]
    # More than one page of children: 120 paragraphs after the plan.
    blocks += [paragraph(f"filler {i}") for i in range(120)]
    pid = fake.add_page(
        "Dusk to Night",
        edited(5),
        blocks,
        properties={
            "Track number": {"id": "n", "type": "number", "number": 7},
            "Status": {"id": "s", "type": "status", "status": {"name": "Planned"}},
            "Hidden tags": {
                "id": "t",
                "type": "multi_select",
                "multi_select": [{"name": "lofi"}, {"name": "study music"}],
            },
        },
    )
    doc = source_for(fake).fetch(page_id_to_key(pid))
    assert doc.markdown.startswith("# Dusk to Night\n")
    assert "    - [x]  1. warm Rhodes" in doc.markdown
    assert any("ai_block" in w for w in doc.warnings)
    plan = parse_track_plan(doc.markdown, key=page_id_to_key(pid), source=doc.ref.location, warnings=doc.warnings)
    assert plan.title == "Dusk to Night" and plan.track_number == 7 and plan.status == "Planned"
    assert plan.hidden_tags == ["lofi", "study music"]
    assert plan.target_duration_min == 60 and plan.mood_arc == "Dusk → Night"
    assert [(a.name, a.bpm_min) for a in plan.arcs] == [("Dusk", 70), ("Night", 62)]
    assert [(p.arc, p.number, p.checked) for p in plan.prompts] == [
        (1, 1, True),
        (1, 2, False),
        (2, 3, None),
        (2, 4, None),
    ]
    assert any("unknown Notion block type 'ai_block'" in w for w in plan.warnings)


def test_fetching_an_archived_page_fails_clearly():
    fake = FakeNotion()
    pid = fake.add_page("Gone", edited(1), track_page_blocks(), archived=True)
    with pytest.raises(SourceError, match="archived or in the trash"):
        source_for(fake).fetch(page_id_to_key(pid))
