"""Track pages from a folder of Markdown: Notion's "Export as Markdown" or hand-written.

Notion names exported files ``Title <32 hex>.md``; the hex is the page id and becomes the
partition key, so renaming the page (and so the file) keeps the key. A file without an
id is keyed by a slug of its name. The file's modification time is its edit time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .page_keys import key_from_filename, title_from_filename
from .plan_parser import decode_page_bytes
from .track_sources import PageBatch, PageDocument, PageNotFound, PageRef, SourceError

MARKDOWN_SUFFIXES = {".md", ".markdown"}


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
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        return PageRef(key=key, last_edited=mtime, title=title_from_filename(path.stem), location=str(path))

    def list_changed(self, since: datetime | None, cursor: str | None, page_size: int = 100) -> PageBatch:
        refs = sorted((self._ref(k, p) for k, p in self._files().items()), key=lambda r: (r.last_edited, r.key))
        if since is not None:
            refs = [r for r in refs if r.last_edited >= since]
        start = int(cursor) if cursor else 0
        batch = refs[start:start + page_size]
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
        return PageDocument(ref=self._ref(key, path), markdown=text)
