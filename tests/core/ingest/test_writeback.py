"""Marking a track page published: the Notion API (against the fake, at the wire) and an
export folder (a sidecar beside the page, applied when the page is read)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from lofi_assets.core.ingest.markdown_folder import MarkdownFolderSource, with_published_lines
from lofi_assets.core.ingest.notion_api import NotionApiSource
from lofi_assets.core.ingest.plan_parser import parse_track_plan
from lofi_assets.core.ingest.sources import PageNotFound, SourceError
from lofi_assets.core.ingest.writeback import WritebackResult, mark_published
from lofi_assets.core.partition_keys import page_id_to_key
from tests.fakes.notion import (
    NOTION_VERSION,
    FakeNotion,
    select_prop,
    status_prop,
    text_prop,
    track_page_blocks,
    url_prop,
)

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
EDITED = "2026-11-20T10:00:00.000Z"


def source_for(fake: FakeNotion, **kwargs) -> NotionApiSource:
    options = dict(requests_per_second=0, backoff_s=0.01, max_retries=3)
    options.update(kwargs)
    return NotionApiSource(fake.token, fake.database_id, transport=fake.transport(), **options)


def track_page(fake: FakeNotion, **properties) -> str:
    props = {"Track number": {"id": "n", "type": "number", "number": 7}}
    props.update(properties)
    return fake.add_page("Rainy Night", EDITED, track_page_blocks(), properties=props)


# -- the Notion API ------------------------------------------------------------------------


def test_sets_status_and_url_then_sends_nothing_the_second_time():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Rendering", "Published"]
    pid = track_page(fake, Status=status_prop("Planned"), **{"YouTube URL": url_prop()})
    fake.now = lambda: datetime(2026, 11, 21, 9, 30, 12, tzinfo=UTC)
    source = source_for(fake)

    result = source.mark_published(page_id_to_key(pid), VIDEO)
    assert result == WritebackResult(
        key=page_id_to_key(pid),
        page_url=fake.page(pid)["url"],
        changed=True,
        properties=("Status", "YouTube URL"),
        mode="notion-api",
    )
    props = fake.page(pid)["properties"]
    assert props["Status"]["status"]["name"] == "Published" and props["YouTube URL"]["url"] == VIDEO
    assert fake.page(pid)["last_edited_time"] == "2026-11-21T09:30:00.000Z"
    assert fake.patches == [(pid, {"Status": {"status": {"name": "Published"}}, "YouTube URL": {"url": VIDEO}})]

    again = source.mark_published(page_id_to_key(pid), VIDEO)
    assert not again.changed and again.properties == ()
    assert fake.patch_count(pid) == 1  # read, found as wanted, nothing sent

    # The page now reads as published.
    doc = source.fetch(page_id_to_key(pid))
    plan = parse_track_plan(doc.markdown, key=page_id_to_key(pid), source=doc.ref.location)
    assert plan.status == "Published" and plan.youtube_url == VIDEO


def test_only_the_property_that_differs_is_sent():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Published"]
    pid = track_page(fake, Status=status_prop("Published"), **{"Video link": url_prop("https://youtu.be/old")})
    result = source_for(fake).mark_published(page_id_to_key(pid), VIDEO)
    assert result.changed and result.properties == ("Video link",)
    assert fake.patches == [(pid, {"Video link": {"url": VIDEO}})]


def test_a_select_status_and_a_named_text_url_property():
    fake = FakeNotion()
    pid = track_page(
        fake, Stage=select_prop("Planned"), Link=text_prop(), **{"Reference URL": url_prop("https://example.com/ref")}
    )
    source = source_for(fake)
    result = source.mark_published(page_id_to_key(pid), VIDEO, status_property="Stage", url_property="Link")
    assert result.properties == ("Stage", "Link")
    props = fake.page(pid)["properties"]
    assert props["Stage"]["select"]["name"] == "Published"  # a select option is created, as Notion does
    assert props["Link"]["rich_text"][0]["plain_text"] == VIDEO
    assert props["Link"]["rich_text"][0]["href"] == VIDEO
    assert props["Reference URL"]["url"] == "https://example.com/ref"  # untouched
    assert not source.mark_published(page_id_to_key(pid), VIDEO, status_property="Stage", url_property="Link").changed
    assert fake.patch_count() == 1


def test_a_text_status_over_real_http():
    fake = FakeNotion()
    pid = track_page(fake, Status=text_prop("Planned"), **{"Video URL": url_prop()})
    with fake.serve() as base_url:
        source = NotionApiSource(fake.token, fake.database_id, base_url=base_url, requests_per_second=0)
        try:
            assert source.mark_published(page_id_to_key(pid), VIDEO).properties == ("Status", "Video URL")
            assert not source.mark_published(page_id_to_key(pid), VIDEO).changed
        finally:
            source.close()
    assert fake.page(pid)["properties"]["Status"]["rich_text"][0]["plain_text"] == "Published"
    assert fake.patch_count(pid) == 1


def test_the_youtube_url_property_is_preferred_over_other_url_properties():
    fake = FakeNotion()
    pid = track_page(fake, Status=status_prop("Done"), **{"Reference URL": url_prop(), "YouTube": url_prop()})
    result = source_for(fake).mark_published(page_id_to_key(pid), VIDEO, status="Done")
    assert result.properties == ("YouTube",)


def test_missing_properties_are_named_with_the_page_properties_listed():
    fake = FakeNotion()
    pid = track_page(fake, Status=status_prop("Planned"), Notes=text_prop("x"))
    with pytest.raises(SourceError) as info:
        source_for(fake).mark_published(page_id_to_key(pid), VIDEO)
    message = str(info.value)
    assert "no video URL property" in message and "'YouTube URL' of type URL" in message
    assert "url_property=" in message
    assert "Name (title), Track number (number), Status (status), Notes (rich_text)" in message
    assert fake.patch_count() == 0

    with pytest.raises(SourceError, match="no status property 'Phase'.*Status or Select"):
        source_for(fake).mark_published(page_id_to_key(pid), VIDEO, status_property="Phase", url_property="Notes")


def test_a_status_property_of_the_wrong_type_is_refused():
    fake = FakeNotion()
    pid = track_page(fake, Status={"id": "c", "type": "checkbox", "checkbox": False}, **{"YouTube URL": url_prop()})
    with pytest.raises(SourceError, match="'Status' is of type checkbox"):
        source_for(fake).mark_published(page_id_to_key(pid), VIDEO)


def test_503_on_the_patch_is_retried_once():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Published"]
    pid = track_page(fake, Status=status_prop("Planned"), **{"YouTube URL": url_prop()})
    fake.fail(
        "PATCH",
        r"^/v1/pages/",
        status=503,
        body={"object": "error", "status": 503, "code": "service_unavailable", "message": "busy"},
    )
    result = source_for(fake).mark_published(page_id_to_key(pid), VIDEO)
    assert result.changed
    assert fake.patch_count(pid) == 2  # notion-client leaves a PATCH 5xx alone; _call retries it
    assert fake.page(pid)["properties"]["Status"]["status"]["name"] == "Published"


def test_a_timeout_after_notion_applied_the_patch_is_retried_harmlessly():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Published"]
    pid = track_page(fake, Status=status_prop("Planned"), **{"YouTube URL": url_prop()})
    fake.fail("PATCH", r"^/v1/pages/", exception=httpx.ReadTimeout)  # applied, answer lost
    assert source_for(fake).mark_published(page_id_to_key(pid), VIDEO).changed
    assert fake.patch_count(pid) == 2 and len(fake.patches) == 2
    assert fake.patches[0] == fake.patches[1]  # the same absolute values twice: same result
    assert fake.page(pid)["properties"]["YouTube URL"]["url"] == VIDEO


def test_a_409_conflict_on_the_patch_is_retried():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Published"]
    pid = track_page(fake, Status=status_prop("Planned"), **{"YouTube URL": url_prop()})
    fake.fail(
        "PATCH",
        r"^/v1/pages/",
        status=409,
        body={"object": "error", "status": 409, "code": "conflict_error", "message": "try again"},
    )
    assert source_for(fake).mark_published(page_id_to_key(pid), VIDEO).changed
    assert fake.patch_count(pid) == 2


def test_a_status_option_that_does_not_exist_fails_clearly_without_retry():
    fake = FakeNotion()
    fake.status_options["Status"] = ["Planned", "Rendering", "Done"]
    pid = track_page(fake, Status=status_prop("Planned"), **{"YouTube URL": url_prop()})
    with pytest.raises(SourceError) as info:
        source_for(fake).mark_published(page_id_to_key(pid), VIDEO)
    message = str(info.value)
    assert "400 validation_error" in message and 'Status option "Published" does not exist' in message
    assert "'Planned', 'Rendering', 'Done'" in message  # Notion's own list of options
    assert "add it in Notion" in message and "status=<an existing option>" in message
    assert fake.patch_count(pid) == 1
    assert fake.page(pid)["properties"]["YouTube URL"]["url"] is None  # nothing applied
    assert fake.page(pid)["last_edited_time"] == EDITED


def test_an_archived_page_is_not_written():
    fake = FakeNotion()
    pid = fake.add_page(
        "Gone", EDITED, archived=True, properties={"Status": status_prop("Done"), "YouTube URL": url_prop()}
    )
    with pytest.raises(SourceError, match="archived or in the trash"):
        source_for(fake).mark_published(page_id_to_key(pid), VIDEO)
    assert fake.patch_count() == 0


def test_not_a_url_is_refused_before_any_request():
    fake = FakeNotion()
    with pytest.raises(ValueError, match="not a video URL"):
        source_for(fake).mark_published("a" * 32, "dQw4w9WgXcQ")
    assert fake.log == []


# -- the fake's PATCH, as Notion validates it ---------------------------------------------------


def patch(fake: FakeNotion, pid: str, properties: dict) -> httpx.Response:
    with httpx.Client(transport=fake.transport(), base_url="https://api.notion.com") as client:
        return client.patch(
            f"/v1/pages/{pid}",
            json={"properties": properties},
            headers={"Authorization": f"Bearer {fake.token}", "Notion-Version": NOTION_VERSION},
        )


@pytest.mark.parametrize(
    "properties,message",
    [
        ({"Colour": {"select": {"name": "red"}}}, "Colour is not a property that exists."),
        ({"Status": {"select": {"name": "Done"}}}, "Status is expected to be status."),
        ({"YouTube URL": {"url": 5}}, "url should be a string"),
        ({"Status": {"status": {"name": "Nope"}}}, 'Status option "Nope" does not exist'),
        ({"Status": {"status": {"name": "Done"}}, "Created": {"created_time": "2026-01-01"}}, "cannot be updated"),
    ],
)
def test_the_fake_validates_a_patch_like_notion(properties, message):
    fake = FakeNotion()
    pid = track_page(
        fake,
        Status=status_prop("Not started"),
        **{"YouTube URL": url_prop(), "Created": {"id": "ct", "type": "created_time", "created_time": EDITED}},
    )
    answer = patch(fake, pid, properties)
    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error" and message in answer.json()["message"]
    assert fake.page(pid)["properties"]["Status"]["status"]["name"] == "Not started"  # all or nothing
    assert fake.patches == [] and fake.patch_count(pid) == 1


def test_the_fake_accepts_properties_by_id_and_keeps_reads_working():
    fake = FakeNotion()
    pid = track_page(fake, Status=status_prop("Not started"))
    status_id = fake.page(pid)["properties"]["Status"]["id"]
    answer = patch(fake, pid, {status_id: {"status": {"name": "Done"}}})
    assert answer.status_code == 200 and answer.json()["properties"]["Status"]["status"]["name"] == "Done"
    assert fake.requests_to(r"^/v1/pages/", "GET") == 0 and fake.requests_to(r"^/v1/pages/") == 1


# -- an export folder ------------------------------------------------------------------------

PAGE = """\
# Rainy Night

