"""Production: gap MIDI rendered and coloured, library stems, the long mix, and the master
with the blocking checks that gate publishing; the nightly batch rendered into the library."""

import math
import os
from pathlib import Path

import dagster as dg
from pydantic import Field

from lofi_assets import asset_files
from lofi_assets.asset_files import load_plan, local_dir
from lofi_assets.assets.choices import ChoiceConfig
from lofi_assets.assets.generation import gap_songs, nightly_songs
from lofi_assets.assets.library import song_stems
from lofi_assets.assets.planning import track_playlist
from lofi_assets.core.audio_io import AudioInputError, AudioSource
from lofi_assets.core.library.catalog import library_files
from lofi_assets.core.partition_keys import seed_of
from lofi_assets.core.planning.fill import MAX_PLAYS, MIN_REPLAY_S
from lofi_assets.core.production import master_rules as rules
from lofi_assets.core.production.audio_picture import AudioPictureError, write_audio_picture
from lofi_assets.core.production.colour import ColourPresetName
from lofi_assets.core.production.evening import song_loudness_rows, song_spans
from lofi_assets.core.production.master import Outputs, master_file
from lofi_assets.core.production.master_rules import LossyFormat, MasterError, MasterPresetName, preset_named
from lofi_assets.core.production.mix import (
    MIN_PIECE_S,
    DurationPolicy,
    MixError,
    MixSong,
    arc_fill,
    plan_mix,
    play_counts,
    render_mix,
)
from lofi_assets.core.production.render import SONG_CORRELATION_RANGE, RenderError
from lofi_assets.core.production.sound_stage import sound_plan_problems
from lofi_assets.core.progress import Progress, logged_to_progress
from lofi_assets.core.tables import markdown_bullets, markdown_table
from lofi_assets.partitions import daily_partitions, tracks_partitions
from lofi_assets.ui_pictures import pictures_markdown
from resources import RendererResource, StorageResource

SOUND_AS_PLANNED = "sound_as_planned"


def heard_table(rows: list[dict]) -> str:
    """Per song, what its sound plan put in: each layer at its measured level, each effect
    and its mark."""
    table = []
    for r in rows:
        heard = r.get("heard") or {}
        for layer in heard.get("layers", []):
            table.append((r["name"], f"layer: {layer['texture']}", f"{layer['measured_db']:+.1f} dB", layer["why"]))
        for effect in heard.get("effects", []):
            mark = effect["mark"]
            said = f"{mark['measure']}: {mark.get('dry', '')} → {mark['wet']}" if "dry" in mark else mark["measure"]
            table.append((r["name"], f"effect: {effect['name']}", "heard" if mark["heard"] else "NOT heard", said))
        for note in heard.get("notes", []):
            table.append((r["name"], "note", "", note))
    if not table:
        return "No song's prompt names a texture or an effect."
    return markdown_table(["song", "what", "level / mark", "how"], table)


