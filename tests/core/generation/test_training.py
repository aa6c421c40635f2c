import math

import torch

from lofi_assets.core.generation.dataset import load_token_data
from lofi_assets.core.generation.model import GPTConfig, read_checkpoint
from lofi_assets.core.generation.tokens import TokenGrammar, load_tokenizer, tokenizer_digest
from lofi_assets.core.generation.training import PREFIX, TrainConfig, make_window, targets_of, train


def test_windows_start_at_bars_with_the_conditions(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir / "tokenizer.json")
    grammar = TokenGrammar(tokenizer)
    data = load_token_data(tiny_model_dir / "tokens.npz", grammar.bar_start_ids)
    piece = data.pieces[0]
    window = make_window(data, piece, int(piece.bar_starts[1]), 64)
    assert window[0] == data.bos and list(window[1:PREFIX]) == piece.condition_ids
    assert window[PREFIX] in grammar.bar_start_ids
    whole = make_window(data, piece, 0, len(piece.ids) + 10)
    assert data.eos in whole.tolist() and whole[-1] == data.pad
    _, targets = targets_of(torch.from_numpy(make_window(data, piece, 0, 64)[None]), data.pad)
    assert (targets[0, : PREFIX - 1] == -100).all()


def test_training_learns_and_resumes(tiny_model_dir, tmp_path):
    tokenizer = load_tokenizer(tiny_model_dir / "tokenizer.json")
    data = load_token_data(tiny_model_dir / "tokens.npz", TokenGrammar(tokenizer).bar_start_ids)
    digest = tokenizer_digest(tiny_model_dir / "tokenizer.json")
    cfg = GPTConfig.tiny(len(tokenizer))
    ckpt = tmp_path / "ckpt.pt"
    first = train(
        data,
        cfg,
        TrainConfig(steps=80, batch=4, lr=3e-3, warmup=3, eval_every=10, threads=1),
        ckpt,
        digest,
        device="cpu",
        log=lambda m: None,
    )
    assert first.steps == 80 and first.resumed_from == 0
    assert first.val_loss < math.log(len(tokenizer)) - 1  # far below a uniform guess
    assert first.val_perplexity < first.unigram_perplexity
    second = train(
        data,
        cfg,
        TrainConfig(steps=90, batch=4, lr=3e-3, warmup=3, eval_every=10, threads=1),
        ckpt,
        digest,
        device="cpu",
        log=lambda m: None,
    )
    assert second.resumed_from == 80 and second.steps == 90
    assert read_checkpoint(ckpt)["extra"]["step"] == 90
    assert [h["step"] for h in second.history] == list(range(10, 100, 10))
    # another tokenizer: the old checkpoint is not reused
    other = train(
        data, cfg, TrainConfig(steps=2, batch=2, threads=1), ckpt, "another", device="cpu", log=lambda m: None
    )
    assert other.resumed_from == 0


def test_time_budget_stops_cleanly(tiny_model_dir, tmp_path):
    tokenizer = load_tokenizer(tiny_model_dir / "tokenizer.json")
    data = load_token_data(tiny_model_dir / "tokens.npz", TokenGrammar(tokenizer).bar_start_ids)
    report = train(
        data,
        GPTConfig.tiny(len(tokenizer)),
        TrainConfig(steps=10_000, max_seconds=0.5, batch=2, threads=1),
        tmp_path / "c.pt",
        "d",
        device="cpu",
        log=lambda m: None,
    )
    assert 0 < report.steps < 10_000
    assert read_checkpoint(tmp_path / "c.pt")["extra"]["step"] == report.steps


def test_fine_tuning_starts_at_step_0_from_the_weights(tiny_model_dir, tmp_path):
    from lofi_assets.core.generation.model import load_model
    from lofi_assets.core.generation.training import start_from_weights

    tokenizer = load_tokenizer(tiny_model_dir / "tokenizer.json")
    data = load_token_data(tiny_model_dir / "tokens.npz", TokenGrammar(tokenizer).bar_start_ids)
    digest = tokenizer_digest(tiny_model_dir / "tokenizer.json")
    ckpt = tmp_path / "ft.pt"
    start_from_weights(ckpt, tiny_model_dir / "model.pt", digest, len(tokenizer))
    shipped, _ = load_model(tiny_model_dir / "model.pt", digest, len(tokenizer))
    seeded, payload = load_model(ckpt, digest, len(tokenizer))
    assert payload["extra"]["step"] == 0
    assert all(torch.equal(a, b) for a, b in zip(shipped.state_dict().values(), seeded.state_dict().values()))
    report = train(
        data,
        shipped.cfg,
        TrainConfig(steps=5, batch=2, warmup=1, eval_every=5, threads=1),
        ckpt,
        digest,
        device="cpu",
        log=lambda m: None,
    )
    assert report.resumed_from == 0 and report.steps == 5  # the weights, not a fresh model
    assert report.val_perplexity < report.unigram_perplexity
