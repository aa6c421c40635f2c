"""Musical keys as people and analysers write them, and how well two keys sit together."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

PITCH_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_KEY = re.compile(
    r"^\s*([a-gA-G])\s*([#♯b♭]|sharp|flat)?\s*"
    r"(m(?!aj)|min|minor|-|maj|major|M)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MusicKey:
    tonic: int  # pitch class, C = 0
    minor: bool

    @property
    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {'minor' if self.minor else 'major'}"

    def relative(self) -> MusicKey:
        return MusicKey((self.tonic + 3) % 12, False) if self.minor else MusicKey((self.tonic - 3) % 12, True)


def parse_key(text: str | None) -> MusicKey | None:
    """``Am``, ``F#m``, ``Bb``, ``C major``, ``C minor``, ``c# minor``, ``Eb min`` → a key.

    A bare lowercase letter is read as a key name, not as minor ("c" is C major), since
    analysers print lowercase names; minor must be said (``m``, ``min``, ``minor``).
    """
    if not text:
        return None
    m = _KEY.match(text.replace("♯", "#").replace("♭", "b"))
    if not m:
        return None
    letter, accidental, quality = m.groups()
    tonic = _LETTERS[letter.lower()]
    if accidental in ("#", "sharp"):
        tonic += 1
    elif accidental in ("b", "flat"):
        tonic -= 1
    minor = quality is not None and quality.lower() in ("m", "min", "minor", "-") and quality != "M"
    return MusicKey(tonic % 12, minor)


_KEY_IN_TEXT = re.compile(
    r"\bin\s+([A-G](?:#|b|♯|♭)?)\s*(major|minor|maj|min|m)?\b|\b([A-G](?:#|b)?)\s+(major|minor)\b"
)


def key_in_text(text: str) -> MusicKey | None:
    """A key a prompt names ("in F major", "A minor"), if any."""
    m = _KEY_IN_TEXT.search(text)
    if not m:
        return None
    if m.group(1):
        return parse_key(f"{m.group(1)} {m.group(2) or 'major'}")
    return parse_key(f"{m.group(3)} {m.group(4)}")


def key_compatibility(a: MusicKey | None, b: MusicKey | None) -> float | None:
    """1.0 for the same key, 0.5 for the relative key or a fifth away (same mode), else 0.
    None when either key is unknown."""
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    if a.relative() == b:
        return 0.5
    if a.minor == b.minor and (b.tonic - a.tonic) % 12 in (5, 7):
        return 0.5
    return 0.0


# Krumhansl–Kessler key profiles (probe-tone ratings), C major and C minor.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
KRUMHANSL = (KK_MAJOR, KK_MINOR)
# Temperley's revised profiles ("What's key for key?", Music Perception 17, 1999): built for
# notated music, they weigh the leading tone up and the chromatic tones down, which reads
# seventh and ninth chords (a lo-fi piece's whole harmony) far better than the probe tones.
TEMPERLEY = (
    np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0]),
    np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0]),
)


def key_correlation(weights: np.ndarray, key: MusicKey, profiles: tuple[np.ndarray, np.ndarray] = KRUMHANSL) -> float:
    """The correlation of a pitch-class profile with ``key``'s profile."""
    return float(np.corrcoef(weights, np.roll(profiles[key.minor], key.tonic))[0, 1])


def key_from_pitch_classes(
    weights: np.ndarray, profiles: tuple[np.ndarray, np.ndarray] = KRUMHANSL
) -> tuple[MusicKey, float]:
    """Krumhansl–Schmuckler: the best of the 24 keys by correlation of a 12-bin pitch-class
    profile (audio chroma or MIDI note time) with the rotated major and minor ``profiles``;
    and that correlation. A flat or empty profile says nothing: C major with correlation 0."""
    best, best_r = MusicKey(0, False), 0.0
    if not np.asarray(weights).any() or np.allclose(weights, weights[0]):
        return best, best_r
    best_r = -2.0
    for minor in (False, True):
        for tonic in range(12):
            r = key_correlation(weights, MusicKey(tonic, minor), profiles)
            if r > best_r:
                best, best_r = MusicKey(tonic, minor), r
    return best, best_r
