"""Publishing: metadata, thumbnail and video for each track; the YouTube upload; the
Notion write-back. A track is uploaded only when every blocking check of its master
passed, and never twice (the upload ledger decides)."""

import os
from datetime import UTC, date, datetime
from enum import StrEnum
from itertools import product
from pathlib import Path

import dagster as dg
from pydantic import Field

from lofi_assets import asset_files
from lofi_assets.asset_files import (
    bad_input,
    failed_master_checks,
    ledger_path,
    load_plan,
    local_dir,
    read_master,
    uploaded_video_id,
)
from lofi_assets.assets.choices import ChoiceConfig
from lofi_assets.assets.ingest import read_track_plan
from lofi_assets.assets.production import track_master
from lofi_assets.core.files import read_json
from lofi_assets.core.ingest.sources import SourceError
from lofi_assets.core.ingest.writeback import mark_published
from lofi_assets.core.partition_keys import seed_of
from lofi_assets.core.production.master_rules import LossyFormat
from lofi_assets.core.published import status_is_published, watch_url
from lofi_assets.core.publishing.chapters import kept_chapters
from lofi_assets.core.publishing.metadata import Privacy, VideoMetadata, build_metadata, validate
from lofi_assets.core.publishing.now_playing import cards_for
from lofi_assets.core.publishing.operator_scene import operator_loop, scene_file
from lofi_assets.core.publishing.preview import preview_animation, preview_clip
from lofi_assets.core.publishing.scene_loop import LOOP_S, SceneError, render_loop, weather_in_text
from lofi_assets.core.publishing.scene_video import DEFAULT_ACCENT, encode_scene_video
from lofi_assets.core.publishing.thumbnail import ThumbnailError, render_variants, verify_thumbnail
from lofi_assets.core.publishing.thumbnail.scene import PALETTES
from lofi_assets.core.publishing.titles import headline_candidates, subtitle_candidates, use_case_playlist
from lofi_assets.core.publishing.upload_slots import publish_time
from lofi_assets.core.publishing.video import (
    Resolution,
    VideoError,
    contact_sheet,
    encode_video,
    scene_motion,
    verify_video,
)
from lofi_assets.core.publishing.visualiser import add_visualiser, band_height
from lofi_assets.core.publishing.youtube_limits import MetadataError
from lofi_assets.core.tables import markdown_bullets, markdown_table
from lofi_assets.core.youtube.claim import UploadClaim
from lofi_assets.core.youtube.client import AuthError, YouTubeError
from lofi_assets.core.youtube.upload import (
    Ledger,
    Publisher,
    PublishInputError,
    UploadPlan,
    dry_run_requests,
    file_sha256,
)
from lofi_assets.partitions import tracks_partitions
from lofi_assets.settings import settings
from lofi_assets.ui_pictures import pictures_markdown
from resources import NotionResource, StorageResource, YouTubeResource

# -- metadata ------------------------------------------------------------------------------


