"""Track pages from the Notion API, through notion-client.

The tracks database is found through its data source (API version 2025-09-03), queried
page by page filtered on ``last_edited_time`` (oldest first), and each page's blocks are
walked recursively. Requests are kept to ``requests_per_second`` (Notion allows an
average of 3). notion-client itself retries 429 (honouring Retry-After) and 500/503 on
GET; this module retries what it does not — 5xx on POST (a query is a read), 502, 504 and
529, timeouts and connection errors — and fails fast on 400, 401, 403 and 404.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime
from typing import Any, Callable, TypeVar

import httpx
from notion_client import Client
from notion_client.client import ClientOptions, RetryOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from .notion_blocks import blocks_to_markdown, page_header_markdown, page_title
from .page_keys import key_to_page_id, page_id_to_key
from .track_sources import PageBatch, PageDocument, PageNotFound, PageRef, SourceError, iso_utc, parse_iso

log = logging.getLogger("lofi.notion")
T = TypeVar("T")

FAIL_FAST = {400, 401, 403, 404, 409}
SERVER_ERRORS = {500, 502, 503, 504, 529}
LIBRARY_RETRIES_ON_GET = {500, 503}  # notion-client retries these itself on GET


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
            retry=RetryOptions(max_retries=max_retries, initial_retry_delay_ms=int(backoff_s * 1000),
                               max_retry_delay_ms=30_000),
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
                if status in FAIL_FAST:
                    raise SourceError(f"Notion {what}: {status} {code}: {exc}") from None
                handled_by_library = status == 429 or (method == "GET" and status in LIBRARY_RETRIES_ON_GET)
                if status not in SERVER_ERRORS or handled_by_library or attempt >= self.max_retries:
                    raise SourceError(f"Notion {what}: {status} {code} after {attempt + 1} attempt(s)") from None
                delay = self._delay(attempt, exc.headers.get("retry-after"))
                reason = f"{status}"
            except (RequestTimeoutError, httpx.TransportError) as exc:
                if attempt >= self.max_retries:
                    raise SourceError(
                        f"Notion {what}: {type(exc).__name__} after {attempt + 1} attempt(s)"
                    ) from None
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
            db = self._call(f"database {self.database_id}", "GET",
                            lambda: self.client.databases.retrieve(database_id=self.database_id))
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
        result = self._call(f"query of data source {ds}", "POST",
                            lambda: self.client.data_sources.query(data_source_id=ds, **body))
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
            result = self._call(f"children of block {block_id}", "GET",
                                lambda kw=kwargs: self.client.blocks.children.list(**kw))
            blocks.extend(result.get("results", []))
            if not result.get("has_more"):
                return blocks
            cursor = result.get("next_cursor")
