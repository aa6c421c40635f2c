"""The video's description: the plan's copy, chapters, tracklist, credits and hashtags,
fitted to YouTube's 5,000 bytes by dropping what this project wrote, never the operator's copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lofi_assets.core.publishing.chapters import chapter_dict, chapter_lines
from lofi_assets.core.publishing.youtube_limits import (
    DESCRIPTION_LIMIT,
    HASHTAG_LIMIT,
    HASHTAG_PATTERN,
    sanitized,
    shorten,
)

DEFAULT_CHANNEL = "this channel"


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def credit_lines(chapters: list[Any], channel_name: str, synthetic: bool) -> list[str]:
    """Who made the music, and a plain statement when any of it is AI-generated."""
    kinds = {chapter_dict(c).get("kind") for c in chapters}
    channel = sanitized(channel_name) or DEFAULT_CHANNEL
    own = _possessive(channel)
    if kinds and kinds <= {"generated"}:
        music = f"Music composed and produced by {own} own models"
    elif "generated" in kinds:
        music = f"Music from {own} song library and composed by {own} own models"
    else:
        music = f"Music from {own} song library"
    lines = [f"{music}; mixed and mastered by the pipeline."]
    if synthetic:
        lines.append("This video contains AI-generated music.")
    return lines


def description_hashtags(hashtags: list[str], copy: str) -> tuple[list[str], list[str]]:
    """The plan's visible hashtags, valid and once each, as many as fit under YouTube's
    15 with those already in the copy; and notes on what was left out."""
    notes, out, seen = [], [], {h.casefold() for h in HASHTAG_PATTERN.findall(copy)}
    for raw in hashtags:
        tag = "#" + str(raw).strip().lstrip("#")
        if not HASHTAG_PATTERN.fullmatch(tag):
            notes.append(f"hashtag {raw!r} left out: not a word after '#'")
        elif tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    room = max(0, HASHTAG_LIMIT - len(HASHTAG_PATTERN.findall(copy)))
    if len(out) > room:
        notes.append(f"{len(out) - room} hashtag(s) left out: YouTube ignores all hashtags past {HASHTAG_LIMIT}")
        out = out[:room]
    return out, notes


@dataclass
class DescriptionParts:
    copy: str
    chapters: list[tuple[int, str]]
    tracklist: list[str]
    credits: list[str]
    hashtags: list[str]
    duration_s: float

    def text(self) -> str:
        blocks = [
            self.copy,
            "\n".join(chapter_lines(self.chapters, self.duration_s)),
            "\n".join(self.tracklist),
            "\n".join(self.credits),
            " ".join(self.hashtags),
        ]
        return "\n\n".join(b for b in blocks if b.strip())

    def size(self) -> int:
        return len(self.text().encode("utf-8"))


def fit_description(parts: DescriptionParts) -> list[str]:
    """Shrink what this module wrote until the description fits in 5000 bytes: the
    tracklist goes first, then chapter labels get shorter, then the chapters go, then the
    credits, then the hashtags. The plan's copy is never cut. Returns notes."""
    notes = []
    steps = (
        ("tracklist left out: the description would pass 5000 bytes", lambda p: setattr(p, "tracklist", [])),
        (
            "chapter labels shortened to fit 5000 bytes",
            lambda p: setattr(p, "chapters", [(s, shorten(label, 32)) for s, label in p.chapters]),
        ),
        ("chapters left out: no room in 5000 bytes", lambda p: setattr(p, "chapters", [])),
        ("credits left out: no room in 5000 bytes", lambda p: setattr(p, "credits", [])),
        ("hashtags left out: no room in 5000 bytes", lambda p: setattr(p, "hashtags", [])),
    )
    for note, step in steps:
        if parts.size() <= DESCRIPTION_LIMIT:
            break
        step(parts)
        notes.append(note)
    return notes
