"""A generated piece voiced as its sound plan asks: each part's General MIDI program set to
the instrument the plan gives its role, the drum part to the plan's kit, and the idioms a
part can take from the notes it already has played so: a chord broken into an arpeggio, a
strum, pad swells held to the next chord, a drone, a music box up in its register.

The generator writes each role with the programs it knows (the model's keys, bass and lead
programs, the composer's); the harmony and rhythm it chose stay, and the plan's instrument
plays them. What was done is returned, so ``gap_songs.json`` says what plays, and which
asked idioms (a walking line, an ostinato) were not played, not only what was asked.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from lofi_assets.core.generation.arrangement import ONSET_TOGETHER, classify
from lofi_assets.core.generation.composer import BASS_PROGRAMS, KEYS_PROGRAMS, KICK_PATTERNS, LEAD_PROGRAMS
from lofi_assets.core.generation.midi_analysis import first_tempo
from lofi_assets.core.generation.sound_plan import Idiom, SoundPlan

# The role each of the generators' own programs plays (the model decodes these, one a role);
# a part on another program is placed by what its notes do (``arrangement.classify``).
GENERATOR_ROLES = {
    **{p: "keys" for p in KEYS_PROGRAMS},
    **{p: "bass" for p in BASS_PROGRAMS},
    **{p: "lead" for p in LEAD_PROGRAMS},
}


def voice(midi: pretty_midi.PrettyMIDI, plan: SoundPlan) -> dict[str, str]:
    """Set each part's program (in place) to the plan's instrument for its role, and the
    drums to the plan's kit when the plan chose one. Returns, per part, what plays now
    ("keys: Electric Piano 1 → Acoustic Guitar (nylon)")."""
    wanted = plan.programs()
    played: dict[str, str] = {}
    for part in classify(midi):
        inst = midi.instruments[part.index]
        role = GENERATOR_ROLES.get(inst.program, part.role) if not inst.is_drum else "drums"
        if inst.is_drum:
            if plan.drums.on and plan.drums.chosen:
                inst.program = plan.drums.kit_program
            feel = play_feel(inst, plan.drums.feel, 60.0 / first_tempo(midi))
            played["drums"] = f"kit {inst.program}" + (f", {feel}" if feel else "")
            continue
        program = wanted.get(role)
        if program is None:
            continue
        before = pretty_midi.program_to_instrument_name(inst.program)
        inst.program = program
        after = pretty_midi.program_to_instrument_name(program)
        what = after if before == after else f"{before} → {after}"
        if role not in played:  # the role's main part takes the idiom, and says its role
            what += f", {play_idiom(inst, Idiom(plan.parts[role].idiom), 60.0 / first_tempo(midi))}"
            inst.name = f"{role}: {after}"
        played[role if role not in played else f"{role} {part.index}"] = what
    return played


HIGH_REGISTER = {10, 8, 108}  # music box, celesta, kalimba: they sound an octave or two up
HIGH_MEDIAN = 72  # C5


def play_idiom(inst: pretty_midi.Instrument, idiom: Idiom, beat: float) -> str:
    """Play ``inst``'s notes in ``idiom`` where its notes allow; says what was done."""
    done = []
    if inst.program in HIGH_REGISTER and inst.notes:
        shift = 0
        median = float(np.median([n.pitch for n in inst.notes]))
        while median + shift < HIGH_MEDIAN and max(n.pitch for n in inst.notes) + shift + 12 <= 108:
            shift += 12
        for n in inst.notes:
            n.pitch += shift
        if shift:
            done.append(f"up {shift // 12} octave(s)")
    chords = _chords(inst.notes)
    if idiom == Idiom.arpeggio and chords:
        inst.notes = _arpeggiate(inst.notes, chords, beat / 2)
        done.append("chords broken into eighth-note arpeggios")
    elif idiom == Idiom.strum and chords:
        for group in chords:
            for k, n in enumerate(sorted(group, key=lambda n: n.pitch)):
                n.start = min(n.start + k * STRUM_S, n.end - 0.01)
        done.append("chords strummed")
    elif idiom == Idiom.pad_swell and chords:
        starts = sorted({round(g[0].start, 3) for g in chords})
        for group in chords:
            later = [t for t in starts if t > group[0].start + ONSET_TOGETHER]
            end = max(later[0] if later else group[0].end, max(n.end for n in group))
            for n in group:
                n.end, n.velocity = end, max(1, int(n.velocity * 0.7))
        done.append("chords held as swells to the next chord")
    elif idiom == Idiom.drone and inst.notes:
        inst.notes = _drone(inst.notes, 4 * beat)
        done.append("a held note a bar")
    elif idiom in (Idiom.walking, Idiom.ostinato):
        done.append(f"{idiom.value} asked, played as generated")
    else:
        done.append(f"{idiom.value}, as generated")
    return "; ".join(done)


STRUM_S = 0.012  # between strings of a strum, low to high


def _chords(notes: list[pretty_midi.Note]) -> list[list[pretty_midi.Note]]:
    """Groups of three or more notes starting together."""
    groups: list[list[pretty_midi.Note]] = []
    for n in sorted(notes, key=lambda n: n.start):
        if groups and n.start - groups[-1][0].start <= ONSET_TOGETHER:
            groups[-1].append(n)
        else:
            groups.append([n])
    return [g for g in groups if len(g) >= 3]


