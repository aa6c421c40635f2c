"""Making new songs: the corpus, the tokenizer and the model trained on it, MIDI for each
track's gaps, and the nightly batch."""

import io
import math
import os
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import dagster as dg
import numpy as np
import pretty_midi
from pydantic import Field

from lofi_assets import asset_files
from lofi_assets.asset_files import latest_weights, load_plan, local_dir
from lofi_assets.assets.planning import track_playlist
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.corpus import collect_operator_midi, compose_corpus, read_manifest, write_manifest
from lofi_assets.core.generation.instrument_meaning import InstrumentMeaning
from lofi_assets.core.generation.midi_analysis import first_tempo
from lofi_assets.core.generation.piano_roll import write_piano_roll
from lofi_assets.core.generation.quality import REJECT_BELOW, TARGET, rule_shares
from lofi_assets.core.generation.requests import Made, gap_requests, make_songs, nightly_requests
from lofi_assets.core.generation.tokens import (
    TokenGrammar,
    TokenizerError,
    decode_ids,
    encode_midi,
    load_tokenizer,
    tokenizer_digest,
    train_tokenizer,
)
from lofi_assets.core.planning.fill import plan_fill
from lofi_assets.core.progress import Progress
from lofi_assets.core.tables import markdown_bullets, markdown_table
from lofi_assets.partitions import daily_partitions, tracks_partitions
from lofi_assets.ui_pictures import pictures_markdown
from resources import EmbedderResource, MidiModelResource, StorageResource
from resources.midi_model import MODEL_FILE, TOKENIZER_FILE


class CorpusConfig(dg.Config):
    pieces: int = Field(default=3000, description="composer pieces, spread over tempo × key × mood")
    seed: int = 0
    workers: int = Field(default=2, description="processes composing in parallel")


