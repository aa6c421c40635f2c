"""The long mix: a track's songs in arc order, loudness-matched, joined by equal-power
crossfades, faded in and out, filling the plan's duration, with a chapter list.

Duration policies (what happens when the songs are shorter or longer than the plan):

- ``extend`` (default): each arc fills its share of the target (the plan's duration split
  by the arcs' prompt counts) by playing its own songs again in order, so the mood
  journey keeps its proportions; an arc's last song is cut to fit, under a crossfade.
- ``repeat``: the whole sequence plays again from the top until the target is reached.
- ``trim``: every song once; the mix is cut (with the fade-out) if it runs long and left
  short if it does not (the master's duration check then says so).

The mix is written as a 32-bit float WAV a song at a time, so a three-hour mix needs the
memory of one song, and kept at a working level (−18 LUFS by default) below the master's
target so that nothing clips before mastering.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import RATE, read_audio
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.planning.fill import MAX_PLAYS, MIN_REPLAY_S, arc_shares
from lofi_assets.core.production.loudness import LoudnessMeter


class DurationPolicy(StrEnum):
    """How a mix fills the plan's duration."""

    # each arc fills its share from its pool of songs (assigned, alternates, takes), each at
    # most twice and never within 20 minutes of itself (core.planning.fill)
    distinct = "distinct"
    extend = "extend"  # each arc fills its share by playing its own songs again
    repeat = "repeat"  # the whole sequence again from the top
    trim = "trim"  # every song once, cut with the fade-out if long, left short if not


POLICIES = tuple(DurationPolicy)
MIN_PIECE_S = 20.0  # an arc's remainder shorter than this is not worth another song


class MixError(ValueError):
    """A mix that cannot be made; the message names the song or the reason."""


@dataclass(frozen=True)
class MixSong:
    """One song of the playlist, in arc order."""

    song_id: str
    path: str
    seconds: float
    arc: int
    arc_name: str
    number: int  # the prompt it fills
    title: str
    kind: str  # library | generated | instrumental
    take: int = 0  # 0: the prompt's own song; 1, 2…: an alternate or a further take


@dataclass
class Placement:
    song: int  # index into the songs
    start_s: float  # where it enters the mix (the start of its crossfade in)
    length_s: float  # how much of it plays
    play: int  # 1 the first time the song plays in this mix, 2 the second…


def arc_targets(songs: list[MixSong], target_s: float, prompts_per_arc: dict[int, int]) -> dict[int, float]:
    """Each arc that has songs: its share of the target, by its prompt count."""
    return arc_shares(target_s, {a: prompts_per_arc.get(a, 1) for a in {s.arc for s in songs}})


