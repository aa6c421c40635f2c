"""Do the prompt's words reach the music? Every prompt of the demo's pages and the fixtures'
real plans through its sound plan, a piece generated for it and voiced, then the MIDI read
back: of the instrument words the lexicon recognised, how many play as the instrument named
(the role's part on the named program); of the kit and feel words, how many left their mark
on the drums; which idioms were played and which only asked; the instruments read by meaning
(sentence embeddings, where the lexicon read none); and the words nobody reads.

    .venv/bin/python benchmarks/eval_sound_plan.py [--model] [--bars 8]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pretty_midi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lofi_assets.core.generation.generate import ComposerGenerator, ModelGenerator  # noqa: E402
from lofi_assets.core.generation.instrument_meaning import InstrumentMeaning  # noqa: E402
from lofi_assets.core.generation.requests import prompt_request  # noqa: E402
from lofi_assets.core.generation.sound_plan import FEEL_WORDS, KIT_WORDS  # noqa: E402
from lofi_assets.core.generation.voicing import voice  # noqa: E402
from lofi_assets.core.ingest.plan_parser import parse_track_plan  # noqa: E402
from lofi_assets.core.library.embedding import Embedder  # noqa: E402
from resources.midi_model import MODEL_FILE, SHIPPED_MODEL_DIR, TOKENIZER_FILE  # noqa: E402

PAGES = {
    "demo": sorted((ROOT / "data" / "notion").glob("*.md")),
    "fixtures": sorted((ROOT.parent / "shared" / "fixtures" / "static_dreamscapes" / "notion_docs").glob("*.md")),
}


def prompts(pages: list[Path]) -> list[str]:
    out = []
    for page in pages:
        plan = parse_track_plan(page.read_text(encoding="utf-8"), key=page.stem, source=str(page))
        out += [p.text for p in plan.prompts]
    return out


def evaluate(texts: list[str], generator, bars: int, meaning) -> dict:
    named = played = kit_named = kit_played = feel_named = feel_played = 0
    idioms, unplayed, unrecognised = Counter(), Counter(), Counter()
    misses, by_meaning = [], []
    for i, text in enumerate(texts):
        request = prompt_request(text, bars=bars, seed=i, meaning=meaning)
        piece = generator.generate(request.conditions)
        report = voice(piece.midi, request.plan)
        midi = pretty_midi.PrettyMIDI(io.BytesIO(_bytes(piece.midi)))  # read back as written
        programs = {i.program for i in midi.instruments if not i.is_drum and i.notes}
        for role, part in request.plan.parts.items():
            if not part.named:
                continue
            named += 1
            if "by meaning" in part.words:
                by_meaning.append(f"{part.words} → {part.instrument}")
            if part.program in programs:
                played += 1
            else:
                misses.append(f"{text[:60]!r}: {role} {part.instrument} not heard")
            said = report.get(role, "")
            (unplayed if "asked, played as generated" in said else idioms)[part.idiom] += 1
        drums = request.plan.drums
        if drums.on:
            kits = {i.program for i in midi.instruments if i.is_drum and i.notes}
            for _kit, pattern in KIT_WORDS:
                if re.search(pattern, text.lower()):
                    kit_named += 1
                    kit_played += drums.kit_program in kits
            for feel, pattern in FEEL_WORDS.items():
                if re.search(pattern, text.lower()):
                    feel_named += 1
                    feel_played += f"{feel}:" in report.get("drums", "")
        unrecognised.update(request.plan.unrecognised)
    return {
        "prompts": len(texts),
        "instrument_words": named,
        "instrument_words_played": played,
        "kit_words": kit_named,
        "kit_words_played": kit_played,
        "feel_words": feel_named,
        "feel_words_played": feel_played,
        "idioms_played": dict(idioms),
        "idioms_asked_not_played": dict(unplayed),
        "read_by_meaning": by_meaning,
        "unrecognised_top": unrecognised.most_common(15),
        "misses": misses,
    }


# Paraphrases of instruments (the family a listener would expect) and clauses that name none:
# the set the meaning thresholds were set on.
PARAPHRASES = {
    "ukulele strums": "nylon guitar",
    "cello line": "strings",
    "soft horn section": "muted trumpet",
    "glassy bells": "celesta",
    "twinkling toy piano": "music box",
    "steel pan melody": "marimba",
    "808 sub": "synth bass",
    "mellow keys of an old electric piano": "Rhodes",
    "a lonely oboe": "clarinet",
    "bowed violin": "strings",
    "a hammond b3": "organ",
    "plucked harp-like synth": "harp",
    "acoustic picking": "nylon guitar",
    "a fat moog": "synth bass",
    "trombone": "trumpet",
    "bell tones": "celesta",
    "choir pads": "airy pad",
    "pizzicato": "strings",
    "electric keys": "Rhodes",
    "jazz horns": "muted trumpet",
    "keys like an old wurly": "Wurlitzer",
    "Fender Rhodes": "Rhodes",
    "dusty honky-tonk piano": "upright piano",
    "soft mallets": "vibraphone",
    "breathy pan pipes": "flute",
}
NO_INSTRUMENT = (
    "light rain", "late night drive", "slow fade out", "city lights passing", "deep reverb", "sleepy kick",
    "nostalgic sunset", "a quiet morning", "vinyl crackle", "tape wobble", "dreamy atmosphere", "coffee shop vibes",
    "soft and gentle", "warm analog hum", "rails and rain only", "distant thunder", "half time groove",
    "morning light", "study session", "gentle build", "snow falling", "memories of summer", "heartbeat pulse",
    "gentle waves", "fireplace crackling", "a lazy sunday", "ends on one last chord", "very quiet",
)  # fmt: skip


def evaluate_meaning(meaning) -> dict:
    read = {text: meaning(text) for text in PARAPHRASES}
    wrong = {text: m.instrument.name for text, m in read.items() if m and m.instrument.name != PARAPHRASES[text]}
    false = [text for text in NO_INSTRUMENT if meaning(text) is not None]
    return {
        "paraphrases": len(PARAPHRASES),
        "read": sum(m is not None for m in read.values()),
        "read_as_intended": sum(m is not None and m.instrument.name == PARAPHRASES[t] for t, m in read.items()),
        "read_otherwise": wrong,
        "no_instrument_clauses": len(NO_INSTRUMENT),
        "no_instrument_read_as_one": false,
    }


def _bytes(midi: pretty_midi.PrettyMIDI) -> bytes:
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="store_true", help="the shipped model (default: the composer, faster)")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "eval_sound_plan.json"))
    args = parser.parse_args()
    if args.model:
        generator = ModelGenerator.from_files(SHIPPED_MODEL_DIR / MODEL_FILE, SHIPPED_MODEL_DIR / TOKENIZER_FILE)
    else:
        generator = ComposerGenerator()
    meaning = InstrumentMeaning(Embedder(device="cpu"))
    results = {}
    for name, pages in PAGES.items():
        r = results[name] = evaluate(prompts(pages), generator, args.bars, meaning)
        print(
            f"{name}: {r['prompts']} prompts; instrument words played as named "
            f"{r['instrument_words_played']}/{r['instrument_words']}, kit words {r['kit_words_played']}/"
            f"{r['kit_words']}, feel words {r['feel_words_played']}/{r['feel_words']}"
        )
        print(f"  idioms played {r['idioms_played']}; asked, not played {r['idioms_asked_not_played']}")
        print(f"  read by meaning: {'; '.join(r['read_by_meaning']) or 'none'}")
        print(f"  unrecognised: {', '.join(f'{w} ({n})' for w, n in r['unrecognised_top'])}")
        for miss in r["misses"][:5]:
            print(f"  miss: {miss}")
    r = results["meaning"] = evaluate_meaning(meaning)
    print(
        f"meaning: {r['read']}/{r['paraphrases']} paraphrases read, {r['read_as_intended']} as intended "
        f"(otherwise: {r['read_otherwise']}); clauses naming no instrument read as one: "
        f"{len(r['no_instrument_read_as_one'])}/{r['no_instrument_clauses']}"
    )
    results["generator"] = "model" if args.model else "composer"
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
