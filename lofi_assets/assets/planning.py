"""Planning: each track's prompts embedded, and its playlist of reused songs and gaps."""

import dagster as dg
import numpy as np
from pydantic import Field

from lofi_assets import asset_files
from lofi_assets.asset_files import load_plan
from lofi_assets.assets.ingest import notion_track
from lofi_assets.assets.library import library_index
from lofi_assets.core.files import npy_bytes, read_json
from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.library.catalog import usage_counts
from lofi_assets.core.planning.fill import alternates
from lofi_assets.core.planning.matching import Catalog, Weights, arc_coverage, match, queries_from_plan
from lofi_assets.core.published import is_published
from lofi_assets.core.tables import markdown_table
from lofi_assets.partitions import tracks_partitions
from resources import EmbedderResource, StorageResource


def prompt_texts(plan: TrackPlan) -> list[str]:
    # The line as written (suffix included) is what a song was made for.
    return [p.full_text or p.text for p in plan.prompts]


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="planning",
    kinds={"sentence_transformers", "numpy"},
    deps=[notion_track],
    code_version="1",
)
def prompt_embeddings(
    context: dg.AssetExecutionContext, storage: StorageResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Each prompt of the track embedded with the library's model (``prompts.npy``, one unit
    row per prompt, in plan order)."""
    key = context.partition_key
    plan = load_plan(storage, key)
    model = embedder.embedder(cache_dir=storage.asset_dir(asset_files.EMBEDDING_CACHE))
    vectors, computed = model.encode(prompt_texts(plan))
    asset_files.PROMPT_VECTORS.write_bytes(storage, key, npy_bytes(vectors))
    asset_files.PROMPT_INFO.write(
        storage,
        key,
        {
            "model_id": model.model_id,
            "prompts": [
                {"arc": p.arc, "number": p.number, "text": t}
                for p, t in zip(plan.prompts, prompt_texts(plan), strict=True)
            ],
        },
    )
    return dg.MaterializeResult(
        metadata={
            "prompts": len(plan.prompts),
            "computed": computed,
            "cached": len(plan.prompts) - computed,
            "model_id": model.model_id,
        }
    )


class PlaylistConfig(dg.Config):
    threshold: float = Field(default=0.70, description="lowest total score a reused song may have")
    top_k: int = Field(default=5, description="candidates listed per prompt")
    semantic: float = 0.50
    arc: float = 0.20
    tempo: float = 0.15
    key: float = 0.10
    usage: float = 0.05


def published_playlists(storage: StorageResource, except_key: str) -> list[dict]:
    """Playlists of published tracks (by their page, or by a video in the upload ledger,
    which is known before the page is read again): where song usage is counted from."""
    playlists = []
    for key, path in asset_files.PLAYLIST.each(storage):
        plan, ledger = asset_files.PLAN.read(storage, key), asset_files.LEDGER.read(storage, key)
        if key != except_key and is_published(plan, ledger):
            playlists.append(read_json(path) or {})
    return playlists


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="planning",
    kinds={"json"},
    deps=[prompt_embeddings, library_index, notion_track],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "no_song_twice", asset="track_playlist", description="no song is assigned to two prompts of the track"
        )
    ],
)
def track_playlist(
    context: dg.AssetExecutionContext, config: PlaylistConfig, storage: StorageResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """Library songs reused for the track's prompts by the multi-factor score and a global
    assignment; every other prompt is a gap with its reason. Per arc: matched duration
    against the plan's target."""
    import pandas as pd

    key = context.partition_key
    plan = load_plan(storage, key)
    query_emb = np.load(asset_files.PROMPT_VECTORS.path(storage, key))
    weights = Weights(config.semantic, config.arc, config.tempo, config.key, config.usage)
    if asset_files.LIBRARY_CATALOG.exists(storage):
        records = pd.read_parquet(asset_files.LIBRARY_CATALOG.path(storage)).to_dict(orient="records")
        embeddings = np.load(asset_files.LIBRARY_VECTORS.path(storage))
        index_model = (asset_files.LIBRARY_INFO.read(storage) or {}).get("model_id")
        prompt_model = (asset_files.PROMPT_INFO.read(storage, key) or {}).get("model_id")
        if index_model != prompt_model:
            raise dg.Failure(f"track {key}: prompts embedded with {prompt_model}, library with {index_model}")
    else:
        records, embeddings = [], np.zeros((0, query_emb.shape[1]), dtype=np.float32)
        context.log.warning("library_index is not built: every prompt is a gap")
    usage = usage_counts(published_playlists(storage, key))
    for r in records:
        r["times_used"] = usage.get(r["song_id"], 0)
    catalog = Catalog.from_records(records, embeddings)
    result, _ = match(
        queries_from_plan(plan), query_emb, catalog, weights=weights, threshold=config.threshold, top_k=config.top_k
    )
    durations = {r["song_id"]: float(r["duration"]) for r in records}
    result.arcs = arc_coverage(plan, result, durations)
    data = result.to_dict()
    # The other songs that pass for a prompt fill the video before anything repeats.
    extra = alternates(data["prompts"], config.threshold, durations)
    for p in data["prompts"]:
        p["song_s"] = durations.get(p["song_id"]) if p.get("song_id") else None
        p["alternates"] = [{"song_id": s, "seconds": durations[s]} for s in extra[(p["arc"], p["number"])]]
    out = asset_files.PLAYLIST.write(
        storage, key, {"track": key, "title": plan.title, "library_songs": len(records), **data}
    )

    assigned = [p.song_id for p in result.prompts if p.song_id]
    rows = [
        (
            p.arc,
            p.number,
            p.text[:60],
            p.song_id or "—",
            p.score if p.song_id else (p.candidates[0].total if p.candidates else None),
            p.gap_reason or "",
        )
        for p in result.prompts
    ]
    arcs = [
        (
            a.arc,
            a.name,
            f"{a.matched}/{a.prompts}",
            round(a.matched_s / 60, 1),
            round(a.target_s / 60, 1) if a.target_s else None,
        )
        for a in result.arcs
    ]
    return dg.MaterializeResult(
        metadata={
            "prompts": len(result.prompts),
            "matched": result.matched,
            "gaps": len(result.prompts) - result.matched,
            "alternates": sum(len(v) for v in extra.values()),
            "library_songs": len(records),
            "threshold": config.threshold,
            "playlist": dg.MetadataValue.md(markdown_table(["arc", "#", "prompt", "song", "score", "gap"], rows)),
            "arcs": dg.MetadataValue.md(markdown_table(["arc", "name", "matched", "minutes", "target min"], arcs)),
            "path": dg.MetadataValue.path(str(out)),
        },
        check_results=[dg.AssetCheckResult(check_name="no_song_twice", passed=len(assigned) == len(set(assigned)))],
    )
