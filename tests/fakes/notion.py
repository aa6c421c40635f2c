"""A fake Notion API that speaks the real protocol at the wire.

It serves ``GET /v1/databases/{id}``, ``POST /v1/data_sources/{id}/query`` (filter on
``last_edited_time``, sort, ``start_cursor``/``page_size`` pagination),
``GET /v1/pages/{id}``, ``PATCH /v1/pages/{id}`` (property values, validated as Notion
does) and ``GET /v1/blocks/{id}/children``, checks the bearer token and the
``Notion-Version`` header, and answers errors in Notion's JSON error shape. Faults (429
with Retry-After, 5xx, timeouts, dropped connections) are queued per route.

Pages carry ``properties`` in Notion's shape. A ``status`` property only takes one of its
options (``status_options``, per property name; Notion's three defaults unless set, plus
any value a page was created with); a ``select`` option that does not exist is created,
as Notion does. An accepted PATCH sets ``last_edited_time`` (to the minute, from
``now()``) and is recorded in ``patches``.

Use it in-process as an ``httpx.MockTransport`` (``fake.transport()``) or on a loopback
HTTP server (``with fake.serve() as base_url``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

NOTION_VERSION = "2025-09-03"
DEFAULT_STATUS_OPTIONS = ["Not started", "In progress", "Done"]  # a new status property's options


def dashed(hex32: str) -> str:
    h = hex32.replace("-", "")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_id() -> str:
    return str(uuid.uuid4())


def rich(text: str, link: str | None = None) -> list[dict[str, Any]]:
    return [
        {
            "type": "text",
            "text": {"content": text, "link": {"url": link} if link else None},
            "annotations": {},
            "plain_text": text,
            "href": link,
        }
    ]


def minute_iso(moment: datetime) -> str:
    """A time as Notion writes ``last_edited_time``: UTC, rounded down to the minute."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


# -- property builders (page property values as the API returns them) -----------------


def status_prop(name: str | None) -> dict[str, Any]:
    return {
        "id": new_id()[:4],
        "type": "status",
        "status": {"id": new_id()[:4], "name": name, "color": "default"} if name else None,
    }


def select_prop(name: str | None) -> dict[str, Any]:
    return {
        "id": new_id()[:4],
        "type": "select",
        "select": {"id": new_id()[:4], "name": name, "color": "default"} if name else None,
    }


def url_prop(url: str | None = None) -> dict[str, Any]:
    return {"id": new_id()[:4], "type": "url", "url": url}


def text_prop(text: str = "", link: str | None = None) -> dict[str, Any]:
    return {"id": new_id()[:4], "type": "rich_text", "rich_text": rich(text, link) if text else []}


# -- block builders ---------------------------------------------------------------------


def block(kind: str, text: str = "", children: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"rich_text": rich(text), "color": "default", **extra}
    return {
        "object": "block",
        "id": new_id(),
        "type": kind,
        kind: body,
        "has_children": bool(children),
        "_children": children or [],
        "archived": False,
        "in_trash": False,
    }


def heading(level: int, text: str, children: list[dict] | None = None) -> dict[str, Any]:
    return block(f"heading_{level}", text, children, is_toggleable=bool(children))


def paragraph(text: str) -> dict[str, Any]:
    return block("paragraph", text)


def todo(text: str, checked: bool = False, children: list[dict] | None = None) -> dict[str, Any]:
    return block("to_do", text, children, checked=checked)


def bullet(text: str, children: list[dict] | None = None) -> dict[str, Any]:
    return block("bulleted_list_item", text, children)


def numbered(text: str, children: list[dict] | None = None) -> dict[str, Any]:
    return block("numbered_list_item", text, children)


def toggle(text: str, children: list[dict]) -> dict[str, Any]:
    return block("toggle", text, children)


def table(rows: list[list[str]]) -> dict[str, Any]:
    row_blocks = [
        {
            "object": "block",
            "id": new_id(),
            "type": "table_row",
            "table_row": {"cells": [rich(c) for c in row]},
            "has_children": False,
            "_children": [],
        }
        for row in rows
    ]
    return {
        "object": "block",
        "id": new_id(),
        "type": "table",
        "table": {"table_width": len(rows[0]), "has_column_header": True, "has_row_header": False},
        "has_children": True,
        "_children": row_blocks,
    }


def unsupported(kind: str = "ai_block") -> dict[str, Any]:
    return {"object": "block", "id": new_id(), "type": kind, kind: {}, "has_children": False, "_children": []}


# -- the fake ---------------------------------------------------------------------------


