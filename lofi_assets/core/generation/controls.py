"""Controls for validating the scorer: each takes a real piece and breaks one thing about
it, so a scorer that means something must rank the control below its source.

Two break the notes (``shuffled_pitch``, ``random_notes``); five break the arrangement, one
rule each: ``drums_removed``, ``second_bass``, ``lead_removed``, ``drums_redrawn`` (the kit
re-drawn at random every bar) and ``chords_shuffled`` (the keys' bars dealt out of order).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pretty_midi

from lofi_assets.core.generation.arrangement import bar_count, classify
from lofi_assets.core.generation.midi_analysis import first_tempo


def _copy(inst: pretty_midi.Instrument, notes=None) -> pretty_midi.Instrument:
    out = pretty_midi.Instrument(inst.program, is_drum=inst.is_drum, name=inst.name)
    out.notes = [
        pretty_midi.Note(n.velocity, n.pitch, n.start, n.end) for n in (inst.notes if notes is None else notes)
    ]
    return out


def _rebuild(midi: pretty_midi.PrettyMIDI, parts: list[pretty_midi.Instrument]) -> pretty_midi.PrettyMIDI:
    out = pretty_midi.PrettyMIDI(initial_tempo=first_tempo(midi))
    out.time_signature_changes = list(midi.time_signature_changes)
    out.instruments = parts
    return out


def _role_indices(midi: pretty_midi.PrettyMIDI, role: str) -> set[int]:
    return {p.index for p in classify(midi) if p.role == role}


def shuffled_pitch(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The same rhythm and parts with each part's pitches shuffled among its notes."""
    rng = np.random.default_rng(seed)
    parts = []
    for inst in midi.instruments:
        copy = _copy(inst)
        pitches = [n.pitch for n in inst.notes]
        if not inst.is_drum:
            rng.shuffle(pitches)
        for n, p in zip(copy.notes, pitches):
            n.pitch = p
        parts.append(copy)
    return _rebuild(midi, parts)


def random_notes(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """As many notes per part as the piece, at random times, pitches and lengths in each
    part's range: the floor any real music should clear."""
    rng = np.random.default_rng(seed)
    end = midi.get_end_time()
    parts = []
    for inst in midi.instruments:
        copy = _copy(inst, [])
        pitches = [n.pitch for n in inst.notes] or [60]
        lo, hi = min(pitches), max(pitches) + 1
        for _ in inst.notes:
            start = float(rng.uniform(0, end * 0.98))
            copy.notes.append(
                pretty_midi.Note(
                    int(rng.integers(40, 100)),
                    int(rng.integers(lo, hi)),
                    start,
                    min(end, start + float(rng.uniform(0.1, 1.5))),
                )
            )
        copy.notes.sort(key=lambda n: n.start)
        parts.append(copy)
    return _rebuild(midi, parts)


def drums_removed(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The piece without its drum parts."""
    return _rebuild(midi, [_copy(i) for i in midi.instruments if not i.is_drum])


def second_bass(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """A second bass part on another bass program doubling the first an octave and a fifth
    off and a beat late: the two-basses-at-once fault of early model output."""
    parts = [_copy(i) for i in midi.instruments]
    basses = sorted(_role_indices(midi, "bass"))
    if not basses:
        return _rebuild(midi, parts)
    source = midi.instruments[basses[0]]
    beat = 60.0 / first_tempo(midi)
    extra = pretty_midi.Instrument(35 if source.program != 35 else 33, name="bass 2")
    for n in source.notes:
        pitch = n.pitch + 7 if n.pitch + 7 <= 55 else n.pitch - 5
        extra.notes.append(pretty_midi.Note(n.velocity, pitch, n.start + beat, n.end + beat))
    return _rebuild(midi, [*parts, extra])


def lead_removed(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The piece without its lead."""
    leads = _role_indices(midi, "lead")
    return _rebuild(midi, [_copy(i) for k, i in enumerate(midi.instruments) if k not in leads])


def drums_redrawn(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The drum parts with each bar's hits moved to random sixteenths and eighth-triplets of
    that bar (the same kit pieces, velocities and number of hits): no groove, same sound."""
    rng = np.random.default_rng(seed)
    beat, bars = bar_count(midi)
    grid = np.array(sorted({s / 4 for s in range(16)} | {s / 3 for s in range(12)}))
    parts = []
    for inst in midi.instruments:
        if not inst.is_drum:
            parts.append(_copy(inst))
            continue
        notes = []
        for n in inst.notes:
            bar = min(int(n.start / (4 * beat)), bars - 1)
            start = (bar * 4 + float(rng.choice(grid))) * beat
            notes.append(pretty_midi.Note(n.velocity, n.pitch, start, start + (n.end - n.start)))
        parts.append(_copy(inst, sorted(notes, key=lambda n: n.start)))
    return _rebuild(midi, parts)


def chords_shuffled(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The keys' bars dealt out in a random order (no bar keeps its own), bass and lead as
    they were: the harmony no longer goes with the bass line."""
    rng = np.random.default_rng(seed)
    beat, bars = bar_count(midi)
    order = np.arange(bars)
    if bars > 1:
        while True:  # a derangement: every bar gets another bar's chords
            order = rng.permutation(bars)
            if not (order == np.arange(bars)).any():
                break
    keys = _role_indices(midi, "keys")
    parts = []
    for k, inst in enumerate(midi.instruments):
        if k not in keys:
            parts.append(_copy(inst))
            continue
        notes = []
        bar_len = 4 * beat
        for n in inst.notes:
            source = min(int(n.start / bar_len), bars - 1)
            target = int(np.flatnonzero(order == source)[0])  # the bar that now plays this one
            shift = (target - source) * bar_len
            notes.append(pretty_midi.Note(n.velocity, n.pitch, n.start + shift, n.end + shift))
        parts.append(_copy(inst, sorted(notes, key=lambda n: n.start)))
    return _rebuild(midi, parts)


ARRANGEMENT_CONTROLS: dict[str, Callable[[pretty_midi.PrettyMIDI, int], pretty_midi.PrettyMIDI]] = {
    "drums removed": drums_removed,
    "second bass": second_bass,
    "lead removed": lead_removed,
    "drums re-drawn every bar": drums_redrawn,
    "chords shuffled": chords_shuffled,
}
NOTE_CONTROLS = {"shuffled pitch": shuffled_pitch, "random notes": random_notes}
