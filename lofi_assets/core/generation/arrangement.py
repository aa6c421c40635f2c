"""Arrangement roles read back from MIDI: which part is the keys, the bass, the drums and
the lead, and the rules a lo-fi arrangement keeps.

Roles come from what a part plays, not from its name (model output has no names):

- **drums**: a drum-channel part.
- **bass**: a General MIDI bass program (32–39), or a mostly single-note part whose median
  pitch is below E3 (MIDI 52).
- **lead**: of the other pitched parts, the highest mostly single-note one (at least 80 % of
  its onsets are a single note); **keys**: a part that plays chords (two or more notes at
  once on at least 30 % of its onsets). A part that is neither is ``other``.

The body is the bars between intro and outro: two at each end of a piece under 24 bars,
four from 24, none under 8 (as the composer's form). The rules (``ArrangementReport.rules``),
each true or false:

- ``one_bass``: exactly one bass part.
- ``keys``: a chord part sounds in at least half the bars.
- ``melodic_lead``: a lead sounds in at least 40 % of the body's bars (it may rest in the
  intro and outro).
- ``steady_drums``: drums play in at least 90 % of the body's bars, and
  the groove repeats (``groove_consistency`` ≥ 0.7). A piece asked for without drums
  instead keeps this rule by having no drum part.

``groove_consistency`` is the drum pattern's repetition: each drum bar's hits, as (kit
piece, position on a 1/12-beat grid), are compared with the bar before and the one before
that (a one- or two-bar loop); hits within one grid step of a hit of the same kit piece
match, and the bar's similarity is matches over the larger bar's hits; the score is the
mean over bars of the better of the two. A fill or a variation costs a little; drums
re-drawn every bar cost most of it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pretty_midi

from lofi_assets.core.generation.composer import section_plan
from lofi_assets.core.generation.midi_analysis import first_tempo

ROLES = ("keys", "bass", "drums", "lead")
BASS_PROGRAMS = range(32, 40)
BASS_BELOW = 52  # median pitch under E3: a bass line whatever its program
SINGLE_NOTE_SHARE = 0.8
CHORD_SHARE = 0.3
LEAD_BARS = 0.4
KEYS_BARS = 0.5
DRUM_BODY_BARS = 0.9
GROOVE_REPEATS = 0.7
ONSET_TOGETHER = 0.03  # seconds: notes starting this close are one onset (a strummed chord)
GRID = 12  # steps a beat: sixteenths and triplet eighths both land on it

# General MIDI drum keys grouped by kit piece: a closed hat for a pedal hat is a variation,
# not another groove.
KIT_PIECES = {
    **{k: "kick" for k in (35, 36)},
    **{k: "snare" for k in (37, 38, 39, 40)},
    **{k: "hat" for k in (42, 44, 46)},
    **{k: "tom" for k in (41, 43, 45, 47, 48, 50)},
    **{k: "cymbal" for k in (49, 51, 52, 53, 55, 57, 59)},
}


@dataclass(frozen=True)
class PartRole:
    index: int  # position in ``midi.instruments``
    role: str  # keys, bass, drums, lead or other
    program: int
    notes: int
    single_note_share: float
    median_pitch: float


@dataclass
class ArrangementReport:
    bars: int
    parts: list[PartRole]
    bass_parts: int
    keys_bars: float  # share of bars in which a keys part sounds
    lead_bars: float  # share of the body's bars in which the lead sounds
    drum_body_bars: float  # share of the body's bars with drums
    groove_consistency: float
    drums_expected: bool = True
    rules: dict[str, bool] = field(default_factory=dict)

    @property
    def all_rules(self) -> bool:
        return all(self.rules.values())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["parts"] = [{"role": p.role, "program": p.program, "notes": p.notes} for p in self.parts]
        return d


def bar_count(midi: pretty_midi.PrettyMIDI) -> tuple[float, int]:
    """(seconds a beat, bars) on the first tempo's 4/4 grid."""
    beat = 60.0 / first_tempo(midi)
    return beat, max(1, int(np.ceil(midi.get_end_time() / (4 * beat) - 1e-6)))


