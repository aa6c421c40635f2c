"""The mix's chapters as YouTube reads them from a description (first at 00:00, at least
three, each at least 10 s) and the tracklist."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from lofi_assets.core.publishing.youtube_limits import CHAPTER_LABEL_LIMIT, CHAPTER_MIN_S, sanitized, shorten


def format_timestamp(seconds: int, hours: bool) -> str:
    """``04:05``, or ``1:04:05`` / ``0:04:05`` when the video is an hour or longer."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{h * 60 + m:02d}:{s:02d}"


def chapter_dict(chapter: Any) -> Mapping[str, Any]:
    return asdict(chapter) if is_dataclass(chapter) and not isinstance(chapter, type) else chapter


def chapter_label(chapter: Mapping[str, Any]) -> str:
    """'Arc name — Song title', shortened to a readable length."""
    arc = sanitized(chapter.get("arc_name") or "")
    song = sanitized(chapter.get("title") or chapter.get("song_id") or "")
    label = f"{arc} — {song}" if arc and song else arc or song or "Untitled"
    return shorten(label, CHAPTER_LABEL_LIMIT)


def youtube_chapters(chapters: list[Any], duration_s: float) -> tuple[list[tuple[int, str]], list[str]]:
    """The mix's chapters made to follow YouTube's rules (:func:`kept_chapters`) as (seconds,
    label) pairs, and notes on what changed; fewer than 3 pairs means the video gets no
    chapters (the caller decides)."""
    kept, notes = kept_chapters(chapters, duration_s)
    return [(start, chapter_label(c)) for start, c in kept], notes


def kept_chapters(chapters: list[Any], duration_s: float) -> tuple[list[tuple[int, Mapping[str, Any]]], list[str]]:
    """The mix's chapters made to follow YouTube's rules: whole seconds, ascending, the
    first at 0, each at least 10 s long (a chapter too close to the one before, or the same
    song playing on, is merged into it: the first is kept), the last 10 s before the end.
    Returns (seconds, chapter) pairs, the ones the description lists and the video's
    now-playing cards name, and notes on what changed."""
    notes = []
    rows = []
    for c in map(chapter_dict, chapters):
        try:
            rows.append((max(0, math.floor(float(c["start_s"]))), c))
        except (KeyError, TypeError, ValueError):
            notes.append(f"chapter without a usable start_s dropped: {chapter_label(c)!r}")
    if any(a[0] > b[0] for a, b in zip(rows, rows[1:], strict=False)):
        notes.append("chapters were not in time order; sorted")
        rows.sort(key=lambda r: r[0])
    late = [r for r in rows if r[0] > duration_s - CHAPTER_MIN_S]
    if late:
        notes.append(f"{len(late)} chapter(s) starting in the last {CHAPTER_MIN_S} s dropped")
        rows = [r for r in rows if r[0] <= duration_s - CHAPTER_MIN_S]
    if rows and rows[0][0] != 0:
        notes.append(f"the first chapter moved from {rows[0][0]} s to 00:00")
        rows[0] = (0, rows[0][1])
    kept: list[tuple[int, Mapping[str, Any]]] = []
    merged = 0
    for start, c in rows:
        if kept and (start - kept[-1][0] < CHAPTER_MIN_S or c.get("song_id") == kept[-1][1].get("song_id")):
            merged += 1
            continue
        kept.append((start, c))
    if merged:
        notes.append(
            f"{merged} chapter(s) merged into the one before (under {CHAPTER_MIN_S} s apart "
            "or the same song playing on)"
        )
    return kept, notes


def chapter_lines(chapters: list[tuple[int, str]], duration_s: float) -> list[str]:
    hours = duration_s >= 3600
    return [f"{format_timestamp(s, hours)} {label}" for s, label in chapters]


def tracklist_lines(chapters: list[Any]) -> list[str]:
    """Songs in the order they first play, each once, with their arc."""
    lines, seen = [], set()
    for c in map(chapter_dict, chapters):
        key = c.get("song_id") or c.get("title")
        if key in seen:
            continue
        seen.add(key)
        song = sanitized(c.get("title") or c.get("song_id") or "Untitled")
        arc = sanitized(c.get("arc_name") or "")
        lines.append(f"{len(lines) + 1}. {song}" + (f" ({arc})" if arc else ""))
    return ["Tracklist"] + lines if lines else []
