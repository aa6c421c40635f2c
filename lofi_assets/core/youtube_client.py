"""The YouTube Data API client: discovery document, OAuth user credentials, errors.

The client is google-api-python-client built from the discovery document it ships
(no network fetch of the document), so a different ``root_url`` (a fake server, a
proxy) moves every URL, upload URLs included: googleapiclient derives those from the
document's ``rootUrl`` and ignores ``api_endpoint``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .files import atomic_local_path

SCOPES = {
    "youtube": "https://www.googleapis.com/auth/youtube",
    "analytics": "https://www.googleapis.com/auth/yt-analytics.readonly",
    "monetary": "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
}
PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's daily quota resets at midnight here
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
AUTH_HINT = "run `lofi auth` to authorise the channel again"


class YouTubeError(RuntimeError):
    """A request YouTube refused; ``status`` and ``reason`` as YouTube gave them."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


class AuthError(YouTubeError):
    """The stored credentials cannot be used (refresh token expired or revoked)."""


def scopes_for(monetary: bool = False) -> list[str]:
    """Upload and analytics scopes; revenue figures need the monetary scope too."""
    names = ["youtube", "analytics", *(["monetary"] if monetary else [])]
    return [SCOPES[n] for n in names]


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time, as an aware datetime in UTC's offset of ``now``."""
    local = now.astimezone(PACIFIC)
    # Aware datetime arithmetic is wall-clock time: +1 day is the next local midnight even
    # across a DST change (a 23- or 25-hour day).
    midnight = datetime(local.year, local.month, local.day, tzinfo=PACIFIC) + timedelta(days=1)
    return midnight.astimezone(now.tzinfo)


@dataclass
class ApiError:
    status: int
    reason: str
    message: str


def api_error(status: int, content: bytes | str | None) -> ApiError:
    """The first reason and message of a Google API error body (or the raw text)."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else (content or "")
    try:
        error = json.loads(text).get("error", {})
    except (ValueError, AttributeError):
        return ApiError(status, "", text[:200])
    if isinstance(error, str):  # OAuth endpoints answer {"error": "invalid_grant", ...}
        return ApiError(status, error, "")
    details = error.get("errors") or [{}]
    return ApiError(status, details[0].get("reason", ""), error.get("message", ""))


def youtube_document(root_url: str | None = None) -> dict[str, Any]:
    """The YouTube Data API v3 discovery document shipped with googleapiclient."""
    from googleapiclient.discovery_cache import get_static_doc

    document = json.loads(get_static_doc("youtube", "v3"))
    if root_url:
        document["rootUrl"] = root_url.rstrip("/") + "/"
    return document


def http_client(credentials=None, timeout_s: float = 60.0):
    """An httplib2 client that, like googleapiclient's own, does not follow 308s:
    YouTube answers 308 Resume Incomplete to upload chunks."""
    import httplib2

    http = httplib2.Http(timeout=timeout_s)
    http.redirect_codes = http.redirect_codes - {308}
    if credentials is None:
        return http
    import google_auth_httplib2

    return google_auth_httplib2.AuthorizedHttp(credentials, http=http)


def build_youtube(http, root_url: str | None = None):
    from googleapiclient.discovery import build_from_document

    return build_from_document(youtube_document(root_url), http=http)


def load_credentials(token_file: Path, scopes: list[str], token_uri: str | None = None):
    """User credentials from the token file ``lofi auth`` wrote, refreshed if expired.

    A refresh the token server refuses (``invalid_grant``: the refresh token expired or
    was revoked, e.g. a "Testing" OAuth app's tokens last 7 days) is an AuthError that
    tells the operator what to do; a refreshed token is written back (mode 0600).
    ``token_uri`` replaces Google's token endpoint (google-auth ignores the file's).
    """
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    token_file = Path(token_file)
    if not token_file.exists():
        raise AuthError(f"no YouTube token at {token_file}: {AUTH_HINT}")
    try:
        info = json.loads(token_file.read_text(encoding="utf-8"))
        # The scopes the owner granted, as the file records them (google-auth would
        # report the ones asked for).
        granted = info.get("scopes") or scopes
        credentials = Credentials.from_authorized_user_info(info, granted)
    except (ValueError, KeyError, AttributeError) as exc:
        raise AuthError(f"YouTube token {token_file} is unreadable ({type(exc).__name__}): {AUTH_HINT}") from None
    if token_uri:
        credentials = credentials.with_token_uri(token_uri)
    missing = set(scopes) - set(granted)
    if missing:
        raise AuthError(f"YouTube token {token_file} lacks scope(s) {sorted(missing)}: {AUTH_HINT}")
    if not credentials.valid:
        try:
            credentials.refresh(Request())
        except RefreshError as exc:
            raise AuthError(f"YouTube refused the stored refresh token ({refresh_reason(exc)}): {AUTH_HINT}",
                            reason="invalid_grant") from None
        save_credentials(token_file, credentials)
    return credentials


def refresh_reason(exc: Exception) -> str:
    """The OAuth error code of a RefreshError, never the token itself."""
    args = getattr(exc, "args", ())
    if len(args) > 1 and isinstance(args[1], dict):
        return str(args[1].get("error") or "refresh failed")
    text = str(args[0]) if args else ""
    return text.split(":")[0] or "refresh failed"


def save_credentials(token_file: Path, credentials) -> Path:
    """Write the token file readable by its owner only (0600), atomically."""
    token_file = Path(token_file)
    with atomic_local_path(token_file, ".json", mode=0o600) as tmp:
        tmp.write_text(credentials.to_json(), encoding="utf-8")
    return token_file


def run_auth_flow(client_secrets: Path, token_file: Path, scopes: list[str], *, port: int = 0,
                  open_browser: bool = True, browser: str | None = None):
    """The installed-app flow, once: a browser consent, a loopback redirect, a token file."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    client_secrets = Path(client_secrets)
    if not client_secrets.exists():
        raise AuthError(f"no OAuth client secrets at {client_secrets}: download the Desktop-app client JSON "
                        "from Google Cloud Console (APIs & Services → Credentials)")
    # Offline access with a forced consent screen, so Google always returns a refresh token.
    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=scopes)
    credentials = flow.run_local_server(port=port, open_browser=open_browser, browser=browser,
                                        access_type="offline", prompt="consent")
    if not credentials.refresh_token:
        raise AuthError("Google returned no refresh token; revoke the app's access and run `lofi auth` again")
    save_credentials(token_file, credentials)
    return credentials


def token_file_mode(token_file: Path) -> int:
    return os.stat(token_file).st_mode & 0o777
