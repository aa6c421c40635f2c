"""Library: analysed songs, their embeddings, and the searchable index."""

import json
import math

import dagster as dg
import numpy as np

from lofi_assets.assets.ingest import PLAN_FILE
from lofi_assets.core.library.analysis import AudioError, analyse_file
from lofi_assets.core.library.embedding import text_hash
from lofi_assets.core.files import npy_bytes
from lofi_assets.core.library.catalog import (
    calibrate_energy,
    library_files,
    plans_by_track_number,
    prompt_context,
    read_json,
    sidecar_context,
    song_text,
)
from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.tables import markdown_table
from lofi_assets.partitions import songs_partitions
from resources import EmbedderResource, StorageResource

ANALYSIS_FILE = "analysis.json"
EMBEDDING_FILE = "embedding.npy"


def load_plans(storage: StorageResource) -> list[TrackPlan]:
    plans = []
    for path in sorted(storage.asset_dir("notion_track").glob(f"*/{PLAN_FILE}")):
        data = read_json(path)
        if data:
            plans.append(TrackPlan.from_dict(data))
    return plans


def check_analysis(path, record: dict) -> dg.AssetCheckResult:
    data = read_json(path) or {}
    problems = []
    if data.get("sha256") != record["sha256"]:
        problems.append("analysis.json does not read back")
    if not data.get("duration_s", 0) > 0:
        problems.append("no duration")
    if not 20 <= float(data.get("bpm") or 0) <= 300:
        problems.append(f"tempo {data.get('bpm')} BPM is not plausible")
    if not math.isfinite(float(data.get("loudness_lufs", float("nan")))):
        problems.append("loudness not measurable")
    return dg.AssetCheckResult(check_name="analysis_valid", passed=not problems,
                               metadata={"problems": "; ".join(problems) or "none"})


@dg.asset(
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"audio", "json"},
    code_version="1",
    check_specs=[dg.AssetCheckSpec("analysis_valid", asset="library_song",
                                   description="analysis.json re-read: duration, plausible tempo, finite loudness")],
)
def library_song(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    """One library song, decoded and measured: duration, tempo (raw, half and double with
    confidences), key and mode, integrated loudness, energy features, the file-name fields,
    and the prompt it was made for when its source track's plan is known."""
    key = context.partition_key
    folder = storage.input_dir("library")
    files = {f.key: f.path for f in library_files(folder)[0]}
    path = files.get(key)
    if path is None:
        raise dg.Failure(f"song {key}: no audio file for it in {folder}", allow_retries=False)
    try:
        analysis = analyse_file(path)
    except AudioError as exc:
        raise dg.Failure(f"song {key}: {exc}", metadata={"file": str(path)}, allow_retries=False) from None

    for other in storage.asset_dir("library_song").glob(f"*/{ANALYSIS_FILE}"):
        data = read_json(other) or {}
        if other.parent.name != key and data.get("sha256") == analysis.sha256:
            raise dg.Failure(f"song {key}: {path.name} is the same audio as {data.get('file')} "
                             f"(sha256 {analysis.sha256[:12]}); not imported twice", allow_retries=False)

    plans = plans_by_track_number(load_plans(storage))
    record = {"song_id": key, "file": path.name, **analysis.to_dict(), **prompt_context(plans, path.stem)}
    if not record.get("mood_words"):
        record.update(sidecar_context(path))
    out = storage.write_json(storage.asset_dir("library_song", key) / ANALYSIS_FILE, record)
    return dg.MaterializeResult(
        metadata={
            "file": path.name,
            "duration_s": analysis.duration_s,
            "bpm": analysis.bpm,
            "bpm_raw": analysis.bpm_raw,
            "tempo_candidates": ", ".join(f"{c.relation} {c.bpm:g} ({c.confidence:.2f})"
                                          for c in analysis.tempo_candidates),
            "key": analysis.key,
            "loudness_lufs": analysis.loudness_lufs,
            "energy_raw": analysis.energy_raw,
            "made_for": record["prompt_text"] or "unknown (no plan for its source track)",
            "sha256": analysis.sha256,
            "path": dg.MetadataValue.path(str(out)),
        },
        check_results=[check_analysis(out, record)],
    )


@dg.asset(
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"sentence_transformers", "numpy"},
    deps=[library_song],
    code_version="1",
)
def song_embedding(context: dg.AssetExecutionContext, storage: StorageResource,
                   embedder: EmbedderResource) -> dg.MaterializeResult:
    """The song's text (the prompt it was made for, anchor phrase, mood words, measured
    tempo, key and energy) embedded with all-MiniLM-L6-v2; cached by text hash and model."""
    key = context.partition_key
    record = read_json(storage.asset_dir("library_song", key) / ANALYSIS_FILE)
    if record is None:
        raise dg.Failure(f"song {key}: library_song has no analysis; materialize it first", allow_retries=False)
    text = song_text(record)
    model = embedder.embedder(cache_dir=storage.asset_dir("embedding_cache"))
    vectors, computed = model.encode([text])
    folder = storage.asset_dir("song_embedding", key)
    storage.write_bytes(folder / EMBEDDING_FILE, npy_bytes(vectors[0]))
    storage.write_json(folder / "embedding.json", {"text": text, "text_hash": text_hash(text),
                                                   "model_id": model.model_id, "dim": int(vectors.shape[1])})
    norm = float(np.linalg.norm(vectors[0]))
    if not abs(norm - 1.0) < 1e-3:
        raise dg.Failure(f"song {key}: embedding norm {norm:.4f} is not 1")
    return dg.MaterializeResult(metadata={"text": text, "model_id": model.model_id, "cached": computed == 0,
                                          "dimension": int(vectors.shape[1])})


