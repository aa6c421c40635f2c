"""Instruments named in other words, read by meaning: "a lonely oboe", "bowed violin",
"twinkling toy piano", "808 sub".

The sound plan's lexicon reads the words operators usually write; a clause it cannot read
as an instrument is compared, by the project's sentence embeddings (all-MiniLM-L6-v2), with
a short description of each instrument and with descriptions of what is *not* an
instrument (weather, effects, tempo, structure). The nearest instrument is taken only when
it is near enough and nearer than anything that is not an instrument by a margin: "light
rain" or "slow fade out" never becomes a pad. ``benchmarks/eval_sound_plan.py`` lists what
was read this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from lofi_assets.core.generation.sound_plan import INSTRUMENTS, Instrument

# What each instrument is, in the words of people who play it (the lexicon's own names are
# matched by the lexicon before this is asked).
DESCRIPTIONS: dict[str, str] = {
    "Rhodes": "a Fender Rhodes electric piano, mellow electric keys",
    "Wurlitzer": "a Wurlitzer electric piano, reedy vintage keys",
    "FM electric piano": "an FM electric piano, glassy DX7 bell keys",
    "felt piano": "a soft felt piano, hushed muted hammers",
    "upright piano": "an old upright piano, slightly out of tune",
    "grand piano": "a grand piano, acoustic piano keys",
    "organ": "a Hammond organ, drawbar or church organ",
    "nylon guitar": "a nylon-string acoustic guitar, ukulele, fingerpicked",
    "jazz guitar": "a hollow-body jazz guitar comping chords",
    "muted guitar": "a palm-muted electric guitar",
    "clean guitar": "a clean electric guitar",
    "strings": "a string section: violin, viola, cello, bowed or pizzicato strings",
    "airy pad": "an airy shimmering synth pad, a choir",
    "lush pad": "a lush dreamy synth pad",
    "warm pad": "a warm analog synth pad",
    "synth chords": "polysynth chords, synth stabs",
    "upright bass": "an upright double bass, a walking jazz bass",
    "fretless bass": "a fretless bass guitar",
    "synth bass": "a synth bass, a Moog bass, an 808 sub bass",
    "finger bass": "an electric bass guitar played with fingers",
    "music box": "a music box, a toy piano, a lullaby",
    "celesta": "a celesta, glockenspiel, chimes and bells",
    "vibraphone": "a vibraphone, vibes, mallets",
    "marimba": "a marimba, xylophone, steel drums",
    "kalimba": "a kalimba thumb piano",
    "harp": "a harp, plucked harp strings",
    "flute": "a flute, pan flute, recorder, a breathy woodwind",
    "saxophone": "a saxophone, tenor or alto sax",
    "muted trumpet": "a muted trumpet, a soft jazz horn",
    "trumpet": "a trumpet, flugelhorn, trombone, a brass or horn section",
    "clarinet": "a clarinet, oboe, bassoon, a reed woodwind",
    "synth arpeggio": "an arpeggiated synth, a synth arp sequence",
    "synth lead": "a synth lead, a square-wave lead melody",
}
# What a prompt's clause says when it names no instrument.
NOT_INSTRUMENTS: tuple[str, ...] = (
    "rain falling on the window",
    "thunder in the distance",
    "vinyl crackle and hiss",
    "a long deep reverb",
    "tape wobble and warble",
    "a slow tempo",
    "a cozy late night mood",
    "a slow fade out at the end",
    "a drum groove with kick and snare",
    "city traffic and street sounds",
    "a train on its rails",
    "a calm atmosphere",
    "morning light through the window",
    "a study session",
    "wind and ocean waves",
    "a warm hum",
    "a quiet ending",
)
# Set on the 25 paraphrases and 28 clauses naming no instrument of
# ``benchmarks/eval_sound_plan.py``: 21 paraphrases pass both, none of the 28 does (the
# nearest came to 0.35 with a margin of 0.04, or 0.59 with a margin below 0).
MIN_SIMILARITY = 0.45
MIN_MARGIN = 0.10


class Encoder(Protocol):
    def encode(self, texts: list[str]) -> tuple[np.ndarray, int]: ...


@dataclass(frozen=True)
class MeaningMatch:
    instrument: Instrument
    similarity: float  # cosine to the instrument's description
    margin: float  # above the nearest description of what is not an instrument


class InstrumentMeaning:
    """Reads a clause as the instrument it describes, or as none (``embedder``: an
    :class:`~lofi_assets.core.library.embedding.Embedder`, unit-length vectors)."""

    def __init__(self, embedder: Encoder):
        self.embedder = embedder
        self.instruments = [i for i in INSTRUMENTS if i.name in DESCRIPTIONS]

    @cached_property
    def _anchors(self) -> tuple[np.ndarray, np.ndarray]:
        named, _ = self.embedder.encode([DESCRIPTIONS[i.name] for i in self.instruments])
        other, _ = self.embedder.encode(list(NOT_INSTRUMENTS))
        return named, other

    def __call__(self, clause: str) -> MeaningMatch | None:
        named, other = self._anchors
        (query,), _ = self.embedder.encode([clause])
        scores = named @ query
        best = int(np.argmax(scores))
        similarity, margin = float(scores[best]), float(scores[best] - np.max(other @ query))
        if similarity < MIN_SIMILARITY or margin < MIN_MARGIN:
            return None
        return MeaningMatch(self.instruments[best], round(similarity, 3), round(margin, 3))
