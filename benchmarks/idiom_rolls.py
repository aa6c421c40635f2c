"""Piano rolls of one composed piece voiced by several prompts: the same conditions and seed,
so the pictures differ only by what the words asked (instrument, idiom, feel).

    .venv/bin/python benchmarks/idiom_rolls.py   # writes docs/images/idioms/*.png
"""

from __future__ import annotations

import copy
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.generate import ComposerGenerator  # noqa: E402
from lofi_assets.core.generation.piano_roll import write_piano_roll  # noqa: E402
from lofi_assets.core.generation.requests import prompt_request  # noqa: E402
from lofi_assets.core.generation.voicing import voice  # noqa: E402

PROMPTS = {
    "rhodes-chords": "slow Rhodes chords over a lazy beat",
    "nylon-guitar-arpeggio": "nylon guitar arpeggio over a lazy beat",
    "strummed-guitar": "strummed clean guitar over a lazy beat",
    "pad-swells-half-time-rimshot": "warm pad swells, half time, rimshot",
    "bass-drone-music-box-shaker": "warm bass drone, music box melody, shaker",
}


def main() -> int:
    out = ROOT / "docs" / "images" / "idioms"
    out.mkdir(parents=True, exist_ok=True)
    base = prompt_request(next(iter(PROMPTS.values())), bars=8, tempo=76, key="Dm", mood="cozy").conditions
    piece = ComposerGenerator().generate(base)
    for name, prompt in PROMPTS.items():
        request = prompt_request(prompt, bars=8, tempo=76, key="Dm", mood="cozy")
        if request.conditions.drums != base.drums:
            request = replace(request, conditions=base)
        midi = copy.deepcopy(piece.midi)
        said = voice(midi, request.plan)
        write_piano_roll(midi, out / f"{name}.png")
        print(f"{name}: {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
