"""Parse a Notion track page, as Markdown, into a :class:`TrackPlan`.

The input is either Notion's own "Export as Markdown" (``# Title``, ``Property: value``
lines, ``- [x]  text`` to-dos, toggle children indented four spaces), Markdown written by
hand or by another tool (``| Field | Value |`` overview tables, headings with or without
emoji at any level), or blocks from the Notion API turned into the same Markdown by
``notion_blocks``. One parser serves all three.

The page is read the way a person reads it: known sections (overview, SEO, description,
visual design, music, checklist, brand notes) are recognised by their labels; arcs are
headings (or toggles) that say ``Phase N`` / carry a BPM range, or any heading that has
prompts under it; prompts are to-dos, numbered items or a quoted line after a mark. A
checklist or any other section ends the prompts, so post-upload to-dos never become songs.

Decoding a page file and tokenizing its Markdown into lines is :mod:`lofi_assets.core.ingest.page_text`,
shared with the Markdown folder source.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lofi_assets.core.ingest.page_text import TRACK_NUMBER, Line, PlanParseError, tokenize
from lofi_assets.core.ingest.plan import YOUTUBE_TAGS_LIMIT, Arc, Prompt, TrackPlan, youtube_tags_length
from lofi_assets.core.ingest.plan_words import (
    PROPERTY_LINE,
    SUFFIX_SENTENCE,
    VALUE_SECTIONS,
    arc_from_heading,
    classify,
    iso_date,
    looks_like_arc,
    parse_duration_minutes,
    parse_hashtags,
    parse_tag_list,
    property_name,
    split_anchor,
    split_emoji,
    strip_quotes,
)

# ---------------------------------------------------------------------------------------
# Lines (tokenized by page_text)


# A toggle that says it holds prompts: "Prompts", "Song prompts (click to open)", "Prompt 3".
_PROMPT_TOGGLE = re.compile(r"\bprompts?\b(?:\s*#?\s*(\d+)\b(?!\s*[–-]))?", re.IGNORECASE)


def _is_prompt_line(line: Line) -> bool:
    """To-dos, quoted lines after a mark, and numbered items (which count only under an arc)."""
    return line.kind in ("todo", "quoted", "item")


# ---------------------------------------------------------------------------------------
# The parser


@dataclass
class _RawPrompt:
    arc_index: int
    number: int | None
    body: str
    checked: bool | None
    line_no: int


@dataclass
class _State:
    props: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    hidden_tags: list[str] = field(default_factory=list)
    anchor: str | None = None
    suffix: str | None = None
    exclusions: list[str] = field(default_factory=list)
    upload: str | None = None
    arcs: list[dict] = field(default_factory=list)
    prompts: list[_RawPrompt] = field(default_factory=list)
    orphans: int = 0
    not_taken: list[str] = field(default_factory=list)  # prompt-like lines read as a prompt's notes
    heading_title: str | None = None
    track_number: int | None = None
    warnings: list[str] = field(default_factory=list)

    def set_prop(self, name: str, value: str) -> None:
        value = value.strip()
        if value and name not in self.props:
            self.props[name] = value


def parse_track_plan(
    markdown: str,
    *,
    key: str,
    source: str,
    fallback_title: str | None = None,
    last_edited: str | None = None,
    warnings: list[str] | None = None,
) -> TrackPlan:
    """Parse one page. Raises :class:`PlanParseError` naming the page when it has no
    arcs or no prompts; smaller oddities become warnings on the plan."""
    label = f"page {key} ({source})"
    if not markdown.strip():
        raise PlanParseError(f"{label} is empty")
    lines = tokenize(markdown)
    st = _State(warnings=list(warnings or []))
    _walk(lines, st)

    if not st.arcs:
        detail = f"; {st.orphans} prompt line(s) sit under no arc heading" if st.orphans else ""
        raise PlanParseError(f"{label} has no arcs: no 'Phase N', BPM or prompt-bearing heading found{detail}")
    if not st.prompts:
        raise PlanParseError(f"{label} has arcs ({len(st.arcs)}) but no prompts under them")
    return _assemble(st, key=key, source=source, fallback_title=fallback_title, last_edited=last_edited)


def _lookahead(lines: list[Line]) -> tuple[list[int], list[int]]:
    """For each index: where the next prompt line and the next boundary (a heading or a
    section label) are. One backward pass, so a 10,000-line page stays linear."""
    n = len(lines)
    next_prompt, next_boundary = [n] * (n + 1), [n] * (n + 1)
    for i in range(n - 1, -1, -1):
        line = lines[i]
        next_prompt[i] = i if _is_prompt_line(line) else next_prompt[i + 1]
        is_boundary = line.kind == "heading" or (line.kind == "text" and classify(line.text, heading=False) is not None)
        next_boundary[i] = i if is_boundary else next_boundary[i + 1]
    return next_prompt, next_boundary


_FIRST_WINS = {"hashtags": "hashtags", "hidden_tags": "hidden_tags", "description": "description", "release": "upload"}


def _walk(lines: list[Line], st: _State) -> None:
    next_prompt, next_boundary = _lookahead(lines)

    def children(i: int) -> list[Line]:
        """A toggle's contents: the lines after it indented deeper, nested toggles too."""
        out = []
        for child in lines[i + 1 :]:
            if child.indent <= lines[i].indent:
                break
            out.append(child)
        return out

    def prompts_follow(i: int) -> bool:
        line = lines[i]
        if line.kind == "bullet":  # a toggle: its prompts are inside it, at any depth
            inside = children(i)
            return any(_is_prompt_line(c) for c in inside) or (
                _PROMPT_TOGGLE.search(line.text) is not None and bool(inside)
            )
        return next_prompt[i + 1] < next_boundary[i + 1]

    section = "preamble"
    in_music = False
    arc_index: int | None = None
    arc_level = 0
    arc_has_prompts = False
    pending: str | None = None  # a value label ("Anchor Phrase:") waiting for its value
    last_prompt_indent: int | None = None
    # A toggle titled "Prompts" (or "Prompt 3") inside an arc: its indent, and the number its
    # title gives; every line inside it is a prompt, to-do or not.
    prompt_toggle: tuple[int, int | None] | None = None

    for i, line in enumerate(lines):
        if prompt_toggle is not None:
            if line.indent > prompt_toggle[0] and line.kind in ("bullet", "text", "todo", "quoted", "item"):
                if last_prompt_indent is not None and line.indent > last_prompt_indent:
                    _note_not_taken(st, line)  # a child of a prompt (a note or an alternative)
                    continue
                last_prompt_indent = line.indent
                number = line.number if line.kind in ("todo", "quoted", "item") else prompt_toggle[1]
                checked = line.checked if line.kind in ("todo", "quoted") else None
                st.prompts.append(_RawPrompt(arc_index, number, strip_quotes(line.text), checked, line.no))
                st.arcs[arc_index]["prompts"] += 1
                arc_has_prompts = True
                continue
            prompt_toggle = None

        # The page title: an H1 (Notion's export) or a "TRACK 21 — Title" first line.
        if i == 0 and (
            (line.kind == "heading" and line.level == 1)
            or (line.kind == "text" and TRACK_NUMBER.search(line.text[:40]))
        ):
            _, title = split_emoji(line.text)
            if m := TRACK_NUMBER.match(title):
                st.track_number = int(m.group(1))
                title = title[m.end() :].strip(" -–—:|")
            st.heading_title = title or None
            section = "properties"
            continue

        if pending:
            label, pending = pending, None
            if line.kind == "text" or (
                line.kind == "heading" and not looks_like_arc(line) and classify(line.text, heading=True) is None
            ):
                _take_value(st, label, line.text)
                continue

        # Property lines of the page (Notion's export) or of its overview.
        if line.kind == "text" and section in ("preamble", "properties", "overview", "seo"):
            if (m := PROPERTY_LINE.match(line.text)) and (name := property_name(m.group(1))):
                st.set_prop(name, m.group(2))
                continue

        is_heading = line.kind == "heading"
        if is_heading or line.kind in ("bullet", "text"):
            # Arcs: "Phase N" or a BPM range; any heading with prompts under it; an
            # emoji-led paragraph or toggle with prompts under it.
            emoji, _ = split_emoji(line.text)
            strong = looks_like_arc(line) and (is_heading or prompts_follow(i))
            # Labels are headings or paragraphs; a bullet ("- Avoid filler words") never is.
            sec = None if strong or line.kind == "bullet" else classify(line.text, heading=is_heading)
            weak = (
                not strong and sec is None and (is_heading or (emoji and len(line.text) <= 100)) and prompts_follow(i)
            )
            # Once arcs are headed with emoji, a plain heading with to-dos is not one of them.
            if weak and st.arcs and st.arcs[0]["emoji"] and not emoji and not st.arcs[0]["strong"]:
                weak = False
            # A toggle inside an arc headed by a heading holds its prompts ("▶ Prompts 1–4"),
            # it does not start an arc of its own unless it says so (a phase or a BPM range).
            if weak and line.kind == "bullet" and arc_index is not None and section == "arc" and arc_level <= 6:
                weak = False
            if strong or weak:
                emoji, name, lo, hi, desc, written = arc_from_heading(line.text)
                st.arcs.append(
                    dict(
                        emoji=emoji,
                        name=name or f"Arc {len(st.arcs) + 1}",
                        bpm_min=lo,
                        bpm_max=hi,
                        description=[desc] if desc else [],
                        written=written,
                        prompts=0,
                        strong=strong,
                    )
                )
                arc_index = len(st.arcs) - 1
                arc_level = line.level if is_heading else 10 + line.indent
                arc_has_prompts = False
                last_prompt_indent = None
                section, in_music = "arc", True
                continue
            if sec is not None:
                inline = line.text.split(":", 1)[1].strip() if not is_heading and ":" in line.text else ""
                if sec in VALUE_SECTIONS:
                    if sec == "suffix" and (m := SUFFIX_SENTENCE.search(line.text)) and m.group("value").strip():
                        inline = m.group("value")
                    if inline:
                        _take_value(st, sec, inline)
                    else:
                        pending = sec
                    continue
                if sec == "music" and arc_index is not None and is_heading and line.level > arc_level:
                    continue  # a "Prompts" sub-heading inside an arc
                arc_index = None
                in_music = sec == "music"
                # A field seen twice (a "Revised" copy further down): the first one wins.
                field_name = _FIRST_WINS.get(sec)
                section = f"ignored-{sec}" if field_name and getattr(st, field_name) else sec
                if inline:
                    _take_section_line(st, section, inline)
                continue
            if is_heading:
                if section == "description":
                    st.description.append(line.text)
                elif arc_index is not None:
                    arc_index, section = None, "music-other"  # a plain heading ends the arc
                elif (m := TRACK_NUMBER.match(split_emoji(line.text)[1])) and st.track_number is None:
                    st.track_number = int(m.group(1))
                continue

        # A sentence that states the suffix: "(Each prompt ends with “x” for consistency)".
        if line.kind == "text" and (m := SUFFIX_SENTENCE.search(line.text)):
            if m.group("value").strip():
                _take_value(st, "suffix", m.group("value"))
            else:
                pending = "suffix"
            continue

        if _is_prompt_line(line):
            if arc_index is not None and section == "arc":
                if last_prompt_indent is not None and line.indent > last_prompt_indent:
                    _note_not_taken(st, line)  # a child of a prompt (a note or an alternative)
                    continue
                last_prompt_indent = line.indent
                st.prompts.append(_RawPrompt(arc_index, line.number, line.text, line.checked, line.no))
                st.arcs[arc_index]["prompts"] += 1
                arc_has_prompts = True
            elif in_music and line.kind != "item":
                st.orphans += 1
            continue

        if section == "arc" and arc_index is not None:
            if line.kind == "bullet" and prompts_follow(i):
                if m := _PROMPT_TOGGLE.search(line.text):
                    prompt_toggle = (line.indent, int(m.group(1)) if m.group(1) else None)
                # a toggle that holds more of the arc's prompts ("Alternates", "B-sides"): what is
                # inside it is not a note of the prompt before it
                last_prompt_indent = None
                continue
            if not arc_has_prompts and line.kind in ("text", "bullet"):
                m = re.fullmatch(r"\((.*)\)", line.text)
                st.arcs[arc_index]["description"].append(m.group(1) if m else line.text)
            continue

        if line.kind == "table":
            if section in ("preamble", "properties", "overview", "seo"):
                _take_table_row(st, line.text)
            continue

        if section in ("hashtags", "hidden_tags", "description", "release"):
            _take_section_line(st, section, line.text if line.kind != "bullet" else f"- {line.text}")


