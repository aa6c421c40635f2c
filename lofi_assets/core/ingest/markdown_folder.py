"""Track pages from a folder of Markdown: Notion's "Export as Markdown" or hand-written.

Notion names exported files ``Title <32 hex>.md``; the hex is the page id and becomes the
partition key, so renaming the page (and so the file) keeps the key. A file without an
id is keyed by a slug of its name. The file's modification time is its edit time.

The export is the operator's and is never written. Marking a page published writes a
sidecar beside it, ``<page file stem>.published.json``; reading the page applies the
sidecar by putting ``Status:`` and ``YouTube URL:`` lines right under the page's title,
where the parser reads page properties and the first value of a property wins. The
sidecar leaves the page's edit time alone: recording a publication is not an edit that
should run the track again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lofi_assets.core.files import write_json_atomic
from lofi_assets.core.ingest.page_text import TRACK_NUMBER, decode_page_bytes, tokenize
from lofi_assets.core.ingest.sources import PageBatch, PageDocument, PageNotFound, PageRef, SourceError, iso_utc
from lofi_assets.core.ingest.writeback import PUBLISHED, WritebackResult, check_video_url
from lofi_assets.core.partition_keys import key_from_filename, title_from_filename

log = logging.getLogger("lofi.tracks")

MARKDOWN_SUFFIXES = {".md", ".markdown"}
SIDECAR_SUFFIX = ".published.json"


class MarkdownFolderSource:
    kind = "markdown-folder"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.description = f"Markdown export folder {self.folder}"

    def _files(self) -> dict[str, Path]:
        if not self.folder.is_dir():
            raise SourceError(f"track folder {self.folder} does not exist")
        files: dict[str, Path] = {}
        for path in sorted(self.folder.rglob("*")):
            if path.suffix.lower() not in MARKDOWN_SUFFIXES or not path.is_file():
                continue
            if any(part.startswith(".") for part in path.relative_to(self.folder).parts):
                continue  # temporary and hidden files
            key = key_from_filename(path.stem)
            if key in files:
                # Two files for one page (an export unpacked twice): the newer one wins.
                if path.stat().st_mtime <= files[key].stat().st_mtime:
                    continue
            files[key] = path
        return files

    def _ref(self, key: str, path: Path) -> PageRef:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        return PageRef(key=key, last_edited=mtime, title=title_from_filename(path.stem), location=str(path))

    def list_changed(self, since: datetime | None, cursor: str | None, page_size: int = 100) -> PageBatch:
        refs = sorted((self._ref(k, p) for k, p in self._files().items()), key=lambda r: (r.last_edited, r.key))
        if since is not None:
            refs = [r for r in refs if r.last_edited >= since]
        start = int(cursor) if cursor else 0
        batch = refs[start : start + page_size]
        end = start + len(batch)
        return PageBatch(pages=batch, next_cursor=str(end) if end < len(refs) else None)

    def fetch(self, key: str) -> PageDocument:
        path = self._files().get(key)
        if path is None:
            raise PageNotFound(f"no Markdown file for page {key} in {self.folder}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
        text = decode_page_bytes(data, f"page {key} ({path})")
        warnings: list[str] = []
        sidecar = self._read_sidecar(key, path, warnings)
        if sidecar:
            text = with_published_lines(text, sidecar.get("status") or PUBLISHED, sidecar.get("youtube_url"))
        return PageDocument(ref=self._ref(key, path), markdown=text, warnings=warnings)

    # -- publication sidecars ------------------------------------------------------------

    @staticmethod
    def sidecar_path(path: Path) -> Path:
        return path.with_name(path.stem + SIDECAR_SUFFIX)

    def _read_sidecar(self, key: str, path: Path, warnings: list[str] | None = None) -> dict[str, Any] | None:
        """The page's sidecar: named after its file or, when the page was renamed since
        (a new export names the file by the new title), any sidecar beside it for its key."""
        candidates = [self.sidecar_path(path)]
        if not candidates[0].is_file():
            candidates = sorted(
                (
                    p
                    for p in path.parent.glob(f"*{SIDECAR_SUFFIX}")
                    if key_from_filename(p.name[: -len(SIDECAR_SUFFIX)]) == key
                ),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
        for candidate in candidates:
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                if warnings is not None and candidate == self.sidecar_path(path):
                    warnings.append(f"publication sidecar {candidate.name} is unreadable ({exc}); ignored")
                continue
            if isinstance(data, dict) and data.get("key") == key:
                return data
        return None

    def mark_published(
        self,
        key: str,
        url: str,
        *,
        status: str = PUBLISHED,
        video_id: str | None = None,
        published_at: datetime | None = None,
    ) -> WritebackResult:
        """Record that page ``key`` is published at ``url`` in its sidecar.

        Idempotent: when the sidecar already holds this status and URL (and ``video_id``,
        when given), nothing is written. ``published_at`` (default now) is kept from the
        sidecar while the URL stays the same.
        """
        url = check_video_url(url)
        path = self._files().get(key)
        if path is None:
            raise PageNotFound(f"no Markdown file for page {key} in {self.folder}")
        sidecar = self.sidecar_path(path)
        existing = self._read_sidecar(key, path) or {}
        same_video = existing.get("youtube_url") == url
        record: dict[str, Any] = {
            "key": key,
            "status": status,
            "youtube_url": url,
            "published_at": existing["published_at"]
            if same_video and existing.get("published_at")
            else iso_utc(published_at or datetime.now(UTC)),
        }
        if video_id or (same_video and existing.get("video_id")):
            record["video_id"] = video_id or existing["video_id"]
        if sidecar.is_file() and existing == record:
            return WritebackResult(
                key=key, page_url=str(path), changed=False, properties=(), mode=self.kind, sidecar=str(sidecar)
            )
        try:
            write_json_atomic(sidecar, record)
        except OSError as exc:
            raise SourceError(f"cannot write {sidecar}: {exc.strerror or exc}") from exc
        log.info("page %s (%s) marked %s: %s", key, path.name, status, url)
        fields = tuple(k for k in ("status", "youtube_url", "video_id") if k in record)
        return WritebackResult(
            key=key, page_url=str(path), changed=True, properties=fields, mode=self.kind, sidecar=str(sidecar)
        )


def with_published_lines(markdown: str, status: str, youtube_url: str | None) -> str:
    """``markdown`` with ``Status:`` and ``YouTube URL:`` lines where the parser reads them
    first: right after the title line (an H1 or a "TRACK 21 — Title" first line, as the
    parser takes it), else at the very top. The parser keeps a property's first value,
    so these win over the export's own ``Status: Planned``."""
    lines = markdown.splitlines(keepends=True)
    tokens = tokenize(markdown)
    at = 0
    if tokens:
        first = tokens[0]
        if (first.kind == "heading" and first.level == 1) or (
            first.kind == "text" and TRACK_NUMBER.search(first.text[:40])
        ):
            at = first.no  # 1-based: insert after that line
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if at and not lines[at - 1].endswith(("\n", "\r")):
        lines[at - 1] += newline
    added = [f"Status: {status}{newline}"]
    if youtube_url:
        added.append(f"YouTube URL: {youtube_url}{newline}")
    return "".join(lines[:at] + added + lines[at:])
