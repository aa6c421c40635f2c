"""Stem separation speed: our ``separate_file`` against the demucs command line.

Both separate the same file with the same model and parameters: an untrained HTDemucs of
the released default size (weights do not change the cost, and real ones cannot be fetched
offline), saved to a temporary LocalRepo folder under a signature. Goal from the issue:
ours no slower than the CLI.

- ours: ``load_separator`` + ``separate_file`` (reads the file, separates, writes four
  24-bit FLAC stems, the instrumental and stems.json, and decodes every stem to check it);
- CLI: ``python -m demucs --repo <folder> -n <sig>`` (model load, 16-bit WAV stems).

Each is timed twice: as a fresh process (interpreter start, imports, first-call costs,
what a run pays), and inside this process after a warm-up pass (the work itself; ours
against the CLI's own ``main()``). Runs are interleaved and the fastest of ``--repeat`` counts.

With ``--shifts 0`` both are deterministic and the stems are compared as well.

    .venv/bin/python benchmarks/bench_separate.py [--seconds 60] [--shifts 1] [--overlap 0.25] [--segment 8]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.audio_io import read_audio  # noqa: E402
from lofi_assets.core.production.separation import (  # noqa: E402
    available_cpus,
    load_separator,
    save_local_model,
    separate,
    separate_file,
    weights_digest,
)
from lofi_assets.demo.library import synthesize, write_audio  # noqa: E402

SOURCES = ["drums", "bass", "other", "vocals"]
SIGNATURE = "0be4c4e5"  # any 8 hex digits: how demucs names a single model
RESULTS = ROOT / "benchmarks" / "results" / "bench_separate.json"


def make_weights(folder: Path) -> int:
    """An untrained HTDemucs with the default (released htdemucs) architecture; its parameter count."""
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    model = HTDemucs(sources=SOURCES)
    save_local_model(model, folder, SIGNATURE)
    return sum(p.numel() for p in model.parameters())


def cli_options(args, weights: Path, out: Path, song: Path) -> list[str]:
    options = [
        "--repo",
        str(weights),
        "-n",
        SIGNATURE,
        "-o",
        str(out),
        "-d",
        "cpu",
        "-j",
        "0",
        "--shifts",
        str(args.shifts),
        "--overlap",
        str(args.overlap),
    ]
    if args.segment is not None:
        options += ["--segment", str(args.segment)]
    return options + [str(song)]


def measure(work, *, children: bool) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, all threads) of ``work()``; of the child
    processes it waits for when ``children``. CPU time is the steadier figure on a shared machine."""

    def cpu() -> float:
        if not children:
            return time.process_time()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    wall, before = time.perf_counter(), cpu()
    work()
    return time.perf_counter() - wall, cpu() - before


def run_ours(args, weights: Path, song: Path, out: Path) -> None:
    model = load_separator(SIGNATURE, weights)
    digest = weights_digest(SIGNATURE, weights)
    result = separate_file(
        song,
        out,
        model,
        model_name=SIGNATURE,
        weights_digest=digest,
        shifts=args.shifts,
        overlap=args.overlap,
        segment=args.segment,
        device="cpu",
    )
    assert not result.cached


def run_ours_subprocess(args, weights: Path, song: Path, out: Path) -> None:
    """Ours as a fresh process, as the CLI runs: interpreter start, imports, load, separate."""
    options = [
        "--worker",
        str(weights),
        str(song),
        str(out),
        "--shifts",
        str(args.shifts),
        "--overlap",
        str(args.overlap),
    ] + (["--segment", str(args.segment)] if args.segment else [])
    subprocess.run([sys.executable, __file__, *options], check=True, stdout=subprocess.DEVNULL)


