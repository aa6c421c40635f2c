"""An array that stays on disk: slices are read and written with ``pread``/``pwrite``.

A memory map of the master's scratch counts every page it has touched as the process's
resident memory (a 3-hour programme's scratch is 8 GB); block reads go through the page
cache, which the kernel gives back under pressure, so the process holds only the block in
hand. Slicing returns a copy and assigning to a slice writes through, so ``a[i:j] *= g``
reads, scales and writes the stretch back.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class DiskArray:
    """A C-ordered array of ``shape`` and ``dtype`` in a file of its own, created empty
    (zeros) and removed with ``close(remove=True)`` or its folder."""

    def __init__(self, path: Path, dtype, shape: tuple[int, ...] | int):
        self.path = Path(path)
        self.dtype = np.dtype(dtype)
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._row = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(self._fd, self._row * self.shape[0])

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def _rows(self, key) -> tuple[int, int]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"{self.path.name}: only contiguous slices of rows are read or written")
        start, stop, _ = key.indices(self.shape[0])
        return start, max(start, stop)

    def __getitem__(self, key) -> np.ndarray:
        start, stop = self._rows(key)
        out = np.empty((stop - start, *self.shape[1:]), self.dtype)
        view, at = memoryview(out).cast("B"), 0
        while at < view.nbytes:  # a read may return less than asked
            got = os.preadv(self._fd, [view[at:]], start * self._row + at)
            if got == 0:
                raise OSError(f"{self.path.name}: short read at row {start}")
            at += got
        return out

    def __setitem__(self, key, values) -> None:
        start, stop = self._rows(key)
        data = np.ascontiguousarray(np.broadcast_to(values, (stop - start, *self.shape[1:])), self.dtype)
        view, at = memoryview(data).cast("B"), 0
        while at < view.nbytes:
            at += os.pwrite(self._fd, view[at:], start * self._row + at)

    def close(self, remove: bool = False) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if remove:
            self.path.unlink(missing_ok=True)

    def __del__(self):
        self.close()