class MetadataConfig(dg.Config):
    channel_name: str = Field(
        default_factory=lambda: settings().channel_name, description="named in the credits (LOFI_CHANNEL_NAME)"
    )
    language: str = Field(default="en", description="defaultLanguage and defaultAudioLanguage")


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="publishing",
    kinds={"youtube", "json"},
    deps=[track_master],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "metadata_within_limits",
            asset="track_metadata",
            description="metadata.json re-read: title ≤ 100, tags ≤ 500, description "
            "≤ 5000 bytes, no < or >, chapters YouTube accepts",
        )
    ],
)
def track_metadata(
    context: dg.AssetExecutionContext, config: MetadataConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """Title (the plan's, or made from its mood, use case and season) with A/B variants,
    description with the mix's chapters, tracklist, credits and hashtags, tags from the
    hidden tags, category Music, synthetic-media declaration: ``metadata.json``."""
    key = context.partition_key
    plan = load_plan(storage, key)
    master = read_master(storage, key)
    chapters = master.get("chapters", [])
    try:
        meta = build_metadata(
            plan,
            chapters,
            duration_s=master["measured"]["duration_s"],
            when=date.today(),
            channel_name=config.channel_name,
            language=config.language,
        )
    except MetadataError as exc:
        raise bad_input(f"track {key}: {exc}") from None
    path = asset_files.METADATA.write(storage, key, meta.to_dict())
    problems = validate(VideoMetadata.from_dict(read_json(path) or {"title": ""}))
    return dg.MaterializeResult(
        metadata={
            "title": meta.title,
            "variants": dg.MetadataValue.md(markdown_bullets(meta.variants)),
            "chapters": len(meta.chapters),
            "chapters_ok": meta.chapters_ok,
            "tags": len(meta.tags),
            "description_bytes": len(meta.description.encode()),
            "contains_synthetic_media": meta.contains_synthetic_media,
            "description": dg.MetadataValue.md(meta.description),
            "notes": dg.MetadataValue.md(markdown_bullets(meta.notes)),
            "path": dg.MetadataValue.path(str(path)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="metadata_within_limits",
                passed=not problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": "; ".join(problems) or "none"},
            )
        ],
    )


def read_metadata(storage: StorageResource, key: str) -> VideoMetadata:
    data = asset_files.METADATA.require(storage, key)
    try:
        return VideoMetadata.from_dict(data)
    except MetadataError as exc:
        raise bad_input(f"track {key}: metadata.json: {exc}") from None


# -- thumbnail -----------------------------------------------------------------------------


class ThumbnailConfig(dg.Config):
    grades: list[str] = Field(
        default=["warm", "cyberpunk"],
        description="one A/B variant per colour grade "
        "(warm, cool, vintage, cyberpunk, noir, pastel); the first is uploaded",
    )
    background: str | None = Field(
        default=None,
        description="an image to use instead of procedural art; "
        "default: <root>/thumbnails/<track>.jpg|png when present",
    )


def operator_background(storage: StorageResource, key: str, configured: str | None) -> Path | None:
    if configured:
        return Path(configured)
    folder = Path(os.fspath(storage.root_path)) / "thumbnails"
    for name in (key, "default"):
        for suffix in (".jpg", ".jpeg", ".png"):
            if (folder / f"{name}{suffix}").is_file():
                return folder / f"{name}{suffix}"
    return None


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="publishing",
    kinds={"image", "jpeg"},
    deps=[track_metadata],
    code_version="1",
    check_specs=[
        dg.AssetCheckSpec(
            "thumbnail_valid",
            asset="track_thumbnail",
            description="every variant reopened: 1280×720 JPEG, < 2 MB, text contrast ≥ 4.5",
        )
    ],
)
def track_thumbnail(
    context: dg.AssetExecutionContext, config: ThumbnailConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """The video's thumbnail in A/B variants (one per colour grade): procedural lo-fi art,
    or the operator's image from ``<root>/thumbnails/``, with the title and the mood arc
    fitted inside YouTube's safe area. ``thumbnail_A.jpg`` is the one uploaded."""
    key = context.partition_key
    plan, meta = load_plan(storage, key), read_metadata(storage, key)
    subtitle = plan.mood_arc or plan.theme or ""
    background = operator_background(storage, key, config.background)
    folder = local_dir(storage, asset_files.THUMBNAIL.asset, key)
    # The whole title when it fits; else its headline (a 3-hour plan's SEO title rarely fits)
    # and its mood arc, or the arc's first and last phase, or none, where the whole does not fit
    for text, subtitle in product(headline_candidates(meta.title), subtitle_candidates(subtitle)):
        try:
            infos = render_variants(
                folder, text, subtitle, grades=config.grades, seed=seed_of(key), background=background
            )
            break
        except ThumbnailError as exc:
            failure = exc
        except ValueError as exc:
            raise bad_input(f"track {key}: thumbnail: {exc}") from None
    else:
        raise bad_input(f"track {key}: thumbnail: {failure}") from None
    problems = [f"{Path(i.path).name}: {p}" for i in infos for p in verify_thumbnail(i.path)]
    problems += [f"{Path(i.path).name}: contrast {i.contrast_ratio:.1f}" for i in infos if i.contrast_ratio < 4.5]
    rows = [(i.variant, i.grade, i.layout, i.title_font_px, round(i.contrast_ratio, 1), i.bytes) for i in infos]
    return dg.MaterializeResult(
        metadata={
            "title_on_thumbnail": text,
            "subtitle_on_thumbnail": subtitle or "none",
            "variants": dg.MetadataValue.md(
                markdown_table(["variant", "grade", "layout", "title px", "contrast", "bytes"], rows)
            ),
            "background": str(background) if background else "procedural",
            "dropped_chars": "".join(infos[0].dropped_chars) if infos[0].dropped_chars else "",
            "path": dg.MetadataValue.path(infos[0].path),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="thumbnail_valid",
                passed=not problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": "; ".join(problems) or "none"},
            )
        ],
    )


