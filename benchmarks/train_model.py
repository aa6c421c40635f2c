"""Train the MIDI model outside Dagster, on the same core functions as ``model_job``
(``midi_corpus`` → ``midi_tokenizer`` → ``midi_model``), and export it the way the shipped
checkpoint in ``lofi_assets/models/lofi-gpt/`` was made.

    .venv/bin/python benchmarks/train_model.py --work /tmp/lofi-train --pieces 3000 \\
        --steps 2000 --minutes 40 --lr 1e-3 [--export lofi_assets/models/lofi-gpt]

Fine-tuning the shipped model on a new corpus with its own vocabulary:

    .venv/bin/python benchmarks/train_model.py --work /tmp/lofi-ft --steps 1200 --lr 3e-4 \
        --tokenizer lofi_assets/models/lofi-gpt/tokenizer.json --init lofi_assets/models/lofi-gpt/model.pt

Resumable: run it again with the same ``--work`` and it continues the checkpoint.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.corpus import compose_corpus, read_manifest, write_manifest  # noqa: E402
from lofi_assets.core.generation.dataset import encode_corpus, load_token_data, token_data_bytes  # noqa: E402
from lofi_assets.core.generation.model import GPTConfig, export_for_generation  # noqa: E402
from lofi_assets.core.generation.tokens import TokenGrammar, load_tokenizer, tokenizer_digest, train_tokenizer  # noqa: E402
from lofi_assets.core.generation.training import TrainConfig, default_device, start_from_weights, train  # noqa: E402


def train_and_export(work: Path, data, tok_path: Path, cfg: TrainConfig, export: Path | None = None):
    """Train (or resume) ``work/checkpoint.pt``, write ``work/report.json`` and, with
    ``export``, the fp16 model and its tokenizer as generation loads them."""
    tokenizer = load_tokenizer(tok_path)
    digest = tokenizer_digest(tok_path)
    checkpoint = work / "checkpoint.pt"
    report = train(
        data,
        GPTConfig(vocab_size=len(tokenizer)),
        cfg,
        checkpoint,
        digest,
        device=default_device(),
        log=lambda m: print(m, flush=True),
    )
    (work / "report.json").write_text(json.dumps(report.to_dict(), indent=1))
    print(json.dumps({k: v for k, v in report.to_dict().items() if k != "history"}, indent=1))
    if export:
        export.mkdir(parents=True, exist_ok=True)
        export_for_generation(checkpoint, export / "model.pt", digest, report=report.to_dict())
        shutil.copyfile(tok_path, export / "tokenizer.json")
        print(f"exported to {export}")
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--pieces", type=int, default=3000)
    parser.add_argument("--vocab", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--export", type=Path, default=None, help="write model.pt (fp16) + tokenizer.json here")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        default=None,
        help="use this tokenizer.json instead of learning BPE (keeps a vocabulary)",
    )
    parser.add_argument(
        "--init", type=Path, default=None, help="start from this checkpoint's weights at step 0 (fine-tuning)"
    )
    args = parser.parse_args()

    corpus = args.work / "corpus"
    tok_path = args.work / "tokenizer.json"
    tokens = args.work / "tokens.npz"
    if not (corpus / "manifest.jsonl").exists():
        t = time.perf_counter()
        entries = compose_corpus(corpus, args.pieces, seed=0, workers=2)
        write_manifest(corpus, entries)
        print(f"corpus: {len(entries)} pieces in {time.perf_counter() - t:.1f} s", flush=True)
    entries = read_manifest(corpus)
    if not tok_path.exists():
        t = time.perf_counter()
        if args.tokenizer:
            shutil.copyfile(args.tokenizer, tok_path)
        else:
            train_tokenizer([corpus / e.path for e in entries], args.vocab).save(tok_path)
        print(f"tokenizer: {time.perf_counter() - t:.1f} s", flush=True)
    tokenizer = load_tokenizer(tok_path)
    if not tokens.exists():
        t = time.perf_counter()
        tokens.write_bytes(token_data_bytes(encode_corpus(tokenizer, corpus, entries)))
        print(f"encoding: {time.perf_counter() - t:.1f} s", flush=True)
    data = load_token_data(tokens, TokenGrammar(tokenizer).bar_start_ids)
    print(f"{len(data.pieces)} pieces, {data.tokens()} tokens", flush=True)
    digest = tokenizer_digest(tok_path)
    if args.init and not (args.work / "checkpoint.pt").exists():
        start_from_weights(args.work / "checkpoint.pt", args.init, digest, len(tokenizer))
        print(f"starting from the weights of {args.init}", flush=True)
    train_and_export(
        args.work,
        data,
        tok_path,
        TrainConfig(
            steps=args.steps,
            max_seconds=args.minutes * 60 if args.minutes else None,
            batch=args.batch,
            lr=args.lr,
            threads=args.threads,
            eval_every=100,
            checkpoint_every=100,
        ),
        args.export,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
