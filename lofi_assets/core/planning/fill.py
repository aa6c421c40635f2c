"""How a plan's hours are filled with distinct music.

A plan asks for hours of music from a dozen or two prompts. Before any song repeats, each
arc is filled with the songs that pass for its prompts: the one assigned to each prompt,
the other library songs that pass for it (alternates), and more takes of each gap prompt
(the same conditions and prompt, other seeds: ``a``, ``b``, ``c`` as the channel's own
library names them). A song then plays at most ``MAX_PLAYS`` times in a video and never
within ``MIN_REPLAY_S`` of itself.

So an arc's pool of songs must last its share of the video when its share is no longer
than ``MIN_REPLAY_S`` (nothing may come round again within it), and otherwise half its
share and at least ``MIN_REPLAY_S`` and a song more (two passes through a pool that long
put every replay at least ``MIN_REPLAY_S`` after the first play).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

MAX_PLAYS = 2  # a song plays at most this many times in a video
MIN_REPLAY_S = 20 * 60  # and never within this long of itself
MAX_TAKES = 8  # takes of one gap prompt at most (a–h)


def arc_shares(target_s: float, prompts_per_arc: dict[int, int]) -> dict[int, float]:
    """Each arc's share of the target duration, by its prompt count (every arc at least one)."""
    weights = {arc: max(1, n) for arc, n in prompts_per_arc.items()}
    total = sum(weights.values()) or 1
    return {arc: target_s * w / total for arc, w in sorted(weights.items())}


def pool_needed_s(share_s: float, song_s: float) -> float:
    """How long an arc's pool of distinct songs must be to fill ``share_s`` by the rules."""
    if share_s <= MIN_REPLAY_S:
        return share_s
    return max(share_s / MAX_PLAYS, MIN_REPLAY_S + song_s)


def take_letter(take: int) -> str:
    """The suffix of a take: ``a`` for the first, ``b`` for the second…"""
    return string.ascii_lowercase[take]


@dataclass(frozen=True)
class ArcFill:
    """What one arc has and needs: its share of the video, the library songs that pass for
    its prompts (assigned and alternates), its gap prompts and how many takes each gets."""

    arc: int
    share_s: float
    library_s: float
    gaps: int
    gap_song_s: float
    takes: int

    @property
    def pool_s(self) -> float:
        return self.library_s + self.gaps * self.takes * self.gap_song_s

    def to_dict(self) -> dict:
        return {
            "arc": self.arc,
            "share_s": round(self.share_s, 1),
            "library_s": round(self.library_s, 1),
            "gaps": self.gaps,
            "gap_song_s": round(self.gap_song_s, 1),
            "takes": self.takes,
            "pool_s": round(self.pool_s, 1),
            "needed_s": round(pool_needed_s(self.share_s, self.gap_song_s or 180.0), 1),
        }


def plan_fill(
    target_s: float | None,
    prompts_per_arc: dict[int, int],
    library_s: dict[int, float],
    gaps_per_arc: dict[int, int],
    gap_song_s: float,
    max_takes: int = MAX_TAKES,
) -> dict[int, ArcFill]:
    """Per arc, the takes each gap prompt needs so the arc's pool lasts what the rules ask
    (one take at least; ``max_takes`` at most, when even that falls short the mix says so).
    Without a target duration every gap gets one take."""
    shares = arc_shares(target_s, prompts_per_arc) if target_s else {a: 0.0 for a in prompts_per_arc}
    out = {}
    for arc, share in shares.items():
        gaps, have = gaps_per_arc.get(arc, 0), library_s.get(arc, 0.0)
        takes = 0
        if gaps:
            missing = pool_needed_s(share, gap_song_s) - have if target_s else 0.0
            takes = min(max_takes, max(1, math.ceil(missing / (gaps * gap_song_s)) if missing > 0 else 1))
        out[arc] = ArcFill(arc, share, have, gaps, gap_song_s, takes)
    return out


def alternates(prompts: list[dict], threshold: float, durations: dict[str, float]) -> dict[tuple[int, int], list[str]]:
    """For each prompt (``(arc, number)``), the library songs that pass for it but were
    assigned to no prompt: each song once in a track, the prompts in order, each prompt's
    candidates best first."""
    used = {p["song_id"] for p in prompts if p.get("song_id")}
    out: dict[tuple[int, int], list[str]] = {}
    for p in sorted(prompts, key=lambda p: (p["arc"], p["number"])):
        extra = []
        for c in p.get("candidates", []):
            song = c["song_id"]
            if c["total"] >= threshold and song not in used and durations.get(song):
                extra.append(song)
                used.add(song)
        out[(p["arc"], p["number"])] = extra
    return out
