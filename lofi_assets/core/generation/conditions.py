"""What a new song is asked to be: tempo, key, mood, length and seed.

The same vocabulary conditions the composer, labels the corpus, prefixes every training
sequence of the model, and is what the CLI and the assets accept, so it is validated
once, here, with errors that list what is valid.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from lofi_assets.core.music_keys import PITCH_NAMES, MusicKey, parse_key

MOODS = ("peaceful", "melancholic", "uplifting", "dreamy", "cozy", "chill", "focused", "nostalgic")
TEMPO_LIMITS = (40.0, 200.0)  # what generation accepts at all
LOFI_TEMPO = (45.0, 95.0)  # what the composer writes and the corpus covers
# Tempo bins of the conditioning tokens: 5 BPM wide over the lo-fi range, open-ended
# outside it (a 120 BPM request conditions on the fastest bin the model has seen).
TEMPO_BINS = tuple(range(45, 100, 5))
KEY_NAMES = tuple(f"{p}{m}" for m in ("", "m") for p in PITCH_NAMES)
MAX_BARS = 512


class ConditionError(ValueError):
    """A condition outside what the generator knows, with the valid values in the message."""


def key_name(key: MusicKey) -> str:
    """``Am``, ``C``, ``F#m``, ``Bb``: the spelling used in tokens and file names."""
    return f"{PITCH_NAMES[key.tonic]}{'m' if key.minor else ''}"


def parse_condition_key(text: str) -> MusicKey:
    key = parse_key(text)
    if key is None:
        raise ConditionError(
            f"unknown key {text!r}; write it as musicians do, sharps or flats: "
            f"{', '.join(KEY_NAMES)} (also Db, C#m, A minor, ...)"
        )
    return key


def check_mood(mood: str) -> str:
    value = mood.strip().lower()
    if value not in MOODS:
        raise ConditionError(f"unknown mood {mood!r}; valid moods: {', '.join(MOODS)}")
    return value


def check_tempo(tempo: float) -> float:
    lo, hi = TEMPO_LIMITS
    if not lo <= float(tempo) <= hi:
        raise ConditionError(f"tempo {tempo} BPM is outside {lo:.0f}–{hi:.0f} BPM")
    return float(tempo)


def tempo_bin(tempo: float) -> int:
    """The conditioning bin of a tempo: the nearest multiple of 5 within 45–95."""
    return min(TEMPO_BINS, key=lambda b: (abs(b - tempo), b))


@dataclass(frozen=True)
class Conditions:
    tempo: float
    key: MusicKey
    mood: str
    bars: int = 32
    seed: int = 0
    drums: bool = True  # False for a piece asked for without drums ("no drums", "ambient")

    @classmethod
    def parse(
        cls, tempo: float, key: str | MusicKey, mood: str, bars: int = 32, seed: int = 0, drums: bool = True
    ) -> Conditions:
        if not 1 <= int(bars) <= MAX_BARS:
            raise ConditionError(f"bars must be 1–{MAX_BARS}, got {bars}")
        music_key = key if isinstance(key, MusicKey) else parse_condition_key(key)
        return cls(check_tempo(tempo), music_key, check_mood(mood), int(bars), int(seed), bool(drums))

    @property
    def key_name(self) -> str:
        return key_name(self.key)

    def condition_tokens(self) -> list[str]:
        """The tokens that open every training sequence and every generation prompt."""
        return [f"TempoBin_{tempo_bin(self.tempo)}", f"Key_{self.key_name}", f"Mood_{self.mood}"]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["key"] = self.key_name
        return data


def condition_vocabulary() -> list[str]:
    """Every conditioning token, in a fixed order (they are special tokens of the tokenizer)."""
    return [f"TempoBin_{b}" for b in TEMPO_BINS] + [f"Key_{k}" for k in KEY_NAMES] + [f"Mood_{m}" for m in MOODS]


# Words that speak for a mood in a prompt, a plan or a video's title (stems, so "rain" finds "rainy").
MOOD_WORDS = {
    "peaceful": ("peace", "calm", "serene", "gentle", "tranquil", "quiet", "soft", "still"),
    "melancholic": ("melanchol", "sad", "rain", "lonely", "bittersweet", "wistful", "grey", "gray", "blue"),
    "uplifting": ("uplift", "hope", "bright", "happy", "sunny", "sunrise", "joy", "energ", "optimis"),
    "dreamy": ("dream", "hazy", "float", "ethereal", "star", "cloud", "ambient", "moon"),
    "cozy": ("cozy", "cosy", "warm", "coffee", "fireplace", "blanket", "home", "tea"),
    "chill": ("chill", "relax", "laid-back", "mellow", "easy", "lazy", "sunday"),
    "focused": ("focus", "study", "work", "concentrat", "deep", "productiv", "code"),
    "nostalgic": ("nostalg", "memor", "vintage", "retro", "childhood", "old ", "yesterday"),
}


# Words that ask for a piece without drums.
NO_DRUMS = re.compile(
    r"\b(no|without|zero)[ -](drums?|beats?|percussion)\b|\bdrumless\b|\bbeatless\b|\bambient\b", re.I
)


def drums_from_text(*texts: str) -> bool:
    """False when any of the texts asks for no drums ("no drums", "drumless", "ambient")."""
    return not any(NO_DRUMS.search(t or "") for t in texts)


def mood_from_text(*texts: str) -> str | None:
    """The mood whose words appear most in the texts, the first text (the prompt itself)
    counting most: weights 5, 2, 1, 1, …"""
    best, best_hits = None, 0
    for mood in MOODS:
        hits = 0
        for weight, text in zip((5, 2) + (1,) * len(texts), texts):
            low = (text or "").lower()
            hits += weight * sum(low.count(w) for w in MOOD_WORDS[mood])
        if hits > best_hits:
            best, best_hits = mood, hits
    return best