def body_bars(bars: int) -> range:
    """The bars between intro and outro, as the composer lays out a piece of this length."""
    body = [i for i, letter in enumerate(section_plan(bars)) if letter in "AB"]
    return range(body[0], body[-1] + 1) if body else range(0)


@dataclass(frozen=True)
class BarRoles:
    """What each bar of a piece plays, as constrained decoding enforces it."""

    required: tuple[frozenset[str], ...]  # roles that must begin a note in the bar
    either: tuple[frozenset[str], ...]  # roles that must begin one in the bar or the bar before
    silent: tuple[frozenset[str], ...]  # roles that rest in the bar


def bar_roles(bars: int, drums: bool = True) -> BarRoles:
    """Keys in every bar; in the body, bass and (unless asked for none) drums in every bar
    and the lead in every bar or the one before (it may breathe for a bar); the intro is
    without drums, as the composer writes it, and the lead may rest in intro and outro."""
    plan = section_plan(bars)
    body = set(body_bars(bars))
    every = frozenset({"keys", "bass", "drums"} if drums else {"keys", "bass"})
    return BarRoles(
        required=tuple(every if i in body else frozenset({"keys"}) for i in range(bars)),
        either=tuple(frozenset({"lead"}) if i in body else frozenset() for i in range(bars)),
        silent=tuple(frozenset({"drums"}) if letter == "I" else frozenset() for letter in plan),
    )


def groove_references(bars: int) -> tuple[tuple[int, int] | None, ...]:
    """For each bar, the bar whose drums it repeats and up to which grid step, or None where
    the drums are free. The loop is two bars: a bar repeats the one two back, from the
    third bar of the body on (the first two set it; the intro has no drums). The bar that
    ends a phrase (every eighth of the body, or before a new section) keeps the loop for
    three beats and is free for its last (the fill), and never serves as a loop's model."""
    plan = section_plan(bars)
    body = set(body_bars(bars))
    first = min(body) if body else 0

    def is_fill(i: int) -> bool:
        return i in body and i + 1 < bars and ((i - first) % 8 == 7 or plan[i + 1] != plan[i])

    out: list[tuple[int, int] | None] = []
    for i, letter in enumerate(plan):
        ref = i - 2
        while ref >= first and is_fill(ref):
            ref -= 2
        if letter == "I" or ref < first:
            out.append(None)
        else:
            out.append((ref, 3 * GRID if is_fill(i) else 4 * GRID))
    return tuple(out)


def _onset_groups(notes: list[pretty_midi.Note]) -> list[int]:
    """How many notes start together at each onset of a part."""
    starts = sorted(n.start for n in notes)
    groups: list[int] = []
    last = -1.0
    for s in starts:
        if groups and s - last <= ONSET_TOGETHER:
            groups[-1] += 1
        else:
            groups.append(1)
            last = s
    return groups


# A part voiced by a sound plan says its role in its name ("keys: Acoustic Guitar (nylon)"):
# an arpeggio is single notes in a low register, and its notes alone would read as a bass.
DECLARED_ROLE = re.compile(r"^(keys|bass|lead): ")


def classify(midi: pretty_midi.PrettyMIDI) -> list[PartRole]:
    """The role of every part with notes: the role its name declares, else what its notes do."""
    out: list[PartRole] = []
    melodic: list[PartRole] = []
    for i, inst in enumerate(midi.instruments):
        if not inst.notes:
            continue
        groups = _onset_groups(inst.notes)
        single = float(np.mean([g == 1 for g in groups]))
        median = float(np.median([n.pitch for n in inst.notes]))
        if (declared := DECLARED_ROLE.match(inst.name or "")) and not inst.is_drum:
            out.append(PartRole(i, declared.group(1), inst.program, len(inst.notes), round(single, 3), median))
            continue
        if inst.is_drum:
            role = "drums"
        elif inst.program in BASS_PROGRAMS or (single >= SINGLE_NOTE_SHARE and median < BASS_BELOW):
            role = "bass"
        elif 1.0 - single >= CHORD_SHARE:
            role = "keys"
        elif single >= SINGLE_NOTE_SHARE:
            role = "melodic"
        else:
            role = "other"
        part = PartRole(i, role, inst.program, len(inst.notes), round(single, 3), median)
        (melodic if role == "melodic" else out).append(part)
    if melodic:
        lead = max(melodic, key=lambda p: (p.median_pitch, p.notes))
        out += [PartRole(**{**asdict(p), "role": "lead" if p is lead else "other"}) for p in melodic]
    return sorted(out, key=lambda p: p.index)


