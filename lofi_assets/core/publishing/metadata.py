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

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from lofi_assets.core.ingest.plan import YOUTUBE_TAGS_LIMIT, TrackPlan, youtube_tags_length

TITLE_LIMIT = 100  # characters
DESCRIPTION_LIMIT = 5000  # bytes of UTF-8
HASHTAG_LIMIT = 15  # more and YouTube ignores every hashtag of the video
CHAPTER_MIN_S = 10
CHAPTERS_MIN = 3
CATEGORY_MUSIC = "10"
PRIVACY_STATUSES = ("private", "unlisted", "public")
DEFAULT_CHANNEL = "this channel"
CHAPTER_LABEL_LIMIT = 80
PLACEHOLDER_TITLES = frozenset({"", "untitled", "new page", "untitled page", "new track", "untitled track"})
FORBIDDEN = "contains '<' or '>' (YouTube rejects them)"

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_HASHTAG = re.compile(r"(?<![\w&/#])#(?!\d+\b)\w+")


class MetadataError(ValueError):
    """Metadata YouTube would reject (or that the plan must fix); ``problems`` lists each
    one, naming the field, and the message lists them all."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        count = len(self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} with the video metadata: " + "; ".join(self.problems)
        )


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


def title_problems(title: str, name: str = "title") -> list[str]:
    problems = []
    if not isinstance(title, str) or not title.strip():
        return [f"{name} is empty"]
    if len(title) > TITLE_LIMIT:
        problems.append(f"{name} is {len(title)} characters (YouTube allows {TITLE_LIMIT})")
    if _has_forbidden(title):
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
    if _has_forbidden(description):
        problems.append(f"{name} {FORBIDDEN}")
    hashtags = _HASHTAG.findall(description)
    if len(hashtags) > HASHTAG_LIMIT:
        problems.append(f"{name} has {len(hashtags)} hashtags (YouTube ignores all of them past {HASHTAG_LIMIT})")
    return problems


def tag_problems(tags: list[str], name: str = "tags") -> list[str]:
    problems = []
    for tag in tags:
        if not tag.strip():
            problems.append(f"{name}: an empty tag")
        elif _has_forbidden(tag):
            problems.append(f"tag {tag!r} {FORBIDDEN}")
    total = youtube_tags_length(tags)
    if total > YOUTUBE_TAGS_LIMIT:
        problems.append(f"{name} take {total} characters as YouTube counts them (YouTube allows {YOUTUBE_TAGS_LIMIT})")
    return problems


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


def _has_forbidden(text: str) -> bool:
    return "<" in text or ">" in text


def _sanitize(text: str) -> str:
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


# ---------------------------------------------------------------------------------------
# Tags


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
        if not _has_forbidden(tag) and youtube_tags_length(out + [tag]) <= limit:
            out.append(tag)
    return out


# ---------------------------------------------------------------------------------------
# Titles

# (pattern, word, emoji): the mood words of a title, and the words of a plan that point to each.
# Not the generator's conditioning moods (lofi_assets.core.generation.conditions.MOODS).
TITLE_MOODS = (
    (r"\brain|\bdrizzl|\bstorm|\bthunder", "Rainy", "🌧️"),
    (r"\bsnow|\bfrost", "Snowy", "❄️"),
    (r"\bco[sz]y|\bwarm lamp|\bfireplace|\bblanket|\bcandle", "Cozy", "🕯️"),
    (r"\bjazz", "Jazzy", "🎷"),
    (r"\bdream", "Dreamy", "💭"),
    (r"\bsleep", "Sleepy", "💤"),
    (r"\bmidnight|\bnight", "Late Night", "🌙"),
    (r"\bcoffee|\bcaf[eé]|\bkettle", "Coffee Shop", "☕"),
    (r"\bmorning|\bdawn|\bsunrise|\bbreakfast", "Morning", "🌅"),
    (r"\bsun(?:ny|light|shine|set)?\b|\bgolden hour", "Sunny", "☀️"),
    (r"\bneon|\bsynthwave|\bvaporwave|\bcity lights", "Neon", "🌃"),
    (r"\bnostalg|\bretro|\bvintage", "Nostalgic", "📼"),
    (r"\bmelanchol|\bsad\b|\bwistful|\blonely", "Melancholic", "🥀"),
    (r"\bupbeat|\buplifting|\bhappy|\bbright", "Uplifting", "✨"),
    (r"\bpeaceful|\bcalm|\bserene|\btranquil|\bgentle", "Calm", "🍃"),
    (r"\bchill|\bmellow|\blaid[- ]back", "Chill", "🎧"),
)
FALLBACK_MOODS = ("Chill", "Mellow")

# (key, pattern, phrase, noun): what the video is for, most specific first (ties).
USE_CASES = (
    ("study", r"\bstud(?:y|ie|yi)|\bhomework|\bexams?\b|\brevision", "for Studying", "Study"),
    ("sleep", r"\bsleep|\bbedtime|\binsomnia", "for Sleeping", "Sleep"),
    ("focus", r"\bfocus|\bconcentrat|\bdeep ?work", "for Deep Focus", "Focus"),
    ("coding", r"\bcod(?:e|ing)\b|\bcoding|\bprogramm", "for Coding", "Coding"),
    ("work", r"\bwork(?:ing|day)?\b|\boffice\b|\bproductiv", "for Working", "Work"),
    ("reading", r"\breading|\bread\b|\bbooks?\b", "for Reading", "Reading"),
    ("relax", r"\brelax|\bunwind|\bwind(?:ing)? down|\bchill(?:ing)? out", "for Relaxing", "Chill"),
)
DEFAULT_USE_CASE = "relax"

SEASONS = {
    12: "Winter",
    1: "Winter",
    2: "Winter",
    3: "Spring",
    4: "Spring",
    5: "Spring",
    6: "Summer",
    7: "Summer",
    8: "Summer",
    9: "Autumn",
    10: "Autumn",
    11: "Autumn",
}
SEASON_EMOJI = {"Winter": "❄️", "Spring": "🌸", "Summer": "☀️", "Autumn": "🍂"}
_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


@dataclass(frozen=True)
class TitleParts:
    """The words a title is made of."""

    moods: tuple[str, str]
    mood_emoji: str
    use_case: str
    season: str
    length: str | None  # "1 Hour", "45 Minutes"
    hook: str | None  # the anchor phrase, a theme, or the journey from the first arc to the last

    @property
    def use_phrase(self) -> str:
        return next(u[2] for u in USE_CASES if u[0] == self.use_case)

    @property
    def use_noun(self) -> str:
        return next(u[3] for u in USE_CASES if u[0] == self.use_case)

    @property
    def season_emoji(self) -> str:
        return SEASON_EMOJI[self.season]


def has_real_title(plan: TrackPlan) -> bool:
    """False for an empty or placeholder title ("Untitled", "New page", the partition key)."""
    title = re.sub(r"\s+", " ", plan.title or "").strip()
    return title.casefold() not in PLACEHOLDER_TITLES and title != plan.key


def season_of(when: date) -> str:
    """The northern-hemisphere season of a date, by month (December starts winter)."""
    return SEASONS[when.month]


def length_phrase(duration_s: float) -> str | None:
    """ "1 Hour", "3 Hours" (within a minute of whole hours), else "45 Minutes"."""
    minutes = round(duration_s / 60)
    if minutes < 1:
        return None
    hours = round(minutes / 60)
    if hours >= 1 and abs(minutes - hours * 60) <= 1:
        return f"{hours} Hour{'s' if hours > 1 else ''}"
    return f"{minutes} Minute{'s' if minutes > 1 else ''}"


def _without_negations(text: str) -> str:
    """'no vocals', 'without drums': words a plan rules out are not its mood."""
    return re.sub(r"\b(?:no|without|not|zero)\s+[\w-]+", " ", text, flags=re.IGNORECASE)


def _mood_text(plan: TrackPlan) -> str:
    parts = [plan.mood_arc, plan.theme, plan.vibe, plan.anchor_phrase, plan.title if has_real_title(plan) else None]
    parts += [a.name for a in plan.arcs]
    return _without_negations(" \n ".join(p for p in parts if p))


def detect_moods(plan: TrackPlan) -> tuple[tuple[str, str], str]:
    """The two mood words the plan uses most (first mention breaks ties) and the emoji of
    the first; padded with "Chill"/"Mellow" when the plan names fewer."""
    text = _mood_text(plan)
    found = []
    for pattern, word, emoji in TITLE_MOODS:
        hits = [m.start() for m in re.finditer(pattern, text, re.IGNORECASE)]
        if hits:
            found.append((-len(hits), hits[0], word, emoji))
    found.sort()
    words = [w for _, _, w, _ in found]
    emoji = found[0][3] if found else "🎧"
    for extra in FALLBACK_MOODS:
        if len(words) < 2 and extra not in words:
            words.append(extra)
    return (words[0], words[1]), emoji


def _use_case_texts(plan: TrackPlan) -> tuple[str, str]:
    """What the plan says to the viewer (title, theme, vibe, description, hashtags), and
    what it says elsewhere (mood arc, arcs, prompts, hidden tags)."""
    # '#studymusic' → 'studymusic': a word start for the patterns.
    hashtags = " ".join(h.lstrip("#") for h in plan.visible_hashtags)
    primary = [plan.title if has_real_title(plan) else None, plan.theme, plan.vibe, plan.description, hashtags]
    secondary = [plan.mood_arc, ", ".join(plan.hidden_tags)]
    secondary += [f"{a.name} {a.description}" for a in plan.arcs] + [p.text for p in plan.prompts]
    return tuple(_without_negations(" \n ".join(p for p in parts if p)) for parts in (primary, secondary))


def detect_use_case(plan: TrackPlan) -> str | None:
    """study, sleep, focus, coding, work, reading or relax: the one the plan mentions most
    in its title, theme, vibe, description and hashtags (else in its mood arc, arcs,
    prompts and hidden tags); None when it mentions none."""
    for text in _use_case_texts(plan):
        counts = [
            (len(re.findall(pattern, text, re.IGNORECASE)), -n, key) for n, (key, pattern, _, _) in enumerate(USE_CASES)
        ]
        best = max(counts)
        if best[0]:
            return best[2]
    return None


def use_case_playlist(plan: TrackPlan) -> str:
    """The playlist a video joins by what it is for: 'Lofi for Studying', 'Lofi for Sleeping'."""
    use_case = detect_use_case(plan) or DEFAULT_USE_CASE
    return "Lofi " + next(u[2] for u in USE_CASES if u[0] == use_case)


def title_case(text: str) -> str:
    """'rain on the glass' → 'Rain on the Glass'; words already capitalised are kept."""
    words = text.split()
    return " ".join(
        w if (n and w.lower() in _SMALL_WORDS) or not w[:1].islower() else w[:1].upper() + w[1:]
        for n, w in enumerate(words)
    )


def hook_of(plan: TrackPlan) -> str | None:
    """A short phrase that names this video: the anchor phrase, the theme's first clause,
    or the journey from the first arc to the last."""
    if plan.anchor_phrase and len(plan.anchor_phrase) <= 40:
        return title_case(_sanitize(plan.anchor_phrase))
    if plan.theme:
        clause = re.split(r"[,;:.—–]| - ", plan.theme)[0].strip()
        clause = re.sub(r"^(?:a|an|the)\s+", "", clause, flags=re.IGNORECASE)
        if 0 < len(clause) <= 40:
            return title_case(_sanitize(clause))
    if len(plan.arcs) >= 2:
        return f"{_sanitize(plan.arcs[0].name)} to {_sanitize(plan.arcs[-1].name)}"
    return None


def title_parts(plan: TrackPlan, duration_s: float, when: date) -> TitleParts:
    moods, emoji = detect_moods(plan)
    return TitleParts(
        moods=moods,
        mood_emoji=emoji,
        use_case=detect_use_case(plan) or DEFAULT_USE_CASE,
        season=season_of(when),
        length=length_phrase(duration_s),
        hook=hook_of(plan),
    )


def generated_title(parts: TitleParts) -> str:
    """Mood, season and use case: 'Rainy Autumn Lofi for Studying 🍂 Cozy Beats (1 Hour)'."""
    first, second = parts.moods
    text = f"{first} {parts.season} Lofi {parts.use_phrase} {parts.season_emoji} {second} Beats"
    return shorten(text + (f" ({parts.length})" if parts.length else ""), TITLE_LIMIT)


def use_case_title(parts: TitleParts) -> str:
    """Use case first: '1 Hour of Rainy Lofi for Studying 🌧️ Rain on the Glass'."""
    head = f"{parts.length} of {parts.moods[0]} Lofi" if parts.length else f"{parts.moods[0]} Lofi"
    text = f"{head} {parts.use_phrase} {parts.mood_emoji}" + (f" {parts.hook}" if parts.hook else "")
    return shorten(text, TITLE_LIMIT)


def season_title(parts: TitleParts) -> str:
    """Season first: 'Autumn Study Session 🍂 Rainy & Cozy Lofi (1 Hour)'."""
    text = f"{parts.season} {parts.use_noun} Session {parts.season_emoji} {parts.moods[0]} & {parts.moods[1]} Lofi"
    return shorten(text + (f" ({parts.length})" if parts.length else ""), TITLE_LIMIT)


def title_variants(title: str, parts: TitleParts) -> list[str]:
    """2–3 distinct titles for A/B tests, the chosen title first; deterministic."""
    out: list[str] = []
    candidates = (title, use_case_title(parts), generated_title(parts), season_title(parts))
    for candidate in candidates:
        if candidate.casefold() not in {v.casefold() for v in out}:
            out.append(candidate)
    return out[:3]


# ---------------------------------------------------------------------------------------
# Chapters


def format_timestamp(seconds: int, hours: bool) -> str:
    """``04:05``, or ``1:04:05`` / ``0:04:05`` when the video is an hour or longer."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if hours else f"{h * 60 + m:02d}:{s:02d}"


