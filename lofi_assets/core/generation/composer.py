"""A rule-based lo-fi composer: jazz harmony, voice-led keys, bass, swung drums, a lead.

It writes the corpus the model learns from and is the labelled fallback generator; it is
not the product's generator. Everything follows from :class:`Conditions` and one seeded
random generator, so a seed always gives the same piece.

Form: intro (keys alone), A and B sections in phrases of four bars (A again after B),
outro (A's progression resolving to the tonic). Each mood picks its mode preference,
progressions, chord colours, comping, bass, drum feel, swing and melody density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from lofi_assets.core.generation.conditions import MOODS, Conditions

# Chord qualities as intervals above the root (semitones).
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj7": (0, 4, 7, 11),
    "maj9": (0, 4, 7, 11, 14),
    "6/9": (0, 4, 9, 14),
    "m7": (0, 3, 7, 10),
    "m9": (0, 3, 7, 10, 14),
    "m11": (0, 3, 10, 14, 17),
    "7": (0, 4, 7, 10),
    "9": (0, 4, 10, 14),
    "13": (0, 4, 10, 14, 21),
    "m7b5": (0, 3, 6, 10),
    "m6": (0, 3, 7, 9),
}
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor; the V chord borrows the leading tone

# Four-bar progressions, one chord a bar: (root above the tonic, quality).
MAJOR_PROGRESSIONS = {
    "ii-V-I": [(2, "m9"), (7, "13"), (0, "maj9"), (0, "maj7")],
    "I-vi-ii-V": [(0, "maj7"), (9, "m7"), (2, "m9"), (7, "9")],
    "IV-iii-ii-I": [(5, "maj7"), (4, "m7"), (2, "m9"), (0, "maj9")],
    "I-IV-iii-vi": [(0, "maj9"), (5, "maj7"), (4, "m7"), (9, "m9")],
    # modal interchange: the borrowed minor iv and the backdoor bVII7
    "IV-iv-I": [(5, "maj7"), (5, "m6"), (0, "maj9"), (0, "6/9")],
    "backdoor": [(0, "maj7"), (5, "m7"), (10, "9"), (0, "maj9")],
    # secondary dominants: V/ii and V/V
    "I-VI7-ii-V": [(0, "maj9"), (9, "7"), (2, "m9"), (7, "13")],
    "I-II7-ii-V": [(0, "maj7"), (2, "9"), (2, "m7"), (7, "9")],
}
MINOR_PROGRESSIONS = {
    "i-iv-VII-III": [(0, "m9"), (5, "m7"), (10, "9"), (3, "maj7")],
    "i-VI-ii-V": [(0, "m7"), (8, "maj7"), (2, "m7b5"), (7, "7")],
    "ii-V-i": [(2, "m7b5"), (7, "7"), (0, "m9"), (0, "m11")],
    "i-iv-i-V": [(0, "m9"), (5, "m9"), (0, "m7"), (7, "7")],
    # dorian interchange: the major IV
    "i-IV-i-VII": [(0, "m9"), (5, "9"), (0, "m11"), (10, "maj7")],
    "VI-VII-i": [(8, "maj7"), (10, "9"), (0, "m9"), (0, "m7")],
    # secondary dominant: V/iv
    "i-I7-iv-V": [(0, "m9"), (0, "7"), (5, "m9"), (7, "7")],
}


@dataclass(frozen=True)
class MoodStyle:
    """How a mood turns into harmony and rhythm."""

    major_share: float  # chance of a major key when the caller leaves the mode open
    progressions: tuple[str, ...]  # names from the tables above (either mode)
    comping: str  # "pads" (held chords) or "hits" (short syncopated stabs)
    bass: str  # "root_fifth" or "walking"
    drums: str  # "sparse", "brushes" or "boom_bap"
    swing: float  # where the off-beat eighth falls, as a share of the beat
    melody_density: float  # lead notes a beat, on average
    velocity: int  # the part's central MIDI velocity
    chords_per_bar: int


MOOD_STYLES: dict[str, MoodStyle] = {
    "peaceful": MoodStyle(
        0.85, ("I-IV-iii-vi", "IV-iii-ii-I", "i-iv-VII-III"), "pads", "root_fifth", "sparse", 0.56, 0.5, 62, 1
    ),
    "melancholic": MoodStyle(
        0.15, ("i-VI-ii-V", "i-iv-i-V", "VI-VII-i", "IV-iv-I"), "pads", "root_fifth", "brushes", 0.60, 0.75, 64, 1
    ),
    "uplifting": MoodStyle(
        0.9, ("I-vi-ii-V", "I-VI7-ii-V", "I-II7-ii-V", "ii-V-i"), "hits", "walking", "boom_bap", 0.62, 1.25, 80, 2
    ),
    "dreamy": MoodStyle(
        0.6, ("IV-iv-I", "I-IV-iii-vi", "i-IV-i-VII", "VI-VII-i"), "pads", "root_fifth", "sparse", 0.55, 0.5, 60, 1
    ),
    "cozy": MoodStyle(
        0.75, ("ii-V-I", "I-vi-ii-V", "backdoor", "i-iv-VII-III"), "hits", "root_fifth", "boom_bap", 0.62, 1.0, 70, 1
    ),
    "chill": MoodStyle(
        0.5,
        ("ii-V-I", "i-iv-VII-III", "i-IV-i-VII", "IV-iii-ii-I"),
        "hits",
        "root_fifth",
        "boom_bap",
        0.60,
        0.75,
        72,
        1,
    ),
    "focused": MoodStyle(
        0.3, ("i-iv-VII-III", "i-iv-i-V", "ii-V-I"), "hits", "root_fifth", "boom_bap", 0.54, 0.5, 70, 1
    ),
    "nostalgic": MoodStyle(
        0.7, ("IV-iv-I", "I-VI7-ii-V", "backdoor", "i-I7-iv-V"), "pads", "walking", "brushes", 0.62, 0.75, 66, 2
    ),
}
MOOD_MODE = {m: ("major" if s.major_share >= 0.5 else "minor") for m, s in MOOD_STYLES.items()}
# The General MIDI kit each drum feel is played on (bank 128 of a GM soundfont), carried in
# the MIDI as the drum part's program, so the renderer plays brushes as brushes.
DRUM_KITS = {"boom_bap": 0, "sparse": 32, "brushes": 40}  # Standard, Jazz, Brush
KIT_NAMES = {0: "Standard", 32: "Jazz", 40: "Brush"}


def drum_kit(mood: str) -> int:
    """The GM drum kit (program on the drum channel) of a mood's drum feel."""
    return DRUM_KITS[MOOD_STYLES[mood].drums]


