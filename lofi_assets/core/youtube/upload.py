"""Publishing one track's video to YouTube: upload, thumbnail, playlists, never twice.

Every step is recorded in a ledger file (``upload.json``) before and after it runs, keyed
by the track and the content hash of what is uploaded:

- **insert**: a resumable ``videos.insert``. The session URI is written to the ledger the
  moment YouTube hands it out, before a byte of video is sent, so a crashed run resumes
  the same session (asking the server for its byte offset) instead of making a second
  video. A video id in the ledger means the insert is never sent again.
- **thumbnail**: ``thumbnails.set``, and **playlists**: find or create each playlist,
  check membership, then ``playlistItems.insert``. Each retries on its own; a failure is
  recorded and retried by the next run, and never undoes the upload.

Server errors (5xx), rate limits and dropped connections are retried with exponential
backoff; a daily quota error parks the track until YouTube's quota resets (midnight
Pacific) instead of burning retries; an expired refresh token stops with a message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lofi_assets.core.files import atomic_local_path, file_sha256
from lofi_assets.core.published import ledger_video_id, watch_url
from lofi_assets.core.youtube.claim import UploadClaim
from lofi_assets.core.youtube.client import (
    ApiCaller,
    AuthError,
    Parked,
    YouTubeError,
    api_error,
    build_youtube,
    http_client,
    transport_errors,
    utcnow,
)

log = logging.getLogger("lofi.youtube")
CHUNK_QUANTUM = 256 * 1024  # resumable chunks must be multiples of 256 KiB
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024


class PublishInputError(ValueError):
    """What would be sent is wrong: found before any request."""


@dataclass
class UploadPlan:
    """Everything one track's publication needs, checked before any request."""

    track: str
    master_sha256: str
    video: Path
    body: dict[str, Any]
    thumbnail: Path | None = None
    playlists: list[str] = field(default_factory=list)
    chunk_bytes: int = DEFAULT_CHUNK_BYTES

    def problems(self) -> list[str]:
        problems = []
        if not Path(self.video).is_file() or Path(self.video).stat().st_size == 0:
            problems.append(f"video file {self.video} is missing or empty")
        if self.thumbnail is not None:
            thumb = Path(self.thumbnail)
            if not thumb.is_file():
                problems.append(f"thumbnail {thumb} is missing")
            elif thumb.stat().st_size > 2 * 1024 * 1024:
                problems.append(f"thumbnail {thumb} is {thumb.stat().st_size} bytes (YouTube allows 2 MB)")
            elif thumb.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                problems.append(f"thumbnail {thumb} must be JPEG or PNG")
        if self.chunk_bytes <= 0 or self.chunk_bytes % CHUNK_QUANTUM:
            problems.append(f"chunk size {self.chunk_bytes} is not a positive multiple of 256 KiB")
        snippet = self.body.get("snippet", {})
        if not snippet.get("title"):
            problems.append("the request has no title")
        return problems


