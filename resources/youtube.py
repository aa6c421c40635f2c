"""The channel on YouTube: OAuth user credentials from a token file, or a dry run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from lofi_assets.core.youtube.client import (
    build_analytics,
    build_youtube,
    http_client,
    load_credentials,
    scopes_for,
)
from lofi_assets.core.youtube.upload import CHUNK_QUANTUM


def default_token_file() -> str:
    return str(Path.home() / ".config" / "lofi" / "youtube-token.json")


class YouTubeResource(dg.ConfigurableResource):
    """YouTube Data API v3 through google-api-python-client, as the channel's owner.

    Live when ``token_file`` names a token written by ``lofi auth``; otherwise every
    upload is a dry run that writes the exact requests it would send. The token file's
    contents (the refresh token) never reach logs, metadata or run config.
    """

    token_file: str | None = Field(
        default=None, description="token written by `lofi auth` (LOFI_YOUTUBE_TOKEN); unset: dry run"
    )
    client_secrets: str | None = Field(
        default=None, description="OAuth client JSON for `lofi auth` (LOFI_YOUTUBE_CLIENT_SECRETS)"
    )
    dry_run: bool = Field(default=False, description="never send, even with a token (LOFI_YOUTUBE_DRY_RUN)")
    monetary: bool = Field(default=False, description="also ask for the revenue scope (yt-analytics-monetary)")
    root_url: str | None = Field(
        default=None, description="API root instead of https://youtube.googleapis.com/ (a proxy or a test server)"
    )
    token_uri: str | None = Field(default=None, description="OAuth token endpoint instead of Google's")
    chunk_mb: float = Field(default=4.0, description="resumable upload chunk, rounded to 256 KiB")
    max_retries: int = Field(default=8, description="consecutive retries of 5xx, rate limits and lost connections")
    backoff_s: float = Field(default=1.0, description="first backoff; doubles up to 64 s, with jitter")
    timeout_s: float = 120.0

    @property
    def live(self) -> bool:
        return bool(self.token_file) and not self.dry_run

    @property
    def chunk_bytes(self) -> int:
        return max(1, round(self.chunk_mb * 1024 * 1024 / CHUNK_QUANTUM)) * CHUNK_QUANTUM

    def scopes(self) -> list[str]:
        return scopes_for(self.monetary)

    def _http(self):
        credentials = load_credentials(Path(os.path.expanduser(self.token_file or "")), self.scopes(), self.token_uri)
        return http_client(credentials, self.timeout_s)

    def client(self):
        """A built client with fresh credentials (AuthError telling the operator to run
        ``lofi auth`` when the refresh token is refused)."""
        return build_youtube(self._http(), self.root_url)

    def analytics_client(self):
        """The YouTube Analytics API v2 client, same credentials and root."""
        return build_analytics(self._http(), self.root_url)

    def publisher_options(self) -> dict[str, Any]:
        return {"max_retries": self.max_retries, "backoff_s": self.backoff_s}

    def describe(self) -> dict[str, Any]:
        """Where uploads go, for metadata; never a secret."""
        if self.live:
            return {"youtube_mode": "live", "youtube_api": self.root_url or "https://youtube.googleapis.com/"}
        why = "LOFI_YOUTUBE_DRY_RUN is set" if self.dry_run else "LOFI_YOUTUBE_TOKEN is not set"
        return {
            "youtube_mode": "dry-run",
            "youtube_note": f"{why}: nothing was sent; the exact requests were written instead "
            "(run `lofi auth`, then set LOFI_YOUTUBE_TOKEN, to publish)",
        }
