"""Software-defined assets, one module per stage (group)."""

import warnings

import dagster as dg

# Used knowingly, so not printed on every command: backfill policies (beta in Dagster 1.13)
# and partitioned checks (preview), which let a batch of songs check each song on its own.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=r".*backfill_policy.*")
warnings.filterwarnings("ignore", category=dg.PreviewWarning, message=r".*partitions_def on an AssetCheckSpec.*")

from lofi_assets.assets.analytics import channel_report, video_stats  # noqa: E402
from lofi_assets.assets.generation import gap_songs, midi_corpus, midi_model, midi_tokenizer, nightly_songs  # noqa: E402
from lofi_assets.assets.ingest import notion_track  # noqa: E402
from lofi_assets.assets.library import library_index, library_songs, song_stems  # noqa: E402
from lofi_assets.assets.planning import prompt_embeddings, track_playlist  # noqa: E402
from lofi_assets.assets.production import nightly_library_songs, rendered_songs, track_master, track_mix  # noqa: E402
from lofi_assets.assets.publishing import (  # noqa: E402
    notion_writeback,
    track_metadata,
    track_thumbnail,
    track_video,
    youtube_video,
)

# Every asset partitioned by ``tracks``, in order: the per-track job materializes them.
TRACK_ASSETS = [
    notion_track,
    prompt_embeddings,
    track_playlist,
    gap_songs,
    rendered_songs,
    track_mix,
    track_master,
    track_metadata,
    track_thumbnail,
    track_video,
]
# What the upload window runs for a track whose master passed its checks.
PUBLISH_ASSETS = [youtube_video, notion_writeback]
# The ``songs`` assets that need nothing beyond the package, made in batches by one multi-asset.
SONG_ASSETS = [library_songs]
# The model's chain, unpartitioned: corpus → tokenizer → trained model.
MODEL_ASSETS = [midi_corpus, midi_tokenizer, midi_model]
# The night's work for one ``daily`` partition: new pieces, rendered into the library.
NIGHTLY_ASSETS = [nightly_songs, nightly_library_songs]
# The day's analytics: figures pulled from YouTube, then the report (and its feedback).
ANALYTICS_ASSETS = [video_stats, channel_report]
ALL_ASSETS = [
    *TRACK_ASSETS,
    *PUBLISH_ASSETS,
    *SONG_ASSETS,
    song_stems,
    library_index,
    *MODEL_ASSETS,
    *NIGHTLY_ASSETS,
    *ANALYTICS_ASSETS,
]
