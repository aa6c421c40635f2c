"""Library stage speed: embedding, matching, and song import.

- Embed 100 prompts (no cache; model load reported apart). Goal < 1 s.
- Match a 20-prompt track against the 515-song real catalog (or 515 synthetic songs where
  the shared fixtures are absent). Goal < 100 ms. Reference: the semantic term alone
  (one matrix product and a top-k), the least any search does.
- Match the same track against a synthetic 100,000-song catalog. Goal < 1 s.
- Import and analyse 50 three-minute songs (mp3, synthesised here). Goal <= 0.5 s a song.
  Reference: decoding alone.

    .venv/bin/python benchmarks/bench_library.py [--songs 50] [--seconds 180]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.library.analysis import analyse_file, decode  # noqa: E402
from lofi_assets.core.library.embedding import Embedder  # noqa: E402
from lofi_assets.core.planning.matching import Catalog, Query, match  # noqa: E402
from lofi_assets.demo.library import synthesize, write_audio  # noqa: E402

WORDS = (
    "warm rhodes soft rain vinyl crackle tape hiss mellow bass brushed drums dusty piano lazy swing "
    "jazzy chords night city window lamp slow kick muted guitar airy pads sleepy groove"
).split()


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def synthetic_catalog(n: int, dim: int, rng: np.random.Generator) -> Catalog:
    emb = rng.standard_normal((n, dim)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    keys = ["Am", "C", "Dm", "F", "G", "Em", "Bb", "F#m"]
    records = [
        {
            "song_id": f"s{i}",
            "text": "",
            "bpm": float(rng.uniform(55, 170)),
            "key": keys[i % len(keys)],
            "duration": 180.0,
            "arc": int(rng.integers(1, 6)),
            "times_used": int(rng.integers(0, 5)),
        }
        for i in range(n)
    ]
    return Catalog.from_records(records, emb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=180.0)
    opts = parser.parse_args()
    rng = np.random.default_rng(3)

    embedder = Embedder()
    started = time.perf_counter()
    embedder.model  # noqa: B018 - load once, timed apart
    load_s = time.perf_counter() - started
    prompts = [" ".join(rng.choice(WORDS, 10)) + f" take {i}" for i in range(100)]
    embedder.encode(prompts[:8])  # warm-up
    embed_s = timed(lambda: embedder.encode(prompts), repeat=3)
    print(f"model load {load_s:.2f} s; embed 100 prompts: {embed_s:.3f} s (goal < 1 s)")

    queries = [
        Query(
            arc=1 + i // 5,
            number=i + 1,
            text=prompts[i],
            bpm_range=(60.0, 72.0),
            tempo_source="arc",
            key_tonic=9,
            key_minor=True,
        )
        for i in range(20)
    ]
    query_emb, _ = embedder.encode(prompts[:20])
    fixture_dir = ROOT.parent / "shared" / "fixtures" / "static_dreamscapes"
    if fixture_dir.is_dir():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from eval_library_match import load_fixtures

        _, _, records = load_fixtures()
        song_emb, _ = embedder.encode([r["text"] for r in records])
        real = Catalog.from_records(records, song_emb)
        label = "515 real songs"
    else:
        real, label = synthetic_catalog(515, query_emb.shape[1], rng), "515 synthetic songs"
    for name, catalog, goal in ((label, real, 0.1), ("100,000 synthetic songs", None, 1.0)):
        catalog = catalog or synthetic_catalog(100_000, query_emb.shape[1], rng)
        ours = timed(lambda c=catalog: match(queries, query_emb, c))
        floor = timed(lambda c=catalog: np.argpartition(-(query_emb @ c.embeddings.T), 5, axis=1)[:, :5])
        print(
            f"match 20 prompts vs {name}: {ours * 1e3:7.1f} ms (goal < {goal * 1e3:.0f} ms); "
            f"semantic-only top-5: {floor * 1e3:6.1f} ms, ratio {ours / floor:4.1f}x"
        )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        variants = [(70, "D minor"), (84, "F major"), (64, "A minor"), (78, "E minor"), (90, "Bb major")]
        sources = []
        for i, (bpm, key) in enumerate(variants):
            path = folder / f"src{i}.mp3"
            write_audio(path, synthesize(bpm, key, opts.seconds, seed=i))
            sources.append(path)
        files = []
        for i in range(opts.songs):
            path = folder / f"song{i:03d}.mp3"
            shutil.copy(sources[i % len(sources)], path)
            files.append(path)
        started = time.perf_counter()
        for path in files:
            analyse_file(path)
        per_song = (time.perf_counter() - started) / len(files)
        started = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:  # as Dagster's multiprocess executor runs song partitions
            list(pool.map(analyse_file, files))
        parallel = (time.perf_counter() - started) / len(files)
        started = time.perf_counter()
        for path in files:
            decode(path)
        decode_s = (time.perf_counter() - started) / len(files)
        print(
            f"import and analyse {len(files)} songs of {opts.seconds:.0f} s (mp3): {per_song:.2f} s a song in one "
            f"process, {parallel:.2f} s a song with 2 processes (goal <= 0.5 s); decoding alone "
            f"{decode_s:.2f} s a song, ratio {per_song / decode_s:.1f}x"
        )


if __name__ == "__main__":
    main()
