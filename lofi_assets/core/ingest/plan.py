"""The track plan: what one video is made of, as read from its Notion page.

A plan is plain data (dataclasses) with a JSON form described by
``track_plan.schema.json`` beside this file. Every later stage reads the JSON, so the
schema is the contract; ``validate_plan_dict`` checks a written plan against it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("track_plan.schema.json")

# YouTube's limit on the tags field, counted as YouTube counts it (see hidden_tags_length).
YOUTUBE_TAGS_LIMIT = 500


@dataclass
class Prompt:
    """One prompt line: the description of one song."""

    arc: int
    number: int
    text: str
    anchor_phrase: str | None = None
    checked: bool | None = None  # None: the prompt's style carries no done/not-done mark
    full_text: str = ""  # the line as written, suffix included: what the song was made for


@dataclass
class Arc:
    """One section of the mood journey, with the prompts under it."""

    number: int
    name: str
    emoji: str | None = None
    bpm_min: float | None = None
    bpm_max: float | None = None
    description: str = ""


@dataclass
class TrackPlan:
    key: str
    title: str
    source: str
    track_number: int | None = None
    last_edited: str | None = None
    target_duration_min: float | None = None
    mood_arc: str | None = None
    theme: str | None = None
    vibe: str | None = None
    status: str | None = None
    youtube_url: str | None = None
    description: str = ""
    visible_hashtags: list[str] = field(default_factory=list)
    hidden_tags: list[str] = field(default_factory=list)
    hidden_tags_length: int = 0
    hidden_tags_fit: bool = True
    anchor_phrase: str | None = None
    prompt_suffix: str | None = None
    exclusions: list[str] = field(default_factory=list)
    upload_schedule: str | None = None
    arcs: list[Arc] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrackPlan:
        data = dict(data)
        arcs = [Arc(**a) for a in data.pop("arcs", [])]
        prompts = [Prompt(**p) for p in data.pop("prompts", [])]
        return cls(arcs=arcs, prompts=prompts, **data)

    def prompts_in_arc(self, arc_number: int) -> list[Prompt]:
        return [p for p in self.prompts if p.arc == arc_number]


def youtube_tags_length(tags: list[str]) -> int:
    """Length of a tag list as YouTube counts it against its 500-character limit.

    Tags are joined by commas, and a tag containing a space is counted with the
    quotes YouTube wraps it in.
    """
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


@lru_cache(maxsize=1)
def plan_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_plan_dict(data: dict[str, Any]) -> list[str]:
    """Return the schema violations of a plan's JSON form (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(plan_schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator.iter_errors(data)
    ]
