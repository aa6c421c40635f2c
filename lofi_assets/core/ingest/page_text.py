"""Decoding and tokenizing a page's Markdown: what every reader of a track page shares.

:func:`decode_page_bytes` turns a page file into text (or a clear :class:`PlanParseError`
for empty or binary content); :func:`tokenize` turns the text into :class:`Line` tokens
(headings, to-dos, quoted prompts, numbered items, bullets, table rows, text, rules);
:data:`TRACK_NUMBER` finds the "Track 21" a title line starts with. The parser
(:mod:`lofi_assets.core.ingest.plan_parser`) reads the tokens as a track plan; the
Markdown folder source (:mod:`lofi_assets.core.ingest.markdown_folder`) uses them to find
a page's title line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


class PlanParseError(ValueError):
    """A page that cannot become a track plan; the message names the page."""


TRACK_NUMBER = re.compile(r"\btrack\s*#?\s*(\d{1,4})\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Decoding


def decode_page_bytes(data: bytes, label: str) -> str:
    """Text of a page file, or a clear error for empty or binary content."""
    if not data.strip():
        raise PlanParseError(f"{label} is empty")
    if b"\x00" in data[:65536]:
        raise PlanParseError(f"{label} is not a text file (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanParseError(f"{label} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    sample = text[:65536]
    control = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
    if control > 0.05 * len(sample):
        raise PlanParseError(f"{label} is not a text file ({control} control characters)")
    return text


# ---------------------------------------------------------------------------------------
# Lines


@dataclass
class Line:
    no: int
    indent: int
    kind: str  # heading | todo | quoted | item | bullet | table | text | rule
    text: str
    level: int = 0  # heading level
    checked: bool | None = None
    number: int | None = None


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TODO = re.compile(r"^[-*+]\s+\[( |x|X)\]\s*(.*)$")
_NUMBERED = re.compile(r"^(\d{1,4})[.)]\s+(.*)$")
_BULLET = re.compile(r"^[-*+•▪◦]\s+(.*)$")
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_MARKED_QUOTE = re.compile(
    r"^(?P<mark>[xX✓✔☑✅☐⬜✗✘❌▢□■●○•\-*+>]{1,2})\s+(?:(?P<num>\d{1,4})[.)]\s*)?"
    r"(?P<q>[\"“”'‘])(?P<body>.+)$"
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")

CHECK_MARKS = set("xX✓✔☑✅")
UNCHECK_MARKS = set("☐⬜▢□")


def _clean(text: str) -> str:
    text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    return text.strip()


def tokenize(markdown: str) -> list[Line]:
    lines: list[Line] = []
    for no, raw in enumerate(markdown.splitlines(), start=1):
        expanded = raw.replace("\t", "    ").replace("\u00a0", " ")
        stripped = expanded.strip()
        if not stripped:
            continue
        indent = len(expanded) - len(expanded.lstrip(" "))
        if m := _HEADING.match(stripped):
            lines.append(Line(no, indent, "heading", _clean(m.group(2)), level=len(m.group(1))))
        elif _RULE.match(stripped):
            lines.append(Line(no, indent, "rule", ""))
        elif m := _TODO.match(stripped):
            body = _clean(m.group(2))
            number = None
            if n := _NUMBERED.match(body):
                number, body = int(n.group(1)), n.group(2).strip()
            lines.append(Line(no, indent, "todo", body, checked=m.group(1) != " ", number=number))
        elif (m := _MARKED_QUOTE.match(stripped)) and _closing_quote(m.group("body")):
            number = int(m.group("num")) if m.group("num") else None
            mark = m.group("mark")
            checked = True if mark in CHECK_MARKS else False if mark in UNCHECK_MARKS else None
            body = _clean(m.group("q") + m.group("body"))
            lines.append(Line(no, indent, "quoted", body, checked=checked, number=number))
        elif stripped.startswith("|"):
            lines.append(Line(no, indent, "table", stripped))
        elif m := _NUMBERED.match(stripped):
            number, body = int(m.group(1)), _clean(m.group(2))
            if inner := _NUMBERED.match(body):  # "1. 3. text": a list item that also writes its number
                number, body = int(inner.group(1)), inner.group(2).strip()
            lines.append(Line(no, indent, "item", body, number=number))
        elif m := _BULLET.match(stripped):
            lines.append(Line(no, indent, "bullet", _clean(m.group(1))))
        else:
            text = _clean(stripped.lstrip(">").strip())
            if text:
                lines.append(Line(no, indent, "text", text))
    return lines


def _closing_quote(body: str) -> bool:
    return any(q in body for q in "\"”'’")
