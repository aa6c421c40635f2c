"""Every file an asset writes, and how the next one reads it.

Assets hand each other files, never pickles: ``<root>/assets/<asset>/<partition>/<file>``
(the partition folder is left out for an unpartitioned asset). This module is the one
place that names those files; assets, sensors, schedules and the CLI read and write them
only through it, so a file's name, its folder and the message a missing file gives are
written once.

A file that an asset needs and that is not there fails the partition with the name of
the asset to materialize first (a retry cannot help, so none is made).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from upath import UPath

from lofi_assets.core.files import is_local, read_json
from lofi_assets.core.generation.feedback import GenerationWeights
from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.published import ledger_video_id
from resources.storage import StorageResource


def bad_input(message: str) -> dg.Failure:
    """A failure no retry can fix: the message names the input."""
    return dg.Failure(description=message, allow_retries=False)


def local_dir(storage: StorageResource, asset: str, partition: str | None = None) -> Path:
    """An asset's folder on local disk, created: for tools that write files themselves
    (encoders, MIDI tools, model training) and so need a local storage root."""
    path = storage.asset_dir(asset, partition)
    if not is_local(path):
        raise bad_input(f"{asset} needs a local storage root (its tools write files themselves); got {path}")
    local = Path(os.fspath(path))
    local.mkdir(parents=True, exist_ok=True)
    return local


@dataclass(frozen=True)
class AssetFile:
    """One file an asset writes: ``<root>/assets/<asset>/<partition>/<name>``.

    ``subject`` is how a partition of the asset is named in messages (``track <key>``).
    """

    asset: str
    name: str
    subject: str = "track"

    def path(self, storage: StorageResource, key: str | None = None) -> UPath:
        return storage.asset_dir(self.asset, key) / self.name

    def local_path(self, storage: StorageResource, key: str | None = None) -> Path:
        """The path on local disk (its folder created), for tools that write files themselves."""
        return local_dir(storage, self.asset, key) / self.name

    def exists(self, storage: StorageResource, key: str | None = None) -> bool:
        return self.path(storage, key).exists()

    def read(self, storage: StorageResource, key: str | None = None) -> dict | None:
        """The JSON content, or None when the file is missing or does not decode."""
        return read_json(self.path(storage, key))

    def missing(self, key: str | None = None) -> dg.Failure:
        where = f"{self.subject} {key}" if key is not None else self.asset
        return bad_input(f"{where}: no {self.name}; materialize {self.asset} first")

    def require(self, storage: StorageResource, key: str | None = None) -> dict:
        """The JSON content; a missing file fails the partition, naming the asset to run first."""
        data = self.read(storage, key)
        if data is None:
            raise self.missing(key)
        return data

    def require_path(self, storage: StorageResource, key: str | None = None) -> Path:
        """The local path of a file that must exist (media a tool reads)."""
        path = Path(os.fspath(self.path(storage, key)))
        if not path.exists():
            raise self.missing(key)
        return path

    def write(self, storage: StorageResource, key: str | None, data: Any) -> UPath:
        """Write JSON atomically; returns the path."""
        return storage.write_json(self.path(storage, key), data)

    def write_bytes(self, storage: StorageResource, key: str | None, data: bytes) -> UPath:
        return storage.write_bytes(self.path(storage, key), data)

    def each(self, storage: StorageResource) -> Iterator[tuple[str, UPath]]:
        """``(partition key, path)`` of every partition that has the file, in key order."""
        root = storage.asset_dir(self.asset)
        if root.exists():
            for path in sorted(root.glob(f"*/{self.name}")):
                yield path.parent.name, path


def partitions_written(storage: StorageResource, asset: str) -> list[str]:
    """Keys of every partition folder an asset has, in order (whether or not complete)."""
    root = storage.asset_dir(asset)
    return sorted(p.name for p in root.glob("*")) if root.exists() else []


# -- ingest --------------------------------------------------------------------------------
PLAN = AssetFile("notion_track", "plan.json")

# -- library -------------------------------------------------------------------------------
SONG_ANALYSIS = AssetFile("library_song", "analysis.json", "song")
SONG_VECTOR = AssetFile("song_embedding", "embedding.npy", "song")
SONG_VECTOR_INFO = AssetFile("song_embedding", "embedding.json", "song")
STEMS_INFO = AssetFile("song_stems", "stems.json", "song")
INSTRUMENTAL = AssetFile("song_stems", "instrumental.flac", "song")
LIBRARY_VECTORS = AssetFile("library_index", "embeddings.npy")
LIBRARY_CATALOG = AssetFile("library_index", "catalog.parquet")
LIBRARY_INFO = AssetFile("library_index", "index.json")
EMBEDDING_CACHE = "embedding_cache"  # a folder beside the assets' own, shared by both embedding assets

# -- planning ------------------------------------------------------------------------------
PROMPT_VECTORS = AssetFile("prompt_embeddings", "prompts.npy")
PROMPT_INFO = AssetFile("prompt_embeddings", "prompts.json")
PLAYLIST = AssetFile("track_playlist", "playlist.json")

# -- generation ----------------------------------------------------------------------------
CORPUS = "midi_corpus"  # a folder of MIDI files with manifest.jsonl (core.generation.corpus)
TOKENIZER = "midi_tokenizer"  # tokenizer.json and the encoded corpus
TOKEN_DATA = AssetFile("midi_tokenizer", "tokens.npz")
MODEL = "midi_model"  # checkpoints and the exported model.pt + tokenizer.json
GAP_SONGS = AssetFile("gap_songs", "gap_songs.json")  # MIDI files beside it
NIGHTLY_REPORT = AssetFile("nightly_songs", "report.json", "night")  # MIDI files beside it

# -- production ----------------------------------------------------------------------------
RENDERED = AssetFile("rendered_songs", "rendered.json")  # one WAV per gap song beside it
MIX = AssetFile("track_mix", "mix.wav")
MIX_INFO = AssetFile("track_mix", "mix.json")
MASTER = AssetFile("track_master", "master.wav")
MASTER_16BIT = AssetFile("track_master", "master_16bit.wav")
MASTER_LOSSY = {"mp3": AssetFile("track_master", "master.mp3"), "aac": AssetFile("track_master", "master.m4a")}
MASTER_INFO = AssetFile("track_master", "master.json")

# -- publishing ----------------------------------------------------------------------------
METADATA = AssetFile("track_metadata", "metadata.json")
THUMBNAIL = AssetFile("track_thumbnail", "thumbnail_A.jpg")  # the uploaded variant; B, C… beside it
VIDEO = AssetFile("track_video", "video.mp4")
LEDGER = AssetFile("youtube_video", "upload.json")
UPLOAD_CLAIM = AssetFile("youtube_video", "upload.claim.json")  # one publisher at a time (core/youtube/claim.py)
DRY_RUN = AssetFile("youtube_video", "dry_run.json")
UPLOAD_RESULT = AssetFile("youtube_video", "result.json")
WRITEBACK = AssetFile("notion_writeback", "writeback.json")

# -- analytics -----------------------------------------------------------------------------
STATS = "video_stats"  # source.json, and one store per channel under channels/<channel id>/
STATS_SOURCE = AssetFile("video_stats", "source.json")
STATS_STORE = "daily.parquet"
STATS_VIDEOS = "videos.parquet"
REPORT_HTML = AssetFile("channel_report", "report.html", "day")  # chart PNGs beside it
WEIGHTS = AssetFile("channel_report", "generation_weights.json", "day")


def stats_dir(storage: StorageResource) -> Path:
    return local_dir(storage, STATS)


def channel_dir(storage: StorageResource, channel_id: str) -> Path:
    """One store per channel, so figures of two channels (a test server's and the real
    one, or a second channel) never mix."""
    return stats_dir(storage) / "channels" / channel_id


# -- readers shared by several assets ------------------------------------------------------


def load_plan(storage: StorageResource, key: str) -> TrackPlan:
    return TrackPlan.from_dict(PLAN.require(storage, key))


def all_plans(storage: StorageResource) -> list[TrackPlan]:
    return [TrackPlan.from_dict(data) for _, path in PLAN.each(storage) if (data := read_json(path))]


def read_master(storage: StorageResource, key: str) -> dict:
    return MASTER_INFO.require(storage, key)


def failed_master_checks(master: dict) -> list[str]:
    """Names of the master's blocking checks that failed (all of them when none were recorded)."""
    checks = master.get("checks")
    if not checks:
        return ["no check results recorded with the master"]
    return [name for name, passed in checks.items() if not passed]


def ledger_path(storage: StorageResource, key: str) -> Path:
    """The upload ledger of a track, on local disk (the publisher appends to it step by step)."""
    return LEDGER.local_path(storage, key)


def uploaded_video_id(storage: StorageResource, key: str) -> str | None:
    """The YouTube video id of a track, once its upload is recorded in the ledger."""
    return ledger_video_id(LEDGER.read(storage, key))


def latest_weights(storage: StorageResource, day: str, with_evidence: bool = False) -> GenerationWeights | None:
    """The newest channel report's generation weights at or before ``day`` (with
    ``with_evidence``, only weights that rest on some retention figures); None if none."""
    for report_day, path in reversed(list(WEIGHTS.each(storage))):
        if report_day <= day:
            weights = GenerationWeights.from_dict(read_json(path) or {"day": report_day})
            return weights if weights.videos_used or not with_evidence else None
    return None
