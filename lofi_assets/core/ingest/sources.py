"""Where track pages come from: the common shape of the Notion API and a Markdown folder.

Both sources list pages changed since a time, a bounded batch at a time (so a sensor tick
stays short), and fetch one page as Markdown for the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class SourceError(RuntimeError):
    """A source could not be read; the message says which page or request and why."""


class PageNotFound(SourceError):
    pass


@dataclass(frozen=True)
class PageRef:
    """A page as a listing sees it: enough to decide whether it changed."""

    key: str
    last_edited: datetime  # UTC
    title: str | None = None
    location: str = ""  # Notion URL or file path
    archived: bool = False

    @property
    def edited_iso(self) -> str:
        return iso_utc(self.last_edited)


@dataclass
class PageDocument:
    """One page's content as Markdown, ready for ``parse_track_plan``."""

    ref: PageRef
    markdown: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class PageBatch:
    pages: list[PageRef]
    next_cursor: str | None  # None: the listing is complete


class TrackSource(Protocol):
    kind: str  # "notion-api" or "markdown-folder"
    description: str  # where it reads from, without secrets

    def list_changed(self, since: datetime | None, cursor: str | None, page_size: int = 100) -> PageBatch:
        """Pages edited at or after ``since`` (all when None), oldest edit first,
        continuing from ``cursor`` (from the previous batch)."""
        ...

    def fetch(self, key: str) -> PageDocument: ...


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