@dg.asset(
    group_name="library",
    kinds={"parquet", "numpy"},
    deps=[song_embedding, library_song],
    code_version="1",
    automation_condition=dg.AutomationCondition.any_deps_updated() & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.any_deps_in_progress(),
    check_specs=[dg.AssetCheckSpec("index_consistent", asset="library_index",
                                   description="catalog rows match matrix rows; vectors are unit length")],
)
def library_index(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    """Every analysed and embedded song: ``embeddings.npy`` (one unit row per song) and
    ``catalog.parquet`` (song_id, file, text, tempo with candidates, key, duration, arc,
    prompt, source track, loudness, energy calibrated across the library)."""
    import pandas as pd

    records, vectors, skipped = [], [], []
    for folder in sorted(storage.asset_dir("library_song").glob("*")):
        record = read_json(folder / ANALYSIS_FILE)
        emb_dir = storage.asset_dir("song_embedding", folder.name)
        meta = read_json(emb_dir / "embedding.json")
        if record is None or meta is None or not (emb_dir / EMBEDDING_FILE).exists():
            skipped.append(folder.name)
            continue
        vectors.append(np.load(emb_dir / EMBEDDING_FILE))
        records.append({**record, "text": meta["text"], "model_id": meta["model_id"]})
    if not records:
        raise dg.Failure("library_index: no analysed and embedded songs yet")
    if len({r["model_id"] for r in records}) > 1:
        raise dg.Failure("library_index: songs were embedded with different models; re-embed them")
    energy = calibrate_energy({r["song_id"]: r["energy_raw"] for r in records}, {r["song_id"]: r for r in records})
    catalog = pd.DataFrame([{
        "song_id": r["song_id"], "file": r["file"], "text": r["text"], "bpm": r["bpm"], "bpm_raw": r["bpm_raw"],
        "tempo_candidates": json.dumps(r["tempo_candidates"]), "key": r["key"], "duration": r["duration_s"],
        "arc": r["arc"], "prompt": r["prompt"], "source_track": r["source_track"], "prefix": r["prefix"],
        "order": r["order"], "loudness_lufs": r["loudness_lufs"], "energy": energy[r["song_id"]],
        "energy_raw": r["energy_raw"], "sha256": r["sha256"],
    } for r in records])
    matrix = np.stack(vectors).astype(np.float32)
    folder = storage.asset_dir("library_index")
    storage.write_bytes(folder / "embeddings.npy", npy_bytes(matrix))
    storage.write_bytes(folder / "catalog.parquet", catalog.to_parquet(index=False))
    storage.write_json(folder / "index.json", {"songs": len(records), "model_id": records[0]["model_id"],
                                               "dimension": int(matrix.shape[1]), "skipped": skipped})
    reread = pd.read_parquet(folder / "catalog.parquet")
    norms = np.linalg.norm(np.load(folder / "embeddings.npy"), axis=1)
    consistent = len(reread) == matrix.shape[0] and bool(np.all(np.abs(norms - 1) < 1e-3))
    return dg.MaterializeResult(
        metadata={"songs": len(records), "skipped": ", ".join(skipped) or "none",
                  "hours": round(float(catalog["duration"].sum()) / 3600, 2),
                  "bpm_range": f"{catalog['bpm'].min():g}–{catalog['bpm'].max():g}",
                  "energy_spread": f"{catalog['energy'].min():.2f}–{catalog['energy'].max():.2f}",
                  "model_id": records[0]["model_id"],
                  "preview": dg.MetadataValue.md(markdown_table(
                      ["song", "BPM", "key", "seconds", "energy"],
                      catalog[["song_id", "bpm", "key", "duration", "energy"]].head(30).itertuples(index=False)))},
        check_results=[dg.AssetCheckResult(check_name="index_consistent", passed=consistent,
                                           metadata={"rows": len(reread), "matrix_rows": int(matrix.shape[0])})],
    )