# -- video ---------------------------------------------------------------------------------


class VideoScene(StrEnum):
    moving = "moving"  # the procedural scene as a seamless loop, repeated by stream copy
    still = "still"  # the thumbnail held still


SCENE_MOVES = "scene_moves"
NOW_PLAYING_SHOWN = "now_playing_shown"


class VideoConfig(ChoiceConfig):
    scene: VideoScene = Field(
        default=VideoScene.moving,
        description="moving: the thumbnail's art without its title as a seamless 24 fps loop (rain falls, clouds "
        "drift, stars twinkle, motes float); still: the thumbnail held",
    )
    loop_seconds: float = Field(default=LOOP_S, description="length of the moving scene's loop (10–60 s is usual)")
    now_playing: bool = Field(
        default=True, description="a lower third with the song's name and arc at each chapter (moving scene)"
    )
    visualiser: bool = Field(
        default=False,
        description="spectrum bars in a quiet band at the bottom (moving scene); the whole video is encoded "
        "again, about 8× realtime on two cores",
    )
    resolution: Resolution = Field(
        default=Resolution.p720,
        description="the moving scene's frame: p720 (1280×720) or p1080 (1920×1080) (the art is drawn at 720p and scaled; the still is 720p)",
    )
    scene_file: str = Field(
        default="",
        description="the operator's own picture or loop clip for the scene, under the data folder "
        "(cover-cropped to 1280×720; a clip whose ends do not meet is crossfaded); empty: "
        "scenes/<track key>.<png|jpg|webp|mp4|mov|webm> when present, else the procedural art",
    )
    waveform: bool = Field(default=False, description="draw a waveform band over the still (slower encode)")


def scene_source(config: VideoConfig, storage: StorageResource, key: str) -> Path | None:
    """The operator's picture or clip for track ``key``: the one configured (which must exist),
    else ``scenes/<key>.*`` under the data folder, else None (the procedural art)."""
    root = Path(os.fspath(storage.root_path))
    if config.scene_file:
        path = root / config.scene_file
        if not path.is_file():
            raise bad_input(f"track {key}: scene_file {config.scene_file!r} is not a file under {root}")
        return path
    return scene_file(root, key)