@dataclass
class Fault:
    method: str
    path: str  # regex on the path
    status: int | None = None  # an HTTP error answer
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    exception: type[Exception] | None = None  # httpx.ReadTimeout, httpx.ConnectError (transport)
    delay_s: float = 0.0  # loopback server: hold the answer this long (a timeout)
    drop: bool = False  # loopback server: close the connection without an answer
    times: int = 1


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"object": "error", "status": status, "code": code, "message": message, "request_id": new_id()}


class FakeNotion:
    def __init__(self, token: str = "secret_fake_token", database_id: str | None = None):
        self.token = token
        self.database_id = database_id or new_id()
        self.data_source_id = new_id()
        self.pages: dict[str, dict[str, Any]] = {}  # dashed id -> page object
        self.children: dict[str, list[dict[str, Any]]] = {}  # block/page id -> child blocks
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, float]] = []  # (method, path, monotonic time)
        self.methods: list[str] = []  # the method of each entry of ``log``
        self.status_options: dict[str, list[str]] = {}  # status property name -> option names
        self.select_options: dict[str, list[str]] = {}  # select property name -> option names
        self.patches: list[tuple[str, dict[str, Any]]] = []  # (page id, properties) of accepted PATCHes
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._lock = threading.Lock()

    # -- content ----------------------------------------------------------------------

    def add_page(
        self,
        title: str,
        last_edited: str | datetime,
        blocks: list[dict] | None = None,
        *,
        page_id: str | None = None,
        archived: bool = False,
        in_trash: bool = False,
        properties: dict[str, dict[str, Any]] | None = None,
    ) -> str:
        pid = dashed(page_id) if page_id else new_id()
        if isinstance(last_edited, datetime):
            last_edited = minute_iso(last_edited)
        props = {"Name": {"id": "title", "type": "title", "title": rich(title)}}
        props.update(properties or {})
        for name, prop in props.items():  # a value a page holds is an option of its property
            if prop.get("type") in ("status", "select"):
                options = self._options(prop["type"], name)
                if prop.get(prop["type"]) and prop[prop["type"]].get("name") not in options:
                    options.append(prop[prop["type"]]["name"])
        self.pages[pid] = {
            "object": "page",
            "id": pid,
            "created_time": last_edited,
            "last_edited_time": last_edited,
            "archived": archived,
            "in_trash": in_trash,
            "is_locked": False,
            "url": f"https://www.notion.so/{re.sub(r'[^A-Za-z0-9]+', '-', title)}-{pid.replace('-', '')}",
            "parent": {
                "type": "data_source_id",
                "data_source_id": self.data_source_id,
                "database_id": self.database_id,
            },
            "properties": props,
        }
        self._store_children(pid, blocks or [])
        return pid

    def _store_children(self, parent: str, blocks: list[dict]) -> None:
        stored = []
        for b in blocks:
            b = dict(b)
            kids = b.pop("_children", [])
            self._store_children(b["id"], kids)
            stored.append(b)
        self.children[parent] = stored

    def edit(self, page_id: str, last_edited: str) -> None:
        self.pages[dashed(page_id)]["last_edited_time"] = last_edited

    def fail(self, method: str, path: str, **kwargs: Any) -> None:
        self.faults.append(Fault(method, path, **kwargs))

    def requests_to(self, pattern: str, method: str | None = None) -> int:
        return sum(
            1
            for (_, path, _), m in zip(self.log, self.methods, strict=True)
            if re.search(pattern, path) and (method is None or m == method)
        )

    def patch_count(self, page_id: str | None = None) -> int:
        """PATCH requests to pages (to one page), answered or not."""
        path = rf"^/v1/pages/{dashed(page_id.replace('-', ''))}$" if page_id else r"^/v1/pages/"
        return self.requests_to(path, "PATCH")

    def page(self, page_id: str) -> dict[str, Any]:
        return self.pages[dashed(page_id.replace("-", ""))]

    def _options(self, kind: str, name: str) -> list[str]:
        table = self.status_options if kind == "status" else self.select_options
        if name not in table:
            table[name] = list(DEFAULT_STATUS_OPTIONS) if kind == "status" else []
        return table[name]

    # -- protocol ---------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.path, path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def respond(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes, Fault | None]:
        """One request: (status, headers, body, fault that shapes transport behaviour)."""
        with self._lock:
            self.log.append((method, path, time.monotonic()))
            self.methods.append(method)
        fault = self._take_fault(method, path)
        if fault is not None and fault.status is not None:
            payload = fault.body if fault.body is not None else error_body(fault.status, "fault", "injected")
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            ctype = "text/html" if isinstance(payload, str) else "application/json"
            return fault.status, {"content-type": ctype, **fault.headers}, data, fault
        # A transport fault (timeout, drop) is acted on by the transport around a normal answer.
        status, payload = self._route(method, path, query, headers, body)
        return status, {"content-type": "application/json"}, json.dumps(payload).encode(), fault

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, error_body(401, "unauthorized", "API token is invalid.")
        if not headers.get("notion-version"):
            return 400, error_body(400, "missing_version", "Notion-Version header failed validation")
        if m := re.fullmatch(r"/v1/databases/([0-9a-f-]+)", path):
            if method != "GET":
                return 400, error_body(400, "invalid_request_url", "Invalid request URL.")
            if dashed(m.group(1).replace("-", "")) != self.database_id:
                return 404, error_body(404, "object_not_found", f"Could not find database with ID: {m.group(1)}.")
            return 200, {
                "object": "database",
                "id": self.database_id,
                "title": rich("Tracks"),
                "data_sources": [{"id": self.data_source_id, "name": "Tracks"}],
            }
        if m := re.fullmatch(r"/v1/data_sources/([0-9a-f-]+)/query", path):
            if method != "POST":
                return 400, error_body(400, "invalid_request_url", "Invalid request URL.")
            if m.group(1) != self.data_source_id:
                return 404, error_body(404, "object_not_found", "Could not find data source.")
            return self._query(json.loads(body or b"{}"))
        if m := re.fullmatch(r"/v1/pages/([0-9a-f-]+)", path):
            page = self.pages.get(dashed(m.group(1).replace("-", "")))
            if page is None:
                return 404, error_body(404, "object_not_found", f"Could not find page with ID: {m.group(1)}.")
            if method == "PATCH":
                return self._update_page(page, body)
            if method != "GET":
                return 400, error_body(400, "invalid_request_url", "Invalid request URL.")
            return 200, page
        if m := re.fullmatch(r"/v1/blocks/([0-9a-f-]+)/children", path):
            kids = self.children.get(m.group(1))
            if kids is None:
                return 404, error_body(404, "object_not_found", f"Could not find block with ID: {m.group(1)}.")
            return self._paginate(kids, query.get("start_cursor"), int(query.get("page_size", 100)), "block")
        return 400, error_body(400, "invalid_request_url", "Invalid request URL.")

    def _update_page(self, page: dict[str, Any], body: bytes) -> tuple[int, dict[str, Any]]:
        """``PATCH /v1/pages/{id}`` with ``properties``: all validated before any is applied."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, error_body(400, "invalid_json", "Error parsing JSON body.")
        if page["archived"] or page["in_trash"]:
            return 400, error_body(
                400,
                "validation_error",
                "Can't edit block that is archived. You must unarchive the block before editing.",
            )
        updates = request.get("properties")
        if not isinstance(updates, dict):
            return 400, error_body(
                400, "validation_error", "body failed validation: body.properties should be an object."
            )
        by_id = {prop.get("id"): name for name, prop in page["properties"].items()}
        new_values: dict[str, Any] = {}
        for key, value in updates.items():
            name = key if key in page["properties"] else by_id.get(key)
            if name is None:
                return 400, error_body(400, "validation_error", f"{key} is not a property that exists.")
            prop = page["properties"][name]
            kind = prop["type"]
            if not isinstance(value, dict) or kind not in value:
                return 400, error_body(400, "validation_error", f"{name} is expected to be {kind}.")
            checked = self._property_value(name, kind, value[kind])
            if isinstance(checked, str):
                return 400, error_body(400, "validation_error", checked)
            new_values[name] = checked[0]
        for name, value in new_values.items():
            prop = page["properties"][name]
            if prop["type"] == "select" and value and value["name"] not in self._options("select", name):
                self._options("select", name).append(value["name"])  # Notion creates a select option
            prop[prop["type"]] = value
        page["last_edited_time"] = minute_iso(self.now())
        with self._lock:
            self.patches.append((page["id"], updates))
        return 200, page

    def _property_value(self, name: str, kind: str, value: Any) -> tuple[Any] | str:
        """The stored value for a written one, or the validation message Notion would give."""
        if kind in ("status", "select"):
            if value is None:
                return (None,)
            if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
                return f"body failed validation: body.properties.{name}.{kind}.name should be a string."
            option = value["name"]
            if kind == "status" and option not in self._options("status", name):
                options = ", ".join(f"'{o}'" for o in self._options("status", name))
                return (
                    f'Invalid status option. Status option "{option}" does not exist for property '
                    f"'{name}'. Value must be one of the following: {options}."
                )
            return ({"id": new_id()[:4], "name": option, "color": "default"},)
        if kind == "url":
            if value is not None and not isinstance(value, str):
                return f"body failed validation: body.properties.{name}.url should be a string or `null`."
            return (value or None,)
        if kind in ("rich_text", "title"):
            if not isinstance(value, list):
                return f"body failed validation: body.properties.{name}.{kind} should be an array."
            items = []
            for item in value:
                text = item.get("text") if isinstance(item, dict) else None
                if not isinstance(text, dict) or not isinstance(text.get("content"), str):
                    return f"body failed validation: body.properties.{name}.{kind}[0].text should be defined."
                link = (text.get("link") or {}).get("url")
                items.extend(rich(text["content"], link))
            return (items,)
        if kind == "number":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                return f"body failed validation: body.properties.{name}.number should be a number or `null`."
            return (value,)
        if kind == "checkbox":
            if not isinstance(value, bool):
                return f"body failed validation: body.properties.{name}.checkbox should be a boolean."
            return (value,)
        return f"{name} is a {kind} property, which cannot be updated through the API."

    def _query(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pages = [p for p in self.pages.values() if not p["in_trash"]]
        flt = request.get("filter")
        if flt:
            if flt.get("timestamp") != "last_edited_time":
                return 400, error_body(400, "validation_error", "body.filter.timestamp should be last_edited_time")
            cond = flt["last_edited_time"]
            if "on_or_after" in cond:
                since = _parse(cond["on_or_after"])
                pages = [p for p in pages if _parse(p["last_edited_time"]) >= since]
            if "after" in cond:
                since = _parse(cond["after"])
                pages = [p for p in pages if _parse(p["last_edited_time"]) > since]
        for sort in reversed(request.get("sorts", [])):
            if sort.get("timestamp") == "last_edited_time":
                pages.sort(key=lambda p: p["last_edited_time"], reverse=sort.get("direction") == "descending")
        size = int(request.get("page_size", 100))
        if not 1 <= size <= 100:
            return 400, error_body(400, "validation_error", "body.page_size should be ≤ 100")
        return self._paginate(pages, request.get("start_cursor"), size, "page_or_data_source")

    def _paginate(self, items: list[dict], cursor: str | None, size: int, kind: str) -> tuple[int, dict]:
        start = 0
        if cursor:
            ids = [i["id"] for i in items]
            if cursor not in ids:
                return 400, error_body(400, "validation_error", f"start_cursor {cursor} is invalid")
            start = ids.index(cursor)
        chunk = items[start : start + size]
        more = start + size < len(items)
        return 200, {
            "object": "list",
            "results": chunk,
            "next_cursor": items[start + size]["id"] if more else None,
            "has_more": more,
            "type": kind,
            kind: {},
            "request_id": new_id(),
        }

    # -- transports -------------------------------------------------------------------

    def handler(self, request: httpx.Request) -> httpx.Response:
        status, headers, data, fault = self.respond(
            request.method,
            request.url.path,
            dict(request.url.params),
            {k.lower(): v for k, v in request.headers.items()},
            request.content,
        )
        if fault is not None and fault.exception is not None:
            raise fault.exception("injected by the fake Notion", request=request)
        return httpx.Response(status, headers=headers, content=data)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a loopback port; yields the base URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                url = httpx.URL(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, data, fault = fake.respond(
                    self.command,
                    url.path,
                    dict(url.params),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                if fault is not None and fault.delay_s:
                    time.sleep(fault.delay_s)
                if fault is not None and (fault.drop or fault.exception):
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def track_page_blocks(arcs: int = 2, prompts_per_arc: int = 2) -> list[dict[str, Any]]:
    """Blocks of a small, valid track page."""
    blocks: list[dict[str, Any]] = [heading(2, "Description"), paragraph("Rain and Rhodes for a quiet night.")]
    n = 0
    for a in range(1, arcs + 1):
        blocks.append(heading(2, f"🌙 Arc {a} — Night {a} (BPM {60 + a}–{66 + a})"))
        for _ in range(prompts_per_arc):
            n += 1
            blocks.append(todo(f"{n}. soft piano and rain, take {n} — night rain", checked=n % 2 == 0))
    blocks += [heading(2, "Post-upload checklist"), todo("Add chapters")]
    return blocks