# Lo-fi General MIDI programs for each part (0-based program numbers).
KEYS_PROGRAMS = (4, 0, 5)  # Rhodes, grand piano, FM electric piano
BASS_PROGRAMS = (33, 32, 35)  # finger, acoustic, fretless
LEAD_PROGRAMS = (11, 26, 73)  # vibraphone, jazz guitar, flute
KICK, SNARE, SIDE_STICK, CLOSED_HAT, OPEN_HAT, RIDE, BRUSH = 36, 38, 37, 42, 46, 51, 40
LOW_TOM, MID_TOM, HIGH_TOM, CRASH = 45, 47, 50, 49
# Two-bar kick patterns (beats of each bar) for each drum feel; a section loops one.
KICK_PATTERNS: dict[str, tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]] = {
    "boom_bap": (
        ((0, 1.5), (0, 0.75, 2.5)),
        ((0, 2.5), (0, 1.5, 2.75)),
        ((0, 1.5, 2.75), (0, 2.5)),
        ((0, 0.75, 2.5), (0, 1.5, 2.5)),
    ),
    "brushes": (((0, 2.5), (0, 2.5)), ((0, 2.5), (0, 1.5, 2.5)), ((0, 2), (0, 2.5))),
    "sparse": (((0,), (0, 2.5)), ((0, 2.5), (0,)), ((0,), (0,))),
}
PART_RANGES = {"keys": (48, 79), "bass": (28, 55), "lead": (60, 86)}


def voicing_tones(root: int, pcs: tuple[int, ...]) -> list[int]:
    """The pitch classes a pianist voices of a chord: four at most, an extended chord
    dropping its fifth (or, without one, its root, which the bass plays)."""
    tones = list(pcs)
    if len(tones) > 4:
        fifth = (root + 7) % 12
        tones = [pc for pc in tones if pc != fifth] if fifth in tones else tones[1:]
    return tones[:4]


