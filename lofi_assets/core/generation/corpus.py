"""The training corpus: composer pieces spread over tempo × key × mood, plus the
operator's own MIDI (parsed, filtered, deduplicated), each with its labels."""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.generation.composer import MOOD_STYLES, compose
from lofi_assets.core.generation.conditions import (
    KEY_NAMES,
    LOFI_TEMPO,
    MOODS,
    Conditions,
    check_tempo,
    key_name,
    parse_condition_key,
)
from lofi_assets.core.generation.midi_analysis import estimate_key

BAR_CHOICES = (16, 24, 32)


@dataclass
class CorpusEntry:
    piece_id: str
    path: str  # relative to the corpus folder
    source: str  # "composer" or "operator"
    tempo: float
    key: str
    mood: str
    bars: int
    seconds: float
    notes: int
    seed: int | None = None
    labels_from: str = "conditions"  # operator pieces: "sidecar", "file name", "estimated"


def corpus_conditions(count: int, seed: int = 0) -> list[Conditions]:
    """Conditions spread evenly: moods in turn, tempi stratified over 45–95 BPM, tonics
    shuffled, the mode drawn from the mood's preference (so mood and mode co-occur as the
    channel uses them)."""
    rng = np.random.default_rng(seed)
    lo, hi = LOFI_TEMPO
    tempos = lo + (np.arange(count) + rng.random(count)) * (hi - lo) / max(count, 1)
    rng.shuffle(tempos)
    tonics = np.resize(rng.permutation(12), count)
    rng.shuffle(tonics)
    out = []
    for i in range(count):
        mood = MOODS[i % len(MOODS)]
        minor = rng.random() >= MOOD_STYLES[mood].major_share
        key = KEY_NAMES[int(tonics[i]) + (12 if minor else 0)]
        bars = int(rng.choice(BAR_CHOICES))
        out.append(Conditions.parse(round(float(tempos[i]), 1), key, mood, bars, seed * 100_000 + i))
    return out


def _compose_to(args: tuple[Conditions, str]) -> CorpusEntry:
    cond, path = args
    midi = compose(cond)
    with atomic_local_path(Path(path)) as tmp:
        midi.write(str(tmp))
    stem = Path(path).stem
    return CorpusEntry(
        stem,
        f"composer/{Path(path).name}",
        "composer",
        cond.tempo,
        cond.key_name,
        cond.mood,
        cond.bars,
        round(midi.get_end_time(), 2),
        sum(len(i.notes) for i in midi.instruments),
        cond.seed,
    )


def compose_corpus(folder: Path, count: int, seed: int = 0, workers: int = 1) -> list[CorpusEntry]:
    out_dir = Path(folder) / "composer"
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (c, str(out_dir / f"c{i:05d}_{c.mood}_{c.key_name.replace('#', 's')}_{c.tempo:g}.mid"))
        for i, c in enumerate(corpus_conditions(count, seed))
    ]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(_compose_to, jobs, chunksize=32))
    return [_compose_to(j) for j in jobs]


# --- the operator's MIDI -------------------------------------------------------------


@dataclass(frozen=True)
class MidiFilter:
    tempo: tuple[float, float] = (40.0, 200.0)
    seconds: tuple[float, float] = (10.0, 900.0)
    notes_per_second: tuple[float, float] = (0.5, 40.0)


def note_fingerprint(midi: pretty_midi.PrettyMIDI) -> str:
    """A hash of the notes (program, pitch, onset in 1/12 beats), blind to file metadata,
    so the same music saved twice is found."""
    tempo = midi.get_tempo_changes()[1]
    beat = 60.0 / (float(tempo[0]) if len(tempo) else 120.0)
    rows = sorted(
        (-1 if i.is_drum else int(i.program), int(n.pitch), round(n.start / beat * 12))
        for i in midi.instruments
        for n in i.notes
    )
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:20]


def _labels_from_name(path: Path) -> dict:
    words = re.split(r"[^A-Za-z#0-9]+", path.stem)
    labels = {}
    for w in words:
        if w.lower() in MOODS:
            labels["mood"] = w.lower()
        elif re.fullmatch(r"[A-Ga-g][#b]?m?", w) and len(w) <= 3 and w[0].isupper():
            labels["key"] = w
    return labels