def _as_dict(chapter: Any) -> Mapping[str, Any]:
    return asdict(chapter) if is_dataclass(chapter) and not isinstance(chapter, type) else chapter


def chapter_label(chapter: Mapping[str, Any]) -> str:
    """'Arc name — Song title', shortened to a readable length."""
    arc = _sanitize(chapter.get("arc_name") or "")
    song = _sanitize(chapter.get("title") or chapter.get("song_id") or "")
    label = f"{arc} — {song}" if arc and song else arc or song or "Untitled"
    return shorten(label, CHAPTER_LABEL_LIMIT)


def youtube_chapters(chapters: list[Any], duration_s: float) -> tuple[list[tuple[int, str]], list[str]]:
    """The mix's chapters made to follow YouTube's rules: whole seconds, ascending, the
    first at 0, each at least 10 s long (a chapter too close to the one before, or the same
    song playing on, is merged into it: the first is kept), the last 10 s before the end.

    Returns (seconds, label) pairs and notes on what changed; fewer than 3 pairs means the
    video gets no chapters (the caller decides)."""
    notes = []
    rows = []
    for c in map(_as_dict, chapters):
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
    return [(start, chapter_label(c)) for start, c in kept], notes


def chapter_lines(chapters: list[tuple[int, str]], duration_s: float) -> list[str]:
    hours = duration_s >= 3600
    return [f"{format_timestamp(s, hours)} {label}" for s, label in chapters]


