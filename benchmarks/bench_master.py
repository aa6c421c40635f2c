"""Mastering benchmark: a long mix mastered by ``master_file`` against ffmpeg's own
two-pass ``loudnorm`` on the same input, both measured by ffmpeg's ``ebur128`` filter
(a meter neither of them wrote).

The input is a real mix: synthesised demo songs (distinct keys and tempi) sequenced by
``render_mix`` with 5 s crossfades to the requested length, 32-bit float WAV. Then the
hardest material for a limiter, side by side with loudnorm for every preset: 60 s of
sparse drums over a pad 40 dB down (``demo.library.sparse_drums``, crest factor near 30 dB).
Ours runs as ``lofi master`` in a process of its own, so its peak resident memory is its
own; then a 3-hour mix of the same songs, for the time and memory against length.

    python benchmarks/bench_master.py                                # 60, then 180 minutes
    python benchmarks/bench_master.py --minutes 5 --then-minutes 0   # a quick look
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.memory import MemorySampler  # noqa: E402
from lofi_assets.core.audio_io import ffmpeg_exe, write_wav  # noqa: E402
from lofi_assets.core.production.master import MasterMiss, Outputs, master_file  # noqa: E402
from lofi_assets.core.production.master_rules import PRESETS  # noqa: E402
from lofi_assets.core.production.mix import MixSong, plan_mix, render_mix  # noqa: E402
from lofi_assets.core.production.verification import ebur128  # noqa: E402
from lofi_assets.demo.library import sparse_drums, synthesize, write_audio  # noqa: E402

SONGS = [(70, "D minor"), (74, "F major"), (78, "A minor"), (82, "C major"), (66, "E minor"), (86, "Bb major")]


def make_mix(folder: Path, minutes: float, song_s: float) -> Path:
    songs = []
    for i, (bpm, key) in enumerate(SONGS):
        path = write_audio(folder / f"song{i}.flac", synthesize(bpm, key, song_s, seed=i) * (0.25 + 0.1 * i))
        songs.append(MixSong(f"song{i}", str(path), song_s, 1 + i // 2, "", i, key, "library"))
    placements = plan_mix(songs, minutes * 60, "repeat", 5.0)
    render_mix(songs, placements, folder / "mix.wav")
    return folder / "mix.wav"


def master_in_a_process(mix: Path, out: Path, lossy: str) -> tuple[dict, float, int]:
    """``lofi master`` with every export, as an operator runs it: its report, its seconds and
    the peak resident memory of its process tree (the encoder and meters beside it)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lofi_assets.cli", "master", str(mix), str(out), "--lossy", lossy],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    sampler = MemorySampler(proc.pid, every=0.2)
    sampler.start()
    stdout = proc.stdout.read()
    proc.wait()
    seconds = time.perf_counter() - started
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"lofi master {mix.name} failed")
    return json.loads(stdout), seconds, sampler.peak()


