"""Where the operator hears of failures: an alerts file under the storage root, the log,
and a webhook when ``LOFI_ALERT_WEBHOOK`` is set (the URL is a secret: never logged)."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
from pydantic import Field

from lofi_assets.core.alerts import FailureAlert, append_alert, post_webhook

log = logging.getLogger("lofi.alerts")


class AlertsResource(dg.ConfigurableResource):
    """Failure alerts: always to ``<root>/alerts/alerts.jsonl`` and the log; to a chat
    webhook (Slack-compatible JSON with ``text``) when one is configured."""

    webhook_url: str | None = Field(default=None, description="LOFI_ALERT_WEBHOOK; unset: file and log only")
    timeout_s: float = 10.0

    def send(self, alert: FailureAlert, alerts_file: Path) -> dict:
        append_alert(alerts_file, alert)
        log.error(alert.text)
        outcome = {"file": str(alerts_file), "webhook": "not configured"}
        if self.webhook_url:
            try:
                status = post_webhook(self.webhook_url, alert, self.timeout_s)
                outcome["webhook"] = f"HTTP {status}"
            except Exception as exc:  # a dead webhook must not hide the alert: it is in the file and log
                outcome["webhook"] = f"failed: {type(exc).__name__}"
            if not outcome["webhook"].startswith("HTTP 2"):
                log.warning("alert webhook: %s", outcome["webhook"])
        return outcome
