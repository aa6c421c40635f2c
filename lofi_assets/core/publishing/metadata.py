"""The YouTube metadata of one video: title, A/B title variants, description, tags, and
the status flags, built from the track plan and the mix's chapters.

Everything is checked against YouTube's limits here, before any request is sent:

- title: at most 100 characters, no ``<`` or ``>``;
- description: at most 5000 bytes of UTF-8, no ``<`` or ``>``; chapters only when the
  first is ``00:00``, there are at least 3 and each lasts at least 10 s; at most 15
  hashtags (past that YouTube ignores all of them);
- tags: at most 500 characters as YouTube counts them (:func:`youtube_tags_length`),
  no ``<`` or ``>``.

What the operator wrote (the plan's title, description copy and hidden tags) is never cut
silently: a plan over a limit is a :class:`MetadataError`. What this module writes itself
(a generated title, chapter lines, the tracklist) is fitted to the limits instead, and
every such change is recorded in ``VideoMetadata.notes``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.publishing.chapters import chapter_dict, format_timestamp, tracklist_lines, youtube_chapters
from lofi_assets.core.publishing.description import (
    DEFAULT_CHANNEL,
    DescriptionParts,
    credit_lines,
    description_hashtags,
    fit_description,
)
from lofi_assets.core.publishing.titles import (
    detect_use_case,
    generated_title,
    has_real_title,
    title_parts,
    title_variants,
)
from lofi_assets.core.publishing.youtube_limits import (
    CHAPTER_MIN_S,
    CHAPTERS_MIN,
    DESCRIPTION_LIMIT,
    FORBIDDEN,
    HASHTAG_LIMIT,
    HASHTAG_PATTERN,
    MetadataError,
    clean_tags,
    description_problems,
    has_forbidden,
    tag_problems,
    title_problems,
    variant_problems,
)

CATEGORY_MUSIC = "10"


class Privacy(StrEnum):
    private = "private"
    unlisted = "unlisted"
    public = "public"


PRIVACY_STATUSES = tuple(Privacy)

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


# ---------------------------------------------------------------------------------------
# The metadata


@dataclass
class VideoMetadata:
    """What one video is published with; ``metadata.json`` is :meth:`to_dict`."""

    title: str
    variants: list[str] = field(default_factory=list)  # A/B titles, the chosen one first; kept for analytics
    description: str = ""
    tags: list[str] = field(default_factory=list)
    category_id: str = CATEGORY_MUSIC
    default_language: str = "en"
    contains_synthetic_media: bool = False
    made_for_kids: bool = False
    chapters: list[tuple[int, str]] = field(default_factory=list)  # (seconds, label), as in the description
    chapters_ok: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["chapters"] = [[s, label] for s, label in self.chapters]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoMetadata:
        """The metadata of a ``metadata.json`` (perhaps edited by hand); unknown or missing
        required fields are a :class:`MetadataError`. Run :func:`validate` on the result."""
        known = {f.name for f in fields(cls)}
        problems = [f"unknown field {k!r}" for k in data if k not in known]
        problems += ["title is missing"] if "title" not in data else []
        if problems:
            raise MetadataError(problems)
        values = dict(data)
        try:
            values["chapters"] = [(int(s), str(label)) for s, label in values.get("chapters") or []]
        except (TypeError, ValueError):
            raise MetadataError("chapters must be a list of [seconds, label] pairs") from None
        return cls(**values)

    def request_body(
        self, privacy_status: str = "private", publish_at: datetime | None = None, *, now: datetime | None = None
    ) -> dict[str, Any]:
        """Exactly the body of a ``videos.insert`` request (parts ``snippet,status``).

        ``publish_at`` schedules the video: YouTube needs privacy ``private`` for it and a
        moment in the future (relative to ``now``, default the current time)."""
        problems = validate(self)
        problems += publish_problems(privacy_status, publish_at, now or datetime.now(UTC))
        if problems:
            raise MetadataError(problems)
        status: dict[str, Any] = {
            "privacyStatus": privacy_status,
            "selfDeclaredMadeForKids": self.made_for_kids,
            "containsSyntheticMedia": self.contains_synthetic_media,
            "license": "youtube",
            "embeddable": True,
        }
        if publish_at is not None:
            status["publishAt"] = rfc3339(publish_at)
        return {
            "snippet": {
                "title": self.title,
                "description": self.description,
                "tags": list(self.tags),
                "categoryId": self.category_id,
                "defaultLanguage": self.default_language,
                "defaultAudioLanguage": self.default_language,
            },
            "status": status,
        }


def rfc3339(moment: datetime) -> str:
    """``2026-11-27T17:00:00Z``: a timezone-aware moment in UTC, as YouTube reads it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish_problems(privacy_status: str, publish_at: datetime | None, now: datetime) -> list[str]:
    """What is wrong with a privacy status and scheduled publishing moment."""
    problems = []
    if privacy_status not in PRIVACY_STATUSES:
        problems.append(f"privacy status {privacy_status!r} is not one of {', '.join(PRIVACY_STATUSES)}")
    if publish_at is None:
        return problems
    if publish_at.tzinfo is None or publish_at.utcoffset() is None:
        return problems + [f"publishAt {publish_at.isoformat()} has no time zone"]
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    if privacy_status != "private":
        problems.append(
            f"publishAt needs privacy status 'private' (YouTube makes the video public at that "
            f"moment), not {privacy_status!r}"
        )
    if publish_at <= now:
        problems.append(f"publishAt {rfc3339(publish_at)} is not in the future (now {rfc3339(now)})")
    return problems