def _bars_sounding(inst: pretty_midi.Instrument, beat: float, bars: int) -> np.ndarray:
    on = np.zeros(bars, dtype=bool)
    for n in inst.notes:
        first = int(n.start / (4 * beat))
        last = int(max(n.start, n.end - 1e-3) / (4 * beat))
        on[min(first, bars - 1) : min(last, bars - 1) + 1] = True
    return on


def drum_bars(midi: pretty_midi.PrettyMIDI, beat: float, bars: int) -> list[set[tuple[str, int]]]:
    """Each bar's drum hits as (kit piece, step on the 1/12-beat grid)."""
    hits: list[set[tuple[str, int]]] = [set() for _ in range(bars)]
    for inst in midi.instruments:
        if not inst.is_drum:
            continue
        for n in inst.notes:
            step = int(round(n.start / beat * GRID))
            bar = min(step // (4 * GRID), bars - 1)
            hits[bar].add((KIT_PIECES.get(n.pitch, "other"), step - bar * 4 * GRID))
    return hits


def bar_similarity(a: set[tuple[str, int]], b: set[tuple[str, int]]) -> float:
    """Hits of ``b`` within one grid step of a hit of the same kit piece in ``a``, over the
    larger bar's hits (symmetric enough for a groove: both bars are similar sizes)."""
    if not a or not b:
        return 0.0
    near = {(piece, step + d) for piece, step in a for d in (-1, 0, 1)}
    return sum(1 for hit in b if hit in near) / max(len(a), len(b))


def groove_consistency(midi: pretty_midi.PrettyMIDI) -> float:
    """How steadily the drums loop a one- or two-bar pattern (0 without drums)."""
    beat, bars = bar_count(midi)
    hits = drum_bars(midi, beat, bars)
    sims = []
    for i in range(1, bars):
        if not hits[i]:
            continue
        previous = [hits[j] for j in (i - 1, i - 2) if j >= 0 and hits[j]]
        if previous:
            sims.append(max(bar_similarity(p, hits[i]) for p in previous))
    return float(np.mean(sims)) if sims else 0.0


def analyse(midi: pretty_midi.PrettyMIDI, drums_expected: bool = True) -> ArrangementReport:
    """Roles, coverage and the arrangement rules of a piece."""
    beat, bars = bar_count(midi)
    parts = classify(midi)

    def coverage(role: str, within: range) -> float:
        on = np.zeros(bars, dtype=bool)
        for p in parts:
            if p.role == role:
                on |= _bars_sounding(midi.instruments[p.index], beat, bars)
        idx = list(within)
        return float(on[idx].mean()) if idx else 0.0

    report = ArrangementReport(
        bars=bars,
        parts=parts,
        bass_parts=sum(p.role == "bass" for p in parts),
        keys_bars=round(coverage("keys", range(bars)), 3),
        lead_bars=round(coverage("lead", body_bars(bars)), 3),
        drum_body_bars=round(coverage("drums", body_bars(bars)), 3),
        groove_consistency=round(groove_consistency(midi), 3),
        drums_expected=drums_expected,
    )
    has_drums = any(p.role == "drums" for p in parts)
    report.rules = {
        "one_bass": report.bass_parts == 1,
        "keys": report.keys_bars >= KEYS_BARS,
        "melodic_lead": report.lead_bars >= LEAD_BARS,
        "steady_drums": (
            report.drum_body_bars >= DRUM_BODY_BARS and report.groove_consistency >= GROOVE_REPEATS
            if drums_expected
            else not has_drums
        ),
    }
    return report
