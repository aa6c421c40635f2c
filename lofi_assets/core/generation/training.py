"""Training the MIDI model: bar-aligned windows with their conditioning prefix, AdamW
with warm-up and cosine decay, a step and time budget, resumable checkpoints, and
held-out loss and perplexity against a unigram baseline."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from lofi_assets.core.generation.model import GPTConfig, LofiGPT, load_model, read_checkpoint, save_checkpoint

PREFIX = 4  # BOS + three conditioning tokens


@dataclass
class Piece:
    """One corpus piece as ids: its conditioning ids and its REMI ids."""

    piece_id: str
    condition_ids: list[int]
    ids: np.ndarray
    bar_starts: np.ndarray  # indices of ids that open a bar


@dataclass
class TokenData:
    pieces: list[Piece]
    bos: int
    eos: int
    pad: int
    vocab_size: int
    key_normalised: bool = False  # pieces transposed to C major / A minor before encoding

    def split(self, held_out: float = 0.05) -> tuple[TokenData, TokenData]:
        """Held-out pieces chosen by a hash of their id, so the split never moves."""
        import zlib

        val = [p for p in self.pieces if zlib.crc32(p.piece_id.encode()) % 1000 < held_out * 1000]
        train = [p for p in self.pieces if zlib.crc32(p.piece_id.encode()) % 1000 >= held_out * 1000]
        if not val and len(train) > 1:
            val, train = train[:1], train[1:]
        make = lambda ps: TokenData(ps, self.bos, self.eos, self.pad, self.vocab_size, self.key_normalised)  # noqa: E731
        return make(train), make(val)

    def tokens(self) -> int:
        return int(sum(len(p.ids) for p in self.pieces))


def make_window(data: TokenData, piece: Piece, start: int, context: int) -> np.ndarray:
    """``BOS cond… ids[start:…] (EOS)`` padded to ``context + 1`` (inputs and shifted targets)."""
    room = context + 1 - PREFIX
    body = piece.ids[start : start + room]
    seq = [data.bos, *piece.condition_ids, *body.tolist()]
    if start + room >= len(piece.ids) and len(seq) < context + 1:
        seq.append(data.eos)
    seq += [data.pad] * (context + 1 - len(seq))
    return np.asarray(seq, dtype=np.int64)


def sample_batch(data: TokenData, rng: np.random.Generator, batch: int, context: int) -> torch.Tensor:
    rows = []
    for _ in range(batch):
        piece = data.pieces[int(rng.integers(len(data.pieces)))]
        start = int(rng.choice(piece.bar_starts)) if len(piece.bar_starts) else 0
        rows.append(make_window(data, piece, start, context))
    return torch.from_numpy(np.stack(rows))


def targets_of(windows: torch.Tensor, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    inputs, targets = windows[:, :-1], windows[:, 1:].clone()
    targets[targets == pad] = -100
    targets[:, : PREFIX - 1] = -100  # the conditions are given, never predicted
    return inputs, targets


def fixed_windows(data: TokenData, context: int, limit: int = 64) -> torch.Tensor:
    """Evaluation windows: each held-out piece from its first bar, then further bars."""
    rows = []
    for piece in data.pieces:
        for start in piece.bar_starts[:: max(1, len(piece.bar_starts) // 2)][:2]:
            rows.append(make_window(data, piece, int(start), context))
    return torch.from_numpy(np.stack(rows[:limit])) if rows else torch.zeros((0, context + 1), dtype=torch.int64)


@torch.no_grad()
def evaluate(model: LofiGPT, windows: torch.Tensor, pad: int, device: str, batch: int = 16) -> float:
    """Mean cross-entropy per predicted token (nats) over the windows."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), batch):
        inputs, targets = targets_of(windows[i : i + batch], pad)
        logits, _ = model(inputs.to(device))
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)).float(),
            targets.to(device).reshape(-1),
            ignore_index=-100,
            reduction="sum",
        )
        total += float(loss)
        count += int((targets != -100).sum())
    model.train()
    return total / max(count, 1)


def unigram_loss(train: TokenData, windows: torch.Tensor, pad: int) -> float:
    """Cross-entropy of a token-frequency model (add-one smoothed): the floor to beat."""
    counts = np.ones(train.vocab_size)
    for p in train.pieces:
        np.add.at(counts, p.ids, 1)
    logp = np.log(counts / counts.sum())
    _, targets = targets_of(windows, pad)
    t = targets[targets != -100].numpy()
    return float(-logp[t].mean()) if len(t) else float("nan")


@dataclass
class TrainConfig:
    steps: int = 4000  # total optimiser steps of the run (a resumed run continues toward it)
    max_seconds: float | None = None  # stop earlier when the time budget is spent
    batch: int = 16
    lr: float = 6e-4
    warmup: int = 100
    weight_decay: float = 0.1
    eval_every: int = 200
    checkpoint_every: int = 200
    seed: int = 0
    threads: int | None = None
    bf16: bool = True  # mixed precision where the hardware supports it


