"""Reading MIDI back: the key, tempo and the note lists the scorer and the evaluation use."""

from __future__ import annotations

import numpy as np
import pretty_midi

from lofi_assets.core.music_keys import KRUMHANSL, TEMPERLEY, MusicKey, key_correlation, key_from_pitch_classes

BASS_REGISTER = 52  # below E3 a note is a bass note, whatever plays it
BASS_WEIGHT = 2.0  # the bass names the chord's root: it counts twice toward the key


def pitched_notes(midi: pretty_midi.PrettyMIDI) -> list[pretty_midi.Note]:
    return [n for i in midi.instruments if not i.is_drum for n in i.notes]


def pitch_class_histogram(midi: pretty_midi.PrettyMIDI, bass_weight: float = 1.0) -> np.ndarray:
    """Duration-weighted pitch classes of the pitched parts (notes below E3 times
    ``bass_weight``)."""
    hist = np.zeros(12)
    for n in pitched_notes(midi):
        hist[n.pitch % 12] += max(n.end - n.start, 0.05) * (bass_weight if n.pitch < BASS_REGISTER else 1.0)
    return hist


def estimate_key(midi: pretty_midi.PrettyMIDI, method: str = "temperley-mode") -> MusicKey:
    """The key of the pitched parts' note time.

    ``krumhansl``: the Krumhansl–Schmuckler finder as it was (probe-tone profiles, every
    note alike). ``temperley``: Temperley's profiles, the bass counted twice.
    ``temperley-mode`` (the default): Temperley's find the key and its relative (they share
    every note), and the probe tones, which weigh the tonic triad, tell which of the two it
    is, the bass counted twice in both. ``benchmarks/validate_key_finder.py`` measures each against pieces
    whose key is known."""
    if method not in KEY_METHODS:
        raise ValueError(f"unknown key method {method!r}: expected one of {KEY_METHODS}")
    if method == "krumhansl":
        return key_from_pitch_classes(pitch_class_histogram(midi), KRUMHANSL)[0]
    hist = pitch_class_histogram(midi, BASS_WEIGHT)
    key = key_from_pitch_classes(hist, TEMPERLEY)[0]
    if method == "temperley":
        return key
    return max((key, key.relative()), key=lambda k: key_correlation(hist, k, KRUMHANSL))


KEY_METHODS = ("krumhansl", "temperley", "temperley-mode")


def first_tempo(midi: pretty_midi.PrettyMIDI) -> float:
    tempi = midi.get_tempo_changes()[1]
    return float(tempi[0]) if len(tempi) else 120.0
