"""OAuth for the channel: the installed-app flow against the fake Google endpoints."""

import json
import os
import stat
import threading
import urllib.request
import webbrowser

import pytest

from lofi_assets.core.youtube.client import SCOPES, AuthError, api_error, load_credentials, run_auth_flow, scopes_for
from lofi_assets.demo.youtube_server import FakeYouTube


class ConsentingBrowser(webbrowser.BaseBrowser):
    """Opens the consent URL the way a person's browser would (following the redirect
    back to the flow's loopback server), on its own thread, as a browser is its own process."""

    opened: list[str] = []

    def open(self, url, new=0, autoraise=True):
        self.opened.append(url)
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(), daemon=True).start()
        return True


@pytest.fixture
def fake():
    server = FakeYouTube()
    with server.serve():
        yield server


def test_auth_flow_writes_a_0600_token_that_works(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake token endpoint is plain http
    webbrowser.register("lofi-test-consent", None, ConsentingBrowser("lofi-test-consent"))
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps(fake.client_secrets()))
    token = tmp_path / "config" / "youtube-token.json"
    run_auth_flow(secrets, token, scopes_for(monetary=True), browser="lofi-test-consent")

    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    consent = fake.consents[-1]
    assert consent["access_type"] == "offline" and consent["prompt"] == "consent"
    assert set(consent["scope"].split()) == {SCOPES["youtube"], SCOPES["analytics"], SCOPES["monetary"]}
    saved = json.loads(token.read_text())
    assert saved["refresh_token"] in fake.valid_refresh_tokens
    # The token works for the pipeline: loaded, refreshed against the token endpoint.
    fake.access_tokens.clear()
    saved.pop("token", None)
    token.write_text(json.dumps(saved))
    credentials = load_credentials(token, scopes_for(monetary=True), fake.token_uri)
    assert credentials.token in fake.access_tokens


def test_auth_without_client_secrets_says_where_to_get_them(tmp_path):
    with pytest.raises(AuthError, match="Google Cloud Console"):
        run_auth_flow(tmp_path / "missing.json", tmp_path / "token.json", scopes_for())


def test_token_missing_a_scope_asks_for_lofi_auth(fake, tmp_path):
    token = tmp_path / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info(scopes=[SCOPES["youtube"]])))
    with pytest.raises(AuthError, match="lacks scope.*lofi auth"):
        load_credentials(token, scopes_for(), fake.token_uri)


def test_api_error_reads_google_and_oauth_shapes():
    body = json.dumps(
        {
            "error": {
                "code": 403,
                "message": "quota",
                "errors": [{"domain": "youtube.quota", "reason": "quotaExceeded", "message": "quota"}],
            }
        }
    )
    assert api_error(403, body.encode()).reason == "quotaExceeded"
    assert api_error(400, b'{"error": "invalid_grant", "error_description": "x"}').reason == "invalid_grant"
    assert api_error(502, b"<html>bad gateway</html>").reason == ""