Track number: 7
Status: Planned
Duration: 1 hour

## 🌙 Arc 1 — Night (BPM 62–68)

- [ ]  1. soft piano and rain — night rain
- [x]  2. warm Rhodes — night rain
"""


def export_page(folder, text: str = PAGE, name: str = "Rainy Night"):
    key = "ab" * 16
    path = folder / f"{name} {key}.md"
    path.write_text(text, encoding="utf-8")
    return key, path


def test_export_folder_sidecar_is_written_once_and_read_back(tmp_path):
    key, path = export_page(tmp_path)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    source = MarkdownFolderSource(tmp_path)
    at = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

    result = mark_published(source, key, VIDEO, video_id="dQw4w9WgXcQ")
    sidecar = tmp_path / f"Rainy Night {key}.published.json"
    assert result.changed and result.mode == "markdown-folder" and result.sidecar == str(sidecar)
    assert result.page_url == str(path) and result.properties == ("status", "youtube_url", "video_id")
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    assert record["key"] == key and record["status"] == "Published" and record["youtube_url"] == VIDEO
    assert record["video_id"] == "dQw4w9WgXcQ" and record["published_at"].endswith("Z")
    written = sidecar.read_bytes()

    again = source.mark_published(key, VIDEO, published_at=at)
    assert not again.changed and again.properties == ()
    assert sidecar.read_bytes() == written  # not rewritten; published_at and video_id kept

    doc = source.fetch(key)
    plan = parse_track_plan(doc.markdown, key=key, source=doc.ref.location, warnings=doc.warnings)
    assert plan.status == "Published" and plan.youtube_url == VIDEO
    assert plan.title == "Rainy Night" and plan.track_number == 7 and len(plan.prompts) == 2
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime  # the export is untouched
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
    assert [r.key for r in source.list_changed(None, None).pages] == [key]  # the sidecar is no page


def test_export_folder_a_new_url_rewrites_the_sidecar(tmp_path):
    key, _ = export_page(tmp_path)
    source = MarkdownFolderSource(tmp_path)
    source.mark_published(key, "https://youtu.be/first", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    result = source.mark_published(key, VIDEO, published_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert result.changed
    record = json.loads(Path(result.sidecar).read_text(encoding="utf-8"))
    assert record["youtube_url"] == VIDEO and record["published_at"] == "2026-02-01T00:00:00.000Z"
    assert "video_id" not in record


def test_export_folder_a_renamed_page_keeps_its_sidecar(tmp_path):
    key, path = export_page(tmp_path)
    source = MarkdownFolderSource(tmp_path)
    source.mark_published(key, VIDEO)
    path.rename(tmp_path / f"Rainy Night Reworked {key}.md")  # a new export, a new title
    plan = parse_track_plan(source.fetch(key).markdown, key=key, source="x")
    assert plan.status == "Published" and plan.youtube_url == VIDEO


def test_export_folder_unknown_page_and_unreadable_sidecar(tmp_path):
    key, path = export_page(tmp_path)
    source = MarkdownFolderSource(tmp_path)
    with pytest.raises(PageNotFound):
        source.mark_published("cd" * 16, VIDEO)
    (tmp_path / f"{path.stem}.published.json").write_text("{not json", encoding="utf-8")
    doc = source.fetch(key)
    assert any("unreadable" in w for w in doc.warnings)
    assert parse_track_plan(doc.markdown, key=key, source="x").status == "Planned"
    assert source.mark_published(key, VIDEO).changed  # a broken sidecar is replaced


@pytest.mark.parametrize(
    "text,expected",
    [
        ("# T\n\nStatus: Planned\n", "# T\nStatus: Published\nYouTube URL: u\n\nStatus: Planned\n"),
        ("TRACK 21 — T\r\nx\r\n", "TRACK 21 — T\r\nStatus: Published\r\nYouTube URL: u\r\nx\r\n"),
        ("# T", "# T\nStatus: Published\nYouTube URL: u\n"),
        (
            "\n## Overview\n| Status | Planned |\n",
            "Status: Published\nYouTube URL: u\n\n## Overview\n| Status | Planned |\n",
        ),
    ],
)
def test_published_lines_go_where_the_parser_reads_them_first(text, expected):
    assert with_published_lines(text, "Published", "u") == expected


def test_dispatch_refuses_a_source_that_cannot_record_publication():
    class Other:
        kind = "s3"

    with pytest.raises(SourceError, match="cannot mark pages published in a s3 source"):
        mark_published(Other(), "k", VIDEO)