# ---------------------------------------------------------------------------------------
# Validation


def validate(meta: VideoMetadata) -> list[str]:
    """Every way ``meta`` breaks YouTube's rules, naming the field (empty when valid)."""
    return (
        title_problems(meta.title, "title")
        + variant_problems(meta.variants)
        + description_problems(meta.description)
        + tag_problems(meta.tags)
        + chapter_problems(meta)
        + _field_problems(meta)
    )


def chapter_problems(meta: VideoMetadata) -> list[str]:
    """Chapters claimed as valid must follow YouTube's rules and be in the description."""
    if not meta.chapters_ok:
        return []
    problems = []
    starts = [s for s, _ in meta.chapters]
    if len(starts) < CHAPTERS_MIN:
        problems.append(f"chapters: {len(starts)} (YouTube needs at least {CHAPTERS_MIN})")
    if starts and starts[0] != 0:
        problems.append(f"chapters: the first starts at {starts[0]} s (YouTube needs 00:00)")
    if any(b - a < CHAPTER_MIN_S for a, b in zip(starts, starts[1:], strict=False)):
        problems.append(f"chapters: not ascending at least {CHAPTER_MIN_S} s apart")
    lines = set(meta.description.splitlines())
    missing = [
        s
        for s, label in meta.chapters
        if not any(f"{format_timestamp(s, hours)} {label}" in lines for hours in (False, True))
    ]
    if missing:
        problems.append(f"chapters: {len(missing)} of them are not lines of the description")
    return problems


def _field_problems(meta: VideoMetadata) -> list[str]:
    problems = []
    if not str(meta.category_id).isdigit():
        problems.append(f"category id {meta.category_id!r} is not a number (Music is {CATEGORY_MUSIC})")
    if not _LANGUAGE.match(str(meta.default_language)):
        problems.append(f"default language {meta.default_language!r} is not a language code such as 'en'")
    for name in ("contains_synthetic_media", "made_for_kids", "chapters_ok"):
        if not isinstance(getattr(meta, name), bool):
            problems.append(f"{name} must be true or false")
    return problems


# ---------------------------------------------------------------------------------------
# Building