def plan_mix(
    songs: list[MixSong],
    target_s: float | None,
    policy: str = "distinct",
    crossfade_s: float = 5.0,
    prompts_per_arc: dict[int, int] | None = None,
) -> list[Placement]:
    """Which song plays when, and for how long. Consecutive placements overlap by the
    crossfade (shorter where a song is too short for it)."""
    if policy not in POLICIES:
        raise MixError(f"unknown duration policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if not songs:
        raise MixError("no songs to mix: the playlist has neither reused nor rendered songs")
    short = [s.song_id for s in songs if s.seconds < 2.0]
    if short:
        raise MixError(f"songs too short to mix (under 2 s): {', '.join(short)}")
    order = sorted(range(len(songs)), key=lambda i: (songs[i].arc, songs[i].number))
    sequence: list[tuple[int, float]] = []  # (song, length)
    if target_s is None or policy == "trim":
        sequence = [(i, songs[i].seconds) for i in order]
    elif policy == "distinct":
        sequence = distinct_sequence(songs, target_s, crossfade_s, prompts_per_arc or {})
    elif policy == "repeat":
        elapsed, k = 0.0, 0
        while elapsed < target_s:
            i = order[k % len(order)]
            overlap = junction_s(sequence[-1][1], songs[i].seconds, crossfade_s) if sequence else 0.0
            sequence.append((i, songs[i].seconds))
            elapsed += songs[i].seconds - overlap
            k += 1
    else:
        shares = arc_targets(songs, target_s, prompts_per_arc or {})
        elapsed = 0.0
        arcs = sorted(shares)
        for n, arc in enumerate(arcs):
            in_arc = [i for i in order if songs[i].arc == arc]
            goal = target_s - elapsed if n == len(arcs) - 1 else shares[arc]
            filled, k = 0.0, 0
            # Every arc plays at least one song, however small its share: the journey is the point.
            while k == 0 or goal - filled > (0 if n == len(arcs) - 1 else MIN_PIECE_S):
                i = in_arc[k % len(in_arc)]
                overlap = junction_s(sequence[-1][1], songs[i].seconds, crossfade_s) if sequence else 0.0
                length = min(songs[i].seconds, max(goal - filled, MIN_PIECE_S if k == 0 else 0.0) + overlap)
                if length - overlap < 0.5:
                    break
                sequence.append((i, length))
                filled += length - overlap
                k += 1
            elapsed += filled
    placements = place(sequence, songs, crossfade_s)
    if (
        target_s is not None
        and policy != "trim"
        or (policy == "trim" and target_s is not None and mix_length(placements) > target_s)
    ):
        cut_to(placements, target_s, crossfade_s)
    return placements


def distinct_sequence(
    songs: list[MixSong], target_s: float, crossfade_s: float, prompts_per_arc: dict[int, int]
) -> list[tuple[int, float]]:
    """Each arc's share filled from its own pool: the prompts' own songs first, then the
    alternates and further takes, round again while a song may play once more (at most
    ``MAX_PLAYS`` times, never within ``MIN_REPLAY_S`` of its last start). An arc whose pool
    runs dry stops short, and the last arc takes what is left of the target."""
    shares = arc_targets(songs, target_s, prompts_per_arc)
    sequence: list[tuple[int, float]] = []
    starts: dict[int, list[float]] = {}
    elapsed = 0.0
    arcs = sorted(shares)
    for n, arc in enumerate(arcs):
        last = n == len(arcs) - 1
        pool = sorted((i for i, s in enumerate(songs) if s.arc == arc), key=lambda i: (songs[i].take, songs[i].number))
        goal = target_s - elapsed if last else shares[arc]
        filled, k, refused = 0.0, 0, 0
        while pool and (k == 0 or goal - filled > (0 if last else MIN_PIECE_S)) and refused < len(pool):
            i = pool[k % len(pool)]
            k += 1
            overlap = junction_s(sequence[-1][1], songs[i].seconds, crossfade_s) if sequence else 0.0
            start = elapsed + filled - overlap
            played = starts.get(i, [])
            if len(played) >= MAX_PLAYS or (played and start - played[-1] < MIN_REPLAY_S):
                refused += 1  # not now; once every song of the pool is refused, the arc ends
                continue
            refused = 0
            length = min(songs[i].seconds, max(goal - filled, MIN_PIECE_S if not played else 0.0) + overlap)
            if length - overlap < 0.5:
                break
            sequence.append((i, length))
            starts.setdefault(i, []).append(start)
            filled += length - overlap
        elapsed += filled
    return sequence


def play_counts(placements: list[Placement], songs: list[MixSong]) -> dict:
    """How often each song plays, and the closest any song comes round to itself (start to
    start; None when nothing repeats)."""
    plays: dict[str, int] = {}
    last: dict[str, float] = {}
    closest = None
    for p in placements:
        song = songs[p.song].song_id
        plays[song] = plays.get(song, 0) + 1
        if song in last:
            gap = p.start_s - last[song]
            closest = gap if closest is None else min(closest, gap)
        last[song] = p.start_s
    return {
        "distinct_songs": len(plays),
        "most_plays": max(plays.values(), default=0),
        "closest_replay_s": round(closest, 1) if closest is not None else None,
        "plays": plays,
    }


def arc_fill(
    placements: list[Placement],
    songs: list[MixSong],
    target_s: float | None,
    prompts_per_arc: dict[int, int],
    crossfade_s: float,
) -> list[dict]:
    """Each arc: its share of the target, the seconds it fills and its distinct songs (an
    arc whose songs ran out under ``distinct`` fills less than its share, and says so)."""
    shares = arc_targets(songs, target_s, prompts_per_arc) if target_s else {}
    filled: dict[int, float] = {}
    distinct: dict[int, set] = {}
    for n, p in enumerate(placements):
        arc = songs[p.song].arc
        overlap = junction_s(placements[n - 1].length_s, p.length_s, crossfade_s) if n else 0.0
        filled[arc] = filled.get(arc, 0.0) + p.length_s - overlap
        distinct.setdefault(arc, set()).add(songs[p.song].song_id)
    return [
        {
            "arc": arc,
            "share_s": round(shares[arc], 1) if arc in shares else None,
            "filled_s": round(filled.get(arc, 0.0), 1),
            "songs": len(distinct.get(arc, ())),
        }
        for arc in sorted({s.arc for s in songs})
    ]


def junction_s(previous: float, following: float, crossfade_s: float) -> float:
    return min(crossfade_s, previous / 2, following / 2)


def place(sequence: list[tuple[int, float]], songs: list[MixSong], crossfade_s: float) -> list[Placement]:
    placements: list[Placement] = []
    plays: dict[int, int] = {}
    start = 0.0
    for i, length in sequence:
        if placements:
            start = (
                placements[-1].start_s
                + placements[-1].length_s
                - junction_s(placements[-1].length_s, length, crossfade_s)
            )
        plays[i] = plays.get(i, 0) + 1
        placements.append(Placement(i, round(start, 4), length, plays[i]))
    return placements


def mix_length(placements: list[Placement]) -> float:
    return placements[-1].start_s + placements[-1].length_s if placements else 0.0


def cut_to(placements: list[Placement], target_s: float, crossfade_s: float) -> None:
    """Drop what starts after the target and cut the last placement to end on it. A cut
    song shorter than twice the crossfade crossfades for half its length, which moves its
    start: the start and the cut are settled together."""
    while len(placements) > 1 and placements[-1].start_s >= target_s - 1.0:
        placements.pop()
    last = placements[-1]
    for _ in range(40):
        last.length_s = max(0.0, min(last.length_s, target_s - last.start_s))
        if len(placements) < 2:
            break
        prev = placements[-2]
        start = prev.start_s + prev.length_s - junction_s(prev.length_s, last.length_s, crossfade_s)
        if abs(start - last.start_s) < 1e-4:
            break
        last.start_s = start


@dataclass
class Chapter:
    start_s: float
    arc: int
    arc_name: str
    song_id: str
    title: str
    kind: str
    play: int


def chapters(placements: list[Placement], songs: list[MixSong], crossfade_s: float) -> list[Chapter]:
    """A chapter where each song comes through: the middle of its crossfade (0 for the first)."""
    out = []
    for n, p in enumerate(placements):
        song = songs[p.song]
        if n == 0:
            start = 0.0
        else:
            prev = placements[n - 1]
            start = p.start_s + junction_s(prev.length_s, p.length_s, crossfade_s) / 2
        out.append(Chapter(round(start, 2), song.arc, song.arc_name, song.song_id, song.title, song.kind, p.play))
    return out


def equal_power(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains whose squares sum to one (constant power for
    uncorrelated songs)."""
    theta = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1) * (math.pi / 2)
    return np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)


def song_loudness(samples: np.ndarray) -> float:
    meter = LoudnessMeter(RATE)
    meter.add(samples)
    return meter.integrated()


@dataclass
class MixResult:
    path: str
    seconds: float
    target_s: float | None
    placements: list[dict]
    chapters: list[dict]
    gains_db: dict[str, float]
    peak_dbfs: float


def render_mix(
    songs: list[MixSong],
    placements: list[Placement],
    out: Path,
    *,
    crossfade_s: float = 5.0,
    fade_in_s: float = 3.0,
    fade_out_s: float = 8.0,
    level_lufs: float = -18.0,
) -> MixResult:
    """Write the mix as a float WAV, a song at a time."""
    from pedalboard.io import AudioFile

    cache: dict[int, np.ndarray] = {}
    gains: dict[str, float] = {}

    def audio(i: int) -> np.ndarray:
        if i not in cache:
            song = songs[i]
            samples = read_audio(Path(song.path))
            loudness = song_loudness(samples)
            if not math.isfinite(loudness) or loudness < -70:
                raise MixError(f"{Path(song.path).name} ({song.song_id}): silent, cannot be loudness-matched")
            gains[song.song_id] = round(level_lufs - loudness, 2)
            cache[i] = samples * np.float32(10 ** ((level_lufs - loudness) / 20))
        return cache[i]

    peak = 0.0
    written = 0
    with atomic_local_path(Path(out), suffix=".wav") as tmp:
        with AudioFile(str(tmp), "w", RATE, 2, bit_depth=32) as fh:
            tail = np.zeros((2, 0), dtype=np.float32)
            for n, p in enumerate(placements):
                data = audio(p.song)
                frames = min(data.shape[1], int(round(p.length_s * RATE)))
                segment = data[:, :frames].copy()
                last = n == len(placements) - 1
                if n == 0:
                    fade = min(frames, int(fade_in_s * RATE))
                    segment[:, :fade] *= np.linspace(0, 1, fade, dtype=np.float32)
                if last:
                    fade = min(frames, int(fade_out_s * RATE))
                    segment[:, frames - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
                if tail.shape[1]:
                    k = min(tail.shape[1], frames)
                    fade_out, fade_in = equal_power(k)
                    segment[:, :k] = tail[:, :k] * fade_out + segment[:, :k] * fade_in
                if last:
                    body, tail = segment, np.zeros((2, 0), dtype=np.float32)
                else:
                    following = placements[n + 1].length_s
                    k = int(round(junction_s(p.length_s, following, crossfade_s) * RATE))
                    body, tail = segment[:, : frames - k], segment[:, frames - k :]
                fh.write(body)
                written += body.shape[1]
                peak = max(peak, float(np.abs(body).max()) if body.size else 0.0)
                if not any(q.song == p.song for q in placements[n + 1 :]):
                    cache.pop(p.song, None)  # keep only songs that play again
    return MixResult(
        path=str(out),
        seconds=round(written / RATE, 3),
        target_s=None,
        placements=[asdict(p) | {"song_id": songs[p.song].song_id} for p in placements],
        chapters=[asdict(c) for c in chapters(placements, songs, crossfade_s)],
        gains_db=gains,
        peak_dbfs=round(20 * math.log10(peak), 2) if peak > 0 else float("-inf"),
    )