def _arpeggiate(
    notes: list[pretty_midi.Note], chords: list[list[pretty_midi.Note]], step: float
) -> list[pretty_midi.Note]:
    """Each chord as its notes one by one, low to high and back, a ``step`` apart, each
    ringing to the chord's end (a picked guitar, a harp)."""
    in_chords = {id(n) for g in chords for n in g}
    out = [n for n in notes if id(n) not in in_chords]
    for group in chords:
        start, end = group[0].start, max(n.end for n in group)
        pitches = sorted(n.pitch for n in group)
        order = pitches + pitches[-2:0:-1]  # up and back down
        velocity = int(np.mean([n.velocity for n in group]))
        t, k = start, 0
        while t < end - 0.02:
            out.append(pretty_midi.Note(max(1, velocity - 6 * (k % 2)), order[k % len(order)], t, end))
            t, k = t + step, k + 1
    return sorted(out, key=lambda n: (n.start, n.pitch))


def _drone(notes: list[pretty_midi.Note], bar: float) -> list[pretty_midi.Note]:
    """One note a bar: the bar's first (lowest) pitch, held the whole bar."""
    by_bar: dict[int, list[pretty_midi.Note]] = {}
    for n in notes:
        by_bar.setdefault(int(n.start // bar + 1e-6), []).append(n)
    out = []
    for index, group in sorted(by_bar.items()):
        first = min(group, key=lambda n: (n.start, n.pitch))
        out.append(pretty_midi.Note(first.velocity, first.pitch, index * bar, (index + 1) * bar))
    return out


# General MIDI drum keys the feels move between
KICK, SIDE_STICK, SNARE, ELECTRIC_SNARE, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, SHAKER = 36, 37, 38, 40, 42, 44, 46, 82
SNARES, HATS = {SNARE, ELECTRIC_SNARE}, {CLOSED_HAT, PEDAL_HAT, OPEN_HAT}
SWING = 1 / 3  # an off-beat eighth pushed a third of the way toward the next beat (2:1 swing)


def play_feel(drums: pretty_midi.Instrument, feel: tuple[str, ...], beat: float) -> str:
    """The drum part played with the plan's feel words; says what was done."""
    done = []
    notes = drums.notes
    if not notes:
        return ""
    end = max(n.end for n in notes)
    playing = sorted({int(n.start // (4 * beat)) for n in notes})  # the bars the drums play (not an intro's)

    def position(n: pretty_midi.Note) -> float:  # beats into the bar
        return (n.start / beat) % 4

    if "boom bap" in feel:
        # the kick of a boom-bap groove (the composer's first two-bar pattern), looped
        pattern = KICK_PATTERNS["boom_bap"][0]
        velocity = max((n.velocity for n in notes if n.pitch == KICK), default=100)
        notes = [n for n in notes if n.pitch != KICK]
        notes += [
            pretty_midi.Note(velocity, KICK, (4 * b + q) * beat, (4 * b + q + 0.25) * beat)
            for b in playing
            for q in pattern[b % 2]
        ]
        done.append("boom bap: its kick pattern")
    if "half time" in feel:
        # the backbeat on 3 alone: snares on 2 and 4 go, one on each bar's third beat comes
        kept = [n for n in notes if not (n.pitch in SNARES and abs(position(n) - round(position(n))) < 0.1)]
        velocity = max((n.velocity for n in notes if n.pitch in SNARES), default=90)
        kept += [pretty_midi.Note(velocity, SNARE, (4 * b + 2) * beat, (4 * b + 2.5) * beat) for b in playing]
        notes = kept
        done.append("half time: the snare on 3")
    if "rimshot" in feel:
        for n in notes:
            if n.pitch in SNARES:
                n.pitch = SIDE_STICK
        done.append("rimshot: the side stick for the snare")
    if "lazy hats" in feel or "swing" in feel:
        for n in notes:
            off = (n.start / beat) % 1
            if n.pitch in HATS and abs(off - 0.5) < 0.05:
                n.start += SWING * beat / 2
                n.end = max(n.end, n.start + 0.05)
            if n.pitch in HATS and "lazy hats" in feel:
                n.velocity = max(1, int(n.velocity * 0.7))
        done.append("lazy hats: swung and softer" if "lazy hats" in feel else "swing: hats swung")
    if "sleepy kick" in feel:
        notes = [n for n in notes if n.pitch != KICK or abs(position(n) - round(position(n))) < 0.1]
        for n in notes:
            if n.pitch == KICK:
                n.velocity = max(1, int(n.velocity * 0.75))
        done.append("sleepy kick: on the beat only, softer")
    if "shaker" in feel:
        notes += [
            pretty_midi.Note(42 + 12 * (k % 2), SHAKER, (8 * b + k) * beat / 2, (8 * b + k) * beat / 2 + 0.05)
            for b in playing
            for k in range(8)
        ]
        done.append("shaker: on the eighths")
    if "sparse" in feel:
        notes = [n for n in notes if n.pitch in (KICK, *SNARES, SIDE_STICK) or position(n) % 2 < 0.05]
        done.append("sparse: kick, snare and a hat every other beat")
    if "fading beat" in feel:
        for n in notes:
            if n.start > end / 2:
                n.velocity = max(1, int(n.velocity * (1 - 0.8 * (n.start - end / 2) / (end / 2))))
        done.append("fading beat: over the second half")
    drums.notes = sorted(notes, key=lambda n: (n.start, n.pitch))
    return "; ".join(done)