def _plan_words(storage: StorageResource, key: str) -> list[str]:
    plan = load_plan(storage, key)
    return [plan.title, plan.mood_arc or "", plan.vibe or "", plan.theme or "", *(p.text for p in plan.prompts)]


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="publishing",
    kinds={"video", "mp4"},
    deps=[track_thumbnail, track_master],
    code_version="2",
    check_specs=[
        dg.AssetCheckSpec(
            "video_valid",
            asset="track_video",
            description="probed: H.264 at the asked resolution (1280×720 by default) and AAC stereo, duration "
            "within 0.5 s of the master",
        ),
        dg.AssetCheckSpec(
            SCENE_MOVES,
            asset="track_video",
            description="decoded: the scene moves at ≥ 24 fps, the loop's seam is no larger a change than the "
            "scene's own from frame to frame, and nothing flashes",
        ),
        dg.AssetCheckSpec(
            NOW_PLAYING_SHOWN,
            asset="track_video",
            description="decoded: every chapter's now-playing card is on screen mid-card, and around it the "
            "scene is the loop's own frame (the re-encoded GOPs sit in phase)",
        ),
    ],
)
def track_video(
    context: dg.AssetExecutionContext, config: VideoConfig, storage: StorageResource
) -> dg.MaterializeResult:
    """The upload: the thumbnail's scene without its title, moving as a seamless loop
    encoded once and laid out by copying its GOPs, a now-playing card at each chapter (only
    the GOPs it shows in are encoded again), optionally a spectrum band; or the thumbnail held
    still. H.264 High + AAC in MP4, moov first. A contact sheet and a moving preview are in
    the metadata, to look at before it goes out."""
    key = context.partition_key
    master = read_master(storage, key)
    # the master's AAC copy goes in as it is (its true peak was checked); else the WAV is encoded
    aac = asset_files.MASTER_LOSSY[LossyFormat.aac]
    made_aac = Path(master.get("lossy", {}).get("file", "")).name == aac.name
    audio_file = aac if made_aac else asset_files.MASTER
    audio = Path(os.fspath(audio_file.path(storage, key)))
    video = asset_files.VIDEO.local_path(storage, key)
    thumbnail = Path(os.fspath(asset_files.THUMBNAIL.path(storage, key)))
    expected = master["measured"]["duration_s"]
    loop = made = operator = None
    size = Resolution(config.resolution).size if config.scene == VideoScene.moving else Resolution.p720.size
    cards: list = []
    visualiser_s = 0.0
    try:
        if config.scene == VideoScene.moving:
            # the plan's words choose the weather ("rain on the window"); the palette is the thumbnail's
            weather = weather_in_text(*_plan_words(storage, key))
            loop_path = video.with_name("scene_loop.mp4")
            own = scene_source(config, storage, key)
            if own is not None:
                operator = operator_loop(own, loop_path, seed_of(key), weather, config.loop_seconds, size)
                loop = operator.loop
            else:
                loop = render_loop(seed_of(key), loop_path, seconds=config.loop_seconds, weather=weather, size=size)
            if config.now_playing:
                kept, _ = kept_chapters(master.get("chapters", []), expected)
                cards = cards_for([(start, dict(c)) for start, c in kept], expected)
            accent = PALETTES[loop.palette].windows if loop.palette in PALETTES else DEFAULT_ACCENT
            made = encode_scene_video(loop.path, audio, video, cards=cards, accent=accent)
            info = made.info
            if config.visualiser:
                visualiser_s = add_visualiser(video, video, accent)
            motion = scene_motion(video, loop.frames)
            seen = made.cards_seen(ignore_bottom=band_height(size[1]) if config.visualiser else 0)
        else:
            info = encode_video(thumbnail, audio, video, waveform=config.waveform)
        sheet = contact_sheet(video, info.seconds, video.with_name("contact_sheet.jpg"))
        first = made.cards[0].card.start_s if made is not None and made.cards else 0.0
        start = max(0.0, first - 1.0)
        clip = preview_clip(video, video.with_name("preview.mp4"), start)
        animation = preview_animation(video, video.with_name("preview.webp"), start)
    except (VideoError, SceneError) as exc:
        raise bad_input(f"track {key}: {exc}") from None
    problems = verify_video(video, expected, size)
    if loop is not None:
        scene_check = dg.AssetCheckResult(
            check_name=SCENE_MOVES,
            passed=not motion.problems(),
            metadata={
                "problems": "; ".join(motion.problems()) or "none",
                "fps": info.fps,
                "pixels_moving_a_frame": f"{100 * motion.motion:.2f} %",
                "largest_frame_change": motion.largest_step,
                "seam_change": "shorter than a loop: no seam plays" if motion.seam is None else motion.seam,
                "flashes": motion.flashes,
            },
        )
    else:  # the operator asked for a still: it does not move, and the check says so
        scene_check = dg.AssetCheckResult(
            check_name=SCENE_MOVES,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"problems": "a still image was asked for (scene: still)"},
        )
    card_check = now_playing_check(config, made, seen if made is not None else [], master.get("chapters", []))
    scene = (
        {
            "scene": f"moving: {loop.palette} palette, {loop.weather}, a {loop.seconds:g} s loop at {loop.fps} fps "
            f"rendered in {loop.render_s:g} s",
            "scene_loop": dg.MetadataValue.path(str(loop.path)),
            **(
                {
                    "scene_source": f"{operator.source.name}: {operator.fitted}"
                    + (f"; {operator.joined}" if operator.joined else "")
                }
                if operator is not None
                else {}
            ),
            "now_playing": len(made.cards),
            "now_playing_encode_s": made.cards_encode_s,
            "visualiser": config.visualiser,
        }
        if loop is not None and made is not None
        else {"scene": "still"}
    )
    return dg.MaterializeResult(
        metadata={
            "minutes": round(info.seconds / 60, 2),
            "megabytes": round(video.stat().st_size / 1e6, 1),
            "encode_s": round(info.encode_s + visualiser_s, 1),
            "realtime_factor": round(info.seconds / (info.encode_s + visualiser_s), 1),
            "video": f"{info.video_codec} {info.width}×{info.height} @ {info.fps:g} fps",
            "audio": info.audio_codec,
            "audio_from": f"{audio.name} ({'copied' if made_aac else 'encoded'})",
            "waveform": info.waveform,
            **scene,
            "preview": pictures_markdown([("preview: the first seconds with a now-playing card", animation)]),
            "preview_clip": dg.MetadataValue.path(str(clip)),
            "contact_sheet": pictures_markdown([("contact sheet", sheet)]),
            "path": dg.MetadataValue.path(str(video)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="video_valid",
                passed=not problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": "; ".join(problems) or "none", "master_s": round(expected, 2)},
            ),
            scene_check,
            card_check,
        ],
    )


