"""A SIMULATED YouTube Data API v3 (and Google's OAuth token endpoint) on loopback: not
YouTube. The tests upload to it, and the demo's simulated channel is served by it.

It speaks the real protocol at the wire, so the real client (googleapiclient over
httplib2, google-auth) runs unchanged against it:

- resumable ``videos.insert``: ``POST /upload/youtube/v3/videos?uploadType=resumable``
  answers 200 with a session ``Location``; ``PUT`` chunks with ``Content-Range`` answer
  ``308`` with ``Range: bytes=0-N`` until the last, which answers 200 with the video;
  ``PUT`` with ``Content-Range: bytes */total`` asks for the offset (or the finished video);
- ``thumbnails.set`` (a simple media upload), ``playlists.list/insert``,
  ``playlistItems.list/insert`` (which, like YouTube, accepts the same video twice),
  ``videos.list``;
- ``POST /token`` (refresh and authorization-code grants) issuing bearer tokens that the
  API checks;
- errors in Google's JSON error shape, with YouTube's reasons.

Faults are queued per route (``fake.fail("chunk", 503)``, ``fake.fail("chunk", "drop")``,
``fake.fail("init", 403, "quotaExceeded")``…). A ``drop`` reads part of the request body
and closes the connection with no answer (the server keeps what it read, in whole
256 KiB units); ``drop-after`` does the work and then closes without answering (a lost
response); ``pass`` lets one request through (to aim a later fault).
``rate_bytes_per_s`` throttles request bodies like a line rate.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

QUANTUM = 256 * 1024
REASON_DOMAINS = {
    "quotaExceeded": "youtube.quota",
    "uploadLimitExceeded": "youtube.video",
    "rateLimitExceeded": "usageLimits",
    "invalidImage": "youtube.thumbnail",
    "authError": "global",
    "backendError": "global",
    "invalidTitle": "youtube.video",
    "invalidTags": "youtube.video",
    "invalidDescription": "youtube.video",
}


def error_body(status: int, reason: str, message: str = "") -> bytes:
    message = message or reason
    return json.dumps(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": REASON_DOMAINS.get(reason, "global"), "reason": reason}],
            }
        }
    ).encode()


@dataclass
class Session:
    total: int
    metadata: dict[str, Any]
    data: bytearray = field(default_factory=bytearray)
    video_id: str | None = None


@dataclass
class Fault:
    kind: Any  # an HTTP status, "drop" or "drop-after"
    reason: str = ""


class FakeYouTube:
    def __init__(
        self, *, rate_bytes_per_s: float | None = None, refresh_token: str = "refresh-1", unaudited: bool = False
    ):
        self.rate_bytes_per_s = rate_bytes_per_s
        # An API project Google has not audited: every video uploaded through it is locked
        # private, whatever privacy the request asked for.
        self.unaudited = unaudited
        self.lock = threading.RLock()
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_bytes: dict[str, bytes] = {}
        self.thumbnails: dict[str, bytes] = {}
        self.playlists: dict[str, dict[str, Any]] = {}
        self.playlist_items: list[dict[str, Any]] = []
        self.valid_refresh_tokens = {refresh_token}
        self.auth_codes: dict[str, tuple[str, str]] = {}
        self.consents: list[dict[str, str]] = []
        self.access_tokens: set[str] = set()
        self.counts: dict[str, int] = defaultdict(int)
        self.bytes_received = 0
        self.log: list[tuple[str, str, int]] = []
        self.base_url = ""

    # -- test controls ---------------------------------------------------------------------

    def fail(self, route: str, kind: Any, reason: str = "", times: int = 1) -> None:
        with self.lock:
            for _ in range(times):
                self.faults[route].append(Fault(kind, reason))

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def issue_access_token(self) -> str:
        token = "ya29." + uuid.uuid4().hex
        with self.lock:
            self.access_tokens.add(token)
        return token

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.valid_refresh_tokens.clear()
            self.access_tokens.clear()

    def authorized_user_info(
        self, refresh_token: str = "refresh-1", scopes: list[str] | None = None, access_token: str | None = None
    ) -> dict[str, Any]:
        """What ``lofi auth`` writes to the token file, pointing at this server."""
        from datetime import datetime, timedelta

        info = {
            "refresh_token": refresh_token,
            "client_id": "fake-client.apps.googleusercontent.com",
            "client_secret": "fake-secret",
            "token_uri": f"{self.base_url}/token",
            "scopes": scopes
            or ["https://www.googleapis.com/auth/youtube", "https://www.googleapis.com/auth/yt-analytics.readonly"],
        }
        if access_token:
            info["token"] = access_token
            info["expiry"] = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
        return info

    def client_secrets(self) -> dict[str, Any]:
        return {
            "installed": {
                "client_id": "fake-client.apps.googleusercontent.com",
                "client_secret": "fake-secret",
                "auth_uri": f"{self.base_url}/auth",
                "token_uri": f"{self.base_url}/token",
                "redirect_uris": ["http://localhost"],
            }
        }

    # -- the server ------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        Handler = type("Handler", (self.handler_base(),), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.base_url
        finally:
            server.shutdown()
            server.server_close()

    def handler_base(self) -> type:
        """The request handler class (a subclass adds routes)."""
        return _Handler

    def take_fault(self, route: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(route)
            return queue.popleft() if queue else None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYouTube
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # -- plumbing --------------------------------------------------------------------------

    def _send(self, status: int, body: bytes | dict | None = None, headers: dict[str, str] | None = None) -> None:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        body = body or b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with self.fake.lock:
            self.fake.log.append((self.command, self.path.split("?")[0], status))

    def _error(self, status: int, reason: str, message: str = "") -> None:
        self._send(status, error_body(status, reason, message))

    def _read_body(self, limit: int | None = None) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        want = length if limit is None else min(limit, length)
        rate = self.fake.rate_bytes_per_s
        chunks, got, start = [], 0, time.monotonic()
        while got < want:
            block = self.rfile.read(min(64 * 1024, want - got))
            if not block:
                break
            chunks.append(block)
            got += len(block)
            if rate:
                ahead = got / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        if self.command == "PUT":  # upload bytes only: what a resumed upload should not repeat
            with self.fake.lock:
                self.fake.bytes_received += got
        return b"".join(chunks)

    def _drop(self) -> None:
        """Close the connection with no answer, as a network failure would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        with self.fake.lock:
            self.fake.log.append((self.command, self.path.split("?")[0], 0))

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.fake.lock:
            ok = token in self.fake.access_tokens
        if not ok:
            self._read_body()
            self._error(401, "authError", "Request had invalid authentication credentials.")
        return ok

    def _answer_fault(self, route: str) -> tuple[bool, Fault | None]:
        """Take the route's next fault; answer it here when it is an HTTP error status."""
        fault = self.fake.take_fault(route)
        if fault is not None and isinstance(fault.kind, int):
            self._read_body()
            self._error(fault.kind, fault.reason or "backendError")
            return True, fault
        return False, fault

    # -- routing ---------------------------------------------------------------------------

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/token":
            return self._token()
        if not self._authorized():
            return
        if url.path == "/upload/youtube/v3/videos" and query.get("uploadType") == "resumable":
            return self._init_upload(query)
        if url.path == "/upload/youtube/v3/thumbnails/set":
            return self._thumbnail(query)
        if url.path == "/youtube/v3/playlists":
            return self._insert_playlist()
        if url.path == "/youtube/v3/playlistItems":
            return self._insert_playlist_item()
        self._read_body()
        self._error(404, "notFound", f"no route POST {url.path}")

    def do_PUT(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/upload/youtube/v3/videos" and "upload_id" in query:
            return self._chunk(query["upload_id"])
        self._read_body()
        self._error(404, "notFound", f"no route PUT {url.path}")

    def do_DELETE(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if not self._authorized():
            return
        if url.path == "/youtube/v3/playlistItems":
            with self.fake.lock:
                before = len(self.fake.playlist_items)
                self.fake.playlist_items = [i for i in self.fake.playlist_items if i["id"] != query.get("id")]
                found = len(self.fake.playlist_items) < before
                self.fake.counts["playlistItems.delete"] += found
            return self._send(204) if found else self._error(404, "playlistItemNotFound", "Playlist item not found.")
        self._error(404, "notFound", f"no route DELETE {url.path}")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/auth":
            return self._consent({k: v[0] for k, v in query.items()})
        if not self._authorized():
            return
        if url.path == "/youtube/v3/playlists":
            return self._list_playlists(query)
        if url.path == "/youtube/v3/playlistItems":
            return self._list_playlist_items(query)
        if url.path == "/youtube/v3/videos":
            return self._list_videos(query)
        self._error(404, "notFound", f"no route GET {url.path}")

    # -- OAuth -----------------------------------------------------------------------------

    def _token(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self._read_body().decode()).items()}
        fake = self.fake
        fault = fake.take_fault("token")
        with fake.lock:
            fake.counts["token"] += 1
            if form.get("grant_type") == "refresh_token":
                ok = fault is None and form.get("refresh_token") in fake.valid_refresh_tokens
                refresh = None
            elif form.get("grant_type") == "authorization_code":
                refresh, granted = fake.auth_codes.pop(form.get("code", ""), (None, None))
                ok = refresh is not None
                if ok:
                    fake.valid_refresh_tokens.add(refresh)
                    form["scope"] = granted  # the token answers with the scopes consented to
            else:
                ok, refresh = False, None
        if not ok:
            return self._send(
                400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        body = {
            "access_token": fake.issue_access_token(),
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": form.get("scope", "https://www.googleapis.com/auth/youtube"),
        }
        if refresh:
            body["refresh_token"] = refresh
        self._send(200, body)

    def _consent(self, query: dict[str, str]) -> None:
        """Google's consent page, as if the owner clicked Allow: redirect back with a code."""
        required = {"client_id", "redirect_uri", "response_type", "scope", "state"}
        if required - set(query) or query["response_type"] != "code":
            return self._send(400, {"error": "invalid_request", "missing": sorted(required - set(query))})
        code = "4/" + uuid.uuid4().hex
        with self.fake.lock:
            self.fake.auth_codes[code] = ("refresh-" + uuid.uuid4().hex[:8], query["scope"])
            self.fake.consents.append(query)
        location = f"{query['redirect_uri']}?state={query['state']}&code={code}&scope={query['scope']}"
        self._send(302, None, {"Location": location})

    # -- videos.insert ---------------------------------------------------------------------

    def _init_upload(self, query: dict[str, str]) -> None:
        answered, fault = self._answer_fault("init")
        if answered:
            return
        body = self._read_body()
        if fault is not None and fault.kind == "drop":
            return self._drop()
        try:
            metadata = json.loads(body or b"{}")
        except ValueError:
            return self._error(400, "parseError", "Parse Error")
        snippet = metadata.get("snippet", {})
        title = snippet.get("title", "")
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return self._error(400, "invalidTitle", "The request metadata specifies an invalid video title.")
        tags = snippet.get("tags") or []
        if sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0) > 500 or any(
            "<" in t or ">" in t for t in tags
        ):
            return self._error(400, "invalidTags", "The request metadata specifies invalid video keywords.")
        status = metadata.get("status", {})
        if status.get("publishAt") and status.get("privacyStatus") != "private":
            return self._error(400, "invalidPublishAt", "publishAt requires privacyStatus private.")
        total = int(self.headers.get("X-Upload-Content-Length") or 0)
        upload_id = uuid.uuid4().hex
        with self.fake.lock:
            self.fake.counts["videos.insert"] += 1
            self.fake.sessions[upload_id] = Session(total=total, metadata=metadata)
        location = f"{self.fake.base_url}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        self._send(200, None, {"Location": location, "X-GUploader-UploadID": upload_id})

    def _chunk(self, upload_id: str) -> None:
        fake = self.fake
        with fake.lock:
            session = fake.sessions.get(upload_id)
        if session is None:
            self._read_body()
            return self._error(404, "notFound", "upload session not found")
        content_range = self.headers.get("Content-Range", "")
        if content_range.startswith("bytes */"):
            self._read_body()
            with fake.lock:
                fake.counts["status_query"] += 1
            return self._progress(session)
        answered, fault = self._answer_fault("chunk")
        if answered:
            return
        length = int(self.headers.get("Content-Length") or 0)
        start = int(content_range.split(" ")[1].split("-")[0]) if content_range else 0
        if fault is not None and fault.kind == "drop":
            part = self._read_body(limit=length // 2)
            self._accept(session, start, part, whole_units=True)
            return self._drop()
        data = self._read_body()
        self._accept(session, start, data)
        if fault is not None and fault.kind == "drop-after":
            self._complete_if_done(session)
            return self._drop()
        self._progress(session)

    def _accept(self, session: Session, start: int, data: bytes, whole_units: bool = False) -> None:
        with self.fake.lock:
            have = len(session.data)
            if start > have:
                return  # a gap: keep nothing, the client will be told where we are
            data = data[have - start :]
            if whole_units:
                data = data[: (len(data) // QUANTUM) * QUANTUM]
            session.data.extend(data)

    def _complete_if_done(self, session: Session) -> dict[str, Any] | None:
        fake = self.fake
        with fake.lock:
            if session.video_id is None and session.total and len(session.data) >= session.total:
                video_id = uuid.uuid4().hex[:11]
                session.video_id = video_id
                metadata = session.metadata
                fake.videos[video_id] = {
                    "kind": "youtube#video",
                    "id": video_id,
                    "snippet": metadata.get("snippet", {}),
                    "status": {
                        **metadata.get("status", {}),
                        **({"privacyStatus": "private"} if fake.unaudited else {}),
                        "uploadStatus": "uploaded",
                    },
                    "statistics": {"viewCount": "0", "likeCount": "0", "commentCount": "0"},
                }
                fake.video_bytes[video_id] = bytes(session.data)
                fake.counts["videos_created"] += 1
            return fake.videos.get(session.video_id) if session.video_id else None

    def _progress(self, session: Session) -> None:
        video = self._complete_if_done(session)
        if video is not None:
            return self._send(200, video)
        have = len(session.data)
        self._send(308, None, {"Range": f"bytes=0-{have - 1}"} if have else {})

    # -- thumbnails, playlists, videos.list ------------------------------------------------

    def _thumbnail(self, query: dict[str, str]) -> None:
        answered, fault = self._answer_fault("thumbnail")
        if answered:
            return
        data = self._read_body()
        if fault is not None and fault.kind == "drop":
            return self._drop()
        video_id = query.get("videoId", "")
        with self.fake.lock:
            self.fake.counts["thumbnails.set"] += 1
            known = video_id in self.fake.videos
        if not known:
            return self._error(404, "videoNotFound", "The video that you are trying to update cannot be found.")
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            return self._error(400, "invalidImage", "The provided image content is invalid.")
        with self.fake.lock:
            self.fake.thumbnails[video_id] = data
        digest = hashlib.md5(data).hexdigest()[:8]
        self._send(
            200,
            {
                "kind": "youtube#thumbnailSetResponse",
                "items": [{"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg?{digest}"}}],
            },
        )

    def _insert_playlist(self) -> None:
        body = json.loads(self._read_body() or b"{}")
        playlist_id = "PL" + uuid.uuid4().hex[:16]
        item = {
            "kind": "youtube#playlist",
            "id": playlist_id,
            "snippet": body.get("snippet", {}),
            "status": body.get("status", {}),
        }
        with self.fake.lock:
            self.fake.playlists[playlist_id] = item
            self.fake.counts["playlists.insert"] += 1
        self._send(200, item)

    def _list_playlists(self, query: dict[str, list[str]]) -> None:
        size = int(query.get("maxResults", ["5"])[0])
        start = int(query.get("pageToken", ["0"])[0] or 0)
        with self.fake.lock:
            items = list(self.fake.playlists.values())
        page = items[start : start + size]
        body: dict[str, Any] = {
            "kind": "youtube#playlistListResponse",
            "items": page,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
        }
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        self._send(200, body)

    def _insert_playlist_item(self) -> None:
        answered, fault = self._answer_fault("playlistItems.insert")
        if answered:
            return
        body = json.loads(self._read_body() or b"{}")
        snippet = body.get("snippet", {})
        with self.fake.lock:
            if snippet.get("playlistId") not in self.fake.playlists:
                return self._error(404, "playlistNotFound", "Playlist not found.")
            item = {"kind": "youtube#playlistItem", "id": "PLI" + uuid.uuid4().hex[:12], "snippet": snippet}
            # Like YouTube, the same video may be added to a playlist twice.
            self.fake.playlist_items.append(item)
            self.fake.counts["playlistItems.insert"] += 1
        if fault is not None and fault.kind == "drop-after":
            return self._drop()
        self._send(200, item)

    def _list_playlist_items(self, query: dict[str, list[str]]) -> None:
        playlist_id = query.get("playlistId", [""])[0]
        video_id = query.get("videoId", [None])[0]
        with self.fake.lock:
            items = [
                i
                for i in self.fake.playlist_items
                if i["snippet"].get("playlistId") == playlist_id
                and (video_id is None or i["snippet"].get("resourceId", {}).get("videoId") == video_id)
            ]
        self._send(
            200,
            {
                "kind": "youtube#playlistItemListResponse",
                "items": items,
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
            },
        )

    def _list_videos(self, query: dict[str, list[str]]) -> None:
        ids = ",".join(query.get("id", [""])).split(",")
        with self.fake.lock:
            items = [self.fake.videos[i] for i in ids if i in self.fake.videos]
        self._send(200, {"kind": "youtube#videoListResponse", "items": items})
