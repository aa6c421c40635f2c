"""Track pages from the Notion API, through notion-client.

The tracks database is found through its data source (API version 2025-09-03), queried
page by page filtered on ``last_edited_time`` (oldest first), and each page's blocks are
walked recursively. Requests are kept to ``requests_per_second`` (Notion allows an
average of 3). notion-client itself retries 429 (honouring Retry-After) and 500/503 on
GET; this module retries what it does not — 5xx on POST (a query is a read), 502, 504 and
529, timeouts and connection errors — and fails fast on 400, 401, 403 and 404.

One write: ``mark_published`` sets a page's status and video URL with
``PATCH /v1/pages/{id}``. notion-client does not retry a PATCH on 5xx (it cannot know the
request is safe to repeat); this one is, because it sets absolute values — sending it
twice leaves the page as sending it once does — so 5xx, timeouts, connection errors and
409 conflict_error (Notion's "try again") are retried like the reads. The page is read
first and nothing is sent when it already shows that status and URL.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
from notion_client import Client
from notion_client.client import ClientOptions, RetryOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from lofi_assets.core.ingest.notion_blocks import blocks_to_markdown, page_header_markdown, page_title, rich_text_plain
from lofi_assets.core.ingest.sources import (
    PageBatch,
    PageDocument,
    PageNotFound,
    PageRef,
    SourceError,
    iso_utc,
    parse_iso,
)
from lofi_assets.core.ingest.writeback import PUBLISHED, WritebackResult, check_video_url
from lofi_assets.core.partition_keys import key_to_page_id, page_id_to_key

log = logging.getLogger("lofi.notion")
T = TypeVar("T")

FAIL_FAST = {400, 401, 403, 404, 409}
SERVER_ERRORS = {500, 502, 503, 504, 529}
LIBRARY_RETRIES_ON_GET = {500, 503}  # notion-client retries these itself on GET
STATUS_TYPES = ("status", "select", "rich_text")
URL_NAME_HINTS = ("youtube", "video", "url")  # an unnamed URL property: the first hint wins


class NotionRequestError(SourceError):
    """Notion refused a request (400, 401, 403, 409): retrying would not help."""

    def __init__(self, message: str, status: int, code: str, notion_message: str):
        super().__init__(message)
        self.status, self.code, self.notion_message = status, code, notion_message


class RateLimitedTransport(httpx.BaseTransport):
    """Spaces requests at least ``1 / requests_per_second`` apart (0 = unlimited)."""

    def __init__(self, inner: httpx.BaseTransport, requests_per_second: float):
        self.inner = inner
        self.interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            time.sleep(wait)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class NotionApiSource:
    kind = "notion-api"

    def __init__(
        self,
        token: str,
        database_id: str,
        *,
        base_url: str = "https://api.notion.com",
        requests_per_second: float = 3.0,
        timeout_s: float = 30.0,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if not token:
            raise SourceError("no Notion token: set NOTION_TOKEN")
        if not database_id:
            raise SourceError("no Notion database: set NOTION_DATABASE_ID")
        self.database_id = database_id
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.description = f"Notion database {database_id}"
        self.transport = RateLimitedTransport(transport or httpx.HTTPTransport(), requests_per_second)
        options = ClientOptions(
            auth=token,
            base_url=base_url.rstrip("/"),
            timeout_ms=int(timeout_s * 1000),
            logger=log,
            retry=RetryOptions(
                max_retries=max_retries, initial_retry_delay_ms=int(backoff_s * 1000), max_retry_delay_ms=30_000
            ),
        )
        self.client = Client(options=options, client=httpx.Client(transport=self.transport))
        self._data_source_id: str | None = None

    def close(self) -> None:
        self.client.close()

    # -- requests ------------------------------------------------------------------------

    def _call(self, what: str, method: str, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except HTTPResponseError as exc:
                status, code = exc.status, getattr(exc.code, "value", exc.code)
                if status == 404:
                    raise PageNotFound(f"Notion {what}: 404 {code}: {exc}") from None
                # A write that sets absolute values may be repeated after a conflict.
                conflict_retry = status == 409 and method == "PATCH"
                if status in FAIL_FAST and not conflict_retry:
                    raise NotionRequestError(
                        f"Notion {what}: {status} {code}: {exc}", status, str(code), str(exc)
                    ) from None
                handled_by_library = status == 429 or (method == "GET" and status in LIBRARY_RETRIES_ON_GET)
                retryable = status in SERVER_ERRORS or conflict_retry
                if not retryable or handled_by_library or attempt >= self.max_retries:
                    raise SourceError(f"Notion {what}: {status} {code} after {attempt + 1} attempt(s)") from None
                delay = self._delay(attempt, exc.headers.get("retry-after"))
                reason = f"{status}"
            except (RequestTimeoutError, httpx.TransportError) as exc:
                if attempt >= self.max_retries:
                    raise SourceError(f"Notion {what}: {type(exc).__name__} after {attempt + 1} attempt(s)") from None
                delay, reason = self._delay(attempt, None), type(exc).__name__
            log.warning("Notion %s: %s; retry %d in %.1fs", what, reason, attempt + 1, delay)
            time.sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        base = self.backoff_s * (2**attempt)
        return min(base / 2 + random.random() * base / 2, 30.0)

    # -- the source ----------------------------------------------------------------------

    def data_source_id(self) -> str:
        if self._data_source_id is None:
            db = self._call(
                f"database {self.database_id}",
                "GET",
                lambda: self.client.databases.retrieve(database_id=self.database_id),
            )
            sources = db.get("data_sources") or []
            if not sources:
                raise SourceError(f"Notion database {self.database_id} has no data source")
            self._data_source_id = sources[0]["id"]
        return self._data_source_id

    def list_changed(self, since: datetime | None, cursor: str | None, page_size: int = 100) -> PageBatch:
        body: dict[str, Any] = {
            "sorts": [{"timestamp": "last_edited_time", "direction": "ascending"}],
            "page_size": min(page_size, 100),
        }
        if since is not None:
            body["filter"] = {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": iso_utc(since)}}
        if cursor:
            body["start_cursor"] = cursor
        ds = self.data_source_id()
        result = self._call(
            f"query of data source {ds}", "POST", lambda: self.client.data_sources.query(data_source_id=ds, **body)
        )
        pages = [self._ref(item) for item in result.get("results", []) if item.get("object") == "page"]
        next_cursor = result.get("next_cursor") if result.get("has_more") else None
        return PageBatch(pages=pages, next_cursor=next_cursor)

    @staticmethod
    def _ref(page: dict[str, Any]) -> PageRef:
        return PageRef(
            key=page_id_to_key(page["id"]),
            last_edited=parse_iso(page["last_edited_time"]),
            title=page_title(page),
            location=page.get("url", ""),
            archived=bool(page.get("archived") or page.get("in_trash")),
        )

    def fetch(self, key: str) -> PageDocument:
        page_id = key_to_page_id(key)
        page = self._call(f"page {key}", "GET", lambda: self.client.pages.retrieve(page_id=page_id))
        ref = self._ref(page)
        if ref.archived:
            raise SourceError(f"Notion page {key} ({ref.title}) is archived or in the trash")
        warnings: list[str] = []
        lines = page_header_markdown(page)
        lines.extend(blocks_to_markdown(self._children(page_id), self._children, warnings))
        return PageDocument(ref=ref, markdown="\n".join(lines) + "\n", warnings=warnings)

    def _children(self, block_id: str) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            kwargs: dict[str, Any] = {"block_id": block_id, "page_size": 100}
            if cursor:
                kwargs["start_cursor"] = cursor
            result = self._call(
                f"children of block {block_id}", "GET", lambda kw=kwargs: self.client.blocks.children.list(**kw)
            )
            blocks.extend(result.get("results", []))
            if not result.get("has_more"):
                return blocks
            cursor = result.get("next_cursor")

    # -- write-back ----------------------------------------------------------------------

    def mark_published(
        self,
        key: str,
        url: str,
        *,
        status: str = PUBLISHED,
        status_property: str = "Status",
        url_property: str | None = None,
    ) -> WritebackResult:
        """Set the page's status property to ``status`` and its video URL property to ``url``.

        The status property (``status_property``) may be of type status, select or text; the
        URL property is ``url_property``, else the page's first URL-type property whose
        name mentions YouTube, Video or URL (in that order of preference), and may be a
        text property when named. Reads the page first and sends nothing when it already
        shows both values; otherwise one ``PATCH`` with only the properties that differ.
        """
        url = check_video_url(url)
        page_id = key_to_page_id(key)
        page = self._call(f"page {key}", "GET", lambda: self.client.pages.retrieve(page_id=page_id))
        ref = self._ref(page)
        label = f"Notion page {key} ({ref.title or 'untitled'})"
        if ref.archived:
            raise SourceError(f"{label} is archived or in the trash; restore it before marking it published")
        props: dict[str, dict[str, Any]] = page.get("properties") or {}
        status_name, status_prop = _find_property(props, status_property)
        url_name, url_prop = _find_url_property(props, url_property)
        problems = []
        if status_prop is None:
            problems.append(
                f"no status property '{status_property}' (add a property '{status_property}' of type "
                f"Status or Select to the tracks database, or pass status_property=<its name>)"
            )
        elif status_prop.get("type") not in STATUS_TYPES:
            problems.append(
                f"its status property '{status_name}' is of type {status_prop.get('type')}, not status, select or text"
            )
        if url_prop is None:
            wanted = f"'{url_property}'" if url_property else "of type URL whose name mentions YouTube, Video or URL"
            problems.append(
                f"no video URL property {wanted} (add a property 'YouTube URL' of type URL to the "
                f"tracks database, or pass url_property=<its name>)"
            )
        elif url_prop.get("type") not in ("url", "rich_text"):
            problems.append(f"its video URL property '{url_name}' is of type {url_prop.get('type')}, not url or text")
        if problems:
            listing = ", ".join(f"{name} ({p.get('type')})" for name, p in props.items()) or "none"
            raise SourceError(
                f"{label} cannot be marked published: {'; '.join(problems)}. The page's properties: {listing}."
            )

        updates: dict[str, Any] = {}
        if _property_text(status_prop) != status:
            updates[status_name] = _status_value(status_prop["type"], status)
        if not _holds_url(url_prop, url):
            updates[url_name] = _url_value(url_prop["type"], url)
        page_url = page.get("url", "")
        if not updates:
            log.info("%s already shows %s and %s; nothing sent", label, status, url)
            return WritebackResult(key=key, page_url=page_url, changed=False, properties=(), mode=self.kind)
        try:
            self._call(
                f"update of page {key}", "PATCH", lambda: self.client.pages.update(page_id=page_id, properties=updates)
            )
        except NotionRequestError as exc:
            raise SourceError(
                f"{label}: could not set {', '.join(updates)}: Notion answered {exc.status} "
                f"{exc.code}: {exc.notion_message.rstrip('. ')}."
                f"{_refusal_hint(exc, status_name, status_prop['type'], status, updates)}"
            ) from None
        log.info("%s marked %s: %s", label, status, ", ".join(updates))
        return WritebackResult(key=key, page_url=page_url, changed=True, properties=tuple(updates), mode=self.kind)


def _find_property(props: dict[str, dict[str, Any]], name: str) -> tuple[str | None, dict[str, Any] | None]:
    """A property by its name; a different case matches when only one does."""
    if name in props:
        return name, props[name]
    folded = [n for n in props if n.casefold() == name.casefold()]
    return (folded[0], props[folded[0]]) if len(folded) == 1 else (None, None)


def _find_url_property(props: dict[str, dict[str, Any]], name: str | None) -> tuple[str | None, dict | None]:
    if name:
        return _find_property(props, name)
    for hint in URL_NAME_HINTS:
        for prop_name, prop in props.items():
            if prop.get("type") == "url" and hint in prop_name.casefold():
                return prop_name, prop
    return None, None


def _property_text(prop: dict[str, Any]) -> str | None:
    value = prop.get(prop.get("type", ""))
    if value is None:
        return None
    if prop["type"] in ("status", "select"):
        return value.get("name")
    if prop["type"] == "rich_text":
        return rich_text_plain(value)
    return value if isinstance(value, str) else None


def _holds_url(prop: dict[str, Any], url: str) -> bool:
    if prop["type"] == "url":
        return prop.get("url") == url
    items = prop.get("rich_text") or []
    links = {item.get("href") or ((item.get("text") or {}).get("link") or {}).get("url") for item in items}
    return rich_text_plain(items) == url and links == {url}


def _status_value(kind: str, status: str) -> dict[str, Any]:
    if kind == "rich_text":
        return {"rich_text": [{"type": "text", "text": {"content": status}}]}
    return {kind: {"name": status}}  # status or select


def _url_value(kind: str, url: str) -> dict[str, Any]:
    if kind == "url":
        return {"url": url}
    return {"rich_text": [{"type": "text", "text": {"content": url, "link": {"url": url}}}]}


def _refusal_hint(
    exc: NotionRequestError, status_name: str, status_kind: str, status: str, updates: dict[str, Any]
) -> str:
    if exc.status == 400 and exc.code == "validation_error" and status_kind == "status" and status_name in updates:
        return (
            f" If '{status}' is not an option of the status property '{status_name}', add it in Notion "
            f"(the tracks database → '{status_name}' → Edit property → add an option) or pass "
            f"status=<an existing option>."
        )
    if exc.status in (401, 403):
        return (
            " Check that the integration is connected to the page and has the 'Update content' "
            "capability (Notion → Settings → Connections / the integration's Capabilities)."
        )
    return ""
