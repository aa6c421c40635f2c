"""Library file names: ``[Prefix_]Arc_Prompt_Song[Order].ext``.

``1_1_45a.mp3`` is arc 1, prompt 1 of source track 45, take ``a``; ``A_2_6_19a.mp3`` is a
rendered version (prefix ``A``); ``B_3_2_20b.mp3`` an alternate take. Names that do not
follow the pattern are still songs; they just carry no plan fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lofi_assets.core.partition_keys import slugify

AUDIO_SUFFIXES = {".mp3", ".wav", ".flac", ".ogg"}

_NAME = re.compile(
    r"^(?:(?P<prefix>[A-Za-z]+)_)?(?P<arc>\d{1,2})_(?P<prompt>\d{1,3})_(?P<track>\d{1,4})(?P<order>[a-z])?$"
)


@dataclass(frozen=True)
class SongName:
    prefix: str | None
    arc: int | None
    prompt: int | None
    source_track: int | None
    order: str | None


def parse_song_name(stem: str) -> SongName:
    m = _NAME.match(stem.strip())
    if not m:
        return SongName(None, None, None, None, None)
    return SongName(
        prefix=m.group("prefix").upper() if m.group("prefix") else None,
        arc=int(m.group("arc")),
        prompt=int(m.group("prompt")),
        source_track=int(m.group("track")),
        order=m.group("order"),
    )


def song_key(stem: str) -> str:
    """The ``songs`` partition key: the file stem made safe (``[a-z0-9-]``, no ``,`` or ``|``)."""
    return slugify(stem.replace("_", "-"), max_length=100)
