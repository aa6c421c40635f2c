"""Reading MIDI back: the Krumhansl–Schmuckler key, tempo and the note lists the scorer
and the evaluation use."""

from __future__ import annotations

import numpy as np
import pretty_midi

from lofi_assets.core.music_keys import MusicKey, key_from_pitch_classes


def pitched_notes(midi: pretty_midi.PrettyMIDI) -> list[pretty_midi.Note]:
    return [n for i in midi.instruments if not i.is_drum for n in i.notes]


def pitch_class_histogram(midi: pretty_midi.PrettyMIDI) -> np.ndarray:
    """Duration-weighted pitch classes of the pitched parts."""
    hist = np.zeros(12)
    for n in pitched_notes(midi):
        hist[n.pitch % 12] += max(n.end - n.start, 0.05)
    return hist


def estimate_key(midi: pretty_midi.PrettyMIDI) -> MusicKey:
    """The Krumhansl–Schmuckler key of the pitched parts' note time."""
    return key_from_pitch_classes(pitch_class_histogram(midi))[0]


def first_tempo(midi: pretty_midi.PrettyMIDI) -> float:
    tempi = midi.get_tempo_changes()[1]
    return float(tempi[0]) if len(tempi) else 120.0
