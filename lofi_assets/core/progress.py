"""Progress of a long stage, one line a finished item: n of N, the time so far and an
estimate of the rest. Lines go to the run's log (a callable the asset passes: the UI shows
them) and to the ``lofi.progress`` logger, which ``lofi materialize`` prints."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

PROGRESS_LOGGER = "lofi.progress"


class Progress:
    """``step`` once an item is done; ``finish`` when the stage is."""

    def __init__(self, stage: str, total: int, items: str = "songs", log: Callable[[str], None] | None = None):
        self.stage, self.total, self.items = stage, total, items
        self.done = 0
        self.started = time.perf_counter()
        self._log = log
        self._logger = logging.getLogger(PROGRESS_LOGGER)
        self._say(f"{stage}: {total} {items} to go")

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def step(self, label: str) -> str:
        """One item done; returns the line it logged."""
        self.done += 1
        elapsed = self.elapsed_s
        left = elapsed / self.done * max(0, self.total - self.done)
        line = f"{self.stage} {self.done}/{self.total}: {label} ({elapsed:.0f} s so far, about {left:.0f} s left)"
        self._say(line)
        return line

    def finish(self) -> str:
        line = f"{self.stage}: {self.done} of {self.total} {self.items} in {self.elapsed_s:.0f} s"
        self._say(line)
        return line

    def _say(self, line: str) -> None:
        if self._log is not None:
            self._log(line)
        self._logger.info(line)


def logged_to_progress(log: Callable[[str], None], stage: str) -> Callable[[str], None]:
    """``log`` that also writes each line, after ``stage``, to the ``lofi.progress`` logger
    (a stage that reports its own passes, such as the master's gain search)."""
    logger = logging.getLogger(PROGRESS_LOGGER)

    def both(line: str) -> None:
        log(line)
        logger.info(f"{stage}: {line}")

    return both