class RenderConfig(ChoiceConfig):
    preset: ColourPresetName | None = Field(
        default=None, description="lo-fi colour preset (clean, tape, vinyl, dusty); default: the renderer resource's"
    )


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="production",
    kinds={"audio", "wav"},
    deps=[gap_songs],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "renders_decode",
            asset="rendered_songs",
            description="every gap song's WAV decodes, is as long as its MIDI and is not silent",
        ),
        dg.AssetCheckSpec(
            "stereo_image",
            asset="rendered_songs",
            description="every render's left/right correlation lies within 0.6–0.9 (placed parts, not mono)",
        ),
        dg.AssetCheckSpec(
            SOUND_AS_PLANNED,
            asset="rendered_songs",
            description="every song carries the texture layers its sound plan names, each within 1 dB of its "
            "level (measured in its stem), and every planned effect left its mark; a song without them has none",
        ),
    ],
)
def rendered_songs(
    context: dg.AssetExecutionContext, config: RenderConfig, storage: StorageResource, renderer: RendererResource
) -> dg.MaterializeResult:
    """Each gap song's MIDI rendered with the General MIDI soundfont at 44.1 kHz stereo and
    given the lo-fi colour (one WAV per gap, ``rendered.json`` beside them)."""
    import pretty_midi

    key = context.partition_key
    manifest = asset_files.GAP_SONGS.require(storage, key)
    midi_dir = local_dir(storage, asset_files.GAP_SONGS.asset, key)
    folder = local_dir(storage, asset_files.RENDERED.asset, key)
    rows, problems = [], []
    to_render = [s for s in manifest["songs"] if s.get("file") and s.get("approved")]
    progress = Progress(f"rendered_songs {key}", len(to_render), log=context.log.info)
    for song in to_render:
        midi = midi_dir / song["file"]
        try:
            row = renderer.render_file(
                midi,
                folder / f"{song['name']}.wav",
                seed_of(key, song["name"]),
                config.preset,
                sound_plan=song.get("sound_plan"),
            )
        except (RenderError, AudioInputError) as exc:
            problems.append(f"{song['name']}: {exc}")
            continue
        try:
            row["picture"] = write_audio_picture(folder / row["file"], folder / f"{song['name']}.png").name
        except AudioPictureError as exc:
            problems.append(f"{song['name']}: {exc}")
        expected = pretty_midi.PrettyMIDI(str(midi)).get_end_time()
        if row["seconds"] < expected or row["lufs"] is None:
            problems.append(f"{row['file']}: {row['seconds']} s for {expected:.1f} s of MIDI, {row['lufs']} LUFS")
        rows.append(
            row
            | {
                "name": song["name"],
                "arc": song["arc"],
                "number": song["number"],
                "prompt": song.get("prompt"),
                "take": song.get("take", 0),
                "midi_seconds": round(expected, 2),
            }
        )
        progress.step(f"{song['name']}: {row['seconds']:.0f} s of audio, correlation {row.get('correlation')}")
    progress.finish()
    preset = config.preset or renderer.colour_preset
    plans = {song["name"]: song.get("sound_plan") for song in to_render}
    sound_problems = [
        f"{r['name']}: {problem}" for r in rows for problem in sound_plan_problems(plans.get(r["name"]), r.get("heard"))
    ]
    lo, hi = SONG_CORRELATION_RANGE
    off_stage = [f"{r['file']}: {r['correlation']}" for r in rows if not lo <= r["correlation"] <= hi]
    asset_files.RENDERED.write(
        storage, key, {"track": key, "preset": preset, "soundfont": str(renderer.soundfont_path()), "songs": rows}
    )
    return dg.MaterializeResult(
        metadata={
            "songs": len(rows),
            "preset": preset,
            "soundfont": renderer.soundfont_path().name,
            "minutes": round(sum(r["seconds"] for r in rows) / 60, 2),
            **{
                f"picture_{i + 1}": dg.MetadataValue.path(str(folder / r["picture"]))
                for i, r in enumerate([r for r in rows if r.get("picture")][:3])
            },
            "pictures": pictures_markdown([(r["file"], folder / r["picture"]) for r in rows if r.get("picture")][:3]),
            "heard": dg.MetadataValue.md(heard_table(rows)),
            "renders": dg.MetadataValue.md(
                markdown_table(
                    ["arc", "#", "file", "seconds", "LUFS", "peak dBFS", "correlation"],
                    [
                        (r["arc"], r["number"], r["file"], r["seconds"], r["lufs"], r["peak_dbfs"], r["correlation"])
                        for r in rows
                    ],
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="renders_decode",
                passed=not problems,
                metadata={"problems": dg.MetadataValue.md(markdown_bullets(problems))},
            ),
            dg.AssetCheckResult(
                check_name=SOUND_AS_PLANNED,
                passed=not sound_problems,
                metadata={
                    "layers": sum(len(r.get("heard", {}).get("layers", [])) for r in rows),
                    "effects": sum(len(r.get("heard", {}).get("effects", [])) for r in rows),
                    "problems": dg.MetadataValue.md(markdown_bullets(sound_problems)),
                },
            ),
            dg.AssetCheckResult(
                check_name="stereo_image",
                passed=bool(rows) and not off_stage,
                metadata={
                    "range": f"{lo}–{hi}",
                    "outside": dg.MetadataValue.md(markdown_bullets(off_stage)),
                    "correlations": ", ".join(str(r["correlation"]) for r in rows),
                },
            ),
        ],
    )


class MixConfig(ChoiceConfig):
    policy: DurationPolicy = Field(
        default=DurationPolicy.distinct,
        description="distinct: every song at most twice, never within 20 minutes of itself; extend: each arc's "
        "songs again; repeat: the whole sequence again; trim: every song once",
    )
    crossfade_s: float = Field(default=5.0, description="equal-power crossfade between songs")
    fade_in_s: float = 3.0
    fade_out_s: float = 8.0
    level_lufs: float = Field(default=-18.0, description="every song is matched to this loudness")
    target_minutes: float | None = Field(
        default=None, description="length of the mix; default: the plan's target duration (a demo may ask for less)"
    )


def mix_songs(storage: StorageResource, key: str, playlist: dict, rendered: dict | None) -> list[MixSong]:
    """The playlist's songs as files: library songs (their instrumental when stems say
    they have vocals), the other library songs that pass for a prompt, and the rendered gap
    songs with their takes."""
    files = {f.key: f.path for f in library_files(storage.input_dir("library"))[0]}
    arc_names = {a["arc"]: a.get("name", "") for a in playlist.get("arcs", [])}

    def library_song(song_id: str, prompt: dict, take: int) -> MixSong:
        if song_id not in files:
            raise dg.Failure(f"track {key}: song {song_id} is in the playlist but not in the library folder")
        path, kind = files[song_id], "library"
        stems = asset_files.STEMS_INFO.read(storage, song_id) or {}
        instrumental = asset_files.INSTRUMENTAL.path(storage, song_id)
        if stems.get("has_vocals") and instrumental.exists():
            path, kind = Path(os.fspath(instrumental)), "instrumental"
        analysis = asset_files.SONG_ANALYSIS.read(storage, song_id) or {}
        seconds = analysis.get("duration_s")
        if not seconds:
            with AudioSource(path) as source:
                seconds = source.seconds
        arc = prompt["arc"]
        return MixSong(
            song_id,
            str(path),
            float(seconds),
            arc,
            arc_names.get(arc, ""),
            prompt["number"],
            prompt.get("text", ""),
            kind,
            take,
        )

    songs = []
    for prompt in playlist.get("prompts", []):
        if prompt.get("song_id"):
            songs.append(library_song(prompt["song_id"], prompt, 0))
        songs += [library_song(a["song_id"], prompt, 1) for a in prompt.get("alternates", [])]
    folder = local_dir(storage, asset_files.RENDERED.asset, key)
    for row in (rendered or {}).get("songs", []):
        songs.append(
            MixSong(
                row["name"],
                str(folder / row["file"]),
                float(row["seconds"]),
                row["arc"],
                arc_names.get(row["arc"], ""),
                row["number"],
                row.get("prompt") or "",
                "generated",
                row.get("take", 0),
            )
        )
    return songs


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="production",
    kinds={"audio", "wav"},
    deps=[track_playlist, rendered_songs, song_stems],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "mix_valid", asset="track_mix", description="mix.wav decodes at the planned length and is not silent"
        )
    ],
)
def track_mix(context: dg.AssetExecutionContext, config: MixConfig, storage: StorageResource) -> dg.MaterializeResult:
    """The playlist's songs (reused and rendered) in arc order, each matched to −18 LUFS,
    joined by equal-power crossfades, faded in and out, filling the plan's duration by the
    chosen policy; ``mix.wav`` (32-bit float) and ``mix.json`` with the chapter list."""
    key = context.partition_key
    plan = load_plan(storage, key)
    playlist = asset_files.PLAYLIST.require(storage, key)
    rendered = asset_files.RENDERED.read(storage, key)
    songs = mix_songs(storage, key, playlist, rendered)
    minutes = config.target_minutes or plan.target_duration_min
    target_s = minutes * 60 if minutes else None
    per_arc = {}
    for p in plan.prompts:
        per_arc[p.arc] = per_arc.get(p.arc, 0) + 1
    mix_wav = asset_files.MIX.local_path(storage, key)
    try:
        placements = plan_mix(songs, target_s, config.policy, config.crossfade_s, per_arc)
        result = render_mix(
            songs,
            placements,
            mix_wav,
            crossfade_s=config.crossfade_s,
            fade_in_s=config.fade_in_s,
            fade_out_s=config.fade_out_s,
            level_lufs=config.level_lufs,
        )
    except (MixError, AudioInputError) as exc:
        raise dg.Failure(f"track {key}: {exc}", allow_retries=False) from None
    result.target_s = target_s
    counts = play_counts(placements, songs)
    arcs = arc_fill(placements, songs, target_s, per_arc, config.crossfade_s)
    info = {
        "track": key,
        "policy": config.policy,
        "fade_in_s": config.fade_in_s,
        "fade_out_s": config.fade_out_s,
        "target_s": target_s,
        "target_source": "run config" if config.target_minutes else "plan",
        "takes": sum(s.take > 0 and s.kind == "generated" for s in songs),
        "alternates": sum(s.take > 0 and s.kind != "generated" for s in songs),
        **counts,
        "arc_fill": arcs,
        **result.__dict__,
    }
    asset_files.MIX_INFO.write(storage, key, info)
    with AudioSource(mix_wav) as back:
        seconds = back.seconds
    problems = []
    if abs(seconds - result.seconds) > 0.05:
        problems.append(f"mix.wav holds {seconds:.2f} s, {result.seconds:.2f} s were written")
    if target_s and abs(seconds - target_s) > 0.5 and config.policy != "trim":
        short = [
            f"arc {a['arc']} {a['filled_s']:.0f} of {a['share_s']:.0f} s ({a['songs']} songs)"
            for a in arcs
            if a["share_s"] and a["filled_s"] < a["share_s"] - MIN_PIECE_S
        ]
        problems.append(
            f"{seconds:.1f} s for a target of {target_s:.1f} s"
            + (f"; songs ran out (each plays at most twice, 20 minutes apart): {', '.join(short)}" if short else "")
        )
    if not math.isfinite(result.peak_dbfs):
        problems.append("silent")
    if config.policy == DurationPolicy.distinct:
        if counts["most_plays"] > MAX_PLAYS:
            problems.append(f"a song plays {counts['most_plays']} times (at most {MAX_PLAYS})")
        if counts["closest_replay_s"] is not None and counts["closest_replay_s"] < MIN_REPLAY_S:
            problems.append(f"a song comes round after {counts['closest_replay_s']:.0f} s (at least {MIN_REPLAY_S} s)")
    chapters = [
        (f"{int(c['start_s'] // 60):02d}:{int(c['start_s'] % 60):02d}", c["arc"], c["song_id"], c["kind"], c["play"])
        for c in result.chapters
    ]
    return dg.MaterializeResult(
        metadata={
            "minutes": round(seconds / 60, 2),
            "target_minutes": round(target_s / 60, 2) if target_s else None,
            "policy": config.policy,
            "songs": len(songs),
            "placements": len(placements),
            "distinct_songs": counts["distinct_songs"],
            "most_plays": counts["most_plays"],
            "closest_replay_minutes": round(counts["closest_replay_s"] / 60, 1) if counts["closest_replay_s"] else None,
            "takes": info["takes"],
            "alternates": info["alternates"],
            "generated": sum(s.kind == "generated" for s in songs),
            "instrumentals": sum(s.kind == "instrumental" for s in songs),
            "peak_dbfs": result.peak_dbfs,
            "chapters": dg.MetadataValue.md(markdown_table(["start", "arc", "song", "kind", "play"], chapters)),
            "path": dg.MetadataValue.path(str(mix_wav)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="mix_valid", passed=not problems, metadata={"problems": "; ".join(problems) or "none"}
            )
        ],
    )


