"""The storage root: inputs in ``<root>/notion``, ``library``, ``midi``; outputs in
``<root>/assets/<asset>/<partition>/``. A UPath, so S3 or GCS can replace the disk."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field
from upath import UPath

from lofi_assets.core.files import write_bytes_atomic, write_json_atomic
from lofi_assets.settings import settings

INPUT_FOLDERS = ("notion", "library", "midi", "analytics")


def default_data_dir() -> str:
    return settings().data_dir


class StorageResource(dg.ConfigurableResource):
    """Where media and plans live: a local folder or any fsspec URL (``s3://bucket/lofi``)."""

    root: str = Field(default_factory=default_data_dir, description="Storage root; LOFI_DATA_DIR, default ./data")

    @property
    def root_path(self) -> UPath:
        root = UPath(self.root)
        return root.absolute() if root.protocol in ("", "file", "local") else root

    def input_dir(self, name: str) -> UPath:
        if name not in INPUT_FOLDERS:
            raise ValueError(f"unknown input folder {name!r}; expected one of {INPUT_FOLDERS}")
        return self.root_path / name

    def asset_dir(self, asset: str, partition: str | None = None) -> UPath:
        path = self.root_path / "assets" / asset
        return path / partition if partition else path

    def write_json(self, path: UPath, data: Any) -> UPath:
        write_json_atomic(path, data)
        return path

    def write_bytes(self, path: UPath, data: bytes) -> UPath:
        write_bytes_atomic(path, data)
        return path
