"""The upload claim: one publisher at a time per track, whatever runs them.

Before a track's first ``videos.insert`` a publisher creates ``upload.claim.json`` beside
the ledger, atomically (``create_exclusive``: a hard link on local disk, a conditional put
on object storage). A second publisher that finds a live claim sends nothing. The claim
is removed once the insert is recorded (or failed cleanly); one left by a process that
died (same host, pid gone) or older than ``STALE_AFTER_S`` is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from upath import UPath

from lofi_assets.core.files import create_exclusive

STALE_AFTER_S = 6 * 3600  # longer than any upload; a claim this old is abandoned


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@dataclass
class UploadClaim:
    path: UPath | Path
    owner: str = ""  # who claims (a Dagster run id, a CLI invocation)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _holder_record(self) -> dict:
        return {
            "token": self.token,
            "owner": self.owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "at": datetime.now(UTC).isoformat(),
        }

    def holder(self) -> dict | None:
        """The current claim's record, or None when there is none (or it cannot be read)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {}  # half-visible on an odd store: treated as held until stale by age

    def stale(self, record: dict) -> bool:
        try:
            age = (datetime.now(UTC) - datetime.fromisoformat(record["at"])).total_seconds()
        except (KeyError, TypeError, ValueError):
            age = float("inf") if not record else 0.0
        if age > STALE_AFTER_S:
            return True
        return record.get("host") == socket.gethostname() and not _alive(int(record.get("pid") or 0))

    def acquire(self) -> tuple[bool, dict | None]:
        """Claim the track: (True, None), or (False, the live holder's record)."""
        data = json.dumps(self._holder_record()).encode()
        for _ in range(2):
            if create_exclusive(self.path, data):
                return True, None
            record = self.holder()
            if record is None:
                continue  # released between our create and our read: try again
            if record.get("token") == self.token:
                return True, None
            if not self.stale(record):
                return False, record
            self._remove()  # the holder died: take over
        return False, self.holder()

    def release(self) -> None:
        record = self.holder()
        if record and record.get("token") == self.token:
            self._remove()

    def _remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def describe(self, record: dict | None) -> str:
        if not record:
            return "another publisher"
        return f"{record.get('owner') or 'another publisher'} (host {record.get('host')}, pid {record.get('pid')}, since {record.get('at')})"
