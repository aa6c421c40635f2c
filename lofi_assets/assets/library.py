"""Library: analysed songs, their embeddings, and the searchable index."""

import json
import math

import dagster as dg
import numpy as np

from lofi_assets import asset_files
from lofi_assets.asset_files import all_plans
from lofi_assets.core.files import npy_bytes, read_json
from lofi_assets.core.library.analysis import AudioError, analyse_file
from lofi_assets.core.library.catalog import (
    calibrate_energy,
    library_files,
    plans_by_track_number,
    prompt_context,
    sidecar_context,
    song_text,
)
from lofi_assets.core.library.embedding import text_hash
from lofi_assets.core.tables import markdown_table
from lofi_assets.partitions import songs_partitions
from resources import EmbedderResource, StorageResource


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
    return dg.AssetCheckResult(
        check_name="analysis_valid", passed=not problems, metadata={"problems": "; ".join(problems) or "none"}
    )


@dg.asset(
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"audio", "json"},
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "analysis_valid",
            asset="library_song",
            description="analysis.json re-read: duration, plausible tempo, finite loudness",
        )
    ],
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

    for other_key, other in asset_files.SONG_ANALYSIS.each(storage):
        data = read_json(other) or {}
        if other_key != key and data.get("sha256") == analysis.sha256:
            raise dg.Failure(
                f"song {key}: {path.name} is the same audio as {data.get('file')} "
                f"(sha256 {analysis.sha256[:12]}); not imported twice",
                allow_retries=False,
            )

    plans = plans_by_track_number(all_plans(storage))
    record = {"song_id": key, "file": path.name, **analysis.to_dict(), **prompt_context(plans, path.stem)}
    if not record.get("mood_words"):
        record.update(sidecar_context(path))
    out = asset_files.SONG_ANALYSIS.write(storage, key, record)
    return dg.MaterializeResult(
        metadata={
            "file": path.name,
            "duration_s": analysis.duration_s,
            "bpm": analysis.bpm,
            "bpm_raw": analysis.bpm_raw,
            "tempo_candidates": ", ".join(
                f"{c.relation} {c.bpm:g} ({c.confidence:.2f})" for c in analysis.tempo_candidates
            ),
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
def song_embedding(
    context: dg.AssetExecutionContext, storage: StorageResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """The song's text (the prompt it was made for, anchor phrase, mood words, measured
    tempo, key and energy) embedded with all-MiniLM-L6-v2; cached by text hash and model."""
    key = context.partition_key
    record = asset_files.SONG_ANALYSIS.require(storage, key)
    text = song_text(record)
    model = embedder.embedder(cache_dir=storage.asset_dir(asset_files.EMBEDDING_CACHE))
    vectors, computed = model.encode([text])
    asset_files.SONG_VECTOR.write_bytes(storage, key, npy_bytes(vectors[0]))
    asset_files.SONG_VECTOR_INFO.write(
        storage,
        key,
        {"text": text, "text_hash": text_hash(text), "model_id": model.model_id, "dim": int(vectors.shape[1])},
    )
    norm = float(np.linalg.norm(vectors[0]))
    if not abs(norm - 1.0) < 1e-3:
        raise dg.Failure(f"song {key}: embedding norm {norm:.4f} is not 1")
    return dg.MaterializeResult(
        metadata={"text": text, "model_id": model.model_id, "cached": computed == 0, "dimension": int(vectors.shape[1])}
    )


@dg.asset(
    group_name="library",
    kinds={"parquet", "numpy"},
    deps=[song_embedding, library_song],
    code_version="1",
    automation_condition=dg.AutomationCondition.any_deps_updated()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.any_deps_in_progress(),
    check_specs=[
        dg.AssetCheckSpec(
            "index_consistent",
            asset="library_index",
            description="catalog rows match matrix rows; vectors are unit length",
        )
    ],
)
def library_index(context: dg.AssetExecutionContext, storage: StorageResource) -> dg.MaterializeResult:
    """Every analysed and embedded song: ``embeddings.npy`` (one unit row per song) and
    ``catalog.parquet`` (song_id, file, text, tempo with candidates, key, duration, arc,
    prompt, source track, loudness, energy calibrated across the library)."""
    import pandas as pd

    records, vectors, skipped = [], [], []
    for key in asset_files.partitions_written(storage, asset_files.SONG_ANALYSIS.asset):
        record = asset_files.SONG_ANALYSIS.read(storage, key)
        meta = asset_files.SONG_VECTOR_INFO.read(storage, key)
        if record is None or meta is None or not asset_files.SONG_VECTOR.exists(storage, key):
            skipped.append(key)
            continue
        vectors.append(np.load(asset_files.SONG_VECTOR.path(storage, key)))
        records.append({**record, "text": meta["text"], "model_id": meta["model_id"]})
    if not records:
        raise dg.Failure("library_index: no analysed and embedded songs yet")
    if len({r["model_id"] for r in records}) > 1:
        raise dg.Failure("library_index: songs were embedded with different models; re-embed them")
    energy = calibrate_energy({r["song_id"]: r["energy_raw"] for r in records}, {r["song_id"]: r for r in records})
    catalog = pd.DataFrame(
        [
            {
                "song_id": r["song_id"],
                "file": r["file"],
                "text": r["text"],
                "bpm": r["bpm"],
                "bpm_raw": r["bpm_raw"],
                "tempo_candidates": json.dumps(r["tempo_candidates"]),
                "key": r["key"],
                "duration": r["duration_s"],
                "arc": r["arc"],
                "prompt": r["prompt"],
                "source_track": r["source_track"],
                "prefix": r["prefix"],
                "order": r["order"],
                "loudness_lufs": r["loudness_lufs"],
                "energy": energy[r["song_id"]],
                "energy_raw": r["energy_raw"],
                "sha256": r["sha256"],
            }
            for r in records
        ]
    )
    matrix = np.stack(vectors).astype(np.float32)
    asset_files.LIBRARY_VECTORS.write_bytes(storage, None, npy_bytes(matrix))
    asset_files.LIBRARY_CATALOG.write_bytes(storage, None, catalog.to_parquet(index=False))
    asset_files.LIBRARY_INFO.write(
        storage,
        None,
        {
            "songs": len(records),
            "model_id": records[0]["model_id"],
            "dimension": int(matrix.shape[1]),
            "skipped": skipped,
        },
    )
    reread = pd.read_parquet(asset_files.LIBRARY_CATALOG.path(storage))
    norms = np.linalg.norm(np.load(asset_files.LIBRARY_VECTORS.path(storage)), axis=1)
    consistent = len(reread) == matrix.shape[0] and bool(np.all(np.abs(norms - 1) < 1e-3))
    return dg.MaterializeResult(
        metadata={
            "songs": len(records),
            "skipped": ", ".join(skipped) or "none",
            "hours": round(float(catalog["duration"].sum()) / 3600, 2),
            "bpm_range": f"{catalog['bpm'].min():g}–{catalog['bpm'].max():g}",
            "energy_spread": f"{catalog['energy'].min():.2f}–{catalog['energy'].max():.2f}",
            "model_id": records[0]["model_id"],
            "preview": dg.MetadataValue.md(
                markdown_table(
                    ["song", "BPM", "key", "seconds", "energy"],
                    catalog[["song_id", "bpm", "key", "duration", "energy"]].head(30).itertuples(index=False),
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="index_consistent",
                passed=consistent,
                metadata={"rows": len(reread), "matrix_rows": int(matrix.shape[0])},
            )
        ],
    )
