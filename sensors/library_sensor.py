"""``library_songs_sensor``: new audio files in the library become ``songs`` runs."""

import json

import dagster as dg

from lofi_assets.core.library.catalog import library_tick
from lofi_assets.jobs import song_job
from lofi_assets.materialized import latest_metadata
from lofi_assets.partitions import songs_partitions
from resources import StorageResource


@dg.sensor(
    job=song_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers audio files in <root>/library (mp3, wav, flac, ogg) as songs partitions and "
    "analyses new or changed ones; the same audio under a second name is refused.",
)
def library_songs_sensor(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SensorResult:
    cache = json.loads(context.cursor) if context.cursor else {}
    known = set(context.instance.get_dynamic_partitions(songs_partitions.name))
    tick = library_tick(storage.input_dir("library"), cache, known)
    for message in tick.refused:
        context.log.warning(f"refused: {message}")
    # A song already analysed with the same content (by `make demo`, the CLI, or before the
    # cursor was lost) is not analysed again.
    analysed = latest_metadata(context.instance, "library_song", [key for key, _ in tick.runs], "sha256")
    current = sorted(key for key, _ in tick.runs if analysed.get(key) == tick.digests[key])
    if current:
        context.log.info(f"{len(current)} song(s) already analysed with the same content")
    runs = [(key, run_key) for key, run_key in tick.runs if key not in current]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, partition_key=key) for key, run_key in runs],
        dynamic_partitions_requests=[songs_partitions.build_add_request(tick.new_keys)] if tick.new_keys else [],
        cursor=json.dumps(tick.cache, sort_keys=True),
        skip_reason=None if runs else "no new or changed songs",
    )
