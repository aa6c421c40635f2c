"""Ingest: track pages from the Notion API or a Markdown export folder, parsed into a
:class:`~lofi_assets.core.ingest.plan.TrackPlan` (arcs, prompts, title, tags).

Hands on: the plan (``plan.json``, schema ``track_plan.schema.json``); also finds new and
edited pages for the sensor and writes "Published" back to a page after upload.
"""
