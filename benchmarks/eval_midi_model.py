"""Evaluate the shipped MIDI model: conditioning accuracy, quality against the composer
and the held-out corpus, perplexity against a unigram baseline, and MIR metrics (MusPy)
side by side.

- Conditioning: 48 requests (8 moods × 6 keys, tempi 60–90, 16 bars). Tempo read back
  from the MIDI; key by the validated key finder on the output (exact, and same-or-relative;
  ``benchmarks/validate_key_finder.py``), and by the old Krumhansl–Schmuckler for comparison;
  mood-to-mode: the detected mode against the mood's usual mode, for requests whose key
  follows the mood (as the nightly batch asks). The composer answers the same requests.
- Quality: the scorer on model output, composer output and held-out corpus pieces (the
  corpus split the model never trained on), plus shuffled-pitch and random-note controls.
- Perplexity: the model and a unigram model on held-out windows.

    .venv/bin/python benchmarks/eval_midi_model.py [--requests 48] [--bars 16] [--seed 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.composer import MOOD_MODE, compose  # noqa: E402
from lofi_assets.core.generation.conditions import MOODS, Conditions  # noqa: E402
from lofi_assets.core.generation.controls import random_notes, shuffled_pitch  # noqa: E402
from lofi_assets.core.generation.corpus import compose_corpus  # noqa: E402
from lofi_assets.core.generation.dataset import encode_corpus  # noqa: E402
from lofi_assets.core.generation.generate import ModelGenerator  # noqa: E402
from lofi_assets.core.generation.midi_analysis import estimate_key, first_tempo  # noqa: E402
from lofi_assets.core.generation.quality import WEIGHTS, score_midi  # noqa: E402
from lofi_assets.core.generation.training import evaluate, fixed_windows, unigram_loss  # noqa: E402
from resources.midi_model import MODEL_FILE, SHIPPED_MODEL_DIR, TOKENIZER_FILE  # noqa: E402

KEYS_BY_MODE = {"major": ("C", "G", "F", "Bb", "D", "Eb"), "minor": ("Am", "Dm", "Em", "Cm", "F#m", "Gm")}


def requests(count: int, bars: int, seed: int = 1000) -> list[Conditions]:
    out = []
    for i in range(count):
        mood = MOODS[i % len(MOODS)]
        keys = KEYS_BY_MODE[MOOD_MODE[mood]]
        shift = seed - 1000  # another seed also moves the tempi and keys
        tempo, key = 60 + (i * 7 + shift) % 31, keys[(i // len(MOODS) + shift) % len(keys)]
        out.append(Conditions.parse(tempo, key, mood, bars, seed + i))
    return out


def mir(midis) -> dict:
    import muspy

    rows = []
    for m in midis:
        music = muspy.from_pretty_midi(m)
        rows.append(
            (
                muspy.scale_consistency(music),
                muspy.pitch_class_entropy(music),
                muspy.groove_consistency(music, 4 * music.resolution),
                muspy.empty_beat_rate(music),
            )
        )
    a = np.nanmean(np.array(rows, dtype=float), axis=0)
    return {
        "scale_consistency": round(a[0], 3),
        "pitch_class_entropy": round(a[1], 3),
        "groove_consistency": round(a[2], 3),
        "empty_beat_rate": round(a[3], 3),
    }


def summary(scores) -> dict:
    c = np.array([s.combined for s in scores])
    return {
        "n": len(c),
        "mean": round(float(c.mean()), 3),
        "p10": round(float(np.percentile(c, 10)), 3),
        "median": round(float(np.median(c)), 3),
        "approved": round(float(np.mean([s.approved for s in scores])), 3),  # ≥ 0.70 and every rule kept
        "at_target": round(float((c >= 0.85).mean()), 3),
        "rules": {rule: round(float(np.mean([s.rules[rule] for s in scores])), 3) for rule in scores[0].rules},
    }


def held_out_pieces(count: int) -> tuple[list, Path]:
    """Held-out pieces of the training corpus: the same conditions and split as training."""
    folder = Path(tempfile.mkdtemp(prefix="lofi-eval-"))
    entries = compose_corpus(folder, 3000, seed=0, workers=2)
    held = [e for e in entries if zlib.crc32(e.piece_id.encode()) % 1000 < 50]
    return held[:count], folder, entries


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR, help="folder with model.pt and tokenizer.json")
    parser.add_argument(
        "--seed",
        type=int,
        default=1000,
        help="first request's seed; another gives requests no decoding rule was tuned on",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    gen = ModelGenerator.from_files(args.model / MODEL_FILE, args.model / TOKENIZER_FILE)
    report: dict = {"model": gen.name}

    conds = requests(args.requests, args.bars, args.seed)
    model_out = [gen.generate(c) for c in conds]
    composer_out = [compose(c) for c in conds]

    def conditioning(midis) -> dict:
        keys = [estimate_key(m) for m in midis]
        exact = np.mean([k == c.key for k, c in zip(keys, conds)])
        near = np.mean([k == c.key or k == c.key.relative() for k, c in zip(keys, conds)])
        old = [estimate_key(m, "krumhansl") for m in midis]
        old_near = np.mean([k == c.key or k == c.key.relative() for k, c in zip(old, conds)])
        mode = np.mean([("minor" if k.minor else "major") == MOOD_MODE[c.mood] for k, c in zip(keys, conds)])
        tempo = np.mean([abs(first_tempo(m) - c.tempo) < 0.01 for m, c in zip(midis, conds)])
        return {
            "tempo_exact": round(float(tempo), 3),
            "key_exact": round(float(exact), 3),
            "key_same_or_relative": round(float(near), 3),
            "key_same_or_relative_krumhansl": round(float(old_near), 3),
            "mood_mode_agreement": round(float(mode), 3),
        }

    report["conditioning"] = {
        "model": conditioning([p.midi for p in model_out]),
        "composer": conditioning(composer_out),
    }
    print("conditioning:", json.dumps(report["conditioning"]))

    held, folder, entries = held_out_pieces(args.requests)
    import pretty_midi

    held_midis = [pretty_midi.PrettyMIDI(str(folder / e.path)) for e in held]
    groups = {
        "model": [p.midi for p in model_out],
        "composer": composer_out,
        "held-out corpus": held_midis,
        "shuffled pitch": [shuffled_pitch(m, i) for i, m in enumerate(held_midis)],
        "random notes": [random_notes(m, i) for i, m in enumerate(held_midis)],
    }
    # the model and the composer are scored against the key they were asked for
    keys = {"model": [c.key for c in conds], "composer": [c.key for c in conds]}
    scored = {
        name: [score_midi(m, k) for m, k in zip(ms, keys.get(name, [None] * len(ms)))] for name, ms in groups.items()
    }
    report["quality"] = {name: summary(ss) for name, ss in scored.items()}
    sub = {
        name: {k: round(float(np.mean([getattr(s, k) for s in ss])), 3) for k in WEIGHTS} for name, ss in scored.items()
    }
    report["sub_scores"] = sub
    for name in groups:
        print(f"quality {name}: {report['quality'][name]} {sub[name]}")
    try:
        report["mir"] = {name: mir(ms) for name, ms in groups.items()}
        for name in groups:
            print(f"MusPy {name}: {report['mir'][name]}")
    except ImportError:
        print("MusPy not installed (pip install -e '.[dev]'): MIR metrics skipped")

    tokenizer = gen.tokenizer
    held_set = {e.piece_id for e in held}
    normalise = gen.key_normalised
    data = encode_corpus(
        tokenizer, folder, [e for e in entries if zlib.crc32(e.piece_id.encode()) % 1000 < 50], normalise_keys=normalise
    )
    train = encode_corpus(
        tokenizer, folder, [e for e in entries if e.piece_id not in held_set][:600], normalise_keys=normalise
    )
    windows = fixed_windows(data, gen.model.cfg.context)
    model_loss = evaluate(gen.model, windows, data.pad, "cpu")
    unigram = unigram_loss(train, windows, data.pad)
    report["perplexity"] = {
        "model": round(math.exp(model_loss), 2),
        "unigram": round(math.exp(unigram), 2),
        "held_out_windows": int(len(windows)),
    }
    print("perplexity:", report["perplexity"])
    speeds = [p.tokens_per_s for p in model_out]
    report["generation"] = {
        "median_tokens_per_s_1_thread": round(float(np.median(speeds)), 1),
        "mean_rejections_per_piece": round(float(np.mean([p.rejections for p in model_out])), 1),
    }
    report["seed"] = args.seed
    name = "eval_midi_model.json" if args.seed == 1000 else f"eval_midi_model_seed{args.seed}.json"
    out = ROOT / "benchmarks" / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
