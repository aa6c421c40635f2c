"""Track pages from Notion: the API when ``NOTION_TOKEN`` is set, else the export folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from lofi_assets.core.ingest.markdown_folder import MarkdownFolderSource
from lofi_assets.core.ingest.sources import SourceError, TrackSource
from resources.storage import StorageResource


class NotionResource(dg.ConfigurableResource):
    """The operator's track database. With a token, pages come from the Notion API;
    without one, from Markdown files (Notion's "Export as Markdown") in
    ``<storage root>/notion`` or ``export_dir``, and the metadata says so."""

    storage: StorageResource
    token: str | None = Field(default=None, description="Integration token (NOTION_TOKEN)")
    database_id: str | None = Field(default=None, description="Tracks database (NOTION_DATABASE_ID)")
    export_dir: str | None = Field(default=None, description="Markdown folder; default <root>/notion")
    base_url: str = "https://api.notion.com"
    requests_per_second: float = Field(default=3.0, description="Notion allows an average of 3")
    timeout_s: float = 30.0
    max_retries: int = 4
    backoff_s: float = 1.0

    @property
    def mode(self) -> str:
        return "notion-api" if self.token else "markdown-folder"

    def folder(self) -> Path:
        return Path(self.export_dir) if self.export_dir else Path(os.fspath(self.storage.input_dir("notion")))

    def open_source(self) -> TrackSource:
        if self.token:
            if not self.database_id:
                raise SourceError("NOTION_TOKEN is set but NOTION_DATABASE_ID is not")
            # notion-client and httpx load only where the API is used (every step pays the import)
            from lofi_assets.core.ingest.notion_api import NotionApiSource

            return NotionApiSource(
                self.token,
                self.database_id,
                base_url=self.base_url,
                requests_per_second=self.requests_per_second,
                timeout_s=self.timeout_s,
                max_retries=self.max_retries,
                backoff_s=self.backoff_s,
            )
        return MarkdownFolderSource(self.folder())

    def describe(self) -> dict[str, Any]:
        """Metadata on where pages came from; never the token."""
        if self.token:
            return {"notion_source": "notion-api", "notion_database": self.database_id or ""}
        return {
            "notion_source": "markdown-folder",
            "notion_folder": str(self.folder()),
            "notion_note": "NOTION_TOKEN is not set: pages were read from the local export folder",
        }
