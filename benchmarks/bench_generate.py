"""Generation speed of the shipped MIDI model.

- Tokens a second with the KV cache on one CPU thread (goal ≥ 120). Reference, same run:
  the same model without the cache (every step re-reads the whole sequence).
- A three-minute piece (56 bars at 75 BPM) on one thread (goal ≤ 20 s). Reference: the
  rule-based composer for the same conditions.
- The nightly batch (50 pieces of 48 bars) on two processes (goal ≤ 15 minutes).
- Training tokens a second on this machine's CPU (and CUDA when present), and batched
  generation on CUDA when present.

    .venv/bin/python benchmarks/bench_generate.py [--batch 50] [--skip-nightly]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.composer import compose  # noqa: E402
from lofi_assets.core.generation.conditions import Conditions  # noqa: E402
from lofi_assets.core.generation.generate import ModelGenerator  # noqa: E402
from lofi_assets.core.generation.model import LofiGPT  # noqa: E402
from lofi_assets.core.generation.requests import GeneratorSpec, make_songs, nightly_requests  # noqa: E402
from resources.midi_model import MODEL_FILE, SHIPPED_MODEL_DIR, TOKENIZER_FILE  # noqa: E402


@torch.inference_mode()
def uncached_tokens_per_s(model: LofiGPT, prompt: list[int], steps: int) -> float:
    seq = torch.tensor([prompt])
    start = time.perf_counter()
    for _ in range(steps):
        logits, _ = model(seq)
        nxt = torch.argmax(logits[0, -1]).view(1, 1)
        seq = torch.cat([seq, nxt], dim=1)[:, -model.cfg.context :]
    return steps / (time.perf_counter() - start)


def train_tokens_per_s(model_cfg, device: str, batch: int = 8, steps: int = 3) -> float:
    from lofi_assets.core.generation.training import bf16_autocast

    model = LofiGPT(model_cfg).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, model_cfg.vocab_size, (batch, model_cfg.context), device=device)
    autocast = bf16_autocast(device)
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        with autocast if autocast else torch.enable_grad():
            loss = model.loss(x, x, -100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return batch * model_cfg.context / min(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--skip-nightly", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = ModelGenerator.from_files(SHIPPED_MODEL_DIR / MODEL_FILE, SHIPPED_MODEL_DIR / TOKENIZER_FILE)
    print(f"model: {gen.name}, {gen.model.num_parameters() / 1e6:.1f}M parameters, context {gen.model.cfg.context}")

    cond = Conditions.parse(75, "Am", "cozy", bars=32, seed=1)
    gen.generate(Conditions.parse(75, "Am", "cozy", bars=2, seed=0))  # warm-up
    piece = gen.generate(cond)
    prompt = [gen.grammar.bos] + piece.ids[:3]
    plain = uncached_tokens_per_s(gen.model, prompt + piece.ids[:256], 64)
    print(
        f"KV cache, one thread: {piece.tokens} tokens in {piece.seconds:.2f} s = {piece.tokens_per_s:.0f} tok/s "
        f"(goal ≥ 120); without the cache at 260-token contexts: {plain:.0f} tok/s "
        f"(cache {piece.tokens_per_s / plain:.1f}×)"
    )

    three = Conditions.parse(75, "Am", "cozy", bars=56, seed=2)
    long_piece = gen.generate(three)
    start = time.perf_counter()
    compose(three)
    composer_s = time.perf_counter() - start
    print(
        f"three-minute piece (56 bars at 75 BPM, {long_piece.midi.get_end_time():.0f} s of music): "
        f"{long_piece.seconds:.1f} s, {long_piece.tokens} tokens, {long_piece.windows} window(s) (goal ≤ 20 s); "
        f"composer {composer_s * 1000:.0f} ms"
    )

    cpu_train = train_tokens_per_s(gen.model.cfg, "cpu")
    print(f"training, CPU ({torch.get_num_threads()} thread(s) here; the asset uses all): {cpu_train:.0f} tok/s")
    torch.set_num_threads(os.cpu_count() or 1)
    print(
        f"training, CPU ({torch.get_num_threads()} threads, bf16 autocast where supported): "
        f"{train_tokens_per_s(gen.model.cfg, 'cpu'):.0f} tok/s"
    )
    if torch.cuda.is_available():
        print(f"training, CUDA: {train_tokens_per_s(gen.model.cfg, 'cuda', batch=32):.0f} tok/s")
    else:
        print("CUDA: not available on this machine")
    torch.set_num_threads(1)

    if not args.skip_nightly:
        requests = nightly_requests("2026-11-21", args.batch)
        start = time.perf_counter()
        made = make_songs(
            GeneratorSpec(str(SHIPPED_MODEL_DIR / MODEL_FILE), str(SHIPPED_MODEL_DIR / TOKENIZER_FILE)),
            requests,
            workers=2,
        )
        seconds = time.perf_counter() - start
        approved = sum(m.approved for m in made)
        start = time.perf_counter()
        make_songs(GeneratorSpec(None, None, composer=True), requests, workers=2)
        composer_s = time.perf_counter() - start
        print(
            f"nightly batch: {len(made)} pieces of 48 bars on 2 processes in {seconds / 60:.1f} min "
            f"(goal ≤ 15 min), {approved} approved; the composer batch {composer_s:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