@dg.asset(
    group_name="generation",
    kinds={"midi"},
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "pieces_reparse",
            asset="midi_corpus",
            description="every manifest entry exists; a sample re-parses with notes",
        )
    ],
)
def midi_corpus(
    context: dg.AssetExecutionContext, config: CorpusConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """Composer pieces spread over tempo × key × mood, plus the operator's MIDI from
    ``data/midi/`` (parsed, filtered by tempo, length and notes a second, deduplicated),
    with a manifest of labels (``manifest.jsonl``)."""
    folder = local_dir(storage, asset_files.CORPUS)
    shutil.rmtree(folder / "composer", ignore_errors=True)
    shutil.rmtree(folder / "operator", ignore_errors=True)
    entries = compose_corpus(folder, config.pieces, seed=config.seed, workers=config.workers)
    operator, rejected = collect_operator_midi(Path(os.fspath(storage.input_dir("midi"))), folder, set())
    for message in rejected:
        context.log.warning(f"operator MIDI refused: {message}")
    entries += operator
    manifest = write_manifest(folder, entries)

    rng = np.random.default_rng(0)
    sample = [entries[i] for i in rng.choice(len(entries), size=min(50, len(entries)), replace=False)]
    missing = [e.path for e in entries if not (folder / e.path).exists()]
    empty = [
        e.path for e in sample if not any(i.notes for i in pretty_midi.PrettyMIDI(str(folder / e.path)).instruments)
    ]
    moods = Counter(e.mood for e in entries)
    keys = Counter(e.key for e in entries)
    tempi = np.array([e.tempo for e in entries])
    return dg.MaterializeResult(
        metadata={
            "pieces": len(entries),
            "composer": len(entries) - len(operator),
            "operator": len(operator),
            "operator_refused": dg.MetadataValue.md(markdown_bullets(rejected)),
            "hours": round(sum(e.seconds for e in entries) / 3600, 2),
            "moods": dg.MetadataValue.md(markdown_table(["mood", "pieces"], sorted(moods.items()))),
            "keys": len(keys),
            "tempo_min": float(tempi.min()),
            "tempo_max": float(tempi.max()),
            "manifest": dg.MetadataValue.path(str(manifest)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="pieces_reparse",
                passed=not missing and not empty,
                metadata={"missing": len(missing), "empty_in_sample": len(empty)},
            )
        ],
    )


class TokenizerConfig(dg.Config):
    vocab_size: int = Field(default=3000, description="BPE vocabulary (2–4k by design)")


@dg.asset(
    group_name="generation",
    kinds={"miditok", "json"},
    deps=[midi_corpus],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec("round_trip", asset="midi_tokenizer", description="a corpus piece decodes back to its notes")
    ],
)
def midi_tokenizer(
    context: dg.AssetExecutionContext, config: TokenizerConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """miditok REMI (programs, tempos, 4/4, 16 velocities) with the conditioning tokens as
    special tokens and BPE learned on the corpus (``tokenizer.json``); the corpus encoded
    once (``tokens.npz``) for training."""
    from lofi_assets.core.generation.dataset import encode_corpus, token_data_bytes

    corpus = local_dir(storage, asset_files.CORPUS)
    entries = read_manifest(corpus)
    folder = local_dir(storage, asset_files.TOKENIZER)
    tokenizer = train_tokenizer([corpus / e.path for e in entries], config.vocab_size)
    with atomic_local_path(folder / TOKENIZER_FILE) as tmp:
        tokenizer.save(tmp)
    data = encode_corpus(tokenizer, corpus, entries)
    asset_files.TOKEN_DATA.write_bytes(storage, None, token_data_bytes(data))

    grammar = TokenGrammar(tokenizer)
    base = sum(len(grammar.base_tokens(p.ids.tolist())) for p in data.pieces[:200])
    merged = sum(len(p.ids) for p in data.pieces[:200])
    bars = sum(len(p.bar_starts) for p in data.pieces)
    probe = corpus / entries[0].path
    original = pretty_midi.PrettyMIDI(str(probe))
    back = decode_ids(tokenizer, encode_midi(tokenizer, probe), tempo=first_tempo(original))
    n_in = sum(len(i.notes) for i in original.instruments)
    n_out = sum(len(i.notes) for i in back.instruments)
    return dg.MaterializeResult(
        metadata={
            "vocab_size": len(tokenizer),
            "base_vocab": len(tokenizer.vocab),
            "tokens": data.tokens(),
            "pieces": len(data.pieces),
            "key_normalised": data.key_normalised,
            "ids_per_bar": round(data.tokens() / max(bars, 1), 1),
            "bpe_compression": round(base / max(merged, 1), 2),
            "digest": tokenizer_digest(folder / TOKENIZER_FILE),
            "path": dg.MetadataValue.path(str(folder / TOKENIZER_FILE)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="round_trip",
                passed=abs(n_in - n_out) <= 0.02 * n_in,
                metadata={"notes_in": n_in, "notes_out": n_out},
            )
        ],
    )


class ModelConfig(dg.Config):
    steps: int = Field(default=2000, description="optimiser steps of the whole run (resumes count toward it)")
    max_minutes: float | None = Field(default=None, description="stop cleanly after this long")
    batch: int = 8
    context: int = 512
    d_model: int = 384
    n_layers: int = 6
    n_heads: int = 6
    dropout: float = 0.1
    lr: float = 1e-3
    threads: int | None = Field(default=None, description="CPU threads (default: torch's choice)")
    resume: bool = Field(default=True, description="continue a checkpoint of the same shape and tokenizer")


@dg.asset(
    group_name="generation",
    kinds={"pytorch"},
    deps=[midi_tokenizer],
    code_version="1",
    pool="gpu",
    check_specs=[
        dg.AssetCheckSpec(
            "beats_unigram", asset="midi_model", description="held-out perplexity below a unigram model's"
        ),
        dg.AssetCheckSpec(
            "generates_midi", asset="midi_model", description="a four-bar piece generates and re-parses at its tempo"
        ),
    ],
)
def midi_model(
    context: dg.AssetExecutionContext, config: ModelConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """A GPT-style decoder (about 12M parameters at the defaults) trained on the tokenized
    corpus, on CUDA when present; resumable (``checkpoint.pt`` every 100 steps) within a
    step and time budget. ``model.pt`` (fp16) and the tokenizer are what generation loads."""
    from lofi_assets.core.generation.dataset import load_token_data
    from lofi_assets.core.generation.generate import ModelGenerator
    from lofi_assets.core.generation.model import GPTConfig, export_for_generation
    from lofi_assets.core.generation.training import TrainConfig, default_device, train

    tok_dir = local_dir(storage, asset_files.TOKENIZER)
    tokenizer = load_tokenizer(tok_dir / TOKENIZER_FILE)
    grammar = TokenGrammar(tokenizer)
    data = load_token_data(asset_files.TOKEN_DATA.local_path(storage), grammar.bar_start_ids)
    folder = local_dir(storage, asset_files.MODEL)
    checkpoint = folder / "checkpoint.pt"
    if not config.resume:
        checkpoint.unlink(missing_ok=True)
    model_cfg = GPTConfig(
        vocab_size=len(tokenizer),
        context=config.context,
        d_model=config.d_model,
        n_layers=config.n_layers,
        n_heads=config.n_heads,
        dropout=config.dropout,
    )
    train_cfg = TrainConfig(
        steps=config.steps,
        batch=config.batch,
        lr=config.lr,
        threads=config.threads,
        max_seconds=config.max_minutes * 60 if config.max_minutes else None,
        eval_every=max(1, min(200, config.steps // 5)),
        checkpoint_every=100,
        warmup=min(100, max(1, config.steps // 10)),
    )
    digest = tokenizer_digest(tok_dir / TOKENIZER_FILE)
    report = train(data, model_cfg, train_cfg, checkpoint, digest, device=default_device(), log=context.log.info)

    export_for_generation(checkpoint, folder / MODEL_FILE, digest, report=report.to_dict())
    shutil.copyfile(tok_dir / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    smoke = ModelGenerator.from_files(folder / MODEL_FILE, folder / TOKENIZER_FILE).generate(
        Conditions.parse(75, "Am", "cozy", bars=4, seed=0)
    )
    history = [(h["step"], h["train_loss"], h["val_loss"], round(math.exp(h["val_loss"]), 2)) for h in report.history]
    return dg.MaterializeResult(
        metadata={
            "parameters": report.parameters,
            "steps": report.steps,
            "resumed_from": report.resumed_from,
            "device": report.device,
            "seconds": report.seconds,
            "tokens_per_s": report.tokens_per_s,
            "held_out_loss": report.val_loss,
            "held_out_perplexity": report.val_perplexity,
            "unigram_perplexity": report.unigram_perplexity,
            "history": dg.MetadataValue.md(markdown_table(["step", "train", "held-out", "ppl"], history)),
            "path": dg.MetadataValue.path(str(folder / MODEL_FILE)),
        },
        check_results=[
            dg.AssetCheckResult(check_name="beats_unigram", passed=report.val_perplexity < report.unigram_perplexity),
            dg.AssetCheckResult(
                check_name="generates_midi",
                passed=abs(first_tempo(smoke.midi) - 75) < 0.01 and smoke.tokens > 0,
                metadata={"tokens": smoke.tokens},
            ),
        ],
    )


def write_made(folder: Path, made: list[Made]) -> list[dict]:
    """Write each piece's MIDI and its piano roll (temp names, then rename; rejected ones
    under ``rejected/``) and return report rows."""
    rows = []
    for m in made:
        row = {
            "name": m.name,
            "conditions": m.conditions,
            "generator": m.generator,
            "score": m.score,
            "candidates": m.candidates,
            "seconds": m.seconds,
            "tokens": m.tokens,
            "approved": m.approved,
            "error": m.error,
        }
        if m.voiced:
            row["voiced"] = m.voiced
        if m.midi:
            sub = "" if m.approved else "rejected/"
            path = folder / f"{sub}{m.name}.mid"
            with atomic_local_path(path) as tmp:
                tmp.write_bytes(m.midi)
            row["file"] = str(path.relative_to(folder))
            roll = write_piano_roll(pretty_midi.PrettyMIDI(io.BytesIO(m.midi)), path.with_suffix(".png"))
            row["piano_roll"] = str(roll.relative_to(folder))
        rows.append(row)
    return rows


def piano_roll_metadata(folder: Path, rows: list[dict], count: int = 3) -> dict:
    """Paths of the first few pieces' piano rolls: people would rather look than read."""
    rolls = [r["piano_roll"] for r in rows if r.get("piano_roll")][:count]
    paths = {f"piano_roll_{i + 1}": dg.MetadataValue.path(str(folder / roll)) for i, roll in enumerate(rolls)}
    return {**paths, "piano_rolls": pictures_markdown([(roll, folder / roll) for roll in rolls])}


def verify_midi(folder: Path, rows: list[dict]) -> list[str]:
    """Re-parse every written file: it must decode, hold notes and carry its tempo."""
    problems = []
    for row in rows:
        if not row.get("file"):
            continue
        try:
            midi = pretty_midi.PrettyMIDI(str(folder / row["file"]))
        except Exception as exc:
            problems.append(f"{row['file']}: {exc}")
            continue
        if not any(i.notes for i in midi.instruments):
            problems.append(f"{row['file']}: no notes")
        if abs(first_tempo(midi) - row["conditions"]["tempo"]) > 0.01:
            problems.append(f"{row['file']}: tempo {first_tempo(midi):.2f}, asked {row['conditions']['tempo']}")
    return problems


def generator_spec(midi_generator: MidiModelResource, storage: StorageResource, what: str):
    """The generator to use, or a failure that names the files and the way out."""
    from lofi_assets.core.generation.model import CheckpointError

    try:
        return midi_generator.spec(local_dir(storage, asset_files.MODEL))
    except (CheckpointError, TokenizerError) as exc:
        raise dg.Failure(
            f"{what}: the MIDI model cannot be loaded: {exc}. Materialize midi_model, point "
            "LOFI_MIDI_MODEL_DIR at a model folder, or set LOFI_COMPOSER_FALLBACK=1 to use the "
            "rule-based composer",
            allow_retries=False,
        ) from exc


class GapSongsConfig(dg.Config):
    candidates: int = Field(default=4, description="candidates per gap; the best by score is kept")
    bars: int | None = Field(
        default=None,
        description="length of every piece (default: from the plan's target duration over its prompts, 1.5–4 minutes)",
    )
    workers: int | None = Field(default=None, description="processes (default: every core)")
    takes: int | None = Field(
        default=None,
        description="pieces per gap prompt (a, b, c…: other seeds); default: as many as the video's length needs "
        "so no song plays more than twice or within 20 minutes of itself",
    )
    target_minutes: float | None = Field(
        default=None, description="the video's length the takes are made for; default: the plan's (as track_mix)"
    )
    stop_at: float | None = Field(
        default=TARGET,
        description="stop a gap's candidates at the first approved one scoring at least this (the scorer's "
        "target); null: always make every candidate",
    )


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="generation",
    kinds={"midi", "pytorch"},
    deps=[track_playlist, midi_model],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "gap_midi_valid",
            asset="gap_songs",
            description="every gap has a MIDI file that re-parses at its tempo and is approved: "
            "scored at or above 0.70 with every arrangement rule kept",
        )
    ],
)
def gap_songs(
    context: dg.AssetExecutionContext,
    config: GapSongsConfig,
    storage: StorageResource,
    midi_generator: MidiModelResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """MIDI for every gap of the track's playlist, conditioned on the arc's BPM range, the
    key the prompt or plan names (else a usual key of the mood's mode) and the mood its
    words speak for, without drums when the prompt asks for none; the best of N candidates
    by the quality scorer (approved ones first: 0.70 and every arrangement rule), with a
    piano roll of each beside its MIDI."""
    key = context.partition_key
    plan = load_plan(storage, key)
    playlist = asset_files.PLAYLIST.require(storage, key)
    gaps = [p for p in playlist.get("prompts", []) if not p.get("song_id")]
    fill = gap_fill(plan, playlist, gaps, config)
    takes = {arc: f.takes for arc, f in fill.items()}
    # instruments named in words the lexicon does not read are read by meaning
    meaning = InstrumentMeaning(embedder.embedder(cache_dir=storage.asset_dir(asset_files.EMBEDDING_CACHE)))
    requests = gap_requests(plan, gaps, bars=config.bars, takes=takes, meaning=meaning)
    spec, origin = generator_spec(midi_generator, storage, f"track {key}")
    context.log.info(f"generator: {origin}")
    progress = Progress(f"gap_songs {key}", len(requests), log=context.log.info)
    made = make_songs(
        spec,
        requests,
        candidates=config.candidates,
        workers=config.workers,
        done=lambda m: progress.step(m.summary()),
        good_enough=config.stop_at,
    )
    progress.finish()
    folder = local_dir(storage, asset_files.GAP_SONGS.asset, key)
    rows = write_made(folder, made)
    for row, request in zip(rows, requests):
        row.update(
            {
                "arc": request.arc,
                "number": request.number,
                "take": request.take,
                "prompt": request.prompt,
                "why": request.why,
                **({"sound_plan": request.plan.to_dict()} if request.plan else {}),
            }
        )
    asset_files.GAP_SONGS.write(
        storage,
        key,
        {"track": key, "generator": origin, "fill": [f.to_dict() for f in fill.values()], "songs": rows},
    )
    problems = verify_midi(folder, rows)
    short = [r["name"] for r in rows if not r["approved"]]
    table = [
        (
            r["arc"],
            r["number"],
            r["conditions"]["tempo"],
            r["conditions"]["key"],
            r["conditions"]["mood"],
            r["conditions"]["bars"],
            r["score"].get("combined"),
            len(r["candidates"]),
            r["generator"],
        )
        for r in rows
    ]
    if short:
        context.log.warning(f"track {key}: {len(short)} gap(s) below {REJECT_BELOW}: {short}")
    return dg.MaterializeResult(
        metadata={
            "gaps": len(gaps),
            "pieces": len(requests),
            "takes_per_arc": ", ".join(f"arc {arc}: {n}" for arc, n in takes.items() if n) or "none",
            "approved": len(rows) - len(short),
            "generator": origin,
            "mean_score": round(float(np.mean([r["score"]["combined"] for r in rows if r["score"]] or [0])), 4),
            "arrangement_rules": rule_shares([r["score"] for r in rows]),
            **piano_roll_metadata(folder, rows),
            "songs": dg.MetadataValue.md(
                markdown_table(["arc", "#", "bpm", "key", "mood", "bars", "score", "tries", "generator"], table)
            ),
            "sound_plans": dg.MetadataValue.md(sound_plan_table(requests)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="gap_midi_valid",
                passed=not problems and not short,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": dg.MetadataValue.md(markdown_bullets(problems + short))},
            )
        ],
    )


def sound_plan_table(requests: list) -> str:
    """Prompt words → what plays, for each gap prompt (its first take: the takes share it)."""
    rows = []
    for r in requests:
        if r.take == 0 and r.plan is not None:
            rows += [(f"{r.arc}.{r.number}", words, what) for words, what in r.plan.table()]
    return markdown_table(["prompt", "words", "what plays"], rows)


def gap_fill(plan, playlist: dict, gaps: list[dict], config: GapSongsConfig) -> dict:
    """Per arc, how many takes each gap prompt gets (``core.planning.fill``): from the
    video's length, the library songs already in the arc (assigned and alternates) and the
    length one gap piece will have."""
    minutes = config.target_minutes or plan.target_duration_min
    per_arc, gaps_per_arc, library_s = {}, {}, {}
    for p in playlist.get("prompts", []):
        per_arc[p["arc"]] = per_arc.get(p["arc"], 0) + 1
        library_s[p["arc"]] = (
            library_s.get(p["arc"], 0.0) + (p.get("song_s") or 0.0) + sum(a["seconds"] for a in p.get("alternates", []))
        )
    for g in gaps:
        gaps_per_arc[g["arc"]] = gaps_per_arc.get(g["arc"], 0) + 1
    one_take = gap_requests(plan, gaps, bars=config.bars)
    song_s = float(np.mean([r.seconds for r in one_take])) if one_take else 0.0
    fill = plan_fill(minutes * 60 if minutes else None, per_arc, library_s, gaps_per_arc, song_s)
    if config.takes:
        fill = {arc: replace(f, takes=config.takes if f.gaps else 0) for arc, f in fill.items()}
    return fill


class NightlyConfig(dg.Config):
    batch: int = Field(default=50, description="pieces a night")
    bars: int = Field(default=48, description="length of each piece (48 bars ≈ 2.5 minutes at 75 BPM)")
    workers: int | None = Field(default=None, description="processes (default: every core)")
    use_feedback: bool = Field(
        default=True,
        description="weight moods, tempi and palettes by the newest channel report's "
        "bandit (what holds viewers); off: evenly spread",
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="generation",
    kinds={"midi", "pytorch"},
    deps=[midi_model],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "batch_valid", asset="nightly_songs", description="every written piece re-parses at its tempo"
        )
    ],
)
def nightly_songs(
    context: dg.AssetExecutionContext,
    config: NightlyConfig,
    storage: StorageResource,
    midi_generator: MidiModelResource,
) -> dg.MaterializeResult:
    """The night's batch: pieces spread over moods, tempi and keys, fixed by the date (a
    backfill of any date makes that date's batch again), scored; approved pieces in the
    partition's folder, rejected ones under ``rejected/``, and ``report.json``."""
    day = context.partition_key
    feedback = latest_weights(storage, day, with_evidence=True) if config.use_feedback else None
    requests = nightly_requests(
        day,
        config.batch,
        config.bars,
        *((feedback.weights("mood"), feedback.weights("tempo"), feedback.weights("palette")) if feedback else ()),
    )
    steer = (
        f"weighted by channel_report {feedback.day} ({feedback.videos_used} videos' retention)"
        if feedback
        else "evenly spread (no channel report with retention yet)"
        if config.use_feedback
        else "evenly spread (use_feedback off)"
    )
    context.log.info(f"conditions: {steer}")
    spec, origin = generator_spec(midi_generator, storage, f"nightly batch {day}")
    context.log.info(f"generator: {origin}")
    progress = Progress(f"nightly_songs {day}", len(requests), items="pieces", log=context.log.info)
    made = make_songs(spec, requests, candidates=1, workers=config.workers, done=lambda m: progress.step(m.summary()))
    progress.finish()
    folder = local_dir(storage, asset_files.NIGHTLY_REPORT.asset, day)
    shutil.rmtree(folder / "rejected", ignore_errors=True)
    rows = write_made(folder, made)
    for row, request in zip(rows, requests):
        row["palette"] = request.plan.palette if request.plan else None
    scores = [r["score"]["combined"] for r in rows if r["score"]]
    approved = sum(r["approved"] for r in rows)
    report = {
        "date": day,
        "generator": origin,
        "made": len(rows),
        "approved": approved,
        "rejected": len(rows) - approved,
        "failed": sum(1 for r in rows if r["error"]),
        "mean_score": round(float(np.mean(scores)), 4) if scores else None,
        "seconds": round(sum(r["seconds"] for r in rows), 1),
        "arrangement_rules": rule_shares([r["score"] for r in rows]),
        "pieces": rows,
    }
    asset_files.NIGHTLY_REPORT.write(storage, day, report)
    problems = verify_midi(folder, rows)
    by_mood = Counter((r["conditions"]["mood"], r["approved"]) for r in rows)
    mood_rows = [(m, by_mood[(m, True)], by_mood[(m, False)]) for m in sorted({m for m, _ in by_mood})]
    by_palette = Counter((r["palette"], r["approved"]) for r in rows)
    palette_rows = [(p, by_palette[(p, True)], by_palette[(p, False)]) for p in sorted({p for p, _ in by_palette if p})]
    return dg.MaterializeResult(
        metadata={k: report[k] for k in ("made", "approved", "rejected", "failed", "mean_score", "seconds")}
        | {
            "generator": origin,
            "conditions": steer,
            "by_mood": dg.MetadataValue.md(markdown_table(["mood", "approved", "rejected"], mood_rows)),
            "by_palette": dg.MetadataValue.md(markdown_table(["palette", "approved", "rejected"], palette_rows)),
            "arrangement_rules": report["arrangement_rules"],
            **piano_roll_metadata(folder, rows),
            "report": dg.MetadataValue.path(str(folder / "report.json")),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="batch_valid",
                passed=not problems,
                metadata={"problems": dg.MetadataValue.md(markdown_bullets(problems))},
            )
        ],
    )
