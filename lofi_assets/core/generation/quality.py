"""The quality scorer: ten sub-scores in 0–1 with written definitions, and their blend.

All measures work on the beat grid of the piece's first tempo, in 4/4. Four judge the
arrangement as a musician would (roles from :mod:`~lofi_assets.core.generation.arrangement`):

- **role_completeness**: the mean of four parts of an arrangement: keys sounding in at least
  half the bars (else their share of half), exactly one bass (1; two or more basses 0.25;
  none 0), a lead in at least 40 % of the body's bars (else its share of 40 %), and drums in the
  body's bars (their share; for a piece asked for without drums: 1 without a drum part,
  0 with one).
- **groove_consistency**: the drum pattern's repetition (see ``arrangement``), mapped from
  0.3 (no pattern) to 0.85 (a loop with variations and fills) onto 0–1; 1 for a piece asked
  for without drums that has none.
- **bass_chord_agreement**: on beats 1 and 3 of each bar where bass and keys both sound, the
  bass note's pitch class against the keys' pitch classes sounding over the next two beats:
  1 when it is a root under which the keys' notes form a chord of the composer's vocabulary
  (triads, sevenths, extensions, rootless voicings), 0.5 when it is one of the keys' notes
  (an inversion), else 0; the mean, and 0 without a bass or keys.
- **melodic_phrasing**: the lead split into phrases at rests of a beat or more; each phrase
  is worth 1 when it lasts 2–16 beats (a fragment or a run that never breathes less), half
  of that again when it ends on a note at least as long as its median note; times a
  breathing factor, 1 when the lead rests 15–60 % of the time between its first and last
  note, falling to 0 at 0 % and 100 %.

The others read the notes:

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
  requested key when given, else :func:`.midi_analysis.estimate_key`; minor keys admit
  the raised seventh), mapped linearly from 0.55 (chance) to 0.95 (and above) onto 0–1.
- **repetition_structure**: each bar after the first four (the first half of a piece
  shorter than eight bars) is compared with every
  earlier bar (Jaccard of (pitch, onset) pairs); the mean best match *r* should show
  recurring material without looping: 1 for 0.3 ≤ r ≤ 0.85, falling linearly to 0 at
  r = 0 and to 0.5 at r = 1.
- **note_density**: pitched notes per second inside 0.75–10 scores 1, decaying
  exponentially outside; times one minus the share of empty bars.

The combined score is the weighted mean (weights in ``WEIGHTS``); 0.85 is the target. A
piece is approved when it scores at least 0.70 *and* keeps every arrangement rule (one
bass, keys, a melodic lead, steady drums or none when none were asked for): a good score
cannot buy back a missing part. ``benchmarks/validate_scorer.py`` checks that each
arrangement control (drums removed, a second bass, the lead removed, drums re-drawn every
bar, chords shuffled) scores below its source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pretty_midi

from lofi_assets.core.generation.arrangement import ArrangementReport, analyse, bar_count
from lofi_assets.core.generation.composer import QUALITIES
from lofi_assets.core.generation.conditions import key_name
from lofi_assets.core.generation.midi_analysis import estimate_key, first_tempo, pitched_notes
from lofi_assets.core.music_keys import MusicKey

REJECT_BELOW = 0.70
TARGET = 0.85
WEIGHTS = {
    "role_completeness": 0.20,
    "groove_consistency": 0.12,
    "bass_chord_agreement": 0.10,
    "melodic_phrasing": 0.08,
    "melodic_coherence": 0.12,
    "harmonic_variety": 0.12,
    "rhythmic_stability": 0.06,
    "key_adherence": 0.10,
    "repetition_structure": 0.05,
    "note_density": 0.05,
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
    role_completeness: float
    groove_consistency: float
    bass_chord_agreement: float
    melodic_phrasing: float
    melodic_coherence: float
    harmonic_variety: float
    rhythmic_stability: float
    key_adherence: float
    repetition_structure: float
    note_density: float
    combined: float
    key: str
    approved: bool
    rules: dict[str, bool] = field(default_factory=dict)  # the arrangement rules, each kept or not

    def to_dict(self) -> dict:
        return asdict(self)


def role_completeness(report: ArrangementReport) -> float:
    keys = min(1.0, report.keys_bars / 0.5)
    bass = {0: 0.0, 1: 1.0}.get(report.bass_parts, 0.25)
    lead = min(1.0, report.lead_bars / 0.4)
    has_drums = any(p.role == "drums" for p in report.parts)
    drums = report.drum_body_bars if report.drums_expected else float(not has_drums)
    return (keys + bass + lead + drums) / 4


def groove_score(report: ArrangementReport) -> float:
    if not report.drums_expected and not any(p.role == "drums" for p in report.parts):
        return 1.0
    return float(np.clip((report.groove_consistency - 0.3) / 0.55, 0.0, 1.0))


# Chords relative to their root, as pitch-class sets: every quality of the composer's
# vocabulary plus the plain triads and the sus4. Notes that are all tones of one of them
# above a bass note (shell and rootless voicings included) read as that chord on the bass.
_CHORD_SETS = [
    frozenset(i % 12 for i in shape) | {0}
    for shape in [*QUALITIES.values(), (0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 5, 7), (0, 5, 7, 10)]
]


def _sounding(notes: list[pretty_midi.Note], start: float, end: float) -> set[int]:
    return {n.pitch % 12 for n in notes if n.start < end and n.end > start}


def bass_chord_agreement(midi: pretty_midi.PrettyMIDI, report: ArrangementReport) -> float:
    bass = [n for p in report.parts if p.role == "bass" for n in midi.instruments[p.index].notes]
    keys = [n for p in report.parts if p.role == "keys" for n in midi.instruments[p.index].notes]
    if not bass or not keys:
        return 0.0
    beat, bars = bar_count(midi)
    worth = []
    for bar in range(bars):
        for strong in (0, 2):
            t = (bar * 4 + strong) * beat
            under = [n for n in bass if n.start <= t + 0.25 * beat and n.end > t + 0.05 * beat]
            chord = _sounding(keys, t, t + 2 * beat)
            if not under or len(chord) < 2:
                continue
            pc = min(under, key=lambda n: n.pitch).pitch % 12
            above = frozenset((c - pc) % 12 for c in chord) | {0}
            if any(above <= shape for shape in _CHORD_SETS):
                worth.append(1.0)
            else:
                worth.append(0.5 if pc in chord else 0.0)
    return float(np.mean(worth)) if worth else 0.0


def melodic_phrasing(midi: pretty_midi.PrettyMIDI, report: ArrangementReport) -> float:
    leads = [p for p in report.parts if p.role == "lead"]
    if not leads:
        return 0.0
    beat = 60.0 / first_tempo(midi)
    notes = sorted(midi.instruments[leads[0].index].notes, key=lambda n: n.start)
    phrases: list[list[pretty_midi.Note]] = [[notes[0]]]
    for n in notes[1:]:
        if n.start - max(m.end for m in phrases[-1]) >= beat:
            phrases.append([n])
        else:
            phrases[-1].append(n)
    worth = []
    for phrase in phrases:
        beats = (max(n.end for n in phrase) - phrase[0].start) / beat
        length = 1.0 if 2 <= beats <= 16 else (beats / 2 if beats < 2 else max(0.0, 1 - (beats - 16) / 48))
        durations = [n.end - n.start for n in phrase]
        cadence = durations[-1] >= np.median(durations) - 1e-6
        worth.append(length * (0.5 + 0.5 * cadence))
    span = notes[-1].end - notes[0].start
    covered = _covered_seconds(notes)
    rest = 1.0 - covered / span if span > 0 else 0.0
    breathing = 1.0 if 0.15 <= rest <= 0.6 else (rest / 0.15 if rest < 0.15 else (1 - rest) / 0.4)
    return float(np.mean(worth) * np.clip(breathing, 0.0, 1.0))


def _covered_seconds(notes: list[pretty_midi.Note]) -> float:
    total, reach = 0.0, -1.0
    for n in notes:  # sorted by start
        if n.end > reach:
            total += n.end - max(n.start, reach)
            reach = n.end
    return total


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
    beat, bars = bar_count(midi)
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
    beat, bars = bar_count(midi)
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
    beat, bars = bar_count(midi)
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
    beat, bars = bar_count(midi)
    filled = np.zeros(bars, dtype=bool)
    for inst in midi.instruments:
        for n in inst.notes:
            filled[min(int(n.start / (4 * beat)), bars - 1)] = True
    return fit * float(filled.mean())


def rule_shares(scores: list[dict]) -> dict[str, float]:
    """The share of scored pieces (``QualityScore.to_dict()``) keeping each arrangement rule."""
    scored = [s for s in scores if s.get("rules")]
    if not scored:
        return {}
    return {
        rule: round(sum(bool(s["rules"].get(rule)) for s in scored) / len(scored), 3) for rule in scored[0]["rules"]
    }


def score_midi(midi: pretty_midi.PrettyMIDI, key: MusicKey | None = None, drums: bool = True) -> QualityScore:
    """All sub-scores and the combined score of a piece (``key``: the requested key;
    ``drums``: whether the piece was asked for with drums)."""
    adherence, used_key = key_adherence(midi, key)
    report = analyse(midi, drums_expected=drums)
    parts = {
        "role_completeness": role_completeness(report),
        "groove_consistency": groove_score(report),
        "bass_chord_agreement": bass_chord_agreement(midi, report),
        "melodic_phrasing": melodic_phrasing(midi, report),
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
        approved=combined >= REJECT_BELOW and report.all_rules,
        rules=report.rules,
    )
