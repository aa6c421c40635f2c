"""The song library: one record per song, its text for embedding, and derived usage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofi_assets.core.files import file_sha256, read_json
from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.library.names import AUDIO_SUFFIXES, parse_song_name, song_key


@dataclass(frozen=True)
class LibraryFile:
    key: str
    path: Path


def library_files(folder: Path) -> tuple[list[LibraryFile], list[str]]:
    """Audio files in the library folder as partition keys, and the names refused because two
    files would share a key."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], []
    found: dict[str, Path] = {}
    refused = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in AUDIO_SUFFIXES or not path.is_file() or path.name.startswith("."):
            continue
        key = song_key(path.stem)
        if key in found:
            refused.append(f"{path.name}: its key {key!r} is taken by {found[key].name}")
            continue
        found[key] = path
    return [LibraryFile(k, p) for k, p in found.items()], refused


def tempo_words(bpm: float) -> str:
    if bpm <= 0:
        return ""
    if bpm < 60:
        return "very slow tempo"
    if bpm < 72:
        return "slow tempo"
    if bpm < 90:
        return "mid-tempo"
    return "upbeat tempo"


def energy_words(energy: float) -> str:
    return "calm, low energy" if energy < 0.34 else "steady, medium energy" if energy < 0.67 else "lively, high energy"


def plans_by_track_number(plans: list[TrackPlan]) -> dict[int, TrackPlan]:
    return {p.track_number: p for p in plans if p.track_number is not None}


def prompt_context(plans: dict[int, TrackPlan], stem: str) -> dict:
    """What the song was made for, when its source track's plan is known."""
    name = parse_song_name(stem)
    context = {
        "prefix": name.prefix,
        "arc": name.arc,
        "prompt": name.prompt,
        "source_track": name.source_track,
        "order": name.order,
        "source_plan": None,
        "prompt_text": None,
        "anchor_phrase": None,
        "mood_words": None,
    }
    plan = plans.get(name.source_track) if name.source_track is not None else None
    if plan is None:
        return context
    prompt = next((p for p in plan.prompts if p.number == name.prompt and p.arc == name.arc), None)
    prompt = prompt or next((p for p in plan.prompts if p.number == name.prompt), None)
    arc = next((a for a in plan.arcs if a.number == name.arc), None)
    context["source_plan"] = plan.key
    if prompt is not None:
        context["prompt_text"] = prompt.text
        context["anchor_phrase"] = prompt.anchor_phrase
    mood = [w for w in (arc.name if arc else None, arc.description if arc else None, plan.vibe) if w]
    context["mood_words"] = ", ".join(mood) or None
    return context


def sidecar_context(audio: Path) -> dict:
    """What a song made by the pipeline says of itself: ``<name>.json`` beside the audio
    (written by ``nightly_library_songs``) carries the conditions it was made with."""
    sidecar = read_json(Path(audio).with_suffix(".json")) or {}
    conditions = sidecar.get("conditions") or {}
    if not conditions.get("mood"):
        return {}
    return {
        "mood_words": f"{conditions['mood']} lo-fi",
        "made_with": conditions,
        "quality_score": (sidecar.get("score") or {}).get("combined"),
    }


def song_text(record: dict) -> str:
    """The text a song is embedded by: the prompt it was made for, its anchor phrase, mood
    and vibe words, and what was measured (tempo, key, energy)."""
    parts = []
    if record.get("prompt_text"):
        parts.append(record["prompt_text"])
    if record.get("anchor_phrase"):
        parts.append(record["anchor_phrase"])
    if record.get("mood_words"):
        parts.append(record["mood_words"])
    if not parts and record.get("arc") is None:
        # A freely named song ("late_night_rain_loop.mp3"): its name is what it says of itself.
        parts.append(Path(record.get("file", "")).stem.replace("_", " ").replace("-", " "))
    measured = [
        tempo_words(float(record.get("bpm") or 0)),
        record.get("key") or "",
        energy_words(float(record.get("energy", record.get("energy_raw", 0.5)) or 0.5)),
    ]
    parts.append(", ".join(m for m in measured if m))
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def calibrate_energy(raw: dict[str, float], features: dict[str, dict[str, float]]) -> dict[str, float]:
    """Energy 0–1 spread over the library: the mean percentile rank of loudness (RMS),
    rhythmic activity (onset rate) and brightness (spectral centroid). Ranks cannot saturate
    the way a fixed scale does when every song is loud."""
    keys = list(raw)
    if len(keys) == 1:
        return {keys[0]: float(raw[keys[0]])}
    ranks = np.zeros(len(keys))
    for feature in ("rms_dbfs", "onset_rate", "spectral_centroid_hz"):
        values = np.array([features[k].get(feature, 0.0) for k in keys], dtype=float)
        order = values.argsort(kind="stable")
        rank = np.empty(len(keys))
        rank[order] = np.arange(len(keys))
        ranks += rank / (len(keys) - 1)
    return {k: round(float(r / 3), 4) for k, r in zip(keys, ranks, strict=True)}


