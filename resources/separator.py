"""The demucs stem separator: which model, where its weights are, and how it is applied.

Weights are read only from a local folder (``LOFI_DEMUCS_WEIGHTS``); the hub is never
asked, so a run never stalls on a download or separates with weights nobody chose."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from lofi_assets.core.production.separation import SeparationError, load_separator, weights_digest


class SeparatorResource(dg.ConfigurableResource):
    """A demucs model from a local weights folder and its separation parameters."""

    model: str = Field(
        default="htdemucs",
        description="demucs model name (a bag's <name>.yaml) or a signature (<sig>.th) in weights_dir",
    )
    weights_dir: str | None = Field(
        default=None,
        description="folder holding the demucs weights, e.g. <sig>.th "
        "files and <name>.yaml; set from env LOFI_DEMUCS_WEIGHTS in definitions",
    )
    device: str = Field(default="cpu", description="cpu, or cuda when available")
    shifts: int = Field(
        default=1, description="random time shifts averaged (demucs --shifts); each one is another full pass"
    )
    overlap: float = Field(default=0.25, description="overlap between segments (demucs --overlap)")
    segment: float | None = Field(
        default=None,
        description="segment length in seconds; default: the model's own (a transformer model cannot take longer)",
    )

    def load(self):
        """The loaded model and the digest of its weight files (part of the stems' cache key)."""
        folder = self.folder()
        return load_separator(self.model, folder), weights_digest(self.model, folder)

    def lazy(self):
        """A loader that loads the model when called, and the weights' digest now (a cached
        song needs only the digest)."""
        folder = self.folder()
        return (lambda: load_separator(self.model, folder)), weights_digest(self.model, folder)

    def folder(self) -> Path:
        """The weights folder, checked: configured, and CUDA present when asked for."""
        if not self.weights_dir:
            raise SeparationError(
                f"set LOFI_DEMUCS_WEIGHTS to a folder holding {self.model} weights "
                f"(<sig>.th files and {self.model}.yaml); the hub is never asked"
            )
        if self.device.startswith("cuda"):
            import torch

            if not torch.cuda.is_available():
                raise SeparationError(
                    f"device {self.device!r} is configured but CUDA is not available here; use device 'cpu'"
                )
        return Path(self.weights_dir)
