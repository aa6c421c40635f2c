"""After a video is published: mark its track page "Published", with the video's URL.

Either source records it. The Notion API source sets the page's status and URL properties
(``NotionApiSource.mark_published``); an export folder, whose files are the operator's
and never rewritten, gets a sidecar ``<page file stem>.published.json`` beside the page
that the folder source applies whenever it reads the page
(``MarkdownFolderSource.mark_published``). Both are idempotent: marking a page that
already says so changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lofi_assets.core.ingest.sources import SourceError
from lofi_assets.core.published import PUBLISHED


@dataclass(frozen=True)
class WritebackResult:
    """What marking a page as published did."""

    key: str
    page_url: str  # the Notion page URL, or the page's Markdown file
    changed: bool  # False: the page already said so; nothing was written
    properties: tuple[str, ...]  # the property (or sidecar field) names written; () when unchanged
    mode: str  # "notion-api" or "markdown-folder"
    sidecar: str | None = None  # markdown-folder: the sidecar file


def check_video_url(url: str) -> str:
    """The video URL, stripped; a ValueError for anything that is not an http(s) URL."""
    text = (url or "").strip()
    if not text.lower().startswith(("https://", "http://")) or any(c.isspace() for c in text):
        raise ValueError(f"not a video URL: {url!r}")
    return text


def mark_published(
    source: Any, key: str, url: str, video_id: str | None = None, *, status: str = PUBLISHED
) -> WritebackResult:
    """Mark the track page ``key`` of ``source`` (either kind) as published at ``url``.

    ``video_id`` is kept in an export folder's sidecar; Notion pages have no property for it.
    """
    kind = getattr(source, "kind", None)
    if kind == "notion-api":
        return source.mark_published(key, url, status=status)
    if kind == "markdown-folder":
        return source.mark_published(key, url, status=status, video_id=video_id)
    raise SourceError(f"cannot mark pages published in a {kind or type(source).__name__} source")
