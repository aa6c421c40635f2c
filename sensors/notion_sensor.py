"""``notion_tracks_sensor``: new and edited Notion pages become ``tracks`` runs."""

import dagster as dg

from lofi_assets.asset_files import uploaded_video_id
from lofi_assets.core.ingest.change_scan import ScanCursor, track_tick
from lofi_assets.jobs import track_job
from lofi_assets.materialized import latest_metadata
from lofi_assets.partitions import tracks_partitions
from resources import NotionResource

# Dagster stops a sensor after 60 s; a tick lists pages for at most this long and
# continues from its cursor on the next tick.
TICK_BUDGET_S = 20.0


@dg.sensor(
    job=track_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers new Notion track pages as tracks partitions and runs track_job "
    "for every new or edited page (cursor: last-edited high-water mark, 2-minute look-back).",
)
def notion_tracks_sensor(context: dg.SensorEvaluationContext, notion: NotionResource) -> dg.SensorResult:
    known = set(context.instance.get_dynamic_partitions(tracks_partitions.name))
    tick = track_tick(notion.open_source(), ScanCursor.from_json(context.cursor), known, max_seconds=TICK_BUDGET_S)
    scan = tick.scan
    context.log.info(
        f"{notion.mode}: listed {scan.pages_listed} page(s) in {scan.batches} request(s); "
        f"{len(scan.changed)} new or edited, {len(tick.new_keys)} new partition(s), "
        f"{len(scan.archived)} archived skipped; {'complete' if scan.complete else 'continues next tick'}"
    )
    # A track already on YouTube is never made again (its video cannot change); its page
    # is edited by the write-back itself, which must not start an hour of rendering.
    published = [key for key, _ in tick.runs if uploaded_video_id(notion.storage, key)]
    if published:
        context.log.info(f"not re-made, already on YouTube: {', '.join(published)}")
    # A plan already materialized from this very edit (by `make demo`, the CLI or an earlier
    # deployment) is not made again: the run key alone cannot know that.
    edits = tick.edits
    made = latest_metadata(context.instance, "notion_track", [key for key, _ in tick.runs], "source_edited")
    current = sorted(key for key, _ in tick.runs if key not in published and made.get(key) == edits.get(key))
    if current:
        context.log.info(f"already materialized from the same edit: {', '.join(current)}")
    run_requests = [
        dg.RunRequest(run_key=run_key, partition_key=key, tags={"lofi/trigger": "notion_tracks_sensor"})
        for key, run_key in tick.runs
        if key not in published and key not in current
    ]
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[tracks_partitions.build_add_request(tick.new_keys)] if tick.new_keys else [],
        cursor=scan.cursor.to_json(),
        skip_reason=None if run_requests else "no new or edited track pages",
    )
