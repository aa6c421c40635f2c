import pytest
import torch

from lofi_assets.core.generation.model import CheckpointError, GPTConfig, LofiGPT, load_model, save_checkpoint


def test_kv_cache_gives_the_same_logits_as_a_full_pass():
    torch.manual_seed(0)
    model = LofiGPT(GPTConfig.tiny(100)).eval()
    seq = torch.randint(0, 100, (1, 20))
    full, _ = model(seq)
    logits, cache = model(seq[:, :5], model.new_cache())
    steps = [logits[:, -1]]
    for t in range(5, 20):
        logits, cache = model(seq[:, t : t + 1], cache)
        steps.append(logits[:, -1])
    assert torch.allclose(torch.stack(steps[:-1], 1), full[:, 4:19], atol=1e-5)
    assert cache.length == 20
    cache.reset()  # a window after a slide starts the same buffers again
    again, _ = model(seq[:, 10:20], cache)
    assert torch.allclose(again, model(seq[:, 10:20])[0], atol=1e-5)
    with pytest.raises(ValueError, match="one position"):
        model(seq[:, :2], cache)
    assert cache.length == 10  # the refused step left the cache as it was
    assert torch.allclose(model(seq[:, 20:21], cache)[0], model(seq[:, 10:21])[0][:, -1:], atol=1e-5)


def test_context_is_enforced_and_sizes_are_as_designed():
    model = LofiGPT(GPTConfig.tiny(50))
    with pytest.raises(ValueError, match="exceeds the context of 128"):
        model(torch.zeros((1, 129), dtype=torch.long))
    shipped_shape = LofiGPT(GPTConfig(vocab_size=3000))
    assert 10e6 <= shipped_shape.num_parameters() <= 15e6


def test_checkpoint_round_trip_and_refusals(tmp_path):
    model = LofiGPT(GPTConfig.tiny(60)).eval()
    save_checkpoint(tmp_path / "m.pt", model, "abc", half=True)
    loaded, payload = load_model(tmp_path / "m.pt", "abc", 60)
    x = torch.randint(0, 60, (1, 10))
    assert torch.allclose(loaded(x)[0], model(x)[0], atol=2e-2)  # fp16 storage
    with pytest.raises(CheckpointError, match="trained with tokenizer abc, not xyz"):
        load_model(tmp_path / "m.pt", "xyz")
    with pytest.raises(CheckpointError, match="vocabulary of 60 tokens; the tokenizer has 61"):
        load_model(tmp_path / "m.pt", vocab_size=61)
    (tmp_path / "bad.pt").write_bytes(b"\x00not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_model(tmp_path / "none.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a lofi-gpt/1 checkpoint"):
        load_model(tmp_path / "other.pt")
