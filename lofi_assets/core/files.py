"""Writing files so that a crash never leaves a half-written file looking whole."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from upath import UPath


def is_local(path: UPath | Path) -> bool:
    return isinstance(path, Path) and getattr(path, "protocol", "") in ("", "file", "local")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_local_path(final: Path, suffix: str | None = None, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it into place on success.

    For tools that write a file themselves (an encoder, a model checkpoint): they write
    the temporary name, and only a complete file ever carries the final name. The file
    gets ``mode`` (default: what the umask gives a new file; mkstemp's 0600 is for
    secrets, which pass ``mode=0o600``).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix or ".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _default_mode() if mode is None else mode)
        os.replace(tmp_path, final)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: UPath | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary name and a rename.

    On object storage a single PUT is already atomic (the object appears whole or not
    at all), so remote paths are written directly.
    """
    if is_local(path):
        local = Path(os.fspath(path))
        with atomic_local_path(local) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def create_exclusive(path: UPath | Path, data: bytes, mode: int = 0o600) -> bool:
    """Create ``path`` holding ``data`` only if nothing is there; True when this call did.

    Local disk: the content goes to a temporary name, then a hard link to the final name,
    which fails when the name exists, so the file appears whole or not at all and two
    processes cannot both win. Object storage: fsspec's exclusive mode ``xb``, a
    conditional put (S3 ``If-None-Match: *``, GCS ``ifGenerationMatch=0``)."""
    if is_local(path):
        final = Path(os.fspath(path))
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".new", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, mode)
            os.link(tmp, final)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        return True
    try:
        with path.fs.open(path.path, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        return False
    return True


def write_text_atomic(path: UPath | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def npy_bytes(array) -> bytes:
    """An array as the bytes of a ``.npy`` file (float32), for the atomic writers."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float32))
    return buffer.getvalue()


def parquet_bytes(frame) -> bytes:
    """A DataFrame as the bytes of a Parquet file, for the atomic writers."""
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def write_json_atomic(path: UPath | Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def read_json(path: Path | UPath) -> dict | None:
    """A JSON file's content, or None when it is missing or does not decode."""
    try:
        return json.loads((Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def file_sha256(path: Path, block: int = 1 << 20) -> str:
    """The SHA-256 of a file's content, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def write_png(image, path: Path, error: type[Exception] = ValueError) -> Path:
    """Save a PIL image as a PNG through a temporary name, then open it back to check;
    a file that does not open raises ``error`` naming it."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    with atomic_local_path(path) as tmp:
        image.save(tmp, format="PNG")
    try:
        with Image.open(path) as back:
            back.verify()
    except (OSError, UnidentifiedImageError) as exc:
        raise error(f"{path} does not open as a PNG: {exc}") from exc
    return path
