import numpy as np

from lofi_assets.core.library.embedding import Embedder


def test_offline_model_embeds_and_caches(tmp_path):
    embedder = Embedder(cache_dir=tmp_path)
    texts = ["warm Rhodes chords with soft rain", "mellow piano and rain on the window", "heavy metal guitar solo"]
    vectors, computed = embedder.encode(texts)
    assert vectors.shape == (3, 384) and computed == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    again, computed = embedder.encode(texts[:2] + ["a new text"])
    assert computed == 1 and np.allclose(again[:2], vectors[:2])
    assert "all-MiniLM-L6-v2" in embedder.model_id
    # Another model id never reads these vectors.
    other = Embedder("some/other-model", cache_dir=tmp_path)
    assert other._cache_file("ab" * 32) != embedder._cache_file("ab" * 32)