@dataclass
class TrainReport:
    steps: int
    resumed_from: int
    seconds: float
    tokens_per_s: float
    train_loss: float
    val_loss: float
    val_perplexity: float
    unigram_perplexity: float
    device: str
    parameters: int
    history: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def start_from_weights(checkpoint: Path, weights: Path, tokenizer_digest: str, vocab_size: int) -> None:
    """Begin a run at step 0 from another checkpoint's weights (fine-tuning): the same
    shape and tokenizer, a fresh optimiser and schedule; ``train`` then resumes it."""
    model, payload = load_model(weights, tokenizer_digest, vocab_size)
    extra = {"step": 0, "history": [], "key_normalised": bool(payload["extra"].get("key_normalised", False))}
    save_checkpoint(Path(checkpoint), model, tokenizer_digest, extra=extra)


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def bf16_autocast(device: str):
    """bfloat16 autocast where the hardware does it natively (CUDA, or CPUs with AVX512-BF16
    or AMX, where it nearly doubles training speed); None elsewhere."""
    if device.startswith("cuda"):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return torch.autocast(device_type="cpu", dtype=torch.bfloat16)
    return None


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def train(
    data: TokenData,
    model_cfg: GPTConfig,
    cfg: TrainConfig,
    checkpoint: Path,
    tokenizer_digest: str,
    device: str | None = None,
    log: Callable[[str], None] = print,
) -> TrainReport:
    """Train toward ``cfg.steps``, resuming from ``checkpoint`` when it holds a run of the
    same shape and tokenizer; a checkpoint is written every ``checkpoint_every`` steps and
    at the end (the time budget ends a run cleanly, never mid-write)."""
    device = device or default_device()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    train_data, val_data = data.split()
    if not train_data.pieces:
        raise ValueError("the corpus has no training pieces")
    torch.manual_seed(cfg.seed)
    model = LofiGPT(model_cfg).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    step, history = 0, []
    checkpoint = Path(checkpoint)
    if checkpoint.exists():
        payload = read_checkpoint(checkpoint)
        if payload["config"] == asdict(model_cfg) and payload["tokenizer_digest"] == tokenizer_digest:
            model.load_state_dict(payload["state_dict"])
            if "optimizer" in payload:
                optimizer.load_state_dict(payload["optimizer"])
            step = int(payload["extra"].get("step", 0))
            history = list(payload["extra"].get("history", []))
            log(f"resuming from step {step} of {checkpoint}")
        else:
            log(f"{checkpoint} was made for another model or tokenizer: starting afresh")
    resumed_from = step
    rng = np.random.default_rng([cfg.seed, step])
    val_windows = fixed_windows(val_data, model_cfg.context)
    unigram = unigram_loss(train_data, val_windows, data.pad)
    model.train()
    started = time.perf_counter()
    tokens = 0
    train_loss = float("nan")
    autocast = bf16_autocast(device) if cfg.bf16 else None

    def save():
        save_checkpoint(
            checkpoint,
            model,
            tokenizer_digest,
            optimizer=optimizer,
            extra={"step": step, "history": history, "key_normalised": data.key_normalised},
        )

    while step < cfg.steps:
        if cfg.max_seconds is not None and time.perf_counter() - started > cfg.max_seconds:
            log(f"time budget of {cfg.max_seconds:.0f} s spent at step {step}")
            break
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, cfg)
        inputs, targets = targets_of(sample_batch(train_data, rng, cfg.batch, model_cfg.context), data.pad)
        inputs, targets = inputs.to(device), targets.to(device)
        if autocast:
            with autocast:
                loss = model.loss(inputs, targets, -100)
        else:
            loss = model.loss(inputs, targets, -100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        tokens += int((targets != -100).sum())
        value = float(loss.detach())
        train_loss = value if math.isnan(train_loss) else 0.9 * train_loss + 0.1 * value
        if step % cfg.eval_every == 0 or step == cfg.steps:
            val = evaluate(model, val_windows, data.pad, device)
            history.append(
                {
                    "step": step,
                    "train_loss": round(train_loss, 4),
                    "val_loss": round(val, 4),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            log(f"step {step}: train {train_loss:.3f}, held-out {val:.3f} (ppl {math.exp(val):.2f})")
        if step % cfg.checkpoint_every == 0:
            save()
    save()
    seconds = time.perf_counter() - started
    val = evaluate(model, val_windows, data.pad, device)
    return TrainReport(
        steps=step,
        resumed_from=resumed_from,
        seconds=round(seconds, 1),
        tokens_per_s=round(tokens / max(seconds, 1e-9), 1),
        train_loss=round(train_loss, 4),
        val_loss=round(val, 4),
        val_perplexity=round(math.exp(val), 3),
        unigram_perplexity=round(math.exp(unigram), 3),
        device=device,
        parameters=model.num_parameters(),
        history=history,
    )
