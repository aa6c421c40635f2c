"""Alerts for the operator: what failed, where, and why, in a line a phone shows whole.

An alert is appended to a JSON-lines file under the storage root and, when a webhook is
configured, POSTed as JSON with a ``text`` field (what Slack, Mattermost, Discord's
Slack-compatible endpoint and most chat hooks accept) plus the structured fields.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MAX_ERROR_CHARS = 500


@dataclass
class FailureAlert:
    run_id: str
    job: str
    partition: str | None
    assets: list[str]
    errors: list[str]  # "step: first line of its error"
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    ui_url: str | None = None

    @property
    def text(self) -> str:
        where = f"{', '.join(self.assets) or self.job}" + (f" [{self.partition}]" if self.partition else "")
        why = "; ".join(self.errors) or "the run failed before any step ran"
        link = f" — {self.ui_url}" if self.ui_url else ""
        return f"lofi: {where} failed (run {self.run_id[:8]}, job {self.job}): {why}{link}"

    def to_dict(self) -> dict:
        return {"text": self.text, **asdict(self)}


def first_line(message: str | None) -> str:
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else "unknown error"
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"


def append_alert(path: Path, alert: FailureAlert) -> None:
    """One JSON line per alert; appends are whole lines, so a reader never sees half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(alert.to_dict(), ensure_ascii=False) + "\n")


def post_webhook(url: str, alert: FailureAlert, timeout_s: float = 10.0) -> int:
    """POST the alert; the HTTP status (raises ``httpx.HTTPError`` on a transport error)."""
    import httpx

    with httpx.Client(timeout=timeout_s) as client:
        response = client.post(url, json=alert.to_dict())
    return response.status_code
