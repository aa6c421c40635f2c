"""Dagster resources: every external thing the pipeline touches, configured from the
environment (secrets through ``dg.EnvVar``, never in run config or metadata)."""

from resources.alerts import AlertsResource
from resources.embedder import EmbedderResource
from resources.midi_model import MidiModelResource
from resources.notion import NotionResource
from resources.renderer import RendererResource
from resources.separator import SeparatorResource
from resources.storage import StorageResource
from resources.youtube import YouTubeResource

__all__ = [
    "AlertsResource",
    "EmbedderResource",
    "MidiModelResource",
    "NotionResource",
    "RendererResource",
    "SeparatorResource",
    "StorageResource",
    "YouTubeResource",
]
