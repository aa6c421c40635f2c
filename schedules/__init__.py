"""Schedules. The nightly generation batch, the daily analytics pull and the evening
upload window arrive with their stages; track ingestion is driven by
``notion_tracks_sensor`` rather than a clock."""

import dagster as dg

all_schedules: list[dg.ScheduleDefinition] = []