def tracklist_lines(chapters: list[Any]) -> list[str]:
    """Songs in the order they first play, each once, with their arc."""
    lines, seen = [], set()
    for c in map(_as_dict, chapters):
        key = c.get("song_id") or c.get("title")
        if key in seen:
            continue
        seen.add(key)
        song = _sanitize(c.get("title") or c.get("song_id") or "Untitled")
        arc = _sanitize(c.get("arc_name") or "")
        lines.append(f"{len(lines) + 1}. {song}" + (f" ({arc})" if arc else ""))
    return ["Tracklist"] + lines if lines else []


# ---------------------------------------------------------------------------------------
# Description


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def credit_lines(chapters: list[Any], channel_name: str, synthetic: bool) -> list[str]:
    """Who made the music, and a plain statement when any of it is AI-generated."""
    kinds = {_as_dict(c).get("kind") for c in chapters}
    channel = _sanitize(channel_name) or DEFAULT_CHANNEL
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
    notes, out, seen = [], [], {h.casefold() for h in _HASHTAG.findall(copy)}
    for raw in hashtags:
        tag = "#" + str(raw).strip().lstrip("#")
        if not _HASHTAG.fullmatch(tag):
            notes.append(f"hashtag {raw!r} left out: not a word after '#'")
        elif tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    room = max(0, HASHTAG_LIMIT - len(_HASHTAG.findall(copy)))
    if len(out) > room:
        notes.append(f"{len(out) - room} hashtag(s) left out: YouTube ignores all hashtags past {HASHTAG_LIMIT}")
        out = out[:room]
    return out, notes


@dataclass
class _DescriptionParts:
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


def fit_description(parts: _DescriptionParts) -> list[str]:
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
    if _has_forbidden(copy):
        problems.append(f"description copy (from the plan) {FORBIDDEN}")
    if len(_HASHTAG.findall(copy)) > HASHTAG_LIMIT:
        problems.append(
            f"description copy (from the plan) has {len(_HASHTAG.findall(copy))} hashtags "
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
    synthetic = bool(synthetic) or any(_as_dict(c).get("kind") == "generated" for c in chapters)
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
    desc = _DescriptionParts(
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
