"""Reading MIDI back: the Krumhansl–Schmuckler key, tempo and the note lists the scorer
and the evaluation use."""

from __future__ import annotations

import numpy as np
import pretty_midi

from .music_keys import MusicKey

# Krumhansl–Kessler probe-tone profiles (C major and C minor).
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def pitched_notes(midi: pretty_midi.PrettyMIDI) -> list[pretty_midi.Note]:
    return [n for i in midi.instruments if not i.is_drum for n in i.notes]


def pitch_class_histogram(midi: pretty_midi.PrettyMIDI) -> np.ndarray:
    """Duration-weighted pitch classes of the pitched parts."""
    hist = np.zeros(12)
    for n in pitched_notes(midi):
        hist[n.pitch % 12] += max(n.end - n.start, 0.05)
    return hist


def key_correlations(hist: np.ndarray) -> np.ndarray:
    """Pearson correlation of the histogram with the 24 rotated profiles: 12 major, then 12 minor."""
    out = np.zeros(24)
    if hist.sum() <= 0 or np.allclose(hist, hist[0]):
        return out
    for tonic in range(12):
        out[tonic] = np.corrcoef(hist, np.roll(KK_MAJOR, tonic))[0, 1]
        out[12 + tonic] = np.corrcoef(hist, np.roll(KK_MINOR, tonic))[0, 1]
    return out


def estimate_key(midi: pretty_midi.PrettyMIDI) -> MusicKey:
    """The Krumhansl–Schmuckler key: the best-correlated of the 24 key profiles."""
    best = int(np.argmax(key_correlations(pitch_class_histogram(midi))))
    return MusicKey(best % 12, best >= 12)


def first_tempo(midi: pretty_midi.PrettyMIDI) -> float:
    tempi = midi.get_tempo_changes()[1]
    return float(tempi[0]) if len(tempi) else 120.0
