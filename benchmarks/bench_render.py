"""Speed of the sound stages that turn MIDI into a coloured track, on one CPU core.

- Soundfont render (TinySoundFont, GM soundfont) of a composer piece of about three minutes
  (56 bars at 75 BPM, four parts), as a realtime factor (goal ≥ 80×). Reference, same run:
  pretty_midi's own ``PrettyMIDI.synthesize()`` (one sine per note, pure numpy).
- Each colour preset on that render (goal ≥ 40×). Reference, same run: a bare pedalboard
  chain with one low-pass filter.
- The prompt's sound on that render: two texture layers (rain, vinyl crackle; goal ≤ 2 s
  for the three minutes; reference, same run: one layer of tape hiss) and two effects
  (tape wobble, long reverb), then render, layers, effects and colour together (goal ≥ 40×).
- The two fonts side by side (TimGM6mb, which pretty_midi ships, and FluidR3_GM where it
  is installed): render speed plain and on the stereo stage, the correlation each gives,
  and the seconds of sample behind each lo-fi program (``core.production.soundfont``).

Times are the best of ``--repeat`` runs; the process is pinned to one core. Results go to
``benchmarks/results/bench_render.json``.

    .venv/bin/python benchmarks/bench_render.py [--bars 56] [--repeat 3] [--soundfont PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lofi_assets.core.generation.composer import (  # noqa: E402
    BASS_PROGRAMS,
    KEYS_PROGRAMS,
    LEAD_PROGRAMS,
    compose,  # noqa: E402
)
from lofi_assets.core.generation.conditions import Conditions  # noqa: E402
from lofi_assets.core.production.colour import PRESETS, colour  # noqa: E402
from lofi_assets.core.production.effects import apply_effects  # noqa: E402
from lofi_assets.core.production.render import (  # noqa: E402
    DEFAULT_SOUNDFONT,
    FLUIDR3_PLACES,
    RATE,
    StereoStage,
    correlation,
    render_midi,
    resolve_soundfont,
)
from lofi_assets.core.production.sound_stage import dress  # noqa: E402
from lofi_assets.core.production.soundfont import program_samples, read_hydra  # noqa: E402
from lofi_assets.core.production.textures import make_layer  # noqa: E402

RENDER_GOAL = 80.0
COLOUR_GOAL = 40.0
SOUND_GOAL = 40.0  # render, layers, effects and colour together
LAYERS_GOAL_S = 2.0  # the layers of a three-minute song
SOUND_LAYERS = ("rain", "vinyl crackle")
SOUND_EFFECTS = ("tape wobble", "long reverb")


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def lowpass_only(samples: np.ndarray) -> np.ndarray:
    import pedalboard as pb

    return pb.Pedalboard([pb.LowpassFilter(cutoff_frequency_hz=11000.0)])(samples, RATE)


def compare_fonts(midi, repeat: int, audio_s: float) -> dict:
    """Each font: render speed (plain, staged), the staged render's correlation, and the
    seconds of sample behind each lo-fi program."""
    fonts = [DEFAULT_SOUNDFONT] + [p for p in FLUIDR3_PLACES if p.is_file()][:1]
    out = {}
    print(
        f"\n{'font':<16} {'MB':>5} {'plain ×rt':>10} {'staged ×rt':>11} {'corr':>6}   longest sample (s) of each lo-fi program"
    )
    for font in fonts:
        plain_s, _ = best_of(repeat, lambda font=font: render_midi(midi, font))
        staged_s, staged = best_of(repeat, lambda font=font: render_midi(midi, font, stage=StereoStage()))
        hydra = read_hydra(font)
        programs = {}
        for program in (*KEYS_PROGRAMS, *BASS_PROGRAMS, *LEAD_PROGRAMS):
            zones = program_samples(hydra, 0, program)
            programs[program] = {
                "zones": len(zones),
                "longest_s": round(max((z.seconds for z in zones), default=0.0), 2),
                "median_s": round(sorted(z.seconds for z in zones)[len(zones) // 2], 2) if zones else 0.0,
                "stereo": any(z.stereo for z in zones),
            }
        out[font.name] = {
            "megabytes": round(font.stat().st_size / 1e6, 1),
            "plain_realtime": round(audio_s / plain_s, 1),
            "staged_realtime": round(audio_s / staged_s, 1),
            "staged_correlation": round(correlation(staged.mix), 3),
            "programs": programs,
        }
        longest = ", ".join(f"{p}: {v['longest_s']:g}{'st' if v['stereo'] else ''}" for p, v in programs.items())
        print(
            f"{font.name:<16} {out[font.name]['megabytes']:5.0f} {audio_s / plain_s:9.0f}× {audio_s / staged_s:10.0f}× "
            f"{out[font.name]['staged_correlation']:6.3f}   {longest}"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bars", type=int, default=56)
    parser.add_argument("--tempo", type=float, default=75.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--soundfont", default=None, help="a .sf2; default: the renderer's (FluidR3_GM where installed)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_render.json")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    soundfont = resolve_soundfont(args.soundfont)
    midi = compose(Conditions.parse(args.tempo, "Am", "cozy", bars=args.bars, seed=args.seed))
    notes = sum(len(i.notes) for i in midi.instruments)
    print(
        f"piece: composer, {args.bars} bars at {args.tempo:g} BPM, {len(midi.instruments)} parts, {notes} notes, "
        f"{midi.get_end_time():.1f} s; soundfont {soundfont.name}; one core, best of {args.repeat}"
    )

    render_s, rendered = best_of(args.repeat, lambda: render_midi(midi, soundfont))
    audio_s = rendered.seconds
    stems_s, _ = best_of(args.repeat, lambda: render_midi(midi, soundfont, stems=True))
    sine_s, _ = best_of(args.repeat, lambda: midi.synthesize(fs=RATE))
    rows = [
        ("render (TinySoundFont)", render_s, RENDER_GOAL),
        ("render with stems", stems_s, RENDER_GOAL),
        ("reference: PrettyMIDI.synthesize (sines)", sine_s, None),
    ]

    mix = rendered.mix
    reference_s, _ = best_of(args.repeat, lambda: lowpass_only(mix))
    colour_s = {}
    for name in PRESETS:
        colour_s[name], _ = best_of(args.repeat, lambda name=name: colour(mix, name, seed=1))
        rows.append((f"colour {name}", colour_s[name], COLOUR_GOAL))
    rows.append(("reference: pedalboard low-pass only", reference_s, None))

    print(f"\n{'stage':<42} {'seconds':>8} {'× realtime':>11} {'goal':>6}  ratio to reference")
    for label, seconds, goal in rows:
        reference = sine_s if label.startswith("render") else reference_s if label.startswith("colour") else None
        ratio = f"{reference / seconds:6.2f}× the reference's speed" if reference else ""
        verdict = "" if goal is None else ("ok" if audio_s / seconds >= goal else "MISSED")
        goal_text = f"≥{goal:g}" if goal else ""
        print(f"{label:<42} {seconds:8.3f} {audio_s / seconds:10.0f}× {goal_text:>6}  {ratio} {verdict}".rstrip())
    chain_s = render_s + colour_s["tape"]
    print(f"\nrender + tape colour: {chain_s:.2f} s for {audio_s:.0f} s of audio ({audio_s / chain_s:.0f}× realtime)")

    # the prompt's sound: two layers and two effects, as "light rain, vinyl crackle, deep
    # reverb, tape wobble" asks; one layer alone is the reference
    frames, last = mix.shape[1], midi.get_end_time()
    layers_s, _ = best_of(args.repeat, lambda: [make_layer(t, frames, 1) for t in SOUND_LAYERS])
    one_layer_s, _ = best_of(args.repeat, lambda: make_layer("tape hiss", frames, 1))
    effects_s, _ = best_of(args.repeat, lambda: apply_effects(mix, SOUND_EFFECTS, RATE, args.tempo, 1, last))
    dressed_s, _ = best_of(
        args.repeat,
        lambda: colour(
            dress(mix, SOUND_LAYERS, SOUND_EFFECTS, "light rain", RATE, args.tempo, 1, last)[0], "tape", seed=1
        ),
    )
    sound_chain_s = render_s + dressed_s
    print(
        f"layers {' + '.join(SOUND_LAYERS)}: {layers_s:.2f} s for {audio_s:.0f} s (goal ≤ {LAYERS_GOAL_S:g} s; "
        f"one layer of tape hiss {one_layer_s:.2f} s); effects {' + '.join(SOUND_EFFECTS)}: {effects_s:.2f} s"
    )
    print(
        f"render + layers + effects + tape colour: {sound_chain_s:.2f} s ({audio_s / sound_chain_s:.0f}× realtime, "
        f"goal ≥ {SOUND_GOAL}×)"
    )

    fonts = compare_fonts(midi, args.repeat, audio_s)
    report = {
        "fonts": fonts,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cores_used": 1,
        },
        "piece": {
            "bars": args.bars,
            "tempo": args.tempo,
            "seed": args.seed,
            "parts": len(midi.instruments),
            "notes": notes,
            "audio_s": round(audio_s, 2),
            "soundfont": soundfont.name,
        },
        "repeat": args.repeat,
        "render": {
            "seconds": round(render_s, 4),
            "realtime": round(audio_s / render_s, 1),
            "goal": RENDER_GOAL,
            "with_stems_seconds": round(stems_s, 4),
            "with_stems_realtime": round(audio_s / stems_s, 1),
            "reference": "PrettyMIDI.synthesize",
            "reference_seconds": round(sine_s, 4),
            "reference_realtime": round(audio_s / sine_s, 1),
            "ratio": round(sine_s / render_s, 2),
        },
        "colour": {
            name: {
                "seconds": round(s, 4),
                "realtime": round(audio_s / s, 1),
                "goal": COLOUR_GOAL,
                "ratio_to_reference": round(reference_s / s, 3),
            }
            for name, s in colour_s.items()
        },
        "sound_stage": {
            "layers": list(SOUND_LAYERS),
            "layers_seconds": round(layers_s, 3),
            "layers_goal_s": LAYERS_GOAL_S,
            "one_layer_reference": "tape hiss",
            "one_layer_seconds": round(one_layer_s, 3),
            "effects": list(SOUND_EFFECTS),
            "effects_seconds": round(effects_s, 3),
            "render_layers_effects_colour_seconds": round(sound_chain_s, 3),
            "realtime": round(audio_s / sound_chain_s, 1),
            "goal": SOUND_GOAL,
        },
        "colour_reference": {
            "chain": "pedalboard LowpassFilter(11 kHz)",
            "seconds": round(reference_s, 4),
            "realtime": round(audio_s / reference_s, 1),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    missed = layers_s > LAYERS_GOAL_S or audio_s / sound_chain_s < SOUND_GOAL
    missed = (
        missed
        or report["render"]["realtime"] < RENDER_GOAL
        or any(c["realtime"] < COLOUR_GOAL for c in report["colour"].values())
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
