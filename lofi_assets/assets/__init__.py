"""Software-defined assets, one module per stage (group)."""

from lofi_assets.assets.ingest import notion_track

# Every asset partitioned by ``tracks``: the per-track job materializes them in order.
TRACK_ASSETS = [notion_track]
ALL_ASSETS = [notion_track]
