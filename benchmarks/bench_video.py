"""Video benchmark: a 60-minute master-like WAV and a 1280×720 thumbnail encoded for
YouTube by ``encode_video``, against the still-image command most guides give, measured
in the same run.

- ours, still: the whole programme (24-bit 44.1 kHz stereo WAV, synthesised in blocks:
  chords, bass and vinyl-like noise, so the AAC encoder has real work).
- ours, moving scene: the procedural scene's loop rendered once (a rain scene, the
  busiest to encode) and laid out by copying its GOPs over the whole programme; then the
  same with a now-playing card every three minutes (a song's length), only the cards' GOPs
  encoded again; against them, the common one-line loop (``-stream_loop -1 -i loop.mp4 -i
  audio … -shortest``, re-encoding) on the reference slice.
- ours, spectrum visualiser: the moving scene of the visualiser slice
  (``--visualiser-minutes``) encoded again with the band, at two x264 presets.
- ours, 3 hours (``--long-minutes``): the moving scene with now playing over the master's AAC
  (copied, as ``track_video`` does), the programme looped to three hours.
- ours, waveform visualiser: on a slice (``--waveform-minutes``), with the full length
  extrapolated from it, labelled as such.
- on the reference slice (``--reference-minutes``): ours still, ours with an AAC ``.m4a``
  input (audio copied), ffmpeg's AAC encoder alone with its defaults, and the naive
  ``ffmpeg -loop 1 -i img -i audio -c:v libx264 -c:a aac -shortest out.mp4`` (25 fps,
  x264's default preset, AAC at its default 128 kb/s).

Results go to ``benchmarks/results/bench_video.json``.

    python benchmarks/bench_video.py                                        # 60 minutes
    python benchmarks/bench_video.py --minutes 5 --reference-minutes 1     # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.signal import lfilter  # noqa: E402

from lofi_assets.core.audio_io import (  # noqa: E402
    RATE,
    ffmpeg_exe,  # noqa: E402
    wav_writer,
)
from lofi_assets.core.publishing.now_playing import cards_for  # noqa: E402
from lofi_assets.core.publishing.scene_loop import render_loop  # noqa: E402
from lofi_assets.core.publishing.scene_video import encode_scene_video  # noqa: E402
from lofi_assets.core.publishing.video import encode_video, probe, verify_video  # noqa: E402
from lofi_assets.core.publishing.visualiser import add_visualiser  # noqa: E402

SONG_S = 180.0  # a chapter, and a now-playing card, every three minutes


def chapters(seconds: float) -> list[tuple[int, dict]]:
    return [
        (int(t), {"title": f"Song {n + 1} of the night", "arc_name": f"Arc {n // 5 + 1}"})
        for n, t in enumerate(np.arange(0.0, seconds - 10, SONG_S))
    ]


BLOCK_S = 10.0
BPM = 80.0
CHORDS = [
    (220.0, 261.63, 329.63, 392.0),
    (174.61, 220.0, 261.63, 329.63),  # Am7, Fmaj7
    (196.0, 246.94, 293.66, 349.23),
    (164.81, 196.0, 246.94, 293.66),
]  # G7, Em7


def synth_block(start: int, frames: int, rng: np.random.Generator, zi: np.ndarray) -> np.ndarray:
    """``frames`` from frame ``start`` of a slow four-chord loop: keys, bass, hi-hats and
    vinyl-like rumble and hiss, so the spectrum is full (as a master's is; the AAC encoder's
    speed depends on it)."""
    t = (start + np.arange(frames)) / RATE
    beat = 60.0 / BPM
    since_hit = t % beat
    keys_env = np.exp(-since_hit / 0.6) * np.minimum(1.0, since_hit / 0.01)  # a keys hit on every beat
    chord = (t // (4 * beat)).astype(int) % len(CHORDS)
    keys = np.zeros(frames)
    for voice in range(4):
        freq = np.array([c[voice] for c in CHORDS])[chord]
        keys += np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
    bass = np.sin(np.pi * np.array([c[0] for c in CHORDS])[chord] * t) * np.exp(-(t % (2 * beat)) / 1.2)
    white = rng.standard_normal((2, frames))
    hats = np.diff(white, axis=1, prepend=0.0) * np.exp(-(t % (beat / 2)) / 0.03)  # bright, on the eighths
    rumble, zi[:] = lfilter([0.05], [1, -0.95], white, axis=1, zi=zi)
    left = 0.09 * keys * keys_env + 0.25 * bass
    right = 0.09 * keys * np.roll(keys_env, 300) + 0.25 * bass  # a little width
    mix = np.stack([left, right]) + 0.04 * hats + 0.15 * rumble + 0.004 * white
    return (1.2 * mix).astype(np.float32)  # about -14 LUFS, peaks near -2 dBFS: a streaming master's level


def make_master(path: Path, minutes: float) -> Path:
    """A 24-bit WAV streamed to disk a block at a time (an hour is about 950 MB)."""
    rng = np.random.default_rng(7)
    zi = np.zeros((2, 1))
    total, block = int(minutes * 60 * RATE), int(BLOCK_S * RATE)
    with wav_writer(path, bits=24) as writer:
        for start in range(0, total, block):
            writer.write(synth_block(start, min(block, total - start), rng, zi))
    return path


def make_thumbnail(path: Path) -> Path:
    """A 1280×720 JPEG with gradients, soft shapes and grain: a lo-fi illustration's texture."""
    y, x = np.mgrid[0:720, 0:1280].astype(np.float32)
    sky = np.stack([40 + 120 * y / 720, 30 + 60 * y / 720, 90 + 80 * (1 - y / 720)], axis=-1)
    moon = np.exp(-((((x - 930) / 90) ** 2 + ((y - 210) / 90) ** 2) ** 2))[..., None] * [200, 190, 150]
    hills = (y > 520 + 60 * np.sin(x / 170))[..., None] * [-30, -20, -50]
    grain = np.random.default_rng(3).normal(0, 6, (720, 1280, 1))
    Image.fromarray(np.clip(sky + moon + hills + grain, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


def ffmpeg(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-nostdin", "-y", "-v", "error", *args], check=True)
    return time.perf_counter() - started


def row(name: str, media_s: float, seconds: float, path: Path | None, note: str = "") -> dict:
    return {
        "name": name,
        "media_s": round(media_s, 2),
        "seconds": round(seconds, 1),
        "realtime": round(media_s / seconds, 1),
        "mb": round(path.stat().st_size / 1e6, 1) if path else None,
        "note": note,
    }


def now_playing_row(loop, audio: Path, out: Path, label: str, infos: dict, key: str) -> dict:
    """The moving scene over ``audio`` with a card a chapter, timed with the loop's render."""
    seconds = probe(audio).duration_s or 0.0
    started = time.perf_counter()
    made = encode_scene_video(loop.path, audio, out, cards=cards_for(chapters(seconds), seconds))
    total = time.perf_counter() - started + loop.render_s
    problems = [p for seen in made.cards_seen() for p in seen.problems()]
    infos[key] = made.info.to_dict() | {"cards": len(made.cards), "cards_s": made.cards_encode_s}
    return row(
        f"ours, moving + now playing, {label}",
        made.info.seconds,
        total,
        made.info.path,
        f"{len(made.cards)} cards encoded in {made.cards_encode_s:.1f} s (loop render included); "
        f"cards seen: {'all' if not problems else '; '.join(problems)}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument(
        "--reference-minutes", type=float, default=5.0, help="slice for the naive command and the side-by-side rows"
    )
    parser.add_argument("--waveform-minutes", type=float, default=5.0)
    parser.add_argument("--visualiser-minutes", type=float, default=5.0)
    parser.add_argument("--long-minutes", type=float, default=180.0, help="the 3-hour row; 0 leaves it out")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_video.json"))
    args = parser.parse_args()
    full_s, ref_s, wave_s = args.minutes * 60, args.reference_minutes * 60, args.waveform_minutes * 60

    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        master = make_master(folder / "master.wav", args.minutes)
        image = make_thumbnail(folder / "thumb.jpg")
        print(
            f"input: {args.minutes:g}-minute 24-bit WAV ({master.stat().st_size / 1e6:.0f} MB) made in "
            f"{time.perf_counter() - started:.0f} s; {os.cpu_count()} CPU cores"
        )
        ref_wav, wave_wav, ref_m4a = folder / "ref.wav", folder / "wave.wav", folder / "ref.m4a"
        ffmpeg("-i", str(master), "-t", f"{ref_s}", "-c", "copy", str(ref_wav))
        ffmpeg("-i", str(master), "-t", f"{wave_s}", "-c", "copy", str(wave_wav))
        ffmpeg("-i", str(ref_wav), "-c:a", "aac", "-b:a", "384k", "-ar", "48000", str(ref_m4a))

        rows, infos = [], {}
        info = encode_video(image, master, folder / "still.mp4")
        infos["still"] = info.to_dict()
        rows.append(row(f"ours, still, {args.minutes:g} min", info.seconds, info.encode_s, info.path))

        started = time.perf_counter()
        loop = render_loop(1, folder / "loop.mp4")  # a rain scene: the busiest loop to encode
        made = encode_scene_video(loop.path, master, folder / "scene.mp4")
        scene_total = time.perf_counter() - started
        infos["scene"] = made.info.to_dict() | {
            "loop_render_s": loop.render_s,
            "loop_mb": loop.path.stat().st_size / 1e6,
        }
        rows.append(
            row(
                f"ours, moving scene, {args.minutes:g} min",
                made.info.seconds,
                scene_total,
                made.info.path,
                f"the {loop.seconds:g} s loop rendered in {loop.render_s:.1f} s, its GOPs copied",
            )
        )
        scene_row = rows[-1]

        rows.append(
            now_playing_row(loop, master, folder / "now_playing.mp4", f"{args.minutes:g} min", infos, "now_playing")
        )
        playing_row = rows[-1]

        vis_wav = folder / "vis.wav"
        ffmpeg("-i", str(master), "-t", f"{args.visualiser_minutes * 60}", "-c", "copy", str(vis_wav))
        vis_scene = encode_scene_video(loop.path, vis_wav, folder / "vis_scene.mp4").info
        vis_rows = []
        for preset in ("veryfast", "superfast"):
            spent = add_visualiser(vis_scene.path, folder / f"vis_{preset}.mp4", (255, 200, 140), preset=preset)
            rows.append(
                row(
                    f"ours, visualiser ({preset}), {args.visualiser_minutes:g} min",
                    vis_scene.seconds,
                    spent,
                    folder / f"vis_{preset}.mp4",
                    "the moving scene encoded again with the band",
                )
            )
            vis_rows.append(rows[-1])

        info = encode_video(image, wave_wav, folder / "wave.mp4", waveform=True)
        infos["waveform"] = info.to_dict()
        rows.append(row(f"ours, waveform, {args.waveform_minutes:g} min", info.seconds, info.encode_s, info.path))
        rows.append(
            row(
                f"ours, waveform, {args.minutes:g} min (extrapolated)",
                full_s,
                info.encode_s * full_s / info.seconds,
                None,
                "extrapolated from the slice",
            )
        )

        info = encode_video(image, ref_wav, folder / "ref_still.mp4")
        rows.append(row(f"ours, still, {args.reference_minutes:g} min", info.seconds, info.encode_s, info.path))
        ours_ref = rows[-1]
        info = encode_video(image, ref_m4a, folder / "ref_copy.mp4")
        rows.append(
            row(
                f"ours, still, {args.reference_minutes:g} min, .m4a input",
                info.seconds,
                info.encode_s,
                info.path,
                "audio copied",
            )
        )
        seconds = ffmpeg(
            "-i",
            str(ref_wav),
            "-c:a",
            "aac",
            "-b:a",
            "384k",
            "-af",
            "aresample=48000:resampler=soxr",
            "-f",
            "mp4",
            str(folder / "aac.m4a"),
        )
        rows.append(
            row(
                f"ffmpeg's default AAC 384k alone, {args.reference_minutes:g} min",
                ref_s,
                seconds,
                folder / "aac.m4a",
                "the two-loop coder with PNS (it clicks)",
            )
        )

        naive = folder / "naive.mp4"
        seconds = ffmpeg(
            "-loop",
            "1",
            "-i",
            str(image),
            "-i",
            str(ref_wav),
            "-c:v",
            "libx264",
            "-c:a",
            "aac",
            "-shortest",
            str(naive),
        )
        rows.append(
            row(
                f"naive -loop 1 … -shortest, {args.reference_minutes:g} min",
                ref_s,
                seconds,
                naive,
                "; ".join(verify_video(naive, ref_s)) or f"passes our checks ({probe(naive).duration_s} s)",
            )
        )
        naive_row = rows[-1]
        seconds = ffmpeg(
            "-stream_loop", "-1", "-i", str(loop.path), "-i", str(ref_wav),
            "-c:v", "libx264", "-c:a", "aac", "-shortest", str(folder / "naive_loop.mp4"),
        )  # fmt: skip
        rows.append(
            row(
                f"common loop one-liner (re-encodes), {args.reference_minutes:g} min",
                ref_s,
                seconds,
                folder / "naive_loop.mp4",
                "-stream_loop -1 -i loop.mp4 -i audio -c:v libx264 -c:a aac -shortest",
            )
        )
        loop_naive_row = rows[-1]

        if args.long_minutes:
            long_s = args.long_minutes * 60
            long_m4a = folder / "long.m4a"
            repeats = int(np.ceil(long_s / full_s)) - 1
            ffmpeg("-stream_loop", str(repeats), "-i", str(master), "-t", f"{long_s}", "-c:a", "aac", "-b:a", "384k",
                   "-ar", "48000", str(long_m4a))  # fmt: skip
            rows.append(
                now_playing_row(loop, long_m4a, folder / "long.mp4", f"{args.long_minutes:g} min, .m4a", infos, "long")
            )

    print(f"\n{'encode':44} {'media s':>8} {'seconds':>8} {'× realtime':>10} {'MB':>7}  note")
    for r in rows:
        mb = f"{r['mb']:7.1f}" if r["mb"] is not None else f"{'-':>7}"
        print(f"{r['name']:44} {r['media_s']:8.1f} {r['seconds']:8.1f} {r['realtime']:10.1f} {mb}  {r['note']}")
    print(
        f"\nmoving scene / still (time, {args.minutes:g} min): {scene_row['seconds'] / rows[0]['seconds']:.2f}× "
        f"(goal ≤ 1.5×); with now playing: {playing_row['seconds'] / rows[0]['seconds']:.2f}× (goal ≤ 2×); "
        f"the loop one-liner on the slice runs at {loop_naive_row['realtime']:.1f}× realtime, "
        f"ours at {scene_row['realtime']:.1f}×"
    )
    print(
        "visualiser: "
        + ", ".join(f"{r['name'].split('(')[1].split(')')[0]} {r['realtime']:.1f}× realtime" for r in vis_rows)
        + " (goal ≥ 8×)"
    )
    ratio_full = rows[0]["realtime"] / naive_row["realtime"]
    ratio_ref = ours_ref["realtime"] / naive_row["realtime"]
    print(
        f"\nours / naive (× realtime): {ratio_full:.1f}× ({args.minutes:g}-min still vs the naive slice), "
        f"{ratio_ref:.1f}× on the same {args.reference_minutes:g}-min slice"
    )
    result = {
        "minutes": args.minutes,
        "reference_minutes": args.reference_minutes,
        "waveform_minutes": args.waveform_minutes,
        "visualiser_minutes": args.visualiser_minutes,
        "long_minutes": args.long_minutes,
        "cpu_count": os.cpu_count(),
        "rows": rows,
        "ours_over_naive": round(ratio_full, 2),
        "ours_over_naive_same_slice": round(ratio_ref, 2),
        "videos": infos,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
