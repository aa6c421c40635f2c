"""Partition keys for track pages and library songs, and stable seeds made from keys.

A track's key is derived from the Notion page id, never from the title, so renaming a page keeps
its partition. Dagster forbids ``,`` and ``|`` in keys; ours are ``[a-z0-9-]`` only.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

_HEX32 = re.compile(r"[0-9a-f]{32}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ID_SUFFIX = re.compile(r"(?:^|[\s_-])([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def page_id_to_key(page_id: str) -> str:
    """A Notion page id (dashed UUID or 32 hex) as 32 lowercase hex digits."""
    compact = page_id.strip().lower().replace("-", "")
    if not _HEX32.fullmatch(compact):
        raise ValueError(f"not a Notion page id: {page_id!r}")
    return compact


def key_to_page_id(key: str) -> str:
    """The dashed UUID form the Notion API prints, for a 32-hex key."""
    k = page_id_to_key(key)
    return f"{k[:8]}-{k[8:12]}-{k[12:16]}-{k[16:20]}-{k[20:]}"


def is_page_id_key(key: str) -> bool:
    return bool(_HEX32.fullmatch(key))


def slugify(text: str, max_length: int = 80) -> str:
    """Lowercase ASCII slug of ``[a-z0-9-]``; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_length].rstrip("-")
    return slug or "untitled"


def key_from_filename(stem: str) -> str:
    """Key for an exported file: the page id suffix of ``Title <32hex>``, else a slug.

    Notion's "Export as Markdown" names files ``Title 1a2b...`` (32 hex digits). A file
    named by its id alone (``1a2b....md``) has no title part. Anything else is a file
    somebody wrote by hand: its key is a slug of the file name.
    """
    lowered = stem.strip().lower()
    if _HEX32.fullmatch(lowered) or _UUID.fullmatch(lowered):
        return page_id_to_key(lowered)
    match = _ID_SUFFIX.search(lowered)
    if match:
        return page_id_to_key(match.group(1))
    return slugify(stem)


def title_from_filename(stem: str) -> str | None:
    """The title part of an exported file name, if it has one."""
    match = _ID_SUFFIX.search(stem.strip().lower())
    if match is None:
        return stem.strip() or None
    title = stem.strip()[: match.start(1)].strip(" _-")
    return title or None


def seed_of(*parts: str) -> int:
    """A stable seed from names (Python's hash() changes between processes)."""
    return zlib.crc32("|".join(parts).encode()) & 0x7FFFFFFF