class MasterConfig(ChoiceConfig):
    preset: MasterPresetName = Field(
        default=MasterPresetName.streaming, description="streaming (−14 LUFS, −1 dBTP), cd, vinyl or club"
    )
    lossy: LossyFormat = Field(
        default=LossyFormat.aac,
        description="the lossy copy: aac (384 kbps, 48 kHz; the video carries it as it is) or mp3 (VBR ~190 kbps)",
    )


def master_checks(report, target_s: float | None, songs: list[dict] | None = None) -> list[dg.AssetCheckResult]:
    """The blocking checks, judged by the rules of ``core.production.master_rules``."""
    m = report.measured
    independent = report.verification.get("integrated_lufs")

    def check(name: str, passed: bool, **metadata) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            check_name=name, passed=bool(passed), severity=dg.AssetCheckSeverity.ERROR, metadata=metadata
        )

    return [
        check(
            rules.LOUDNESS_ON_TARGET,
            rules.loudness_on_target(m.integrated_lufs, independent, report.target_lufs),
            lufs=round(m.integrated_lufs, 3),
            target=report.target_lufs,
            independent=independent,
            independent_meter=report.verification.get("meter"),
        ),
        check(
            rules.TRUE_PEAK_UNDER_CEILING,
            m.true_peak_dbtp <= report.ceiling_dbtp,
            true_peak_dbtp=round(m.true_peak_dbtp, 3),
            ceiling=report.ceiling_dbtp,
        ),
        check(rules.DYNAMIC_RANGE, m.dynamic_range_db > rules.MIN_DYNAMIC_RANGE_DB, dr_db=round(m.dynamic_range_db, 2)),
        check(rules.STEREO_CORRELATION, rules.correlation_in_range(m.correlation), correlation=round(m.correlation, 3)),
        check(rules.NO_CLIPPING, m.clipped_samples == 0, clipped_samples=m.clipped_samples),
        check(
            rules.DURATION_MATCHES_PLAN,
            rules.duration_matches(m.duration_s, target_s),
            seconds=round(m.duration_s, 2),
            target_s=round(target_s, 2) if target_s else None,
        ),
        check(
            rules.EVEN_LOUDNESS,
            all(
                abs(row["off_lu"]) <= rules.EVEN_LOUDNESS_LU
                for row in songs or []
                if row["judged"] and row["off_lu"] is not None
            )
            and all(row["off_lu"] is not None for row in songs or [] if row["judged"]),
            within_lu=rules.EVEN_LOUDNESS_LU,
            songs=dg.MetadataValue.md(
                markdown_table(
                    ["song", "from", "LUFS", "off the median (LU)"],
                    [
                        (r["song_id"], r["start_s"], r["lufs"], r["off_lu"] if r["judged"] else "in a fade")
                        for r in songs or []
                    ],
                )
            ),
            widest_lu=max((abs(r["off_lu"]) for r in songs or [] if r["off_lu"] is not None), default=None),
        ),
    ]


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="production",
    kinds={"audio", "wav", "aac"},
    deps=[track_mix],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(name, asset="track_master", description=text, blocking=True)
        for name, text in rules.BLOCKING_CHECKS.items()
    ],
)
def track_master(
    context: dg.AssetExecutionContext, config: MasterConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """The mix mastered: EQ and glue compression, gain found by secant steps into a
    true-peak limiter, verified by our meters and pyloudnorm; ``master.wav`` (24-bit),
    ``master_16bit.wav`` (TPDF dither) and the lossy file for the video. Blocking checks:
    a failing one stops publishing of this track."""
    key = context.partition_key
    mix = asset_files.MIX_INFO.require(storage, key)
    preset = preset_named(config.preset)
    outputs = Outputs(
        asset_files.MASTER.local_path(storage, key),
        asset_files.MASTER_16BIT.local_path(storage, key),
        asset_files.MASTER_LOSSY[config.lossy].local_path(storage, key),
    )
    try:
        report = master_file(
            Path(mix["path"]),
            outputs,
            preset,
            even_spans=song_spans(mix, mix.get("seconds")),
            log=logged_to_progress(context.log.info, f"track_master {key}"),
        )
    except MasterError as exc:
        misses = getattr(exc, "report", None) and exc.report.misses  # a MasterMiss: made, but a figure missed
        raise dg.Failure(
            f"track {key}: {exc}", allow_retries=False, metadata={"misses": "; ".join(misses)} if misses else None
        ) from None
    songs = song_loudness_rows(outputs.wav24, mix, report.measured.duration_s)
    picture = write_audio_picture(outputs.wav24, outputs.wav24.with_suffix(".png"))
    checks = master_checks(report, mix.get("target_s"), songs)
    # The verdicts travel with the master: publishing reads them before any request.
    asset_files.MASTER_INFO.write(
        storage,
        key,
        report.to_dict()
        | {
            "target_s": mix.get("target_s"),
            "chapters": mix.get("chapters", []),
            "checks": {c.check_name: c.passed for c in checks},
            "songs": songs,
        },
    )
    m = report.measured
    passes = [(i + 1, p["kind"], p["gain_db"], p["lufs"]) for i, p in enumerate(report.passes)]
    return dg.MaterializeResult(
        metadata={
            "preset": preset.name,
            "integrated_lufs": round(m.integrated_lufs, 3),
            "true_peak_dbtp": round(m.true_peak_dbtp, 3),
            "loudness_range_lu": round(m.loudness_range_lu, 2),
            "plr_db": round(m.plr_db, 2),
            "dynamic_range_db": round(m.dynamic_range_db, 2),
            "correlation": round(m.correlation, 3),
            "minutes": round(m.duration_s / 60, 2),
            "pyloudnorm_lufs": report.verification.get("integrated_lufs"),
            "lossy_true_peak_dbtp": report.lossy.get("true_peak_dbtp"),
            "gain_db": report.gain_db,
            "song_gains_db": ", ".join(f"{g:+.2f}" for g in report.span_gains_db) or "none",
            "width_side_gain_db": report.width.get("side_gain_db", 0.0),
            "correlation_before_width": report.width.get("correlation_before"),
            "seconds": report.seconds,
            "passes": dg.MetadataValue.md(markdown_table(["pass", "kind", "gain dB", "LUFS"], passes)),
            "path": dg.MetadataValue.path(str(outputs.wav24)),
            "picture": dg.MetadataValue.path(str(picture)),
            "master_picture": pictures_markdown([("master: waveform (L up, R down) and spectrogram", picture)]),
        },
        check_results=checks,
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name="production",
    kinds={"audio", "flac"},
    deps=[nightly_songs],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "library_files_decode",
            asset="nightly_library_songs",
            description="every song added to the library decodes and is not silent",
        )
    ],
)
def nightly_library_songs(
    context: dg.AssetExecutionContext, config: RenderConfig, storage: StorageResource, renderer: RendererResource
) -> dg.MaterializeResult:
    """The night's approved pieces rendered and coloured into the library folder
    (``library/nightly/<date>/<name>.flac``, with a ``.json`` sidecar of the conditions and
    scores each was made with), where the library sensor finds them."""
    day = context.partition_key
    report = asset_files.NIGHTLY_REPORT.require(storage, day)
    midi_dir = local_dir(storage, asset_files.NIGHTLY_REPORT.asset, day)
    library = Path(os.fspath(storage.input_dir("library"))) / "nightly" / day
    rows, problems = [], []
    for piece in report["pieces"]:
        if not piece.get("approved") or not piece.get("file"):
            continue
        out = library / f"{piece['name']}.flac"
        try:
            row = renderer.render_file(
                midi_dir / piece["file"], out, seed_of(day, piece["name"]), config.preset, flac=True
            )
        except (RenderError, AudioInputError) as exc:
            problems.append(f"{piece['name']}: {exc}")
            continue
        if row["lufs"] is None:
            problems.append(f"{out.name}: silent")
        sidecar = {
            "made_by": "nightly_songs",
            "date": day,
            "generator": piece["generator"],
            "conditions": piece["conditions"],
            "score": piece["score"],
            "colour_preset": config.preset or renderer.colour_preset,
            "midi": piece["file"],
            **row,
        }
        storage.write_json(library / f"{piece['name']}.json", sidecar)
        rows.append(row)
    return dg.MaterializeResult(
        metadata={
            "added": len(rows),
            "minutes": round(sum(r["seconds"] for r in rows) / 60, 2),
            "folder": dg.MetadataValue.path(str(library)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="library_files_decode",
                passed=not problems,
                metadata={"problems": "; ".join(problems) or "none"},
            )
        ],
    )