def _note_not_taken(st: _State, line: Line) -> None:
    """A to-do or numbered line under a prompt is read as that prompt's note; it looks like
    a prompt, so the plan says so rather than drop it in silence."""
    if _is_prompt_line(line):
        text = line.text if len(line.text) <= 60 else line.text[:57] + "…"
        st.not_taken.append(f"line {line.no} ({text!r}) sits under a prompt and is read as its note, not a prompt")


def _take_value(st: _State, sec: str, value: str) -> None:
    if sec == "anchor" and st.anchor is None:
        st.anchor = strip_quotes(value)
    elif sec == "suffix" and st.suffix is None:
        st.suffix = strip_quotes(value)
    elif sec == "exclusions":
        st.exclusions.extend(t for t in parse_tag_list(value) if t not in st.exclusions)


def _take_section_line(st: _State, section: str, text: str) -> None:
    if section == "hashtags":
        st.hashtags.extend(h for h in parse_hashtags(text) if h not in st.hashtags)
    elif section == "hidden_tags":
        st.hidden_tags.extend(parse_tag_list(text))
    elif section == "description":
        st.description.append(text)
    elif section == "release" and st.upload is None:
        st.upload = text.lstrip("→-> ").strip() or None


def _take_table_row(st: _State, row: str) -> None:
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    if len(cells) < 2 or all(set(c) <= set("-: ") for c in cells):
        return
    if name := property_name(cells[0]):
        st.set_prop(name, cells[1])