def loudnorm_two_pass(source: Path, out: Path, target: float, ceiling: float) -> float:
    """ffmpeg's recommended two-pass loudnorm (linear mode from the first pass's figures)."""
    ff = ffmpeg_exe()
    started = time.perf_counter()
    first = subprocess.run(
        [
            ff,
            "-nostdin",
            "-hide_banner",
            "-i",
            str(source),
            "-af",
            f"loudnorm=I={target}:TP={ceiling}:LRA=11:print_format=json",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    stats = json.loads(re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", first.stderr).group(0))
    second = (
        f"loudnorm=I={target}:TP={ceiling}:LRA=11:measured_I={stats['input_i']}:"
        f"measured_TP={stats['input_tp']}:measured_LRA={stats['input_lra']}:"
        f"measured_thresh={stats['input_thresh']}:offset={stats['target_offset']}:linear=true"
    )
    subprocess.run(
        [
            ff,
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(source),
            "-af",
            second,
            "-ar",
            "44100",
            "-c:a",
            "pcm_s24le",
            str(out),
        ],
        check=True,
    )
    return time.perf_counter() - started


def peaky_side_by_side(folder: Path, seconds: float) -> dict:
    """Sparse drums mastered to every preset by us and by two-pass loudnorm, each read by ebur128."""
    source = write_wav(folder / "peaky.wav", sparse_drums(90, seconds, seed=3))
    print(f"\n{seconds:g} s of sparse drums: {ebur128(source)}")
    print(
        f"{'preset':10} {'target':>7} {'ours I':>7} {'TP':>6} {'aac TP':>7} {'s':>5}   {'loudnorm I':>10} {'TP':>6} {'s':>5}"
    )
    rows = {}
    for name, preset in PRESETS.items():
        ours, lossy = folder / f"peaky-{name}.wav", folder / f"peaky-{name}.m4a"
        started = time.perf_counter()
        try:
            report = master_file(source, Outputs(ours, None, lossy), name, verify=False)
            misses, lossy_tp = [], report.lossy["true_peak_dbtp"]
        except MasterMiss as miss:
            misses, lossy_tp = miss.report.misses, None
        ours_s = time.perf_counter() - started
        theirs_s = loudnorm_two_pass(
            source, folder / f"peaky-{name}-loudnorm.wav", preset.target_lufs, preset.ceiling_dbtp
        )
        a = ebur128(ours) if not misses else {"integrated_lufs": float("nan"), "true_peak_dbtp": float("nan")}
        b = ebur128(folder / f"peaky-{name}-loudnorm.wav")
        rows[name] = {"ours": a | {"seconds": round(ours_s, 2), "lossy_true_peak_dbtp": lossy_tp, "misses": misses}}
        rows[name]["loudnorm"] = b | {"seconds": round(theirs_s, 2)}
        print(
            f"{name:10} {preset.target_lufs:7.1f} {a['integrated_lufs']:7.1f} {a['true_peak_dbtp']:6.1f} "
            f"{lossy_tp if lossy_tp is not None else float('nan'):7.2f} {ours_s:5.1f}   "
            f"{b['integrated_lufs']:10.1f} {b['true_peak_dbtp']:6.1f} {theirs_s:5.1f}"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--song-seconds", type=float, default=180.0)
    parser.add_argument("--peaky-seconds", type=float, default=60.0)
    parser.add_argument("--then-minutes", type=float, default=180.0, help="a longer mix mastered after (0: none)")
    parser.add_argument("--lossy", default="aac", choices=["aac", "mp3"])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_master.json"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-master-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        mix = make_mix(folder, args.minutes, args.song_seconds)
        print(f"input: {args.minutes:g}-minute mix made in {time.perf_counter() - started:.0f} s")

        report, ours_s, ours_rss = master_in_a_process(mix, folder / "ours.wav", args.lossy)
        started = time.perf_counter()
        master_file(mix, Outputs(folder / "core.wav"), "streaming", verify=False)
        core_s = time.perf_counter() - started
        theirs_s = loudnorm_two_pass(mix, folder / "loudnorm.wav", -14.0, -1.0)

        rows = {
            "ours (all exports + verification)": (ours_s, ebur128(folder / "ours.wav")),
            "ours (24-bit WAV only, no verification)": (core_s, ebur128(folder / "core.wav")),
            "ffmpeg loudnorm, two-pass linear": (theirs_s, ebur128(folder / "loudnorm.wav")),
        }
        print(f"\n{'master':44} {'seconds':>8} {'× realtime':>10} {'I (ebur128)':>12} {'TP (ebur128)':>13}")
        for name, (seconds, figures) in rows.items():
            print(
                f"{name:44} {seconds:8.1f} {args.minutes * 60 / seconds:10.1f} "
                f"{figures['integrated_lufs']:12.1f} {figures['true_peak_dbtp']:13.1f}"
            )
        print(
            f"\nours vs loudnorm: {theirs_s / core_s:.2f}× the speed (24-bit only), "
            f"{theirs_s / ours_s:.2f}× with every export"
        )
        m = report["measured"]
        renders = sum(p["kind"] == "render" for p in report["passes"])
        print(
            f"our meters: {m['integrated_lufs']:.3f} LUFS, {m['true_peak_dbtp']:.2f} dBTP, LRA {m['loudness_range_lu']:.1f}, "
            f"DR {m['dynamic_range_db']:.1f}, PLR {m['plr_db']:.1f}, correlation {m['correlation']:.2f}; "
            f"{report['verification'].get('meter')} {report['verification'].get('integrated_lufs')}; "
            f"{args.lossy} {report['lossy'].get('true_peak_dbtp')} dBTP; passes {len(report['passes'])} ({renders} render); "
            f"peak resident {ours_rss / 2**20:.0f} MB"
        )
        longer = {}
        if args.then_minutes:
            # the same mastering of a longer mix of the same songs: time and memory against length
            started = time.perf_counter()
            long_mix = make_mix(folder / "long", args.then_minutes, args.song_seconds)
            print(f"\ninput: {args.then_minutes:g}-minute mix made in {time.perf_counter() - started:.0f} s")
            mix.unlink()
            long_report, long_s, long_rss = master_in_a_process(long_mix, folder / "long" / "ours.wav", args.lossy)
            renders = sum(p["kind"] == "render" for p in long_report["passes"])
            lm = long_report["measured"]
            print(
                f"{args.then_minutes:g} minutes, every export: {long_s:.1f} s ({long_s / ours_s:.2f}× the "
                f"{args.minutes:g}-minute time for {args.then_minutes / args.minutes:g}× the length); "
                f"{renders} render; {lm['integrated_lufs']:.3f} LUFS, {lm['true_peak_dbtp']:.2f} dBTP, "
                f"{args.lossy} {long_report['lossy'].get('true_peak_dbtp')} dBTP; peak resident "
                f"{long_rss / 2**20:.0f} MB ({args.minutes:g} minutes: {ours_rss / 2**20:.0f} MB)"
            )
            longer = {
                "minutes": args.then_minutes,
                "seconds": round(long_s, 1),
                "ratio": round(long_s / ours_s, 2),
                "renders": renders,
                "peak_rss_mb": round(long_rss / 2**20),
                "report": long_report,
            }
        peaky = peaky_side_by_side(folder, args.peaky_seconds)
        result = {
            "peaky": peaky,
            "minutes": args.minutes,
            "ours_s": round(ours_s, 1),
            "ours_peak_rss_mb": round(ours_rss / 2**20),
            "longer": longer,
            "ours_core_s": round(core_s, 1),
            "loudnorm_s": round(theirs_s, 1),
            "ebur128": {k: v[1] for k, v in rows.items()},
            "report": report,
        }
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