def section_plan(bars: int) -> list[str]:
    """One section letter a bar: intro ``I``, ``A``, ``B``, outro ``O``."""
    if bars < 8:
        return ["A"] * bars
    edge = 2 if bars < 24 else 4
    body = bars - 2 * edge
    letters: list[str] = []
    phrase = 8 if body >= 16 else 4
    cycle = "AB"
    i = 0
    while len(letters) < body:
        letters += [cycle[i % 2]] * min(phrase, body - len(letters))
        i += 1
    if body >= 12 and letters[-1] == "B":  # end on A: the return makes the form audible
        letters[-phrase:] = ["A"] * len(letters[-phrase:])
    return ["I"] * edge + letters + ["O"] * edge


class Composer:
    """Compose one piece for :class:`Conditions`; ``compose`` returns a PrettyMIDI."""

    def __init__(self, cond: Conditions):
        self.cond = cond
        self.rng = np.random.default_rng(
            [cond.seed, int(cond.tempo * 10), cond.key.tonic, int(cond.key.minor), MOODS.index(cond.mood), cond.bars]
        )
        self.style = MOOD_STYLES[cond.mood]
        self.beat = 60.0 / cond.tempo
        self.bar = 4 * self.beat
        self.tonic = cond.key.tonic
        self.scale = MINOR_SCALE if cond.key.minor else MAJOR_SCALE

    # --- helpers -------------------------------------------------------------------
    def _choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def _t(self, bar: int, beat: float) -> float:
        """Seconds of a (bar, beat) position, with swing on off-beat eighths."""
        whole = int(np.floor(beat))
        frac = beat - whole
        if abs(frac - 0.5) < 1e-6:
            frac = self.style.swing
        return (bar + (whole + frac) / 4) * self.bar

    def _human(self, t: float, spread_ms: float = 12.0) -> float:
        return max(0.0, t + float(self.rng.normal(0, spread_ms / 1000)))

    def _vel(self, centre: int, spread: float = 4.0) -> int:
        return int(np.clip(round(self.rng.normal(centre, spread)), 20, 120))

    def _scale_pcs(self) -> set[int]:
        return {(self.tonic + s) % 12 for s in self.scale}

    # --- harmony -------------------------------------------------------------------
    def _progression(self, name: str) -> list[tuple[int, str]]:
        table = MINOR_PROGRESSIONS if self.cond.key.minor else MAJOR_PROGRESSIONS
        if name not in table:  # a mood's choice from the other mode: pick one of this mode
            name = self._choice(sorted(table))
        return table[name]

    def harmony(self, sections: list[str]) -> list[list[tuple[int, tuple[int, ...]]]]:
        """Chords of each bar as (root pitch class, chord pitch classes)."""
        names = list(self.style.progressions)
        a_name = self._choice(names)
        b_name = self._choice([n for n in names if n != a_name] or names)
        a, b = self._progression(a_name), self._progression(b_name)
        if b == a:
            b = a[2:] + a[:2]
        bars = []
        for i, letter in enumerate(sections):
            prog = b if letter == "B" else a
            step = prog[i % 4]
            if letter == "I":  # the intro states the tonic chord: the key is set before the tune
                step = (0, "m9" if self.cond.key.minor else "maj9") if i % 2 == 0 else prog[3]
            chords = [step]
            if self.style.chords_per_bar == 2 and letter in "AB":
                # a passing chord on beat 3: the next chord's ii or its dominant
                nxt = prog[(i + 1) % 4]
                chords.append(((nxt[0] + 7) % 12, "7") if self.rng.random() < 0.5 else step)
            if letter == "O" and i == len(sections) - 1:
                chords = [(0, "m9" if self.cond.key.minor else "maj9")]
            bars.append(
                [
                    ((self.tonic + root) % 12, tuple((self.tonic + root + iv) % 12 for iv in QUALITIES[q]))
                    for root, q in chords
                ]
            )
        return bars

    def voicing(self, root: int, pcs: tuple[int, ...], previous: list[int] | None) -> list[int]:
        """A rootless (or close) voicing in the keys' range, nearest to the previous one."""
        lo, hi = PART_RANGES["keys"]
        tones = voicing_tones(root, pcs)
        candidates = []
        for rot in range(len(tones)):
            order = tones[rot:] + tones[:rot]
            for base in range(lo, lo + 12):
                if base % 12 != order[0]:
                    continue
                notes = [base]
                for pc in order[1:]:
                    n = notes[-1] + ((pc - notes[-1]) % 12 or 12)
                    notes.append(n)
                if notes[-1] <= hi:
                    candidates.append(notes)
        if previous is None:
            return min(candidates, key=lambda v: abs(np.mean(v) - 62))

        # voice leading: least total movement, with common tones kept where possible
        def movement(v: list[int]) -> float:
            return sum(min(abs(n - p) for p in previous) for n in v) + abs(len(v) - len(previous))

        return min(candidates, key=movement)

    # --- parts ---------------------------------------------------------------------
    def keys(self, inst: pretty_midi.Instrument, harmony, sections) -> None:
        previous = None
        for bar, chords in enumerate(harmony):
            span = 4 / len(chords)
            for c, (root, pcs) in enumerate(chords):
                voicing = self.voicing(root, pcs, previous)
                previous = voicing
                start_beat = c * span
                if self.style.comping == "pads" or sections[bar] in "IO":
                    hits = [(start_beat, span * 0.98)]
                else:
                    pattern = self._choice(
                        [
                            [(0, 1.5), (1.5, 1.0), (3, 0.75)],
                            [(0, 0.75), (1.5, 2.0)],
                            [(0.5, 1.0), (2.5, 1.25)],
                            [(0, 2.0), (2.5, 1.25)],
                        ]
                    )
                    hits = [(start_beat + b * span / 4, d * span / 4) for b, d in pattern]
                for beat, dur in hits:
                    t0 = self._t(bar, beat)
                    hit_velocity = self._vel(self.style.velocity - 6)  # a hand plays the chord as one
                    for k, pitch in enumerate(voicing):
                        start = self._human(t0 + 0.004 * k, 4)  # a soft roll, bottom up
                        inst.notes.append(
                            pretty_midi.Note(self._vel(hit_velocity, 2), pitch, start, start + dur * self.beat)
                        )

    def bass(self, inst: pretty_midi.Instrument, harmony, sections, kicks: list[list[float]]) -> None:
        lo, hi = PART_RANGES["bass"]

        def place(pc: int, near: int) -> int:
            options = [p for p in range(lo, hi + 1) if p % 12 == pc]
            return min(options, key=lambda p: abs(p - near))

        last = 40
        for bar, chords in enumerate(harmony):
            if sections[bar] == "I" and bar < len(sections) // 8:
                continue  # the intro's first half is keys alone
            next_root = harmony[bar + 1][0][0] if bar + 1 < len(harmony) else chords[0][0]
            root, pcs = chords[0]
            fifth = (root + 7) % 12 if (root + 7) % 12 in pcs else pcs[min(2, len(pcs) - 1)]
            if self.style.bass == "walking" and sections[bar] in "AB":
                third = pcs[1]
                approach = (next_root + self._choice([-1, 1, 7 - 12])) % 12  # chromatic or dominant approach
                line = [(0, root), (1, third), (2, fifth), (3, approach)]
                durs = [0.9] * 4
            else:
                # locked to the kick: the root with the downbeat, the fifth (or the root
                # again) with the kick's other hits
                beats = sorted(kicks[bar]) if len(kicks[bar]) > 1 else [0, 2.5]
                line = [(b, root if k % 2 == 0 else fifth) for k, b in enumerate(beats)]
                durs = [min(2.2, nxt - b) * 0.92 for b, nxt in zip(beats, beats[1:] + [4.0])]
                if self.rng.random() < 0.4 and beats[-1] < 3.5:
                    durs[-1] = min(durs[-1], (3.5 - beats[-1]) * 0.92)
                    line.append((3.5, (next_root - 1) % 12))  # a chromatic pickup
                    durs.append(0.45)
            for (beat, pc), dur in zip(line, durs):
                pitch = place(pc, last)
                last = pitch
                start = self._human(self._t(bar, beat), 6)
                inst.notes.append(
                    pretty_midi.Note(self._vel(self.style.velocity + 4, 3), pitch, start, start + dur * self.beat)
                )

    def groove_plan(self, sections: list[str]) -> list[list[float]]:
        """The kick of every bar: each section loops a two-bar pattern of the mood's feel,
        so the bass can lock to it and the drums repeat as a drummer's (or a sampler's) do."""
        patterns = KICK_PATTERNS[self.style.drums]
        chosen = {letter: patterns[int(self.rng.integers(len(patterns)))] for letter in "IABO"}
        chosen["O"] = chosen["A"]  # the outro returns to the first groove
        out = []
        for bar, letter in enumerate(sections):
            out.append(list(chosen[letter][bar % 2]) if self.cond.drums else [0.0])
        return out

    def drums(self, inst: pretty_midi.Instrument, sections, kicks: list[list[float]]) -> None:
        style = self.style.drums
        body = [i for i, letter in enumerate(sections) if letter in "AB"]
        first = body[0] if body else 0
        open_hat = self.rng.random() < 0.6  # a variation the loop keeps: an open hat on the "and" of 4
        for bar, letter in enumerate(sections):
            if letter == "I" or (letter == "O" and bar == len(sections) - 1):
                continue
            in_phrase = (bar - first) % 8
            fill = None
            if letter in "AB" and bar + 1 < len(sections):
                if in_phrase == 7 or sections[bar + 1] != letter:
                    fill = "long"  # into the next phrase or section
                elif in_phrase == 3:
                    fill = "short"
            hits: list[tuple[float, int, int]] = [(b, KICK, 92 if b == 0 else 84) for b in kicks[bar]]
            if style == "boom_bap":
                hits += [(1, SNARE, 88), (3, SNARE, 90)]
                hits += [(e / 2, CLOSED_HAT, 62 if e % 2 else 74) for e in range(8)]
                if open_hat and bar % 2 == 1:
                    hits = [h for h in hits if h[0] != 3.5 or h[1] != CLOSED_HAT] + [(3.5, OPEN_HAT, 60)]
                if self.rng.random() < 0.25:
                    hits.append((2.75, SNARE, 36))  # a ghost note, now and then
            elif style == "brushes":
                hits += [(1, BRUSH, 70), (3, BRUSH, 74)]
                hits += [(b, RIDE, 58 if b % 1 else 66) for b in (0, 1, 1.5, 2, 3, 3.5)]
                if self.rng.random() < 0.25:
                    hits.append((2.5, BRUSH, 40))  # a brush ghost
            else:  # sparse
                hits += [(3, SIDE_STICK, 66)] + [(b, CLOSED_HAT, 52) for b in range(4)]
            if fill == "short":
                hits = [h for h in hits if h[0] < 3.5 or h[1] == CLOSED_HAT]
                hits += [(3.5, SNARE, 68), (3.75, SNARE, 76)] if style != "sparse" else [(3.5, SIDE_STICK, 58)]
            elif fill == "long":
                hits = [h for h in hits if h[0] < 3 or h[1] in (KICK,)]
                if style == "sparse":
                    hits += [(3, SIDE_STICK, 62), (3.5, SIDE_STICK, 58), (3.75, KICK, 64)]
                else:
                    hits += [(3, HIGH_TOM, 74), (3.25, HIGH_TOM, 70), (3.5, MID_TOM, 76), (3.75, LOW_TOM, 80)]
            if bar > first and letter in "ABO" and (bar - first) % 8 == 0 and style != "sparse":
                hits.append((0, CRASH, 70))  # the phrase lands
            scale = 0.85 if letter == "O" else 1.0
            for beat, pitch, vel in hits:
                start = self._human(self._t(bar, beat), 8)
                inst.notes.append(pretty_midi.Note(self._vel(int(vel * scale), 4), pitch, start, start + 0.1))

    def lead(self, inst: pretty_midi.Instrument, harmony, sections) -> None:
        lo, hi = PART_RANGES["lead"]
        scale_pcs = self._scale_pcs()
        scale_notes = [p for p in range(lo, hi + 1) if p % 12 in scale_pcs]
        density = self.style.melody_density
        motifs: dict[str, list[tuple[float, float]]] = {}
        for letter in "AB":
            n = max(2, int(round(density * 8 * (0.8 + 0.4 * self.rng.random()))))
            grid = np.arange(0, 8, 0.5)
            onsets = sorted(self.rng.choice(grid[grid < 7], size=min(n, 14), replace=False).tolist())
            if 0.0 not in onsets:
                onsets[0] = 0.0
            ends = onsets[1:] + [8.0]
            motifs[letter] = [(o, min(e - o, 2.0) * 0.9) for o, e in zip(onsets, ends)]
        pitch = int(self.rng.choice([p for p in scale_notes if 64 <= p <= 76]))
        for bar, letter in enumerate(sections):
            if letter not in "AB" or bar % 2:
                continue
            phrase_bar = bar
            # every other phrase rests for its second half: room for the keys
            rest_half = (bar // 4) % 2 == 1 and self.rng.random() < 0.6
            for onset, dur in motifs[letter]:
                b = phrase_bar + int(onset // 4)
                if b >= len(sections) or (rest_half and onset >= 4):
                    continue
                beat = onset % 4
                chord_root, pcs = harmony[b][min(int(beat // (4 / len(harmony[b]))), len(harmony[b]) - 1)]
                strong = beat in (0.0, 2.0)
                if strong:  # chord tones on strong beats, nearest to the line
                    options = [p for p in range(lo, hi + 1) if p % 12 in pcs and abs(p - pitch) <= 7]
                else:  # a step of the scale, or a chromatic approach to the next chord tone
                    options = [p for p in scale_notes if 0 < abs(p - pitch) <= 3]
                    if self.rng.random() < 0.2:
                        targets = [p for p in range(lo, hi + 1) if p % 12 in pcs and abs(p - pitch) <= 4]
                        if targets:
                            options = [self._choice(targets) - 1]
                if not options:
                    options = [p for p in scale_notes if abs(p - pitch) <= 5] or scale_notes
                # a pull back toward the middle keeps the line singable
                weights = np.array([1.0 / (1 + abs(p - pitch)) * (1.0 / (1 + abs(p - 71) / 6)) for p in options])
                pitch = int(self.rng.choice(options, p=weights / weights.sum()))
                start = self._human(self._t(b, beat), 8)
                vel = self._vel(self.style.velocity + (6 if strong else 0), 4)
                inst.notes.append(pretty_midi.Note(vel, pitch, start, start + dur * self.beat))

    def compose(self) -> pretty_midi.PrettyMIDI:
        sections = section_plan(self.cond.bars)
        harmony = self.harmony(sections)
        midi = pretty_midi.PrettyMIDI(initial_tempo=self.cond.tempo)
        midi.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
        parts = {
            "keys": pretty_midi.Instrument(self._choice(KEYS_PROGRAMS), name="keys"),
            "bass": pretty_midi.Instrument(self._choice(BASS_PROGRAMS), name="bass"),
            "drums": pretty_midi.Instrument(drum_kit(self.cond.mood), is_drum=True, name="drums"),
            "lead": pretty_midi.Instrument(self._choice(LEAD_PROGRAMS), name="lead"),
        }
        self.keys(parts["keys"], harmony, sections)
        kicks = self.groove_plan(sections)
        self.bass(parts["bass"], harmony, sections, kicks)
        if self.cond.drums:
            self.drums(parts["drums"], sections, kicks)
        self.lead(parts["lead"], harmony, sections)
        end = len(sections) * self.bar
        for inst in parts.values():
            for note in inst.notes:
                note.end = min(note.end, end)
            inst.notes = [n for n in inst.notes if n.end - n.start > 0.02]
            inst.notes.sort(key=lambda n: (n.start, n.pitch))
            if inst.notes:
                midi.instruments.append(inst)
        return midi


def compose(cond: Conditions) -> pretty_midi.PrettyMIDI:
    """A piece for the conditions; the same conditions and seed give the same piece."""
    return Composer(cond).compose()


def chord_chart(cond: Conditions) -> list[list[tuple[int, tuple[int, ...]]]]:
    """The chords of each bar, as (root pitch class, chord pitch classes): the chart the
    composer plays for these conditions, and the one the model's decoding follows."""
    return Composer(cond).harmony(section_plan(cond.bars))
