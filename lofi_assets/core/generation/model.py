"""A GPT-style decoder for REMI tokens, in plain torch.

Pre-norm blocks, causal ``scaled_dot_product_attention``, learned positions, tied input
and output embeddings, and a key/value cache allocated once, so generation costs one
position a step.
Checkpoints carry the configuration and the digest of the tokenizer they were trained
with; loading refuses a checkpoint whose shapes or tokenizer do not match.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lofi_assets.core.files import atomic_local_path


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, or made for another tokenizer or shape."""


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int
    context: int = 512
    d_model: int = 384
    n_layers: int = 6
    n_heads: int = 6
    dropout: float = 0.1

    @classmethod
    def tiny(cls, vocab_size: int) -> GPTConfig:
        """A model for tests: the same code paths in a few hundred kilobytes."""
        return cls(vocab_size=vocab_size, context=128, d_model=64, n_layers=2, n_heads=2, dropout=0.0)


class KVCache:
    """The keys and values of every layer, allocated once for the whole context: a step
    writes its position in place (growing the tensors by concatenation copied the whole
    cache every step)."""

    def __init__(self, cfg: GPTConfig, batch: int = 1, device: str | torch.device = "cpu"):
        shape = (cfg.n_layers, batch, cfg.n_heads, cfg.context, cfg.d_model // cfg.n_heads)
        self.keys = torch.zeros(shape, device=device)
        self.values = torch.zeros(shape, device=device)
        self.length = 0  # positions filled

    def reset(self) -> None:
        self.length = 0

    def extend(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store ``k`` and ``v`` after the positions filled; the layer's keys and values so far."""
        end = self.length + k.shape[2]
        self.keys[layer, :, :, self.length : end] = k
        self.values[layer, :, :, self.length : end] = v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]


class SelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor, cache: KVCache | None, layer: int) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2) for z in (q, k, v))
        start = cache.length if cache is not None else 0
        # After a filled cache, new positions attend to everything before them; a
        # multi-token step there would need an offset mask, which generation never asks for.
        if start and t > 1:
            raise ValueError("a cached step after the prompt takes one position at a time")
        if cache is not None:
            k, v = cache.extend(layer, k, v)
        # No attention dropout: on CPUs it forces SDPA's slow path (3× a training step);
        # the residual and MLP dropouts regularise instead.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=start == 0 and t > 1)
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, 4 * cfg.d_model),
            nn.GELU(),
            nn.Linear(4 * cfg.d_model, cfg.d_model),
            nn.Dropout(cfg.dropout),
        )

    def forward(self, x, cache: KVCache | None = None, layer: int = 0):
        x = x + self.attn(self.ln1(x), cache, layer)
        return x + self.mlp(self.ln2(x))


class LofiGPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.context, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # tied embeddings
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2's scaled init of residual projections
            if name.endswith(("proj.weight", "mlp.2.weight")):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, 0.0, 0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, 0.0, 0.02)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def new_cache(self, batch: int = 1) -> KVCache:
        """An empty key/value cache for generation on the model's device."""
        return KVCache(self.cfg, batch, self.tok_emb.weight.device)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None) -> tuple[torch.Tensor, KVCache | None]:
        """Logits for every position of ``idx``; with ``cache``, ``idx`` continues what it
        holds and is added to it (the cache is returned too)."""
        start = cache.length if cache is not None else 0
        t = idx.shape[1]
        if start + t > self.cfg.context:
            raise ValueError(f"sequence of {start + t} tokens exceeds the context of {self.cfg.context}")
        pos = torch.arange(start, start + t, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        if cache is not None:
            cache.length += t
        return self.head(self.ln_f(x)), cache

    def loss(self, idx: torch.Tensor, targets: torch.Tensor, ignore_index: int) -> torch.Tensor:
        logits, _ = self(idx)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=ignore_index)


# --- checkpoints -------------------------------------------------------------------


def save_checkpoint(
    path: Path,
    model: LofiGPT,
    tokenizer_digest: str,
    extra: dict | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    half: bool = False,
) -> None:
    """Write a checkpoint atomically; ``half`` stores fp16 weights (the shipped model)."""
    state = {k: (v.half() if half and v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": "lofi-gpt/1",
        "config": asdict(model.cfg),
        "tokenizer_digest": tokenizer_digest,
        "state_dict": state,
        "extra": extra or {},
    }
    if optimizer is not None:
        payload["optimizer"] = optimizer.state_dict()
    with atomic_local_path(Path(path)) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a torch file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != "lofi-gpt/1":
        raise CheckpointError(f"checkpoint {path} is not a lofi-gpt/1 checkpoint")
    return payload


def load_model(
    path: Path, tokenizer_digest: str | None = None, vocab_size: int | None = None, device: str = "cpu"
) -> tuple[LofiGPT, dict]:
    """The model in a checkpoint, in fp32 and eval mode, after checking it fits the tokenizer."""
    payload = read_checkpoint(path)
    cfg = GPTConfig(**payload["config"])
    if vocab_size is not None and cfg.vocab_size != vocab_size:
        raise CheckpointError(
            f"checkpoint {path} has a vocabulary of {cfg.vocab_size} tokens; the tokenizer has {vocab_size}"
        )
    if tokenizer_digest is not None and payload["tokenizer_digest"] != tokenizer_digest:
        raise CheckpointError(
            f"checkpoint {path} was trained with tokenizer {payload['tokenizer_digest']}, not {tokenizer_digest}"
        )
    model = LofiGPT(cfg)
    try:
        model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()})
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not match its own configuration: {exc}") from exc
    return model.to(device).eval(), payload


def export_for_generation(checkpoint: Path, out: Path, tokenizer_digest: str, report: dict | None = None) -> None:
    """The weights of a training checkpoint in fp16, without the optimiser: what generation
    loads (and what the package ships). Keeps how the model was trained (key normalising)."""
    model, payload = load_model(checkpoint, tokenizer_digest)
    extra = {k: v for k, v in payload["extra"].items() if k in ("step", "key_normalised")}
    if report is not None:
        extra["report"] = report
    save_checkpoint(out, model, tokenizer_digest, extra=extra, half=True)