def read_operator_midi(path: Path, rules: MidiFilter = MidiFilter()) -> tuple[pretty_midi.PrettyMIDI, dict]:
    """Parse and check one operator file; raises ValueError naming the file and the reason."""
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:
        raise ValueError(f"{path.name}: not a readable MIDI file ({exc})") from exc
    notes = sum(len(i.notes) for i in midi.instruments)
    if notes == 0:
        raise ValueError(f"{path.name}: no notes")
    seconds = midi.get_end_time()
    tempi = midi.get_tempo_changes()[1]
    tempo = float(tempi[0]) if len(tempi) else 120.0
    sigs = {(ts.numerator, ts.denominator) for ts in midi.time_signature_changes} or {(4, 4)}
    if sigs != {(4, 4)}:
        raise ValueError(f"{path.name}: time signature {sorted(sigs)}; the tokenizer knows 4/4 only")
    if not rules.tempo[0] <= tempo <= rules.tempo[1]:
        raise ValueError(f"{path.name}: tempo {tempo:.0f} BPM outside {rules.tempo[0]:.0f}–{rules.tempo[1]:.0f}")
    if not rules.seconds[0] <= seconds <= rules.seconds[1]:
        raise ValueError(f"{path.name}: {seconds:.0f} s long, outside {rules.seconds[0]:.0f}–{rules.seconds[1]:.0f} s")
    nps = notes / seconds
    if not rules.notes_per_second[0] <= nps <= rules.notes_per_second[1]:
        raise ValueError(
            f"{path.name}: {nps:.1f} notes a second, outside {rules.notes_per_second[0]}–{rules.notes_per_second[1]}"
        )
    labels = {"tempo": round(tempo, 1), "seconds": round(seconds, 2), "notes": notes, "labels_from": "estimated"}
    sidecar = path.with_suffix(".json")
    named = _labels_from_name(path)
    if sidecar.exists():
        named.update({k: v for k, v in json.loads(sidecar.read_text()).items() if k in ("mood", "key")})
        labels["labels_from"] = "sidecar"
    elif named:
        labels["labels_from"] = "file name"
    key = parse_condition_key(named["key"]) if "key" in named else estimate_key(midi)
    labels["key"] = key_name(key)
    # a mood the operator did not state is left to the closest style: its mode decides
    labels["mood"] = named.get("mood") or ("melancholic" if key.minor else "cozy")
    check_tempo(tempo)
    return midi, labels


def collect_operator_midi(
    source: Path, folder: Path, seen: set[str], rules: MidiFilter = MidiFilter()
) -> tuple[list[CorpusEntry], list[str]]:
    """Operator files copied into the corpus with labels; rejects as ``file: reason``."""
    entries, rejected = [], []
    out_dir = Path(folder) / "operator"
    for path in sorted(p for p in Path(source).glob("**/*") if p.suffix.lower() in (".mid", ".midi")):
        try:
            midi, labels = read_operator_midi(path, rules)
        except ValueError as exc:
            rejected.append(str(exc))
            continue
        fingerprint = note_fingerprint(midi)
        if fingerprint in seen:
            rejected.append(f"{path.name}: duplicate of a piece already in the corpus")
            continue
        seen.add(fingerprint)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{re.sub(r'[^A-Za-z0-9_-]+', '-', path.stem)[:60]}-{fingerprint[:8]}.mid"
        with atomic_local_path(target) as tmp:
            midi.write(str(tmp))
        bars = int(round(labels["seconds"] / (240.0 / labels["tempo"])))
        entries.append(
            CorpusEntry(
                target.stem,
                f"operator/{target.name}",
                "operator",
                labels["tempo"],
                labels["key"],
                labels["mood"],
                bars,
                labels["seconds"],
                labels["notes"],
                labels_from=labels["labels_from"],
            )
        )
    return entries, rejected


def write_manifest(folder: Path, entries: list[CorpusEntry]) -> Path:
    path = Path(folder) / "manifest.jsonl"
    with atomic_local_path(path) as tmp:
        tmp.write_text("".join(json.dumps(asdict(e)) + "\n" for e in entries))
    return path


def read_manifest(folder: Path) -> list[CorpusEntry]:
    path = Path(folder) / "manifest.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"no corpus manifest at {path}; materialize midi_corpus first")
    return [CorpusEntry(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
