"""The words of a plan page, as the parser reads them: section labels, arc headings and BPM
ranges, property names and their aliases, durations, hashtags and tags, dates, and the
anchor phrase at the end of a prompt."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache

from lofi_assets.core.ingest.page_text import Line

LEADING_SYMBOLS = re.compile(r"^[^\w\"“(\[]+", re.UNICODE)

QUOTE_OPEN = "\"“”'‘"  # a quoted prompt or value opens with one of these


def split_emoji(text: str) -> tuple[str | None, str]:
    """Split leading emoji (and other symbols) from ``text``."""
    i = 0
    while i < len(text):
        ch = text[i]
        cat = unicodedata.category(ch)
        if cat in ("So", "Sk", "Cf", "Mn", "Me", "Co") or ch in "\ufe0f\u200d\u20e3" or 0x1F000 <= ord(ch) <= 0x1FAFF:
            i += 1
        else:
            break
    emoji = text[:i].replace("\u200d", "").strip() or None
    return emoji, text[i:].strip()


def normalize_label(text: str) -> str:
    t = LEADING_SYMBOLS.sub("", text).strip()
    t = re.sub(r"^\d{1,2}[.)]\s*", "", t)
    return t.strip(" :*_").lower()


# Ordered: the first pattern that matches names the section.
SECTIONS: list[tuple[str, re.Pattern[str]]] = [
    (
        "checklist",
        re.compile(
            r"post[- ]?upload|checklist|after upload|publishing|^publish\b|promotion|^tasks\b|^to-?dos?$|next steps"
        ),
    ),
    ("brand", re.compile(r"brand notes")),
    ("music", re.compile(r"music arc|arc structure|music structure|suno prompts|song prompts|^prompts$|^music$")),
    ("anchor", re.compile(r"^anchor phrase")),
    ("suffix", re.compile(r"^(?:all |each |every )?prompts? (?:must )?end with|^prompt suffix")),
    ("exclusions", re.compile(r"^exclu|^negative prompt")),
    ("overview", re.compile(r"track overview|^overview|^properties")),
    ("hashtags", re.compile(r"^visible (?:hash)?tags|^hashtags|visible tags")),
    ("hidden_tags", re.compile(r"^hidden tags|hidden tags|^tags$|seo string")),
    ("title_formula", re.compile(r"^title formula")),
    ("file_naming", re.compile(r"^file ?nam")),
    ("release", re.compile(r"^release time|^upload schedule|^upload time|^publish time")),
    ("seo", re.compile(r"^seo\b|discovery")),
    ("description", re.compile(r"description")),
    (
        "visual",
        re.compile(
            r"visual|image prompt|animation|dreamina|thumbnail|chosen image|^ai prompt|^(?:final )?prompt\b"
            r"|ctr styling"
        ),
    ),
]


VALUE_SECTIONS = {"anchor", "suffix", "exclusions"}  # labels that do not end the arc


NON_MUSIC_SECTIONS = {
    "checklist",
    "brand",
    "overview",
    "hashtags",
    "hidden_tags",
    "title_formula",
    "file_naming",
    "release",
    "seo",
    "description",
    "visual",
}


SUFFIX_SENTENCE = re.compile(
    r"(?:all|each|every)\s+(?:suno\s+)?prompts?\s+(?:must\s+|should\s+)?ends?\s+with\s*:?\s*"
    r"[“\"']?(?P<value>[^”\"']*)[”\"']?",
    re.IGNORECASE,
)


def classify(text: str, *, heading: bool) -> str | None:
    """The section a heading (searched) or a short label paragraph (anchored) names."""
    label = normalize_label(text)
    if not heading:
        label = label.partition(":")[0].strip()
        if len(label) > 60:
            return None
    if not label:
        return None
    for name, pattern in SECTIONS:
        if pattern.search(label) if heading else pattern.match(label):
            return name
    return None


ARC_HEAD = re.compile(
    r"^(?:phase|arc|part|act|chapter|movement|stage)\s*#?\s*(\d{1,2})\b\s*[-–—:.|]*\s*(.*)$",
    re.IGNORECASE,
)


BPM_PATTERNS = [
    re.compile(r"\(?\s*bpm\s*[:=]?\s*(\d{2,3}(?:\.\d+)?)(?:\s*(?:-|–|—|to)\s*(\d{2,3}(?:\.\d+)?))?\s*\)?", re.I),
    re.compile(r"\(?\s*(\d{2,3}(?:\.\d+)?)(?:\s*(?:-|–|—|to)\s*(\d{2,3}(?:\.\d+)?))?\s*bpm\s*\)?", re.I),
]


def parse_bpm(text: str) -> tuple[float | None, float | None, str]:
    """BPM range written in ``text`` and the text without it."""
    for pattern in BPM_PATTERNS:
        if m := pattern.search(text):
            lo = float(m.group(1))
            hi = float(m.group(2)) if m.group(2) else lo
            rest = (text[: m.start()] + text[m.end() :]).strip()
            return lo, hi, re.sub(r"\(\s*\)", "", rest).strip()
    return None, None, text


def arc_from_heading(text: str) -> tuple[str | None, str, float | None, float | None, str, int | None]:
    """(emoji, name, bpm_min, bpm_max, description, written number) of an arc heading."""
    emoji, rest = split_emoji(text)
    written = None
    if m := ARC_HEAD.match(rest):
        written, rest = int(m.group(1)), m.group(2)
        more_emoji, rest = split_emoji(rest)
        emoji = emoji or more_emoji
    bpm_min, bpm_max, rest = parse_bpm(rest)
    description = ""
    if m := re.search(r"\(([^()]*)\)\s*$", rest):
        description, rest = m.group(1).strip(), rest[: m.start()]
    name = rest.strip(" -–—:|").strip()
    return emoji, name, bpm_min, bpm_max, description, written


def looks_like_arc(line: Line) -> bool:
    """Strong signs: ``Phase N``/``Arc N`` or a BPM range."""
    _, rest = split_emoji(line.text)
    return bool(ARC_HEAD.match(rest)) or parse_bpm(line.text)[0] is not None


PROPERTY_LINE = re.compile(r"^([A-Za-z][\w #/()'’.-]{0,40}?)\s*:\s+(.+)$")


PROPERTY_ALIASES = {
    "title": "title",
    "name": "title",
    "video title": "title",
    "track title": "title",
    "track": "track_number",
    "track number": "track_number",
    "track no": "track_number",
    "track #": "track_number",
    "number": "track_number",
    "no": "track_number",
    "duration": "duration",
    "target duration": "duration",
    "length": "duration",
    "runtime": "duration",
    "target length": "duration",
    "mood arc": "mood_arc",
    "theme": "theme",
    "overall theme": "theme",
    "vibe": "vibe",
    "vibe description": "vibe",
    "vibe & aesthetic": "vibe",
    "visible hashtags": "hashtags",
    "hashtags": "hashtags",
    "visible tags": "hashtags",
    "hidden tags": "hidden_tags",
    "tags": "hidden_tags",
    "status": "status",
    "youtube url": "youtube_url",
    "youtube": "youtube_url",
    "video url": "youtube_url",
    "url": "youtube_url",
    "upload schedule": "upload_schedule",
    "upload": "upload_schedule",
    "release": "upload_schedule",
    "publish": "upload_schedule",
    "anchor phrase": "anchor",
    "anchor": "anchor",
    "prompt suffix": "suffix",
    "all prompts end with": "suffix",
    "exclusions": "exclusions",
    "excluded": "exclusions",
    "exclude": "exclusions",
    "last edited": "last_edited",
    "last edited time": "last_edited",
    "description": "description",
}


def property_name(raw: str) -> str | None:
    name = re.sub(r"\(.*?\)", "", raw).strip().lower().rstrip(" :")
    name = re.sub(r"\s+", " ", name)
    return PROPERTY_ALIASES.get(name)


def parse_duration_minutes(text: str) -> float | None:
    t = text.lower()
    if m := re.search(r"(\d+(?:\.\d+)?)\s*-?\s*(?:h|hr|hrs|hour|hours)\b", t):
        minutes = float(m.group(1)) * 60
        if extra := re.search(r"(?:h|hr|hrs|hour|hours)\b\s*(?:and\s*)?(\d+)\s*(?:m|min|mins|minutes)\b", t):
            minutes += float(extra.group(1))
        return minutes
    if m := re.search(r"(\d+(?:\.\d+)?)\s*(?:m|min|mins|minutes)\b", t):
        return float(m.group(1))
    if m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", t):
        return float(m.group(1))
    return None


def strip_quotes(text: str) -> str:
    t = text.strip().strip("\"“”'‘’").strip()
    t = re.sub(r"^[-–—]+\s*", "", t)
    return t.strip().strip("\"“”'‘’").strip().rstrip(".").strip()


def parse_hashtags(text: str) -> list[str]:
    return re.findall(r"#[^\s#,]+", text)


def parse_tag_list(text: str) -> list[str]:
    return [t.strip().lstrip("#").strip() for t in re.split(r"[,\n]", text) if t.strip().lstrip("#").strip()]


SEPARATORS = re.compile(r"\s+(?:—|–|--|-)\s+")


SNAKE_ANCHOR = re.compile(r"\s([a-z0-9]+(?:_[a-z0-9]+)+)\s*$")


@lru_cache(maxsize=64)
def suffix_pattern(suffix: str) -> re.Pattern[str]:
    return re.compile(r"\s*(?:[-–—]+\s*)?" + re.escape(suffix) + r"\s*\.?$", re.IGNORECASE)


def split_anchor(body: str, suffix: str | None) -> tuple[str, str | None]:
    """Split a prompt body into its text and the anchor phrase it ends with."""
    text = body.strip()
    # Style 1: quoted text, maybe followed by " — anchor".
    if text[:1] in QUOTE_OPEN:
        m = re.match(r"^[\"“”'‘](.+?)[\"”'’](.*)$", text)
        if m:
            inner, rest = m.group(1).strip(), m.group(2).strip()
            rest = re.sub(r"^[-–—]+\s*", "", rest).strip()
            return inner, strip_quotes(rest) or None
    if suffix:
        if (m := suffix_pattern(suffix).search(text)) and m.start() > 0:
            return text[: m.start()].rstrip(" ,;"), suffix
    parts = list(SEPARATORS.finditer(text))
    if parts:
        last = parts[-1]
        tail = text[last.end() :].strip()
        if tail and len(tail.split()) <= 10:
            return text[: last.start()].rstrip(" ,;"), strip_quotes(tail)
    if m := SNAKE_ANCHOR.search(text):
        return text[: m.start()].rstrip(" ,;"), m.group(1)
    return text, None


DATE_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M")


def iso_date(text: str | None) -> str | None:
    """A 'Last edited time' property (Notion writes "November 18, 2026 9:42 PM") as ISO."""
    if not text:
        return None
    text = text.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return None
