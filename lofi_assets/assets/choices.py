"""Run config whose choices are enums (presets, policies, privacy)."""

import dagster as dg
from pydantic import ConfigDict


class ChoiceConfig(dg.Config):
    """Dagster refuses a value outside the enum before a run starts, and the launchpad
    offers the choices; the asset body receives the plain string, which metadata, JSON and
    the core take as they are."""

    model_config = ConfigDict(use_enum_values=True)
