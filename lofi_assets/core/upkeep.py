"""What a deployment tidies by itself: the temporaries a killed run left behind.

Every output is written under a hidden temporary name and renamed when whole
(``core/files.py``), and the master works in a ``lofi-master-*`` scratch folder. A run
killed with SIGKILL (the machine restarted, the kernel's OOM killer) cannot remove them;
they hide under their dotted names but hold disk, a master's scratch several GB. A
temporary untouched for hours belongs to no live run: writers touch theirs every block.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

STALE_AFTER_S = 6 * 3600  # the longest step (an hour's master with every export) takes minutes
# ``tempfile.mkstemp(prefix=".<final name>.")``: a dot, the real name, 8 random characters, a suffix
TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")
MASTER_SCRATCH = "lofi-master-"


@dataclass
class Tidied:
    removed: list[Path]
    bytes: int


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _last_touched(path: Path) -> float:
    if path.is_dir():
        return max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.rglob("*"))])
    return path.stat().st_mtime


def stale_temporaries(assets: Path, scratch: Path | None = None, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Temporaries under ``assets`` and master scratch folders in ``scratch`` (the system's
    temporary folder by default) untouched for ``older_than_s``."""
    now = time.time()
    found = [p for p in Path(assets).rglob(".*") if p.is_file() and TEMPORARY.match(p.name)] if assets.is_dir() else []
    scratch = Path(scratch or tempfile.gettempdir())
    found += [p for p in scratch.glob(f"{MASTER_SCRATCH}*") if p.is_dir()]
    return sorted(p for p in found if now - _last_touched(p) > older_than_s)


def remove_stale_temporaries(assets: Path, scratch: Path | None = None, older_than_s: float = STALE_AFTER_S) -> Tidied:
    removed, freed = [], 0
    for path in stale_temporaries(assets, scratch, older_than_s):
        try:
            size = _size(path)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        except FileNotFoundError:  # another deployment's sensor was quicker
            continue
        removed.append(path)
        freed += size
    return Tidied(removed, freed)
