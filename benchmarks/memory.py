"""Resident memory of a process tree, sampled from /proc (Linux): what a benchmark reports as
peak memory. ``ru_maxrss`` is no use for a child started from a large parent: the forked
copy's pages count toward the child's high-water mark before it execs."""

from __future__ import annotations

import os
import threading
import time


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and every descendant."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(rss_bytes(int(child)) for child in children.read().split())
    except (OSError, StopIteration):
        pass
    return total


class MemorySampler(threading.Thread):
    """(time, resident bytes) of a process tree (default: this one) every ``every`` seconds."""

    def __init__(self, pid: int | None = None, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid = pid or os.getpid()
        self.every, self.samples, self._halt = every, [], threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.time(), rss_bytes(self.pid)))
            self._halt.wait(self.every)

    def peak(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((b for t, b in self.samples if start <= t <= end), default=0)

    def stop(self) -> None:
        self._halt.set()
        self.join()
