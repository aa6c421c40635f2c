"""The YouTube Data API client: discovery document, OAuth user credentials, errors.

The client is google-api-python-client built from the discovery document it ships
(no network fetch of the document), so a different ``root_url`` (a fake server, a
proxy) moves every URL, upload URLs included: googleapiclient derives those from the
document's ``rootUrl`` and ignores ``api_endpoint``.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lofi_assets.core.files import atomic_local_path

SCOPES = {
    "youtube": "https://www.googleapis.com/auth/youtube",
    "analytics": "https://www.googleapis.com/auth/yt-analytics.readonly",
    "monetary": "https://www.googleapis.com/auth/yt-analytics-monetary.readonly",
}
PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's daily quota resets at midnight here
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
AUTH_HINT = "run `lofi auth` to authorise the channel again"
log = logging.getLogger("lofi.youtube")


class YouTubeError(RuntimeError):
    """A request YouTube refused; ``status`` and ``reason`` as YouTube gave them."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason


class AuthError(YouTubeError):
    """The stored credentials cannot be used (refresh token expired or revoked)."""


class Parked(YouTubeError):
    """YouTube's daily quota (or upload limit) is spent: wait for the reset."""

    def __init__(self, message: str, reason: str, until: datetime):
        super().__init__(message, reason=reason)
        self.until = until


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


def utcnow() -> datetime:
    return datetime.now(UTC)


def transport_errors() -> tuple[type[BaseException], ...]:
    """Errors of a dropped or refused connection: worth a retry."""
    import httplib2

    return (OSError, http.client.HTTPException, httplib2.HttpLib2Error)


class ApiCaller:
    """YouTube's retry rules, shared by every client of the APIs: 5xx, rate limits and
    dropped connections back off and retry; a spent daily quota parks until midnight
    Pacific; refused credentials stop with what to do; anything else fails at once."""

    def __init__(
        self,
        *,
        max_retries: int = 8,
        backoff_s: float = 1.0,
        max_backoff_s: float = 64.0,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.now = now
        self.sleep = sleep
        self.retries = 0

    def _classify(self, exc: BaseException) -> tuple[str, int | None, str]:
        """``retry``, ``park``, ``auth`` or ``fail``, with the status and reason."""
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        if isinstance(exc, RefreshError):
            return "auth", None, "invalid_grant"
        if isinstance(exc, HttpError):
            status = exc.resp.status
            error = api_error(status, exc.content)
            if error.reason in QUOTA_REASONS:
                return "park", status, error.reason
            if status >= 500 or status == 429 or error.reason in RATE_REASONS:
                return "retry", status, error.reason or str(status)
            if status == 401:
                return "auth", status, error.reason or "unauthorized"
            return "fail", status, f"{error.reason or status}: {error.message}".strip(": ")
        if isinstance(exc, transport_errors()):
            return "retry", None, type(exc).__name__
        return "fail", None, f"{type(exc).__name__}: {exc}"

    def _backoff(self, attempt: int, what: str, reason: str) -> None:
        if attempt >= self.max_retries:
            raise YouTubeError(f"{what}: {reason}, still failing after {attempt} retries")
        delay = min(self.backoff_s * 2**attempt, self.max_backoff_s) * (0.5 + random.random() / 2)
        log.warning("%s: %s; retry %d in %.1f s", what, reason, attempt + 1, delay)
        self.retries += 1
        self.sleep(delay)

    def _raise(self, kind: str, status: int | None, reason: str, what: str) -> None:
        if kind == "park":
            until = next_quota_reset(self.now())
            raise Parked(
                f"{what}: YouTube says {reason}; parked until the quota resets at "
                f"{until.isoformat()} (midnight Pacific)",
                reason,
                until,
            )
        if kind == "auth":
            raise AuthError(
                f"{what}: the YouTube credentials were refused ({reason}): {AUTH_HINT}", status=status, reason=reason
            )
        raise YouTubeError(f"{what}: YouTube refused the request ({reason})", status=status, reason=reason)

    def _call(self, what: str, make_request: Callable[[], Any]) -> Any:
        """Execute a (non-upload) request with these retry rules."""
        attempt = 0
        while True:
            try:
                return make_request().execute(num_retries=0)
            except Exception as exc:  # classified below; anything unknown is re-raised as a failure
                kind, status, reason = self._classify(exc)
                if kind != "retry":
                    self._raise(kind, status, reason, what)
                self._backoff(attempt, what, reason)
                attempt += 1


def youtube_document(root_url: str | None = None, api: str = "youtube", version: str = "v3") -> dict[str, Any]:
    """A discovery document shipped with googleapiclient (YouTube Data v3 by default,
    ``youtubeAnalytics`` v2 for the analytics)."""
    from googleapiclient.discovery_cache import get_static_doc

    document = json.loads(get_static_doc(api, version))
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


def build_analytics(http, root_url: str | None = None):
    """The YouTube Analytics API v2 client (``reports.query``)."""
    from googleapiclient.discovery import build_from_document

    return build_from_document(youtube_document(root_url, "youtubeAnalytics", "v2"), http=http)


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
            raise AuthError(
                f"YouTube refused the stored refresh token ({refresh_reason(exc)}): {AUTH_HINT}", reason="invalid_grant"
            ) from None
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


def run_auth_flow(
    client_secrets: Path,
    token_file: Path,
    scopes: list[str],
    *,
    port: int = 0,
    open_browser: bool = True,
    browser: str | None = None,
):
    """The installed-app flow, once: a browser consent, a loopback redirect, a token file."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    client_secrets = Path(client_secrets)
    if not client_secrets.exists():
        raise AuthError(
            f"no OAuth client secrets at {client_secrets}: download the Desktop-app client JSON "
            "from Google Cloud Console (APIs & Services → Credentials)"
        )
    # Offline access with a forced consent screen, so Google always returns a refresh token.
    flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=scopes)
    credentials = flow.run_local_server(
        port=port, open_browser=open_browser, browser=browser, access_type="offline", prompt="consent"
    )
    if not credentials.refresh_token:
        raise AuthError("Google returned no refresh token; revoke the app's access and run `lofi auth` again")
    save_credentials(token_file, credentials)
    return credentials


def token_file_mode(token_file: Path) -> int:
    return os.stat(token_file).st_mode & 0o777