def now_playing_check(config: VideoConfig, made, seen: list, chapters: list) -> dg.AssetCheckResult:
    """Every card laid is seen and in phase; a video without cards says why (never a pass)."""
    if made is None or not config.now_playing:
        why = "a still image was asked for (scene: still)" if made is None else "now_playing is off"
        return dg.AssetCheckResult(
            check_name=NOW_PLAYING_SHOWN, passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"problems": why}
        )
    problems = [p for s in seen for p in s.problems()]
    if not made.cards:
        problems.append(f"no card was laid ({len(chapters)} chapter(s) in the mix)")
    rows = [
        [
            f"{s.card.start_s:.1f}",
            s.card.title,
            s.card.arc,
            f"{s.box_change:.1f}",
            f"{s.scene_change:.2f}",
            f"{s.after_change:.2f}",
        ]
        for s in seen
    ]
    return dg.AssetCheckResult(
        check_name=NOW_PLAYING_SHOWN,
        passed=not problems,
        metadata={
            "problems": "; ".join(problems) or "none",
            "cards": len(made.cards),
            "seen": dg.MetadataValue.md(
                markdown_table(["at (s)", "song", "arc", "card box change", "scene beside it", "scene after it"], rows)
            ),
        },
    )


# -- YouTube -------------------------------------------------------------------------------


class UploadConfig(ChoiceConfig):
    privacy: Privacy = Field(
        default=Privacy.public,
        description="privacy when the plan has no upload schedule; with one, "
        "the video is private with publishAt at the plan's next slot",
    )
    timezone: str = Field(
        default_factory=lambda: settings().upload_tz,
        description="time zone of the plan's upload schedule (LOFI_UPLOAD_TZ)",
    )
    playlists: list[str] = Field(
        default=[],
        description="extra playlists (a series); the use-case playlist (e.g. 'Lofi for Studying') is always added",
    )