def _assemble(st: _State, *, key: str, source: str, fallback_title: str | None, last_edited: str | None) -> TrackPlan:
    warnings = st.warnings
    props = st.props

    # The suffix: stated on the page, or the phrase most prompts end with.
    suffix = st.suffix or props.get("suffix")
    if not suffix:
        tails = Counter(a for _, a in (split_anchor(p.body, None) for p in st.prompts) if a)
        if tails:
            common, count = tails.most_common(1)[0]
            if count >= 2 and count >= 0.6 * len(st.prompts):
                suffix = common

    prompts: list[Prompt] = []
    used: dict[int, int] = {}
    next_number = 1
    for raw in st.prompts:
        text, anchor = split_anchor(raw.body, suffix)
        number = raw.number if raw.number is not None else next_number
        if number in used:
            warnings.append(f"duplicate prompt number {number} (line {raw.line_no}; first in arc {used[number]})")
        used.setdefault(number, raw.arc_index + 1)
        next_number = max(next_number, number + 1)
        if not text:
            warnings.append(f"prompt {number} (line {raw.line_no}) has no text besides its anchor phrase")
            text = anchor or raw.body
        prompts.append(
            Prompt(
                arc=raw.arc_index + 1,
                number=number,
                text=text,
                anchor_phrase=anchor,
                checked=raw.checked,
                full_text=raw.body,
            )
        )

    arcs: list[Arc] = []
    for n, a in enumerate(st.arcs, start=1):
        lo, hi = a["bpm_min"], a["bpm_max"]
        if lo is None:
            warnings.append(f"arc {n} '{a['name']}' has no BPM range")
        elif lo > hi:
            warnings.append(f"arc {n} '{a['name']}' BPM range {lo:g}–{hi:g} is reversed; read as {hi:g}–{lo:g}")
            lo, hi = hi, lo
        if lo is not None and (lo < 30 or hi > 250):
            warnings.append(f"arc {n} '{a['name']}' BPM range {lo:g}–{hi:g} is outside 30–250")
        if a["written"] is not None and a["written"] != n:
            warnings.append(f"arc {n} '{a['name']}' is headed as number {a['written']}")
        if a["prompts"] == 0:
            warnings.append(f"arc {n} '{a['name']}' has no prompts")
        arcs.append(
            Arc(
                number=n,
                name=a["name"],
                emoji=a["emoji"],
                bpm_min=lo,
                bpm_max=hi,
                description=" ".join(d for d in a["description"] if d).strip(),
            )
        )
    if st.orphans:
        warnings.append(f"{st.orphans} prompt line(s) before the first arc heading were ignored")
    warnings.extend(st.not_taken)

    title = props.get("title") or st.heading_title or fallback_title
    if not title:
        warnings.append("no title on the page; the partition key is used")
        title = key
    track_number = st.track_number
    if track_number is None and (tn := props.get("track_number")):
        if m := re.search(r"\d+", tn):
            track_number = int(m.group())
    if track_number is None and (m := TRACK_NUMBER.search(title)):
        track_number = int(m.group(1))

    duration = None
    if d := props.get("duration"):
        duration = parse_duration_minutes(d)
        if duration is None:
            warnings.append(f"duration {d!r} is not a length of time")
    if duration is None and (m := re.search(r"(\d+(?:\.\d+)?)\s*-?\s*(?:hr|hour)s?\b", title, re.I)):
        duration = float(m.group(1)) * 60
        warnings.append(f"target duration {duration:g} min read from the title")
    if duration is None:
        warnings.append("no target duration on the page")

    hashtags = st.hashtags or parse_hashtags(props.get("hashtags", ""))
    hidden = st.hidden_tags or parse_tag_list(props.get("hidden_tags", ""))
    hidden = list(dict.fromkeys(hidden))  # keep order, drop repeats
    tags_len = youtube_tags_length(hidden)
    if tags_len > YOUTUBE_TAGS_LIMIT:
        warnings.append(f"hidden tags take {tags_len} characters; YouTube allows {YOUTUBE_TAGS_LIMIT}")

    exclusions = st.exclusions or parse_tag_list(props.get("exclusions", ""))
    anchor = st.anchor or (strip_quotes(props["anchor"]) if props.get("anchor") else None)
    description = "\n".join(st.description).strip() or props.get("description", "")

    return TrackPlan(
        key=key,
        title=title.strip(),
        source=source,
        track_number=track_number,
        last_edited=iso_date(props.get("last_edited")) or last_edited,
        target_duration_min=duration,
        mood_arc=props.get("mood_arc"),
        theme=props.get("theme"),
        vibe=props.get("vibe"),
        status=props.get("status"),
        youtube_url=props.get("youtube_url"),
        description=description,
        visible_hashtags=hashtags,
        hidden_tags=hidden,
        hidden_tags_length=tags_len,
        hidden_tags_fit=tags_len <= YOUTUBE_TAGS_LIMIT,
        anchor_phrase=anchor,
        prompt_suffix=suffix,
        exclusions=exclusions,
        upload_schedule=props.get("upload_schedule") or st.upload,
        arcs=arcs,
        prompts=prompts,
        warnings=warnings,
    )
