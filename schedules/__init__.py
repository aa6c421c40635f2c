"""Schedules. Track ingestion is driven by ``notion_tracks_sensor`` rather than a clock;
the nightly generation batch runs at 02:00 UTC for the day that has just begun; the upload
window at 18:00 publishes what is ready; the analytics at 06:00 pull yesterday's figures
and write the report."""

import dagster as dg

from lofi_assets.jobs import nightly_job
from schedules.analytics import analytics_daily
from schedules.upload_window import upload_window

nightly_songs_schedule = dg.build_schedule_from_partitioned_job(
    nightly_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="nightly_songs_schedule",
    description="02:00: the night's batch of new songs",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

all_schedules: list[dg.ScheduleDefinition] = [nightly_songs_schedule, upload_window, analytics_daily]