def upload_plan(
    storage: StorageResource, youtube: YouTubeResource, config: UploadConfig, key: str, now: datetime
) -> tuple[UploadPlan, dict]:
    """What will be sent for track ``key``, checked before any request (bad_input otherwise)."""
    master = read_master(storage, key)
    failed = failed_master_checks(master)
    if failed:
        raise bad_input(f"track {key}: the master failed its checks ({', '.join(failed)}); it is not published")
    plan, meta = load_plan(storage, key), read_metadata(storage, key)
    publish_at = publish_time(plan.upload_schedule, now, config.timezone) if plan.upload_schedule else None
    privacy = "private" if publish_at else config.privacy
    try:
        body = meta.request_body(privacy_status=privacy, publish_at=publish_at, now=now)
    except MetadataError as exc:
        raise bad_input(f"track {key}: {exc}") from None
    thumbnail = Path(os.fspath(asset_files.THUMBNAIL.path(storage, key)))
    if not thumbnail.is_file():
        raise bad_input(f"track {key}: no thumbnail at {thumbnail}; materialize track_thumbnail first")
    video = Path(os.fspath(asset_files.VIDEO.path(storage, key)))
    master_wav = Path(os.fspath(asset_files.MASTER.path(storage, key)))
    playlists = [use_case_playlist(plan), *config.playlists]
    job = UploadPlan(
        track=key,
        master_sha256=file_sha256(master_wav) if master_wav.is_file() else "",
        video=video,
        body=body,
        thumbnail=thumbnail,
        playlists=playlists,
        chunk_bytes=youtube.chunk_bytes,
    )
    problems = job.problems()
    if problems:
        raise bad_input(f"track {key}: " + "; ".join(problems))
    return job, {"privacy": privacy, "publish_at": body["status"].get("publishAt"), "playlists": playlists}


UPLOAD_CHECKS = {
    "upload_verified": "live: YouTube lists the video with our title; dry run: the written requests re-read and "
    "match the metadata and the video file",
    "post_upload_steps": "thumbnail set and playlist membership done (retried by the next run when not)",
    "privacy_as_asked": "YouTube shows the privacy the upload asked for (an unaudited API project's uploads "
    "are locked private)",
}


