"""Sensors: react to the outside world (new Notion pages; later, library files)."""

from sensors.notion_sensor import notion_tracks_sensor

all_sensors = [notion_tracks_sensor]
