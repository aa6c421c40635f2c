"""``library_songs_sensor``: new audio files in the library become ``songs`` runs."""

import hashlib
import json
import math
import os

import dagster as dg

from lofi_assets.assets.library import SONGS_PER_RUN
from lofi_assets.core.library.catalog import library_tick
from lofi_assets.jobs import song_job
from lofi_assets.materialized import latest_metadata
from lofi_assets.partitions import partition_batches, range_tags, songs_partitions
from resources import StorageResource


def song_run_requests(order: list[str], runs: list[tuple[str, str]], parallel_runs: int) -> list[dg.RunRequest]:
    """One run per batch of consecutive songs (new songs are consecutive: they are appended),
    none over ``SONGS_PER_RUN``, in a multiple of ``parallel_runs`` batches of equal size so
    that the cores finish together: 515 songs on two cores are 6 runs of 86, not 5 of 100
    and a last one running alone."""
    run_keys = dict(runs)
    batches = parallel_runs * math.ceil(len(runs) / (parallel_runs * SONGS_PER_RUN))
    per_run = max(1, math.ceil(len(runs) / max(batches, 1)))
    requests = []
    for keys in partition_batches(order, list(run_keys), per_run):
        run_key = keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]}"
        digest = hashlib.sha256("\n".join(run_keys[k] for k in keys).encode()).hexdigest()[:16]
        tags = {"lofi/trigger": "library_songs_sensor", "lofi/songs": str(len(keys))}
        if len(keys) == 1:
            requests.append(dg.RunRequest(run_key=run_keys[keys[0]], partition_key=keys[0], tags=tags))
        else:
            requests.append(dg.RunRequest(run_key=f"{run_key}@{digest}", tags={**tags, **range_tags(keys)}))
    return requests


@dg.sensor(
    job=song_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers audio files in <root>/library (mp3, wav, flac, ogg) as songs partitions and "
    "analyses new or changed ones in batches of consecutive songs (one run each); the same audio under a "
    "second name is refused.",
)
def library_songs_sensor(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SensorResult:
    cache = json.loads(context.cursor) if context.cursor else {}
    known = context.instance.get_dynamic_partitions(songs_partitions.name)
    tick = library_tick(storage.input_dir("library"), cache, set(known))
    for message in tick.refused:
        context.log.warning(f"refused: {message}")
    # A song already analysed with the same content (by `make demo`, the CLI, or before the
    # cursor was lost) is not analysed again.
    analysed = latest_metadata(context.instance, "library_song", [key for key, _ in tick.runs], "sha256")
    current = sorted(key for key, _ in tick.runs if analysed.get(key) == tick.digests[key])
    if current:
        context.log.info(f"{len(current)} song(s) already analysed with the same content")
    runs = [(key, run_key) for key, run_key in tick.runs if key not in current]
    # The new partitions are added before the runs start, after the known ones.
    requests = song_run_requests([*known, *tick.new_keys], runs, parallel_runs=os.cpu_count() or 1)
    if requests:
        context.log.info(f"{len(runs)} song(s) to analyse in {len(requests)} run(s)")
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[songs_partitions.build_add_request(tick.new_keys)] if tick.new_keys else [],
        cursor=json.dumps(tick.cache, sort_keys=True),
        skip_reason=None if runs else "no new or changed songs",
    )
