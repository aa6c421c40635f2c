"""YouTube's limits on a video's metadata, and each field checked against them: titles,
descriptions, tags. A problem names its field; text this project writes itself is fitted
to the limits instead (``shorten``, ``fit_tags``)."""

from __future__ import annotations

import re

from lofi_assets.core.ingest.plan import YOUTUBE_TAGS_LIMIT, youtube_tags_length

TITLE_LIMIT = 100  # characters


DESCRIPTION_LIMIT = 5000  # bytes of UTF-8


HASHTAG_LIMIT = 15  # more and YouTube ignores every hashtag of the video


CHAPTER_MIN_S = 10


CHAPTERS_MIN = 3


CHAPTER_LABEL_LIMIT = 80


HASHTAG_PATTERN = re.compile(r"(?<![\w&/#])#(?!\d+\b)\w+")  # a hashtag as YouTube reads one in a description
FORBIDDEN = "contains '<' or '>' (YouTube rejects them)"


class MetadataError(ValueError):
    """Metadata YouTube would reject (or that the plan must fix); ``problems`` lists each
    one, naming the field, and the message lists them all."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} with the video metadata: " + "; ".join(self.problems)
        )


def title_problems(title: str, name: str = "title") -> list[str]:
    problems = []
    if not isinstance(title, str) or not title.strip():
        return [f"{name} is empty"]
    if len(title) > TITLE_LIMIT:
        problems.append(f"{name} is {len(title)} characters (YouTube allows {TITLE_LIMIT})")
    if has_forbidden(title):
        problems.append(f"{name} {FORBIDDEN}")
    return problems


def variant_problems(variants: list[str]) -> list[str]:
    problems = []
    for n, variant in enumerate(variants, start=1):
        problems += title_problems(variant, f"title variant {n}")
    folded = [v.casefold() for v in variants if isinstance(v, str)]
    if len(set(folded)) != len(folded):
        problems.append("title variants repeat a title")
    return problems


def description_problems(description: str, name: str = "description") -> list[str]:
    problems = []
    size = len(description.encode("utf-8"))
    if size > DESCRIPTION_LIMIT:
        problems.append(f"{name} is {size} bytes (YouTube allows {DESCRIPTION_LIMIT})")
    if has_forbidden(description):
        problems.append(f"{name} {FORBIDDEN}")
    hashtags = HASHTAG_PATTERN.findall(description)
    if len(hashtags) > HASHTAG_LIMIT:
        problems.append(f"{name} has {len(hashtags)} hashtags (YouTube ignores all of them past {HASHTAG_LIMIT})")
    return problems


def tag_problems(tags: list[str], name: str = "tags") -> list[str]:
    problems = []
    for tag in tags:
        if not tag.strip():
            problems.append(f"{name}: an empty tag")
        elif has_forbidden(tag):
            problems.append(f"tag {tag!r} {FORBIDDEN}")
    total = youtube_tags_length(tags)
    if total > YOUTUBE_TAGS_LIMIT:
        problems.append(f"{name} take {total} characters as YouTube counts them (YouTube allows {YOUTUBE_TAGS_LIMIT})")
    return problems


def has_forbidden(text: str) -> bool:
    return "<" in text or ">" in text


def sanitized(text: str) -> str:
    """Text this module writes (song titles, arc names) made safe for YouTube."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    text = text.replace("->", "→").replace("<-", "←")
    return text.replace("<", "‹").replace(">", "›")


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, without a dangling
    separator or an unclosed parenthesis."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    cut = cut[: cut.rfind(" ")] if " " in cut else text[:limit]
    if cut.count("(") > cut.count(")"):
        cut = cut[: cut.rfind("(")]
    return cut.rstrip(" -–—|:,;&/(·•").strip() or text[:limit]


def clean_tags(tags: list[str]) -> list[str]:
    """Tags stripped, blanks dropped, repeats (case-insensitive) dropped, order kept."""
    seen: set[str] = set()
    out = []
    for tag in tags:
        tag = re.sub(r"\s+", " ", str(tag)).strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def fit_tags(tags: list[str], limit: int = YOUTUBE_TAGS_LIMIT) -> list[str]:
    """The cleaned tags that fit in ``limit`` characters as YouTube counts them, in order;
    a tag that would overflow (or holds ``<``/``>``) is skipped and later ones still tried.

    For a caller that chooses to cut; :func:`build_metadata` never does."""
    out: list[str] = []
    for tag in clean_tags(tags):
        if not has_forbidden(tag) and youtube_tags_length(out + [tag]) <= limit:
            out.append(tag)
    return out
