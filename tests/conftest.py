"""Shared test fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pretty_midi
import pytest

from tests.pg import pg_database  # noqa: F401 (the throw-away PostgreSQL database, for every test)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_NOTION = PROJECT_ROOT / "data" / "notion"
SHARED_FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures" / "static_dreamscapes"

# Tests render with the small TimGM6mb (6 MB, inside pretty_midi) for speed, wherever
# FluidR3_GM is installed; the default font's choice is tested on its own.
SMALL_SOUNDFONT = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
os.environ["LOFI_SOUNDFONT"] = str(SMALL_SOUNDFONT)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A storage root holding a copy of the project's sample Notion export."""
    root = tmp_path / "data"
    shutil.copytree(SAMPLE_NOTION, root / "notion")
    for name in ("library", "midi"):
        (root / name).mkdir()
    return root


@pytest.fixture
def shared_notion_docs() -> Path:
    folder = SHARED_FIXTURES / "notion_docs"
    if not folder.is_dir():
        pytest.skip(f"shared fixtures not present at {folder}")
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny MIDI model trained for a few steps on a small composer corpus: the real
    corpus, tokenizer, training and export code paths in a few seconds.

    Holds ``corpus/``, ``tokenizer.json``, ``tokens.npz``, ``checkpoint.pt`` and
    ``model.pt`` (what generation loads)."""
    import torch

    from lofi_assets.core.generation.corpus import compose_corpus, write_manifest
    from lofi_assets.core.generation.dataset import encode_corpus, token_data_bytes
    from lofi_assets.core.generation.model import GPTConfig, export_for_generation
    from lofi_assets.core.generation.tokens import tokenizer_digest, train_tokenizer
    from lofi_assets.core.generation.training import TrainConfig, train

    folder = tmp_path_factory.mktemp("tiny_model")
    entries = compose_corpus(folder / "corpus", 24, seed=3)
    write_manifest(folder / "corpus", entries)
    tokenizer = train_tokenizer([folder / "corpus" / e.path for e in entries], vocab_size=600)
    tokenizer.save(folder / "tokenizer.json")
    data = encode_corpus(tokenizer, folder / "corpus", entries)
    (folder / "tokens.npz").write_bytes(token_data_bytes(data))
    digest = tokenizer_digest(folder / "tokenizer.json")
    threads = torch.get_num_threads()
    train(
        data,
        GPTConfig.tiny(len(tokenizer)),
        TrainConfig(steps=60, batch=4, lr=3e-3, warmup=5, eval_every=20, checkpoint_every=20, threads=1),
        folder / "checkpoint.pt",
        digest,
        device="cpu",
        log=lambda m: None,
    )
    torch.set_num_threads(threads)
    export_for_generation(folder / "checkpoint.pt", folder / "model.pt", digest)
    return folder
