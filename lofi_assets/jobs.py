"""Jobs. ``track_job`` is the main job: a track's whole chain for one ``tracks`` partition."""

import dagster as dg

from lofi_assets.assets import TRACK_ASSETS

track_job = dg.define_asset_job(
    "track_job",
    selection=dg.AssetSelection.assets(*TRACK_ASSETS),
    description="Everything one track needs, from its Notion page onwards, for one tracks partition.",
)