def plan_problems(plan: TrackPlan) -> list[str]:
    """What in the operator's own words breaks YouTube's rules; never cut silently."""
    problems = []
    if has_real_title(plan):
        problems += [p.replace("title", "title (from the plan)", 1) for p in title_problems(plan.title.strip())]
    copy = (plan.description or "").strip()
    size = len(copy.encode("utf-8"))
    if size > DESCRIPTION_LIMIT:
        problems.append(
            f"description copy (from the plan) is {size} bytes (YouTube allows {DESCRIPTION_LIMIT} "
            "for the whole description)"
        )
    if has_forbidden(copy):
        problems.append(f"description copy (from the plan) {FORBIDDEN}")
    if len(HASHTAG_PATTERN.findall(copy)) > HASHTAG_LIMIT:
        problems.append(
            f"description copy (from the plan) has {len(HASHTAG_PATTERN.findall(copy))} hashtags "
            f"(YouTube ignores all of them past {HASHTAG_LIMIT})"
        )
    problems += [
        p.replace("tags take", "tags (hidden tags of the plan) take", 1)
        for p in tag_problems(clean_tags(plan.hidden_tags))
    ]
    return problems


def build_metadata(
    plan: TrackPlan,
    chapters: list[Any],
    *,
    duration_s: float,
    when: date,
    channel_name: str = DEFAULT_CHANNEL,
    language: str = "en",
    synthetic: bool = False,
) -> VideoMetadata:
    """The metadata of the plan's video, whose mix lasts ``duration_s`` and has
    ``chapters`` (``mix.Chapter`` dicts, as in ``master.json``).

    ``when`` (the publishing date) picks the season of a generated title; ``synthetic``
    declares AI-made music even when no song is of kind ``generated`` (e.g. library songs
    from an outside generator). Raises :class:`MetadataError` listing every problem."""
    problems = plan_problems(plan)
    if not duration_s or duration_s <= 0:
        problems.append(f"duration_s is {duration_s!r}: the video needs a length")
    if problems:
        raise MetadataError(problems)
    notes = []
    parts = title_parts(plan, duration_s, when)
    if has_real_title(plan):
        title = re.sub(r"\s+", " ", plan.title).strip()
    else:
        title = generated_title(parts)
        notes.append(f"title generated: the plan has none ({plan.title!r})")
    if detect_use_case(plan) is None:
        notes.append(f"no use case found in the plan; titles say '{parts.use_phrase}'")
    synthetic = bool(synthetic) or any(chapter_dict(c).get("kind") == "generated" for c in chapters)
    kept, chapter_notes = youtube_chapters(chapters, duration_s)
    notes += chapter_notes
    copy = (plan.description or "").strip()
    if not copy:
        notes.append("the plan has no description copy")
    hashtags, hashtag_notes = description_hashtags(plan.visible_hashtags, copy)
    notes += hashtag_notes
    if len(kept) < CHAPTERS_MIN:
        notes.append(
            f"chapters_ok False: {len(kept)} chapter(s) at least {CHAPTER_MIN_S} s long "
            f"(YouTube needs {CHAPTERS_MIN}); no timestamps in the description"
        )
        kept = []
    desc = DescriptionParts(
        copy, kept, tracklist_lines(chapters), credit_lines(chapters, channel_name, synthetic), hashtags, duration_s
    )
    fit_notes = fit_description(desc)
    notes += fit_notes
    if kept and not desc.chapters:
        notes.append("chapters_ok False: the chapters did not fit in the description")
    meta = VideoMetadata(
        title=title,
        description=desc.text(),
        variants=title_variants(title, parts),
        tags=clean_tags(plan.hidden_tags),
        category_id=CATEGORY_MUSIC,
        default_language=language,
        contains_synthetic_media=synthetic,
        made_for_kids=False,
        chapters=list(desc.chapters),
        chapters_ok=bool(desc.chapters),
        notes=notes,
    )
    problems = validate(meta)
    if problems:
        raise MetadataError(problems)
    return meta