# A multi-asset, so that a run may end without a materialization (parked, or another
# publisher holds the track) and a check with nothing to judge (privacy on a dry run) stays
# unevaluated: the UI shows it skipped, not passed.
@dg.multi_asset(
    name="youtube_video",
    specs=[
        dg.AssetSpec(
            "youtube_video",
            partitions_def=tracks_partitions,
            group_name="publishing",
            kinds={"youtube"},
            deps=[track_video, track_metadata, track_thumbnail],
            code_version="1",
            description="The track on YouTube: resumable upload, thumbnail, playlists; never twice.",
        )
    ],
    partitions_def=tracks_partitions,
    pool="youtube",
    check_specs=[
        dg.AssetCheckSpec(name, asset="youtube_video", description=text) for name, text in UPLOAD_CHECKS.items()
    ],
    can_subset=True,
)
def youtube_video(
    context: dg.AssetExecutionContext, config: UploadConfig, storage: StorageResource, youtube: YouTubeResource
):
    """The track on YouTube: resumable upload, thumbnail, playlists, scheduled through
    ``publishAt`` when the plan has an upload slot. Never twice: ``upload.json`` records
    every step. A spent daily quota parks the track until the Pacific-time reset (no
    materialization; the next upload window retries). Without credentials: a dry run that
    writes the exact requests to ``dry_run.json``."""
    key = context.partition_key
    now = datetime.now(UTC)
    job, summary = upload_plan(storage, youtube, config, key, now)
    if not youtube.live:
        requests = dry_run_requests(job, youtube.root_url)
        record = {
            "track": key,
            "mode": "dry-run",
            "at": now.isoformat(),
            **summary,
            "requests": requests,
            "note": youtube.describe()["youtube_note"],
        }
        path = asset_files.DRY_RUN.write(storage, key, record)
        yield dg.MaterializeResult(
            asset_key="youtube_video",
            metadata={
                **youtube.describe(),
                **summary,
                "requests": len(requests),
                "path": dg.MetadataValue.path(str(path)),
                "not_evaluated": "privacy_as_asked (a dry run: nothing is on YouTube to compare with)",
            },
            check_results=dry_run_checks(path, job),
        )
        return
    try:
        client = youtube.client()
        claim = UploadClaim(asset_files.UPLOAD_CLAIM.path(storage, key), owner=f"run {context.run.run_id}")
        publisher = Publisher(
            client, Ledger(ledger_path(storage, key), key), claim=claim, **youtube.publisher_options()
        )
        result = publisher.publish(job)
    except AuthError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except PublishInputError as exc:
        raise bad_input(str(exc)) from None
    except YouTubeError as exc:
        raise dg.Failure(description=f"track {key}: {exc}") from None
    asset_files.UPLOAD_RESULT.write(storage, key, result.to_dict())
    if result.status in ("claimed", "parked"):
        if result.status == "claimed":
            context.log.warning(f"track {key}: not uploaded here: {result.reason}")
            waiting = {"status": "claimed", "reason": result.reason}
        else:
            context.log.warning(
                f"track {key}: parked until {result.parked_until} ({result.reason}); the next upload window retries"
            )
            waiting = {"status": "parked", "reason": result.reason, "parked_until": result.parked_until}
        context.log_event(dg.AssetObservation(asset_key="youtube_video", partition=key, metadata=waiting))
        # No materialization: the partition stays waiting; the checks say why (warnings).
        for name in UPLOAD_CHECKS:
            yield dg.AssetCheckResult(
                check_name=name, passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=waiting
            )
        return
    found, error = listed_video(client, result.video_id)
    if privacy := privacy_problem(found, job):
        context.log.error(f"track {key}: {privacy}")
    yield dg.MaterializeResult(
        asset_key="youtube_video",
        metadata={
            **youtube.describe(),
            **summary,
            "privacy_on_youtube": found.get("status", {}).get("privacyStatus", "unknown"),
            "video_id": result.video_id,
            "url": dg.MetadataValue.url(result.url),
            "steps": str(result.steps),
            "retries": result.retries,
            "resumed": result.resumed,
            "megabytes_sent": round(result.bytes_sent / 1e6, 1),
            "notes": dg.MetadataValue.md(markdown_bullets(result.notes)),
        },
        check_results=live_checks(found, error, result, job),
    )


def dry_run_checks(path, job: UploadPlan) -> list[dg.AssetCheckResult]:
    record = read_json(path) or {}
    requests = record.get("requests", [])
    insert = requests[0] if requests else {}
    problems = []
    if insert.get("body") != job.body:
        problems.append("the written videos.insert body differs from the metadata")
    if insert.get("media", {}).get("sha256") != file_sha256(job.video):
        problems.append("the written media hash differs from video.mp4")
    steps = {r["step"] for r in requests}
    missing = {"thumbnails.set", "playlistItems.insert"} - steps
    return [
        dg.AssetCheckResult(
            check_name="upload_verified",
            passed=not problems,
            metadata={"mode": "dry-run", "problems": "; ".join(problems) or "none"},
        ),
        dg.AssetCheckResult(
            check_name="post_upload_steps",
            passed=not missing,
            metadata={"mode": "dry-run", "missing": ", ".join(sorted(missing)) or "none"},
        ),
        # privacy_as_asked is not evaluated: nothing is on YouTube to compare with.
    ]


UNAUDITED_NOTE = (
    "YouTube locks every video uploaded through an API project it has not audited as private; "
    "ask Google for the audit (see docs/publishing.md, Connecting a real channel), then set the privacy in YouTube Studio"
)


