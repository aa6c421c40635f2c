"""The chord chart decoding follows: which pitch classes each role may play where.

A lo-fi piece is a chord chart played by a band; the model decides the rhythm, the voicings,
the bass line and the melody, and the chart (:func:`.composer.chord_chart`, the mood's
progressions in the requested key) says what fits:

- **keys** play the tones a pianist voices of the chord that sounds (four at most, as the
  composer voices it) and do not hold a note into a chord that lacks it; a keys tone
  outside the chord altogether is a clash (:meth:`ChordChart.clashes`), never a colour;
- **bass** plays the chord's root on beats 1 and 3 (the first quarter beat of each), tones
  of the chord or the scale between them, and holds no other note over beat 1 or 3;
- **lead** plays a chord tone on beats 1 and 3 and tones of the chord or the scale between;
- a scale tone outside the chord, in bass or lead, passes: it lasts a beat at most (a held
  one colours the whole bar away from its chord).

Steps are 1/12 beat from the piece's start, as the tokenizer's positions (48 a bar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lofi_assets.core.generation.composer import MAJOR_SCALE, MINOR_SCALE, chord_chart, voicing_tones
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.tokens import STEPS_PER_BAR

STEPS_PER_BEAT = STEPS_PER_BAR // 4
STRONG_BEATS = (0, 2)
STRONG_WINDOW = 3  # steps after a strong beat that still land on it (a swung or late hit)
HOLD_TOLERANCE = 3  # steps a note may ring into the next chord (a release, not a clash)
PASSING = STEPS_PER_BAR // 4  # the longest a tone outside the chord lasts in bass or lead

Chord = tuple[int, frozenset[int]]  # root pitch class, chord pitch classes


@dataclass(frozen=True)
class ChordChart:
    bars: tuple[tuple[Chord, ...], ...]  # each bar's chords, sharing the bar evenly
    scale: frozenset[int]
    tonic: int = 0  # the key's tonic pitch class
    voicings: dict[Chord, frozenset[int]] = field(default_factory=dict)  # the keys' tones of each chord

    @classmethod
    def for_conditions(cls, cond: Conditions) -> ChordChart:
        # minor keys admit the raised seventh, which their V chord borrows
        steps = (*MINOR_SCALE, 11) if cond.key.minor else MAJOR_SCALE
        chart = chord_chart(cond)
        bars = tuple(tuple((root, frozenset(pcs)) for root, pcs in chords) for chords in chart)
        voicings = {
            (root, frozenset(pcs)): frozenset(voicing_tones(root, pcs)) for chords in chart for root, pcs in chords
        }
        return cls(bars, frozenset((cond.key.tonic + s) % 12 for s in steps), cond.key.tonic, voicings)

    def transposed(self, semitones: int) -> ChordChart:
        """The same chart ``semitones`` up: what a model trained in one key plays of a chart
        chosen for another (the chart is the request's, whatever key decoding runs in)."""

        def up(chord: Chord) -> Chord:
            return (chord[0] + semitones) % 12, frozenset((p + semitones) % 12 for p in chord[1])

        return ChordChart(
            tuple(tuple(up(c) for c in bar) for bar in self.bars),
            frozenset((p + semitones) % 12 for p in self.scale),
            (self.tonic + semitones) % 12,
            {up(c): frozenset((p + semitones) % 12 for p in v) for c, v in self.voicings.items()},
        )

    def span(self, step: int) -> tuple[int, int, Chord]:
        """The chord sounding at ``step`` with the steps where it starts and ends."""
        bar = min(max(step, 0) // STEPS_PER_BAR, len(self.bars) - 1)
        chords = self.bars[bar]
        length = STEPS_PER_BAR // len(chords)
        i = min((step - bar * STEPS_PER_BAR) // length, len(chords) - 1)
        start = bar * STEPS_PER_BAR + i * length
        return start, start + length, chords[i]

    def _chords_under(self, step: int, end: int) -> list[Chord]:
        """The chords after its own that a note from ``step`` to ``end`` rings into."""
        out = []
        _, stop, _ = self.span(step)
        while stop < end - HOLD_TOLERANCE and stop < len(self.bars) * STEPS_PER_BAR:
            _, stop, chord = self.span(stop)
            out.append(chord)
        return out

    def voicing(self, step: int) -> frozenset[int]:
        """The tones the keys voice of the chord sounding at ``step``."""
        chord = self.span(step)[2]
        return self.voicings.get(chord, chord[1])

    def fits(self, role: str, step: int, pitch: int) -> bool:
        """Whether a note of ``role`` may begin at ``step`` with ``pitch``."""
        _, _, (root, pcs) = self.span(step)
        pc = pitch % 12
        in_bar = step % STEPS_PER_BAR
        strong = any(0 <= in_bar - b * STEPS_PER_BEAT < STRONG_WINDOW for b in STRONG_BEATS)
        if role == "keys":
            return pc in self.voicings.get((root, pcs), pcs)
        if role == "bass":
            return pc == root if strong else pc in pcs or pc in self.scale
        if role == "lead":
            return pc in pcs if strong else pc in pcs or pc in self.scale
        return True

    def clashes(self, role: str, step: int, pitch: int, duration: int | None = None) -> bool:
        """Whether a keys note is no tone of the chord it begins in, or is held into a chord
        without it: the chord itself sounds wrong (beside a tone the voicing leaves out,
        which is only a colour)."""
        if role != "keys":
            return False
        pc = pitch % 12
        if pc not in self.span(step)[2][1]:
            return True
        return duration is not None and any(pc not in c[1] for c in self._chords_under(step, step + duration))

    def rings_true(self, role: str, step: int, pitch: int, duration: int) -> bool:
        """Whether a note held for ``duration`` steps stays inside the chords it rings into."""
        pc = pitch % 12
        if role == "keys":
            return all(pc in self.voicings.get(c, c[1]) for c in self._chords_under(step, step + duration))
        if role in ("bass", "lead") and duration > PASSING and pc not in self.span(step)[2][1]:
            return False
        if role == "bass":  # over every strong beat it rings through, the root sounds
            first = step // STEPS_PER_BEAT + 1
            last = (step + duration - HOLD_TOLERANCE - 1) // STEPS_PER_BEAT
            return all(
                pc == self.span(beat * STEPS_PER_BEAT)[2][0]
                for beat in range(first, last + 1)
                if beat % 4 in STRONG_BEATS
            )
        return True
