"""Sensors: react to the outside world (new Notion pages, new library files) and to
failed runs (an alert for the operator); keep the deployment's own settings."""

from sensors.automation import library_index_automation
from sensors.failure_sensor import run_failure_alerts
from sensors.library_sensor import library_songs_sensor
from sensors.notion_sensor import notion_tracks_sensor
from sensors.upkeep_sensor import deployment_upkeep

all_sensors = [
    notion_tracks_sensor,
    library_songs_sensor,
    library_index_automation,
    run_failure_alerts,
    deployment_upkeep,
]
