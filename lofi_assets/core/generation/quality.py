"""The quality scorer: six sub-scores in 0–1 with written definitions, and their blend.

All measures work on the beat grid of the piece's first tempo, in 4/4.

- **melodic_coherence**: the lead line (the highest pitched part with at least eight
  notes, as a skyline) moves mostly by step. Each interval is worth 1 (≤ 2 semitones),
  0.8 (3–4), 0.4 (5–7), 0.1 (8–12) or 0 (larger); the score is the mean.
- **harmonic_variety**: bars whose pitch-class profile is a chord (cosine ≥ 0.85 with a
  triad or seventh-chord template), times the share of four or more distinct chords
  (one chord all piece long scores 0.25, four or more score 1).
- **rhythmic_stability**: half grid adherence (onsets within 0.05 beat of a sixteenth or
  a triplet-eighth), half bar-to-bar consistency (the onsets of each bar that recur in
  the bar before, within one step of a 1/12-beat grid, over the larger bar's count).
- **key_adherence**: the share of pitched note-time inside the scale of the key (the
  requested key when given, else the Krumhansl–Schmuckler estimate; minor keys admit
  the raised seventh), mapped linearly from 0.55 (chance) to 0.95 (and above) onto 0–1.
- **repetition_structure**: each bar after the first four (the first half of a piece
  shorter than eight bars) is compared with every
  earlier bar (Jaccard of (pitch, onset) pairs); the mean best match *r* should show
  recurring material without looping: 1 for 0.3 ≤ r ≤ 0.85, falling linearly to 0 at
  r = 0 and to 0.5 at r = 1.
- **note_density**: pitched notes per second inside 0.75–10 scores 1, decaying
  exponentially outside; times one minus the share of empty bars.

The combined score is the weighted mean (weights in ``WEIGHTS``); a piece below 0.70 is
rejected, 0.85 is the target.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pretty_midi

from lofi_assets.core.generation.conditions import key_name
from lofi_assets.core.generation.midi_analysis import estimate_key, first_tempo, pitched_notes
from lofi_assets.core.music_keys import MusicKey

REJECT_BELOW = 0.70
TARGET = 0.85
WEIGHTS = {
    "melodic_coherence": 0.25,
    "harmonic_variety": 0.25,
    "rhythmic_stability": 0.15,
    "key_adherence": 0.15,
    "repetition_structure": 0.10,
    "note_density": 0.10,
}

_CHORD_SHAPES = [
    (0, 4, 7),
    (0, 3, 7),
    (0, 4, 7, 11),
    (0, 3, 7, 10),
    (0, 4, 7, 10),
    (0, 3, 6, 10),
    (0, 4, 10, 14),
    (0, 3, 10, 14),
]
_TEMPLATES = np.array(
    [
        [1.0 if (pc - root) % 12 in {s % 12 for s in shape} else 0.0 for pc in range(12)]
        for shape in _CHORD_SHAPES
        for root in range(12)
    ]
)
_TEMPLATES /= np.linalg.norm(_TEMPLATES, axis=1, keepdims=True)
CHORD_FIT = 0.85
_MAJOR = {0, 2, 4, 5, 7, 9, 11}
_MINOR = {0, 2, 3, 5, 7, 8, 10, 11}


@dataclass
class QualityScore:
    melodic_coherence: float
    harmonic_variety: float
    rhythmic_stability: float
    key_adherence: float
    repetition_structure: float
    note_density: float
    combined: float
    key: str
    approved: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _bars(midi: pretty_midi.PrettyMIDI) -> tuple[float, int]:
    beat = 60.0 / first_tempo(midi)
    return beat, max(1, int(np.ceil(midi.get_end_time() / (4 * beat) - 1e-6)))


def melodic_coherence(midi: pretty_midi.PrettyMIDI) -> float:
    parts = [i for i in midi.instruments if not i.is_drum and len(i.notes) >= 8]
    if not parts:
        return 0.0
    lead = max(parts, key=lambda i: np.mean([n.pitch for n in i.notes]))
    skyline: dict[int, int] = {}
    for n in lead.notes:
        onset = round(n.start * 50)  # notes within 20 ms sound as one onset
        skyline[onset] = max(skyline.get(onset, 0), n.pitch)
    line = [skyline[k] for k in sorted(skyline)]
    intervals = np.abs(np.diff(line))
    if len(intervals) == 0:
        return 0.0
    worth = np.select([intervals <= 2, intervals <= 4, intervals <= 7, intervals <= 12], [1.0, 0.8, 0.4, 0.1], 0.0)
    return float(worth.mean())


def _bar_chroma(midi: pretty_midi.PrettyMIDI) -> np.ndarray:
    beat, bars = _bars(midi)
    chroma = np.zeros((bars, 12))
    for n in pitched_notes(midi):
        b = min(int(n.start / (4 * beat)), bars - 1)
        chroma[b, n.pitch % 12] += max(n.end - n.start, 0.05)
    return chroma


def harmonic_variety(midi: pretty_midi.PrettyMIDI) -> float:
    chroma = _bar_chroma(midi)
    active = chroma[chroma.sum(axis=1) > 0]
    if len(active) == 0:
        return 0.0
    unit = active / np.linalg.norm(active, axis=1, keepdims=True)
    fits = unit @ _TEMPLATES.T
    best, labels = fits.max(axis=1), fits.argmax(axis=1)
    chordal = best >= CHORD_FIT
    distinct = len(set(labels[chordal].tolist()))
    return float(chordal.mean() * min(1.0, max(distinct, 1) / 4))


def _onsets(midi: pretty_midi.PrettyMIDI) -> np.ndarray:
    return np.array(sorted(n.start for i in midi.instruments for n in i.notes))


def rhythmic_stability(midi: pretty_midi.PrettyMIDI) -> float:
    onsets = _onsets(midi)
    if len(onsets) < 4:
        return 0.0
    beat, bars = _bars(midi)
    in_beats = onsets / beat
    frac = in_beats - np.floor(in_beats)
    grid = np.array([0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0])
    adherence = float((np.min(np.abs(frac[:, None] - grid[None, :]), axis=1) <= 0.05).mean())
    steps = np.round(in_beats * 12).astype(int)
    per_bar = [set() for _ in range(bars)]
    for s in steps:
        per_bar[min(s // 48, bars - 1)].add(s % 48)
    sims = []
    for a, b in zip(per_bar, per_bar[1:]):
        if a or b:
            near = {x + d for x in a for d in (-1, 0, 1)}
            hits = sum(1 for x in b if x in near)
            sims.append(hits / max(len(a), len(b)))
    consistency = float(np.mean(sims)) if sims else 0.0
    return 0.5 * adherence + 0.5 * consistency


def key_adherence(midi: pretty_midi.PrettyMIDI, key: MusicKey | None = None) -> tuple[float, MusicKey]:
    key = key or estimate_key(midi)
    scale = {(key.tonic + s) % 12 for s in (_MINOR if key.minor else _MAJOR)}
    total = inside = 0.0
    for n in pitched_notes(midi):
        d = max(n.end - n.start, 0.05)
        total += d
        inside += d if n.pitch % 12 in scale else 0.0
    if total == 0:
        return 0.0, key
    return float(np.clip((inside / total - 0.55) / 0.40, 0, 1)), key


def repetition_structure(midi: pretty_midi.PrettyMIDI) -> float:
    beat, bars = _bars(midi)
    per_bar = [set() for _ in range(bars)]
    for n in pitched_notes(midi):
        step = int(round(n.start / beat * 4))  # sixteenths
        per_bar[min(step // 16, bars - 1)].add((n.pitch, step % 16))
    scores = []
    for i in range(min(4, bars // 2), bars):
        if not per_bar[i]:
            continue
        scores.append(
            max(
                (len(per_bar[i] & per_bar[j]) / len(per_bar[i] | per_bar[j]) for j in range(i) if per_bar[j]),
                default=0.0,
            )
        )
    if not scores:
        return 0.0
    r = float(np.mean(scores))
    if r < 0.3:
        return r / 0.3
    if r <= 0.85:
        return 1.0
    return 1.0 - 0.5 * (r - 0.85) / 0.15


def note_density(midi: pretty_midi.PrettyMIDI) -> float:
    seconds = midi.get_end_time()
    notes = pitched_notes(midi)
    if seconds <= 0 or not notes:
        return 0.0
    nps = len(notes) / seconds
    lo, hi = 0.75, 10.0
    fit = 1.0 if lo <= nps <= hi else float(np.exp(-(lo / nps if nps < lo else nps / hi) + 1))
    beat, bars = _bars(midi)
    filled = np.zeros(bars, dtype=bool)
    for inst in midi.instruments:
        for n in inst.notes:
            filled[min(int(n.start / (4 * beat)), bars - 1)] = True
    return fit * float(filled.mean())


def score_midi(midi: pretty_midi.PrettyMIDI, key: MusicKey | None = None) -> QualityScore:
    """All sub-scores and the combined score of a piece (``key``: the requested key)."""
    adherence, used_key = key_adherence(midi, key)
    parts = {
        "melodic_coherence": melodic_coherence(midi),
        "harmonic_variety": harmonic_variety(midi),
        "rhythmic_stability": rhythmic_stability(midi),
        "key_adherence": adherence,
        "repetition_structure": repetition_structure(midi),
        "note_density": note_density(midi),
    }
    combined = sum(WEIGHTS[k] * v for k, v in parts.items())

    return QualityScore(
        **{k: round(v, 4) for k, v in parts.items()},
        combined=round(combined, 4),
        key=key_name(used_key),
        approved=combined >= REJECT_BELOW,
    )


# --- controls for validating the scorer ----------------------------------------------


def shuffled_pitch(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """The same rhythm and parts with each part's pitches shuffled among its notes."""
    rng = np.random.default_rng(seed)
    out = pretty_midi.PrettyMIDI(initial_tempo=first_tempo(midi))
    for inst in midi.instruments:
        copy = pretty_midi.Instrument(inst.program, is_drum=inst.is_drum, name=inst.name)
        pitches = [n.pitch for n in inst.notes]
        if not inst.is_drum:
            rng.shuffle(pitches)
        copy.notes = [pretty_midi.Note(n.velocity, p, n.start, n.end) for n, p in zip(inst.notes, pitches)]
        out.instruments.append(copy)
    return out


def random_notes(midi: pretty_midi.PrettyMIDI, seed: int = 0) -> pretty_midi.PrettyMIDI:
    """As many notes per part as the piece, at random times, pitches and lengths in each
    part's range: the floor any real music should clear."""
    rng = np.random.default_rng(seed)
    end = midi.get_end_time()
    out = pretty_midi.PrettyMIDI(initial_tempo=first_tempo(midi))
    for inst in midi.instruments:
        copy = pretty_midi.Instrument(inst.program, is_drum=inst.is_drum, name=inst.name)
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
        out.instruments.append(copy)
    return out
