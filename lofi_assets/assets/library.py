"""Library: analysed songs, their embeddings, and the searchable index."""

import math
from collections.abc import Iterator

import dagster as dg
import numpy as np

from lofi_assets import asset_files
from lofi_assets.asset_files import all_plans, local_dir
from lofi_assets.core.audio_io import AudioInputError
from lofi_assets.core.files import npy_bytes, read_json
from lofi_assets.core.library.catalog import catalog_frame, library_files, song_text
from lofi_assets.core.library.embedding import text_hash
from lofi_assets.core.library.song_import import SongBatch, SongImportError
from lofi_assets.core.production.separation import SeparationError, separate_file
from lofi_assets.core.tables import markdown_table
from lofi_assets.partitions import songs_partitions
from resources import EmbedderResource, SeparatorResource, StorageResource

# Songs a run imports at most. A run's start-up (the code location and the embedding model,
# a few seconds) is paid once per batch; a backfill's runs share the cores between them.
SONGS_PER_RUN = 100

library_song = dg.AssetSpec(
    "library_song",
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"audio", "json"},
    code_version="2",
    description="One library song, decoded and measured: duration, tempo (raw, half and double with "
    "confidences), key and mode, integrated loudness, energy features, the file-name fields, and the prompt "
    "it was made for when its source track's plan is known.",
)
song_embedding = dg.AssetSpec(
    "song_embedding",
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"sentence_transformers", "numpy"},
    deps=[library_song],
    code_version="2",
    description="The song's text (the prompt it was made for, anchor phrase, mood words, measured tempo, "
    "key and energy) embedded with all-MiniLM-L6-v2; cached by text hash and model.",
)


def check_analysis(path, record: dict, key: str) -> dg.AssetCheckEvaluation:
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
    return dg.AssetCheckEvaluation(
        asset_key=library_song.key,
        check_name="analysis_valid",
        passed=not problems,
        partition=key,
        metadata={"problems": "; ".join(problems) or "none"},
    )


def analyse_songs(storage: StorageResource, keys: list[str], failed: dict[str, str]) -> Iterator:
    """A materialization and a check per song analysed; a song that fails is noted in
    ``failed`` and the others carry on."""
    analyses = (read_json(path) or {} for _, path in asset_files.SONG_ANALYSIS.each(storage))
    batch = SongBatch.open(storage.input_dir("library"), all_plans(storage), analyses)
    for key in keys:
        try:
            analysis, record = batch.analyse(key)
        except SongImportError as exc:
            failed[key] = str(exc)
            continue
        out = asset_files.SONG_ANALYSIS.write(storage, key, record)
        yield dg.AssetMaterialization(
            library_song.key,
            partition=key,
            metadata={
                "file": record["file"],
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
        )
        yield check_analysis(out, record, key)


def embed_songs(storage: StorageResource, embedder: EmbedderResource, keys: list[str], failed: dict[str, str]):
    """Every analysed song's text embedded in one batch; a materialization per song."""
    records = {}
    for key in keys:
        record = asset_files.SONG_ANALYSIS.read(storage, key)
        if record is None:
            failed.setdefault(key, f"song {key}: not analysed yet (materialize library_song first)")
        else:
            records[key] = record
    if not records:
        return
    model = embedder.embedder(cache_dir=storage.asset_dir(asset_files.EMBEDDING_CACHE))
    texts = {key: song_text(record) for key, record in records.items()}
    cached = {key: model.is_cached(text) for key, text in texts.items()}
    vectors, _ = model.encode(list(texts.values()))
    for (key, text), vector in zip(texts.items(), vectors, strict=True):
        norm = float(np.linalg.norm(vector))
        if not abs(norm - 1.0) < 1e-3:
            failed[key] = f"song {key}: embedding norm {norm:.4f} is not 1"
            continue
        asset_files.SONG_VECTOR.write_bytes(storage, key, npy_bytes(vector))
        asset_files.SONG_VECTOR_INFO.write(
            storage,
            key,
            {"text": text, "text_hash": text_hash(text), "model_id": model.model_id, "dim": int(vector.shape[0])},
        )
        yield dg.AssetMaterialization(
            song_embedding.key,
            partition=key,
            metadata={
                "text": text,
                "model_id": model.model_id,
                "cached": cached[key],
                "dimension": int(vector.shape[0]),
            },
        )


@dg.multi_asset(
    name="library_songs",
    specs=[library_song, song_embedding],
    check_specs=[
        dg.AssetCheckSpec(
            "analysis_valid",
            asset=library_song.key,
            partitions_def=songs_partitions,
            description="analysis.json re-read: duration, plausible tempo, finite loudness",
        )
    ],
    # A run imports a range of songs, each materialized on its own with its own metadata;
    # either asset can be made alone (re-embedding with a new model needs no re-analysis).
    can_subset=True,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=SONGS_PER_RUN),
)
def library_songs(context: dg.AssetExecutionContext, storage: StorageResource, embedder: EmbedderResource):
    """Library songs imported in batches: each analysed (``library_song``) and embedded
    (``song_embedding``). A song that fails is named in the run's failure; the others of
    its batch are materialized."""
    keys = context.partition_keys
    failed: dict[str, str] = {}
    if library_song.key in context.selected_asset_keys:
        yield from analyse_songs(storage, keys, failed)
    if song_embedding.key in context.selected_asset_keys:
        yield from embed_songs(storage, embedder, [k for k in keys if k not in failed], failed)
    if failed:
        done = len(keys) - len(failed)
        raise dg.Failure(
            "; ".join(failed.values())
            if len(keys) == 1
            else f"{len(failed)} of {len(keys)} songs failed ({done} imported): " + "; ".join(failed.values()),
            metadata={"failed": ", ".join(failed)},
            allow_retries=False,
        )


@dg.asset(
    partitions_def=songs_partitions,
    group_name="library",
    kinds={"demucs", "audio"},
    deps=[library_song],
    code_version="1",
    pool="gpu",
)
def song_stems(
    context: dg.AssetExecutionContext, storage: StorageResource, separator: SeparatorResource
) -> dg.MaterializeResult:
    """The song separated by demucs into drums, bass, other and vocals (FLAC), and an
    instrumental (every stem but vocals) when it has vocals; cached by the audio's hash,
    the model and its parameters, so a re-run with nothing changed does no work."""
    key = context.partition_key
    files = {f.key: f.path for f in library_files(storage.input_dir("library"))[0]}
    if key not in files:
        raise dg.Failure(f"song {key}: no audio file for it in {storage.input_dir('library')}", allow_retries=False)
    try:
        model, digest = separator.lazy()  # a cached song never loads the model
        result = separate_file(
            files[key],
            local_dir(storage, asset_files.STEMS_INFO.asset, key),
            model,
            model_name=separator.model,
            weights_digest=digest,
            shifts=separator.shifts,
            overlap=separator.overlap,
            segment=separator.segment,
            device=separator.device,
        )
    except (SeparationError, AudioInputError) as exc:
        raise dg.Failure(f"song {key}: {exc}", allow_retries=False) from None
    return dg.MaterializeResult(
        metadata={
            "model": separator.model,
            "cached": result.cached,
            "has_vocals": result.has_vocals,
            "vocals_db": round(result.vocals_db, 1),
            "seconds": round(result.seconds, 1),
            "stems": ", ".join(sorted(result.stems)),
            "instrumental": str(result.instrumental or "—"),
        }
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
    catalog = catalog_frame(records)
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