class Ledger:
    """The per-track record of what has been done on YouTube (JSON, mode 0600: it holds
    the upload session URI, which lets anyone holding it write to that upload)."""

    def __init__(self, path: Path, track: str):
        self.path = Path(path)
        self.track = track
        self.reload()

    def reload(self) -> None:
        """Read the file again (another publisher may have written it since)."""
        track = self.track
        try:
            self.data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.data = {"track": track, "steps": {}, "history": []}
        except ValueError as exc:
            raise YouTubeError(
                f"upload ledger {self.path} is corrupt ({exc}); it decides whether a video "
                "exists, so fix or remove it by hand after checking the channel"
            ) from None

    def step(self, name: str) -> dict[str, Any]:
        return self.data.setdefault("steps", {}).setdefault(name, {})

    def record(self, name: str, event: str, **fields: Any) -> None:
        step = self.step(name)
        step.update(fields, status=event, at=utcnow().isoformat())
        self.data.setdefault("history", []).append(
            {"at": step["at"], "step": name, "event": event, **{k: v for k, v in fields.items() if k != "session_uri"}}
        )
        self.save()

    def set(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()

    def save(self) -> None:
        with atomic_local_path(self.path, ".json", mode=0o600) as tmp:
            tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @property
    def video_id(self) -> str | None:
        return ledger_video_id(self.data)


@dataclass
class PublishResult:
    track: str
    status: str  # published | parked | claimed (another publisher holds the track) | dry-run
    video_id: str | None = None
    url: str | None = None
    steps: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    bytes_sent: int = 0
    resumed: bool = False
    parked_until: str | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_upload(path: Path, mimetype: str, chunk_bytes: int, resumable: bool = True):
    """A MediaFileUpload that hands each chunk over as bytes rather than a stream slice.

    httplib2 silently re-sends a request whose kept-alive connection turned out closed;
    a stream slice, already read once, would then be sent empty under a full
    Content-Length and hang until the timeout. Bytes are re-sent whole.
    """
    from googleapiclient.http import MediaFileUpload

    class ChunkedFileUpload(MediaFileUpload):
        def has_stream(self) -> bool:
            return False

    return ChunkedFileUpload(str(path), mimetype=mimetype, chunksize=chunk_bytes, resumable=resumable)


class _SessionRecorder:
    """Wraps the HTTP client for one upload: saves the session URI as soon as the
    initiating POST returns it, and counts the bytes put on the wire."""

    def __init__(self, http, on_session: Callable[[str], None]):
        self.http = http
        self.on_session = on_session
        self.bytes_sent = 0

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        if method == "PUT" and headers:
            self.bytes_sent += int(headers.get("Content-Length") or headers.get("content-length") or 0)
        resp, content = self.http.request(uri, method, body=body, headers=headers, **kwargs)
        if method == "POST" and "uploadType=resumable" in uri and resp.status == 200 and "location" in resp:
            self.on_session(resp["location"])
        return resp, content

    def __getattr__(self, name):
        return getattr(self.http, name)


class Publisher(ApiCaller):
    """Runs the steps of one track's publication against a built YouTube client."""

    def __init__(
        self,
        youtube,
        ledger: Ledger,
        *,
        max_retries: int = 8,
        backoff_s: float = 1.0,
        max_backoff_s: float = 64.0,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
        on_progress: Callable[[int, int], None] | None = None,
        claim: UploadClaim | None = None,
    ):
        super().__init__(
            max_retries=max_retries, backoff_s=backoff_s, max_backoff_s=max_backoff_s, now=now, sleep=sleep
        )
        self.youtube = youtube
        self.ledger = ledger
        self.on_progress = on_progress
        self.claim = claim  # one publisher at a time for the track (see claim.py)

    # -- the steps -------------------------------------------------------------------------

    def publish(self, plan: UploadPlan) -> PublishResult:
        problems = plan.problems()
        if problems:
            raise PublishInputError(f"track {plan.track}: " + "; ".join(problems))
        result = PublishResult(track=plan.track, status="published")
        parked = self.ledger.data.get("parked")
        if parked and datetime.fromisoformat(parked["until"]) > self.now():
            return PublishResult(
                track=plan.track,
                status="parked",
                parked_until=parked["until"],
                reason=parked["reason"],
                notes=["still parked: no request sent"],
            )
        if self.claim is not None and not self.ledger.video_id:
            won, holder = self.claim.acquire()
            if not won:
                return PublishResult(
                    track=plan.track,
                    status="claimed",
                    reason=f"{self.claim.describe(holder)} is uploading this track",
                    notes=["claimed by another publisher: no request sent"],
                )
            self.ledger.reload()  # what the holder before us recorded
        try:
            self._insert(plan, result)
        except Parked as exc:
            self.ledger.set(
                parked={"reason": exc.reason, "until": exc.until.isoformat(), "since": self.now().isoformat()}
            )
            self.ledger.record("insert", "parked", reason=exc.reason)
            return PublishResult(
                track=plan.track,
                status="parked",
                parked_until=exc.until.isoformat(),
                reason=exc.reason,
                retries=self.retries,
                bytes_sent=result.bytes_sent,
                notes=[str(exc)],
            )
        finally:
            if self.claim is not None:
                self.claim.release()
        self.ledger.set(parked=None)
        video_id = self.ledger.video_id
        result.video_id, result.url = video_id, watch_url(video_id)
        result.steps["insert"] = "done"
        result.steps["thumbnail"] = self._optional_step("thumbnail", lambda: self._thumbnail(plan, video_id), result)
        result.steps["playlists"] = self._optional_step("playlists", lambda: self._playlists(plan, video_id), result)
        result.retries = self.retries
        return result

    def _optional_step(self, name: str, run: Callable[[], str], result: PublishResult) -> str:
        """A step after the upload: its failure is recorded for the next run, never fatal."""
        try:
            return run()
        except Parked as exc:
            self.ledger.record(name, "parked", reason=exc.reason)
            result.notes.append(f"{name}: {exc}")
            return "parked"
        except AuthError:
            raise
        except YouTubeError as exc:
            self.ledger.record(name, "failed", reason=str(exc))
            result.notes.append(f"{name}: {exc}")
            return "failed"

    def _insert(self, plan: UploadPlan, result: PublishResult) -> None:
        ledger = self.ledger
        if ledger.video_id:
            if ledger.data.get("master_sha256") != plan.master_sha256:
                result.notes.append(
                    f"the master changed since video {ledger.video_id} was uploaded; "
                    "a second video is never made for a track"
                )
            return
        size = Path(plan.video).stat().st_size
        video_sha = file_sha256(plan.video)
        insert = ledger.step("insert")
        media = file_upload(plan.video, "video/mp4", plan.chunk_bytes)
        request = self.youtube.videos().insert(part="snippet,status", body=plan.body, media_body=media)
        recorder = _SessionRecorder(
            request.http,
            lambda uri: ledger.record("insert", "session", session_uri=uri, video_sha256=video_sha, video_bytes=size),
        )

        if insert.get("session_uri"):
            # Ask first even if the file changed since: a session that finished before the
            # crash is a video, and must be adopted rather than uploaded again.
            same_file = insert.get("video_sha256") == video_sha
            done = self._resume(
                insert["session_uri"], int(insert.get("video_bytes") or size), request if same_file else None, recorder
            )
            if done is not None:
                return self._finished(done, recorder, result, resumed=True)
            result.resumed = request.resumable_uri is not None
        if not result.resumed:
            ledger.set(master_sha256=plan.master_sha256)
            ledger.record("insert", "starting", video_sha256=video_sha, video_bytes=size)

        attempt, response = 0, None
        while response is None:
            try:
                status, response = request.next_chunk(http=recorder, num_retries=0)
            except Exception as exc:  # classified: retry, park, auth or fail
                kind, code, reason = self._classify(exc)
                if kind != "retry":
                    if kind == "fail" and request.resumable_uri is None:
                        ledger.record("insert", "refused", reason=reason)
                    self._raise(kind, code, reason, f"videos.insert for track {plan.track}")
                self._backoff(attempt, f"videos.insert for track {plan.track}", reason)
                attempt += 1
                continue
            attempt = 0  # progress resets the budget: only consecutive failures count
            if status is not None and self.on_progress:
                self.on_progress(status.resumable_progress, size)
        self._finished(response, recorder, result, resumed=result.resumed)

    def _resume(self, session_uri: str, size: int, request, recorder: _SessionRecorder) -> dict | None:
        """Ask the server how far a saved session got: the finished video, or the offset."""
        attempt = 0
        while True:
            try:
                resp, content = recorder.request(
                    session_uri, "PUT", headers={"Content-Range": f"bytes */{size}", "Content-Length": "0"}
                )
            except transport_errors() as exc:
                self._backoff(attempt, "resuming the upload session", type(exc).__name__)
                attempt += 1
                continue
            if resp.status in (200, 201):
                return json.loads(content)
            if resp.status == 308:
                if request is None:  # the file changed: the unfinished session is abandoned
                    self.ledger.record("insert", "session-abandoned", reason="video file changed")
                    return None
                byte_range = resp.get("range")
                request.resumable_uri = session_uri
                request.resumable_progress = int(byte_range.split("-")[1]) + 1 if byte_range else 0
                log.info("resuming upload at byte %d of %d", request.resumable_progress, size)
                return None
            if resp.status in (404, 410):  # the session expired (about a week): no video was made
                self.ledger.record("insert", "session-expired", status_code=resp.status)
                return None
            if resp.status >= 500:
                self._backoff(attempt, "resuming the upload session", str(resp.status))
                attempt += 1
                continue
            error = api_error(resp.status, content)
            raise YouTubeError(f"resuming the upload session: {resp.status} {error.reason}", resp.status, error.reason)

    def _finished(self, video: dict, recorder: _SessionRecorder, result: PublishResult, resumed: bool) -> None:
        result.bytes_sent = recorder.bytes_sent
        result.resumed = resumed
        self.ledger.record(
            "insert",
            "done",
            video_id=video["id"],
            session_uri=None,
            upload_status=video.get("status", {}).get("uploadStatus"),
        )

    def _thumbnail(self, plan: UploadPlan, video_id: str) -> str:
        from googleapiclient.http import MediaFileUpload

        if plan.thumbnail is None:
            return "skipped"
        sha = file_sha256(plan.thumbnail)
        step = self.ledger.step("thumbnail")
        if step.get("status") == "done" and step.get("sha256") == sha:
            return "done"
        mimetype = "image/png" if Path(plan.thumbnail).suffix.lower() == ".png" else "image/jpeg"
        self.ledger.record("thumbnail", "sending", sha256=sha)
        self._call(
            f"thumbnails.set for video {video_id}",
            lambda: self.youtube.thumbnails().set(
                videoId=video_id, media_body=MediaFileUpload(str(plan.thumbnail), mimetype=mimetype)
            ),
        )
        self.ledger.record("thumbnail", "done", sha256=sha)
        return "done"

    def _playlists(self, plan: UploadPlan, video_id: str) -> str:
        known: dict[str, str] = self.ledger.data.setdefault("playlist_ids", {})
        for title in plan.playlists:
            playlist_id = known.get(title) or self._find_or_create_playlist(title)
            known[title] = playlist_id
            self.ledger.save()
            removed = self._add_to_playlist(playlist_id, video_id)
            if removed:
                log.warning("playlist %s: removed %d duplicate entr(ies) of %s", playlist_id, removed, video_id)
                self.ledger.record("playlists", "deduplicated", playlist_id=playlist_id, removed=removed)
        self.ledger.record("playlists", "done", playlists=list(plan.playlists))
        return "done"

    def _members(self, playlist_id: str, video_id: str) -> list[dict]:
        return self._call(
            f"playlistItems.list of {playlist_id}",
            lambda: self.youtube.playlistItems().list(
                part="id", playlistId=playlist_id, videoId=video_id, maxResults=50
            ),
        ).get("items", [])

    def _add_to_playlist(self, playlist_id: str, video_id: str) -> int:
        """Add the video once; returns how many duplicate entries had to be removed.

        YouTube accepts the same video twice in a playlist, so membership is checked
        before every insert, retries included. And httplib2 itself re-sends a request
        whose answer was lost on a reused connection, unseen by any caller: so the
        membership is checked again after the insert, and extra entries are removed.
        """
        what = f"playlistItems.insert into {playlist_id}"
        attempt = 0
        while True:
            if self._members(playlist_id, video_id):
                return 0
            try:
                self.youtube.playlistItems().insert(
                    part="snippet",
                    body={
                        "snippet": {
                            "playlistId": playlist_id,
                            "resourceId": {"kind": "youtube#video", "videoId": video_id},
                        }
                    },
                ).execute(num_retries=0)
                extra = self._members(playlist_id, video_id)[1:]
                for item in extra:
                    self._call(
                        f"playlistItems.delete {item['id']}",
                        lambda i=item["id"]: self.youtube.playlistItems().delete(id=i),
                    )
                return len(extra)
            except Exception as exc:  # classified: only retryable errors loop back to the check
                kind, status, reason = self._classify(exc)
                if kind != "retry":
                    self._raise(kind, status, reason, what)
                self._backoff(attempt, what, reason)
                attempt += 1

    def _find_or_create_playlist(self, title: str) -> str:
        token = None
        while True:
            page = self._call(
                "playlists.list",
                lambda t=token: self.youtube.playlists().list(part="snippet", mine=True, maxResults=50, pageToken=t),
            )
            for item in page.get("items", []):
                if item.get("snippet", {}).get("title") == title:
                    return item["id"]
            token = page.get("nextPageToken")
            if not token:
                break
        created = self._call(
            f"playlists.insert {title!r}",
            lambda: self.youtube.playlists().insert(
                part="snippet,status",
                body={
                    "snippet": {"title": title, "description": f"{title}: every mix, in order."},
                    "status": {"privacyStatus": "public"},
                },
            ),
        )
        return created["id"]


def publish(youtube, ledger_path: Path, plan: UploadPlan, **options: Any) -> PublishResult:
    return Publisher(youtube, Ledger(ledger_path, plan.track), **options).publish(plan)


# -- dry run ---------------------------------------------------------------------------------


def _request_record(step: str, request, note: str = "", media: Path | None = None) -> dict[str, Any]:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
    is_json = "json" in str(headers.get("content-type", "application/json"))
    record = {
        "step": step,
        "method": request.method,
        "uri": request.uri,
        "headers": headers,
        "body": json.loads(request.body) if request.body and is_json else None,
    }
    if request.resumable is not None:  # the session-opening headers next_chunk adds
        headers["X-Upload-Content-Type"] = request.resumable.mimetype()
        headers["X-Upload-Content-Length"] = str(request.resumable.size())
    if media is not None:
        record["media"] = {
            "file": str(media),
            "bytes": Path(media).stat().st_size,
            "sha256": file_sha256(media),
            "mimetype": request.resumable.mimetype() if request.resumable else None,
        }
    if note:
        record["note"] = note
    return record


def dry_run_requests(plan: UploadPlan, root_url: str | None = None) -> list[dict[str, Any]]:
    """The requests a live run would send, built by the same client and not sent.

    Calls whose arguments come from an earlier response (the video id, a playlist id)
    carry a placeholder and say so.
    """
    from googleapiclient.http import MediaFileUpload

    problems = plan.problems()
    if problems:
        raise PublishInputError(f"track {plan.track}: " + "; ".join(problems))
    youtube = build_youtube(http_client(), root_url)
    video_id, playlist_id = "<id from videos.insert>", "<id from playlists.list or playlists.insert>"
    media = file_upload(plan.video, "video/mp4", plan.chunk_bytes)
    insert = youtube.videos().insert(part="snippet,status", body=plan.body, media_body=media)
    records = [
        _request_record(
            "videos.insert",
            insert,
            media=plan.video,
            note=f"resumable: this POST opens the session, then PUTs of {plan.chunk_bytes} bytes",
        )
    ]
    if plan.thumbnail is not None:
        mimetype = "image/png" if Path(plan.thumbnail).suffix.lower() == ".png" else "image/jpeg"
        thumb = youtube.thumbnails().set(
            videoId=video_id, media_body=MediaFileUpload(str(plan.thumbnail), mimetype=mimetype)
        )
        records.append(_request_record("thumbnails.set", thumb, media=plan.thumbnail))
    for title in plan.playlists:
        records.append(
            _request_record(
                "playlists.list",
                youtube.playlists().list(part="snippet", mine=True, maxResults=50),
                note=f"find the playlist titled {title!r}",
            )
        )
        records.append(
            _request_record(
                "playlists.insert",
                youtube.playlists().insert(
                    part="snippet,status",
                    body={
                        "snippet": {"title": title, "description": f"{title}: every mix, in order."},
                        "status": {"privacyStatus": "public"},
                    },
                ),
                note="only when the list has none",
            )
        )
        records.append(
            _request_record(
                "playlistItems.list",
                youtube.playlistItems().list(part="id", playlistId=playlist_id, videoId=video_id, maxResults=5),
                note="membership check",
            )
        )
        records.append(
            _request_record(
                "playlistItems.insert",
                youtube.playlistItems().insert(
                    part="snippet",
                    body={
                        "snippet": {
                            "playlistId": playlist_id,
                            "resourceId": {"kind": "youtube#video", "videoId": video_id},
                        }
                    },
                ),
                note="only when not already a member",
            )
        )
    return records