# The library index's catalog: one row per analysed and embedded song. `lofi match` reads
# the same columns (song_id, text, bpm, key, duration, arc, times_used; bpm_raw and
# tempo_candidates when known).
CATALOG_COLUMNS = (
    "song_id",
    "file",
    "text",
    "bpm",
    "bpm_raw",
    "tempo_candidates",
    "key",
    "duration",
    "arc",
    "prompt",
    "source_track",
    "prefix",
    "order",
    "loudness_lufs",
    "energy",
    "energy_raw",
    "sha256",
)


def catalog_row(record: dict, energy: float) -> dict:
    """A song's analysis (with its embedded ``text``) as a catalog row."""
    row = {
        **{k: record[k] for k in ("song_id", "file", "text", "bpm", "bpm_raw", "key", "arc", "prompt")},
        "tempo_candidates": json.dumps(record["tempo_candidates"]),
        "duration": record["duration_s"],
        **{k: record[k] for k in ("source_track", "prefix", "order", "loudness_lufs", "energy_raw", "sha256")},
        "energy": energy,
    }
    return {column: row[column] for column in CATALOG_COLUMNS}


def catalog_frame(records: list[dict]):
    """The catalog of analysed songs (a pandas DataFrame), energy calibrated across them."""
    import pandas as pd

    energy = calibrate_energy({r["song_id"]: r["energy_raw"] for r in records}, {r["song_id"]: r for r in records})
    return pd.DataFrame([catalog_row(r, energy[r["song_id"]]) for r in records], columns=list(CATALOG_COLUMNS))


def usage_counts(playlists: list[dict]) -> dict[str, int]:
    """Uses per song in published tracks, derived from their playlists (never stored)."""
    counts: dict[str, int] = {}
    for playlist in playlists:
        for prompt in playlist.get("prompts", []):
            if prompt.get("song_id"):
                counts[prompt["song_id"]] = counts.get(prompt["song_id"], 0) + 1
    return counts


@dataclass
class LibraryTick:
    """What the library sensor (or ``lofi discover``) decides."""

    new_keys: list[str]
    runs: list[tuple[str, str]]  # (partition key, run key): new or changed audio
    refused: list[str]  # duplicates and key clashes, each naming both files
    cache: dict[str, list]  # file name -> [size, mtime_ns, sha256]: hash only what changed
    digests: dict[str, str] = field(default_factory=dict)  # partition key -> sha256 of its audio


def library_tick(folder: Path, cache: dict[str, list], known_keys: set[str]) -> LibraryTick:

    files, refused = library_files(folder)
    new_cache: dict[str, list] = {}
    by_hash: dict[str, LibraryFile] = {}
    runs: list[tuple[str, str]] = []
    new_keys: list[str] = []
    digests: dict[str, str] = {}
    # Oldest first, so the file that was there first keeps its place and a later copy is refused.
    files.sort(key=lambda f: (f.path.stat().st_mtime_ns, f.path.name))
    for item in files:
        rel = str(item.path.relative_to(folder))
        stat = item.path.stat()
        cached = cache.get(rel)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            digest, changed = cached[2], False
        else:
            digest, changed = file_sha256(item.path), True
        new_cache[rel] = [stat.st_size, stat.st_mtime_ns, digest]
        if digest in by_hash:
            refused.append(
                f"{item.path.name} is the same audio as {by_hash[digest].path.name} "
                f"(sha256 {digest[:12]}); not imported twice"
            )
            continue
        by_hash[digest] = item
        digests[item.key] = digest
        if item.key not in known_keys:
            new_keys.append(item.key)
        if changed or item.key not in known_keys:
            runs.append((item.key, f"{item.key}@{digest[:16]}"))
    return LibraryTick(new_keys=sorted(new_keys), runs=runs, refused=refused, cache=new_cache, digests=digests)
