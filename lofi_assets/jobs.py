"""Jobs. ``track_job`` is the main job: a track's whole chain for one ``tracks`` partition.

Jobs of one or two short steps run them in the run's own process (``in_process_executor``):
a step subprocess pays the code location's load again (about 1.5 s) for work that takes
well under a second a song. The others take the definitions' executor (multiprocess, or
Celery past one machine)."""

import dagster as dg

from lofi_assets.assets import (
    ANALYTICS_ASSETS,
    MODEL_ASSETS,
    NIGHTLY_ASSETS,
    PUBLISH_ASSETS,
    SONG_ASSETS,
    TRACK_ASSETS,
    library_index,
    notion_track,
    song_stems,
)

track_job = dg.define_asset_job(
    "track_job",
    selection=dg.AssetSelection.assets(*TRACK_ASSETS),
    description="Everything one track needs, from its Notion page to the video file, for one tracks partition.",
)

publish_job = dg.define_asset_job(
    "publish_job",
    selection=dg.AssetSelection.assets(*PUBLISH_ASSETS),
    description="Upload one track's video to YouTube (a dry run without credentials) and mark its Notion page "
    "Published. Never makes a second video: the upload ledger decides.",
)

song_job = dg.define_asset_job(
    "song_job",
    executor_def=dg.in_process_executor,
    selection=dg.AssetSelection.assets(*SONG_ASSETS),
    description="Analyse and embed one library song (one songs partition).",
)

library_index_job = dg.define_asset_job(
    "library_index_job",
    executor_def=dg.in_process_executor,
    selection=dg.AssetSelection.assets(library_index),
    description="Rebuild the searchable index over every analysed song.",
)

notion_job = dg.define_asset_job(
    "notion_job",
    executor_def=dg.in_process_executor,
    selection=dg.AssetSelection.assets(notion_track),
    description="Only read and parse track pages (songs need their plans to know what they were made for).",
)

model_job = dg.define_asset_job(
    "model_job",
    selection=dg.AssetSelection.assets(*MODEL_ASSETS),
    description="Compose the corpus, learn the tokenizer and train the MIDI model (resumes a checkpoint).",
)

nightly_job = dg.define_asset_job(
    "nightly_job",
    selection=dg.AssetSelection.assets(*NIGHTLY_ASSETS),
    description="The night's batch of new songs for one date, rendered into the library (backfill a range to "
    "make past nights').",
)

stems_job = dg.define_asset_job(
    "stems_job",
    selection=dg.AssetSelection.assets(song_stems),
    description="Separate one library song into stems with demucs (needs LOFI_DEMUCS_WEIGHTS; cached by content).",
)

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.assets(*ANALYTICS_ASSETS),
    description="Pull the channel's daily figures from YouTube (re-pulling a trailing window) and write the day's "
    "report; a backfill of a date range pulls the range in one run.",
)
