"""The single entry point: every asset, job, sensor, schedule and resource."""

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
from lofi_assets.settings import secret, settings
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

env = settings()
storage = StorageResource(root=env.data_dir)

defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[
        track_job,
        publish_job,
        analytics_job,
        notion_job,
        song_job,
        library_index_job,
        model_job,
        nightly_job,
        stems_job,
    ],
    sensors=all_sensors,
    schedules=all_schedules,
    # Dagster's multiprocess executor on one machine; LOFI_EXECUTOR=celery past it.
    executor=executor_from_env(),
    resources={
        "storage": storage,
        "embedder": EmbedderResource(model=env.embedding_model),
        "midi_generator": MidiModelResource(
            checkpoint_dir=env.midi_model_dir,
            fallback_to_composer=env.composer_fallback,
        ),
        "renderer": RendererResource(soundfont=env.soundfont, colour_preset=env.colour_preset),
        "separator": SeparatorResource(
            model=env.demucs_model,
            weights_dir=env.demucs_weights,
            device=env.demucs_device,
        ),
        "youtube": YouTubeResource(
            token_file=env.youtube_token,
            client_secrets=env.youtube_client_secrets,
            dry_run=env.youtube_dry_run,
            monetary=env.youtube_monetary,
            # A proxy or a test server instead of Google (the demo's simulated channel uses these).
            root_url=env.youtube_root_url,
            token_uri=env.youtube_token_uri,
        ),
        "alerts": AlertsResource(webhook_url=secret("LOFI_ALERT_WEBHOOK")),
        "notion": NotionResource(
            storage=storage,
            token=secret("NOTION_TOKEN"),
            database_id=secret("NOTION_DATABASE_ID"),
        ),
    },
)
