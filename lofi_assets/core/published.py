"""Is a track published? One answer for the upload window, the CLI, song usage and the
publisher: a video id recorded in the track's upload ledger (known the moment YouTube
accepts the upload), or a plan that says so (status Published, or a YouTube URL, as the
write-back or the operator left it on the page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PUBLISHED = "Published"  # the status the write-back sets on the page


def ledger_video_id(ledger: Mapping[str, Any] | None) -> str | None:
    """The YouTube video id an upload ledger records, once the insert has succeeded."""
    return ((ledger or {}).get("steps", {}).get("insert", {})).get("video_id")


def status_is_published(status: str | None) -> bool:
    return (status or "").strip().lower() == PUBLISHED.lower()


def plan_is_published(plan: Mapping[str, Any]) -> bool:
    """A plan (as ``plan.json`` holds it) whose page says the track is out."""
    return bool(plan.get("youtube_url")) or status_is_published(plan.get("status"))


def is_published(plan: Mapping[str, Any] | None, ledger: Mapping[str, Any] | None) -> bool:
    return bool(ledger_video_id(ledger)) or bool(plan and plan_is_published(plan))


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"
