"""Are the prompt's texture and effect words heard? Ablations: one piece (the composer, a
fixed seed) rendered through `lofi song`'s path with a prompt and with the same prompt plus
one texture or effect word; the difference is measured against the music (its level, where
its energy lies, how impulsive it is) and judged against the sound's signature (rain bright
broadband noise, thunder low bursts, crackle clicks, ...; an effect by the mark
:func:`.effects.effect_mark` reads: a reverb's tail, a low-pass's loss of top). Then every
prompt of the demo's pages that names a texture or an effect: are they all in its render?

Writes ``benchmarks/results/eval_textures.json`` and the spectrograms of every layer's
difference to ``docs/images/textures/``.

    .venv/bin/python benchmarks/eval_textures.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.audio_io import RATE, read_audio  # noqa: E402
from lofi_assets.core.generation.generate import ComposerGenerator  # noqa: E402
from lofi_assets.core.generation.requests import prompt_request  # noqa: E402
from lofi_assets.core.generation.voicing import voice  # noqa: E402
from lofi_assets.core.ingest.plan_parser import parse_track_plan  # noqa: E402
from lofi_assets.core.production.effects import EFFECTS, effect_mark  # noqa: E402
from lofi_assets.core.production.sound_stage import sound_plan_problems  # noqa: E402
from resources.renderer import RendererResource  # noqa: E402

BASE = "slow Rhodes chords over a lazy beat"
# the words an operator writes for each texture and effect (what the ablation adds)
TEXTURE_WORDS = {
    "rain": "rain",
    "thunder": "thunder",
    "vinyl crackle": "vinyl crackle",
    "tape hiss": "tape hiss",
    "static": "static",
    "hum": "hum",
    "wind": "wind",
    "city": "city traffic",
    "train": "train",
    "café": "café murmur",
    "fireplace": "fireplace",
    "ocean": "ocean waves",
    "birds": "birds",
    "night insects": "crickets",
    "radio": "radio",
}
EFFECT_WORDS = {
    "long reverb": "deep reverb",
    "reverb": "reverb",
    "delay": "echoes",
    "tape wobble": "tape wobble",
    "low-pass": "muffled",
    "saturation": "tape saturation",
    "bit reduction": "dusty",
    "airy": "airy",
    "chorus": "chorus",
    "tremolo": "tremolo",
    "sidechain": "sidechain",
}
# where each layer's energy lies, and how: (low Hz, high Hz, least share there, crest range dB)
SIGNATURES = {
    "rain": (1000, 20000, 0.7, (0, 45)),
    "thunder": (0, 200, 0.8, (0, 60)),
    "vinyl crackle": (600, 20000, 0.7, (20, 80)),
    "tape hiss": (2500, 20000, 0.8, (0, 20)),
    "static": (1500, 10000, 0.7, (0, 25)),
    "hum": (50, 200, 0.8, (0, 15)),
    "wind": (100, 2500, 0.8, (0, 25)),
    "city": (0, 2500, 0.8, (0, 35)),
    "train": (0, 2500, 0.8, (12, 60)),
    "café": (200, 5000, 0.7, (0, 40)),
    "fireplace": (0, 20000, 0.0, (18, 80)),
    "ocean": (0, 2000, 0.8, (0, 30)),
    "birds": (1800, 6500, 0.7, (12, 80)),
    "night insects": (3800, 5300, 0.7, (0, 40)),
    "radio": (250, 3500, 0.7, (0, 25)),
}


def _share(x: np.ndarray, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(x.mean(axis=0))) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1 / RATE)
    return float(spectrum[(freqs >= lo) & (freqs < hi)].sum() / max(spectrum.sum(), 1e-20))


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def render(prompt: str, folder: Path, name: str, seconds: float) -> tuple[np.ndarray, dict, dict, float]:
    request = prompt_request(prompt, max(4, round(seconds * 72 / 240 / 4) * 4), 0, 72, "Dm", "cozy")
    cond = replace(request.conditions, seed=11)  # the seed alone fixes the notes
    piece = ComposerGenerator().generate(cond)
    voice(piece.midi, request.plan)
    midi = folder / f"{name}.mid"
    piece.midi.write(str(midi))
    plan = request.plan.to_dict()
    row = RendererResource().render_file(midi, folder / f"{name}.wav", seed=5, sound_plan=plan)
    return read_audio(folder / f"{name}.wav"), row, plan, piece.midi.get_end_time()


def _aligned(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = max(a.shape[1], b.shape[1])
    pad = lambda x: np.pad(x, ((0, 0), (0, n - x.shape[1])))  # noqa: E731
    return pad(a), pad(b)


def spectrograms(diffs: dict[str, np.ndarray], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 5, figsize=(15, 7.5), dpi=80, sharey=True)
    for ax, (name, d) in zip(axes.flat, diffs.items()):
        ax.specgram(d.mean(axis=0)[: 12 * RATE], NFFT=2048, Fs=RATE, noverlap=1024, cmap="magma", vmin=-160, vmax=-60)
        ax.set_title(name, fontsize=10)
        ax.set_ylim(0, 12000)
        ax.tick_params(labelsize=7)
    fig.supxlabel("seconds (the first 12 s of what each word added)")
    fig.supylabel("Hz")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def demo_prompts() -> list[str]:
    texts = []
    for page in sorted((ROOT / "data" / "notion").glob("*.md")):
        plan = parse_track_plan(page.read_text(encoding="utf-8"), key=page.stem, source=str(page))
        texts += [p.text for p in plan.prompts]
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    results: dict = {"base": BASE, "textures": {}, "effects": {}}
    diffs = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dry, _, _, last = render(BASE, folder, "base", args.seconds)
        music_db = _db(dry)
        for texture, words in TEXTURE_WORDS.items():
            wet, row, plan, _ = render(f"{BASE}, {words}", folder, texture.replace(" ", "-"), args.seconds)
            a, b = _aligned(dry, wet)
            # the colour brings the whole back to the music's level: take the music out at the
            # gain it came through with, so what is left is what the word added
            gain = float(np.vdot(a, b) / max(np.vdot(a, a), 1e-20))
            d = diffs[texture] = b - np.float32(gain) * a
            lo, hi, least, (crest_lo, crest_hi) = SIGNATURES[texture]
            share = _share(d, lo, hi)
            crest = float(20 * np.log10(np.abs(d).max() + 1e-12) - 10 * np.log10(np.mean(d**2) + 1e-20))
            planned = [layer["texture"] for layer in row.get("heard", {}).get("layers", [])]
            results["textures"][texture] = r = {
                "words": words,
                "planned": planned,
                "level_db": round(_db(d) - music_db, 1),
                "band": f"{lo}–{hi} Hz",
                "share_in_band": round(share, 3),
                "crest_db": round(crest, 1),
                "signature": share >= least and crest_lo <= crest <= crest_hi and planned == [texture],
            }
            print(f"{texture:14s} {r['level_db']:+6.1f} dB  {r['share_in_band']:.2f} in {r['band']:12s} "
                  f"crest {r['crest_db']:5.1f}  {'✓' if r['signature'] else '✗'}", flush=True)  # fmt: skip
        for effect, words in EFFECT_WORDS.items():
            wet, row, plan, _ = render(f"{BASE}, {words}", folder, effect.replace(" ", "-"), args.seconds)
            a, b = _aligned(dry, wet)
            mark = effect_mark(effect, a, b, RATE, last)
            applied = [e["name"] for e in row.get("heard", {}).get("effects", [])]
            results["effects"][effect] = r = {"words": words, "applied": applied, **mark,
                                              "signature": mark["heard"] and applied == [effect]}  # fmt: skip
            print(f"{effect:14s} {r['measure']}: {r.get('dry', '')} → {r['wet']}  {'✓' if r['signature'] else '✗'}")
        spectrograms(diffs, ROOT / "docs" / "images" / "textures" / "layers.png")
        named = heard = 0
        misses = []
        for i, text in enumerate(demo_prompts()):
            request = prompt_request(text, 8, 0)
            if not (request.plan.textures or request.plan.effects):
                continue
            named += 1
            _, row, plan, _ = render(text, folder, f"demo-{i}", 12)
            problems = sound_plan_problems(plan, row.get("heard"))
            heard += not problems
            misses += [f"{text[:50]!r}: {p}" for p in problems]
        results["demo"] = {"prompts_naming_textures_or_effects": named, "all_heard": heard, "misses": misses}
        print(f"demo: {heard} of {named} prompts naming a texture or effect have every one in their render")
    assert set(results["effects"]) == set(EFFECTS)
    out = ROOT / "benchmarks" / "results" / "eval_textures.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
