"""Notion API objects (page properties and blocks) as the Markdown Notion exports.

Writing the same Markdown that "Export as Markdown" writes lets one parser read pages from
the API and from export folders alike: ``# Title``, ``Property: value`` lines, headings,
``- [x]  text`` to-dos, and children (toggles, nested lists) indented four spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

INDENT = "    "

# Blocks that carry no text a plan needs; skipped without a warning.
_SILENT = {
    "divider",
    "image",
    "video",
    "audio",
    "file",
    "pdf",
    "embed",
    "bookmark",
    "link_preview",
    "equation",
    "breadcrumb",
    "table_of_contents",
    "child_database",
    "link_to_page",
}


def rich_text_plain(items: list[dict[str, Any]] | None) -> str:
    """Join a rich-text array into plain text."""
    out = []
    for item in items or []:
        if "plain_text" in item:
            out.append(item["plain_text"])
        elif item.get("type") == "text":
            out.append(item.get("text", {}).get("content", ""))
        elif item.get("type") == "mention":
            out.append(item.get("mention", {}).get("page", {}).get("id", ""))
        elif item.get("type") == "equation":
            out.append(item.get("equation", {}).get("expression", ""))
    return "".join(out)


def property_text(prop: dict[str, Any]) -> str:
    """A page property's value as the export writes it after ``Name: ``."""
    kind = prop.get("type")
    value = prop.get(kind) if kind else None
    if value is None:
        return ""
    if kind in ("title", "rich_text"):
        return rich_text_plain(value)
    if kind == "number":
        return f"{value:g}" if isinstance(value, float) else str(value)
    if kind in ("select", "status"):
        return value.get("name", "")
    if kind == "multi_select":
        return ", ".join(v.get("name", "") for v in value)
    if kind in ("url", "email", "phone_number"):
        return str(value)
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind == "date":
        return value.get("start", "") + (f" → {value['end']}" if value.get("end") else "")
    if kind in ("created_time", "last_edited_time"):
        return str(value)
    if kind == "unique_id":
        return f"{value.get('prefix') or ''}{value.get('number', '')}"
    if kind == "formula":
        inner = value.get(value.get("type", ""), "")
        return "" if inner is None else str(inner)
    return ""


def page_title(page: dict[str, Any]) -> str | None:
    for prop in page.get("properties", {}).values():
        if prop.get("type") == "title":
            return rich_text_plain(prop.get("title")) or None
    return None


def page_header_markdown(page: dict[str, Any]) -> list[str]:
    """``# Title``, a blank line, then ``Property: value`` lines, as the export writes."""
    title = page_title(page) or "Untitled"
    lines = [f"# {title}", ""]
    for name, prop in page.get("properties", {}).items():
        if prop.get("type") == "title":
            continue
        text = property_text(prop).replace("\n", " ").strip()
        if text:
            lines.append(f"{name}: {text}")
    lines.append("")
    return lines


def blocks_to_markdown(
    blocks: list[dict[str, Any]],
    children_of: Callable[[str], list[dict[str, Any]]],
    warnings: list[str],
    depth: int = 0,
) -> list[str]:
    """Markdown lines for ``blocks``; ``children_of(block_id)`` fetches nested blocks."""
    lines: list[str] = []
    pad = INDENT * depth
    number = 0
    for block in blocks:
        kind = block.get("type", "")
        body = block.get(kind) or {}
        text = rich_text_plain(body.get("rich_text")) if isinstance(body, dict) else ""
        number = number + 1 if kind == "numbered_list_item" else 0
        child_depth = depth + 1
        if kind in ("heading_1", "heading_2", "heading_3", "heading_4"):
            lines.append(f"{pad}{'#' * int(kind[-1])} {text}")
        elif kind == "paragraph":
            lines.append(f"{pad}{text}" if text else "")
        elif kind == "to_do":
            lines.append(f"{pad}- [{'x' if body.get('checked') else ' '}]  {text}")
        elif kind == "bulleted_list_item" or kind == "toggle":
            lines.append(f"{pad}- {text}")
        elif kind == "numbered_list_item":
            lines.append(f"{pad}{number}. {text}")
        elif kind in ("quote", "callout"):
            icon = (body.get("icon") or {}).get("emoji", "") if kind == "callout" else ""
            lines.append(f"{pad}> {(icon + ' ') if icon else ''}{text}")
        elif kind == "code":
            lines.extend([f"{pad}```", *(pad + t for t in text.splitlines()), f"{pad}```"])
        elif kind == "table":
            child_depth = depth  # rows arrive as children
        elif kind == "table_row":
            cells = [rich_text_plain(c) for c in body.get("cells", [])]
            lines.append(f"{pad}| " + " | ".join(cells) + " |")
        elif kind in ("column_list", "column", "synced_block", "template"):
            child_depth = depth  # layout containers: their children stand at this level
        elif kind == "child_page":
            lines.append(f"{pad}{body.get('title', '')}")
            continue  # a sub-page is its own document
        elif kind in _SILENT:
            continue
        else:
            warnings.append(f"unknown Notion block type {kind!r} (block {block.get('id', '?')}) skipped")
            continue
        if block.get("has_children"):
            child_blocks = children_of(block["id"])
            lines.extend(blocks_to_markdown(child_blocks, children_of, warnings, child_depth))
    return lines
