"""The evening upload window: every track whose master passed its checks and that has
no video yet is uploaded, in plan order, one at a time (pool ``youtube``)."""

from datetime import datetime

import dagster as dg

from lofi_assets import asset_files
from lofi_assets.asset_files import failed_master_checks
from lofi_assets.core.published import ledger_video_id
from lofi_assets.jobs import publish_job
from lofi_assets.settings import settings
from resources import StorageResource

UPLOAD_CRON = settings().upload_cron  # a schedule's cron is fixed when the code location loads
UPLOAD_TZ = settings().upload_tz


def tracks_to_upload(storage: StorageResource, keys: list[str], now: datetime) -> tuple[list[str], list[str]]:
    """Keys ready for upload in plan order (track number, then title), and why others wait."""
    ready, waiting = [], []
    for key in keys:
        master = asset_files.MASTER_INFO.read(storage, key)
        ledger = asset_files.LEDGER.read(storage, key) or {}
        parked = ledger.get("parked")
        if master is None:
            waiting.append(f"{key}: not mastered yet")
        elif failed_master_checks(master):
            waiting.append(f"{key}: master failed {', '.join(failed_master_checks(master))}")
        elif ledger_video_id(ledger):
            continue  # published already
        elif parked and datetime.fromisoformat(parked["until"]) > now:
            waiting.append(f"{key}: parked until {parked['until']} ({parked['reason']})")
        elif asset_files.VIDEO.exists(storage, key):
            ready.append(key)
        else:
            waiting.append(f"{key}: no video file yet")

    def plan_order(key: str) -> tuple:
        plan = asset_files.PLAN.read(storage, key) or {}
        number = plan.get("track_number")
        return (number is None, number or 0, plan.get("title") or key)

    return sorted(ready, key=plan_order), waiting


@dg.schedule(
    job=publish_job,
    cron_schedule=UPLOAD_CRON,
    execution_timezone=UPLOAD_TZ,
    name="upload_window",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="18:00 (LOFI_UPLOAD_CRON, LOFI_UPLOAD_TZ): upload every checked track that has no video "
    "yet, in plan order",
)
def upload_window(context: dg.ScheduleEvaluationContext, storage: StorageResource):
    keys = context.instance.get_dynamic_partitions("tracks")
    now = context.scheduled_execution_time or datetime.now().astimezone()
    ready, waiting = tracks_to_upload(storage, keys, now)
    if not ready:
        return dg.SkipReason("nothing to upload" + (": " + "; ".join(waiting) if waiting else ""))
    day = now.date().isoformat()
    # Earlier tracks get higher priority, so the queue releases them first.
    return [
        dg.RunRequest(
            partition_key=key,
            run_key=f"upload-{key}-{day}",
            tags={"dagster/priority": str(len(ready) - n), "lofi/upload_window": day},
        )
        for n, key in enumerate(ready)
    ]
