"""``library_index_automation``: the library's index rebuilds itself when songs change.

Dagster creates a ``default_automation_condition_sensor`` for assets with an automation
condition, but stopped; this one targets ``library_index`` and runs by default, so songs
imported by the sensor reach the track playlists without anyone running
``library_index_job``."""

import dagster as dg

library_index_automation = dg.AutomationConditionSensorDefinition(
    "library_index_automation",
    target=dg.AssetSelection.assets("library_index"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Rebuilds library_index once its songs changed and none is being imported "
    "(its automation condition: any dependency updated, nothing in progress).",
)