def listed_video(client, video_id: str | None) -> tuple[dict, str]:
    """The video as YouTube lists it (snippet and status), or the error that hid it."""
    try:
        items = client.videos().list(part="snippet,status", id=video_id).execute().get("items", [])
    except Exception as exc:  # the check reports it; the upload itself is recorded
        return {}, str(exc)
    return (items[0] if items else {}), ""


def privacy_problem(found: dict, job: UploadPlan) -> str:
    """What differs between the privacy asked for and the privacy YouTube gave, if anything."""
    asked = job.body["status"].get("privacyStatus")
    given = found.get("status", {}).get("privacyStatus")
    if found and given != asked:
        return f"asked for {asked!r}, YouTube shows {given!r}: {UNAUDITED_NOTE}"
    return ""


def live_checks(found: dict, error: str, result, job: UploadPlan) -> list[dg.AssetCheckResult]:
    title_ok = found.get("snippet", {}).get("title") == job.body["snippet"]["title"]
    pending = {k: v for k, v in result.steps.items() if v not in ("done", "skipped")}
    privacy = privacy_problem(found, job)
    return [
        dg.AssetCheckResult(
            check_name="privacy_as_asked",
            passed=bool(found) and not privacy,
            metadata={
                "asked": job.body["status"].get("privacyStatus", ""),
                "on_youtube": found.get("status", {}).get("privacyStatus", "unknown"),
                "problem": privacy or error or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="upload_verified",
            passed=bool(found) and title_ok,
            metadata={
                "mode": "live",
                "video_id": result.video_id or "",
                "upload_status": found.get("status", {}).get("uploadStatus", ""),
                "error": error or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="post_upload_steps",
            passed=not pending,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"pending": str(pending) or "none"},
        ),
    ]


# -- Notion --------------------------------------------------------------------------------


@dg.asset(
    partitions_def=tracks_partitions,
    group_name="publishing",
    kinds={"notion"},
    pool="notion",
    deps=[youtube_video],
    code_version="1",
    output_required=False,
    check_specs=[
        dg.AssetCheckSpec(
            "page_matches_upload",
            asset="notion_writeback",
            description="the page re-read: status Published and the video URL once "
            "a video exists; not claimed published before",
        )
    ],
)
def notion_writeback(context: dg.AssetExecutionContext, notion: NotionResource, storage: StorageResource):
    """Status Published and the video URL on the track's Notion page (or, for the export
    folder, a ``.published.json`` sidecar beside the page). Idempotent; nothing happens
    until the track has a real video (a dry run publishes nothing)."""
    key = context.partition_key
    video_id = uploaded_video_id(storage, key)
    if not video_id:
        context.log.info(f"track {key}: no video on YouTube yet (dry run or parked); nothing to write back")
        plan = read_track_plan(notion, key)
        yield dg.AssetCheckResult(
            check_name="page_matches_upload",
            passed=not status_is_published(plan.status) or bool(plan.youtube_url),
            metadata={"video": "none yet", "status": plan.status or ""},
        )
        return
    url = watch_url(video_id)
    try:
        result = mark_published(notion.open_source(), key, url, video_id)
        plan = read_track_plan(notion, key)
    except SourceError as exc:
        raise dg.Failure(description=f"track {key}: {exc}", metadata=notion.describe()) from None
    asset_files.WRITEBACK.write(
        storage,
        key,
        {
            "track": key,
            "url": url,
            "video_id": video_id,
            "changed": result.changed,
            "mode": result.mode,
            "properties": list(result.properties),
        },
    )
    shows = status_is_published(plan.status) and plan.youtube_url == url
    yield dg.MaterializeResult(
        metadata={
            "url": dg.MetadataValue.url(url),
            "changed": result.changed,
            "mode": result.mode,
            "properties": ", ".join(result.properties) or "none (already published)",
            **notion.describe(),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="page_matches_upload",
                passed=shows,
                metadata={"status": plan.status or "", "youtube_url": plan.youtube_url or ""},
            )
        ],
    )