def run_cli_subprocess(args, weights: Path, song: Path, out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "demucs", *cli_options(args, weights, out, song)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_cli_in_process(args, weights: Path, song: Path, out: Path) -> None:
    from demucs.separate import main as demucs_main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        demucs_main(cli_options(args, weights, out, song))


def warm_up(weights: Path) -> None:
    """One short pass, so neither in-process contender pays torch's first-call costs."""
    separate(load_separator(SIGNATURE, weights), synthesize(75, "A minor", 2), shifts=0)


def largest_difference(ours: Path, cli: Path) -> float:
    """Largest sample difference between our stems and the CLI's (16-bit WAV: ~3e-5 apart at best)."""
    return max(
        float(np.abs(read_audio(ours / f"{name}.flac") - read_audio(cli / SIGNATURE / "song" / f"{name}.wav")).max())
        for name in SOURCES
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the synthesized test song")
    parser.add_argument("--shifts", type=int, default=1)
    parser.add_argument("--overlap", type=float, default=0.25)
    parser.add_argument("--segment", type=int, default=None, help="seconds (the CLI takes whole seconds)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--worker", nargs=3, metavar=("WEIGHTS", "SONG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.worker:  # the process that run_ours_subprocess starts
        run_ours(args, *(Path(p) for p in args.worker))
        return 0

    contenders = {  # name: (work, runs as a child process, folder, round)
        "ours, process": (run_ours_subprocess, True, "ours-process", 0),
        "demucs CLI, process": (run_cli_subprocess, True, "cli-process", 0),
        "ours, in process": (run_ours, False, "ours", 1),
        "demucs CLI main(), in process": (run_cli_in_process, False, "cli", 1),
    }
    pairs = {
        "process": ("ours, process", "demucs CLI, process"),
        "in process": ("ours, in process", "demucs CLI main(), in process"),
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(prefix="bench_separate_") as tmp:
        tmp = Path(tmp)
        weights = tmp / "weights"
        parameters = make_weights(weights)
        song = write_audio(tmp / "song.wav", synthesize(75, "A minor", args.seconds, seed=1))
        print(
            f"input: {args.seconds:.0f} s synthesized song (75 BPM, A minor, 44.1 kHz WAV); model: untrained "
            f"HTDemucs, default size ({parameters / 1e6:.1f}M parameters); shifts {args.shifts}, overlap "
            f"{args.overlap}, segment {args.segment or 'model default'}; CPU, {available_cpus()} thread(s); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        for round_ in (0, 1):
            if round_ == 1:
                warm_up(weights)
            names = [name for name, (*_, r) in contenders.items() if r == round_]
            for i in range(args.repeat):  # interleaved, the order alternating: the machine's load drifts
                for name in names if i % 2 == 0 else names[::-1]:
                    work, children, folder, _ = contenders[name]
                    out = tmp / f"{folder}-{i}"
                    runs[name].append(measure(lambda: work(args, weights, song, out), children=children))
        difference = largest_difference(tmp / "ours-0", tmp / "cli-0") if args.shifts == 0 else None
        load_after = os.getloadavg()[0]

    best = {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in runs.items()}
    print(
        f"\n{'best of ' + str(args.repeat):32s} {'wall s':>8s} {'RTF':>6s} {'CPU s':>8s}"
        "   (RTF: wall ÷ audio time; CPU: user + system, all threads)"
    )
    for name, (wall, cpu) in best.items():
        print(f"{name:32s} {wall:8.2f} {wall / args.seconds:6.3f} {cpu:8.2f}")
    ratios = {
        kind: {"wall": best[ours][0] / best[cli][0], "cpu": best[ours][1] / best[cli][1]}
        for kind, (ours, cli) in pairs.items()
    }
    print(
        f"\nours/CLI (goal ≤ 1.00): as processes {ratios['process']['wall']:.2f} wall, "
        f"{ratios['process']['cpu']:.2f} CPU; in process after a warm-up {ratios['in process']['wall']:.2f} wall, "
        f"{ratios['in process']['cpu']:.2f} CPU; load average {load_after:.1f} at the end"
    )
    if difference is not None:
        print(f"largest difference between our stems and the CLI's: {difference:.2e}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "seconds_of_audio": args.seconds,
                "shifts": args.shifts,
                "overlap": args.overlap,
                "segment": args.segment,
                "threads": available_cpus(),
                "model_parameters": parameters,
                "repeat": args.repeat,
                "runs": {
                    name: [{"wall_s": round(w, 3), "cpu_s": round(c, 3)} for w, c in values]
                    for name, values in runs.items()
                },
                "best": {
                    name: {"wall_s": round(w, 3), "cpu_s": round(c, 3), "rtf": round(w / args.seconds, 4)}
                    for name, (w, c) in best.items()
                },
                "ours_over_cli": {kind: {k: round(v, 3) for k, v in r.items()} for kind, r in ratios.items()},
                "largest_stem_difference": difference,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
