"""The operator's own scene: a picture or a loop clip from ``data/scenes/`` in place of the
procedural art.

A picture is cover-cropped to the frame (filled, centred, the overflow cut) and brought to
life by the scene's own weather (rain streaks or floating motes, stars where its sky is
dark: :func:`.scene_loop.scene_frames`). A clip is cover-cropped and set to 24 fps; if its
last frame does not lead into its first as its frames lead into each other, its last second
is crossfaded into its first, so the loop has no seam. Either is encoded with the loop's
settings, so the video is laid out from its GOPs as the procedural scene's is.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.gop_stream import x264_args
from lofi_assets.core.publishing.scene_loop import (
    CRF,
    FPS,
    LOOP_S,
    SIZE,
    SceneError,
    SceneLoop,
    scene_frames,
    write_loop,
)
from lofi_assets.core.publishing.video import VideoError, grey_frames, open_picture, probe, tail

SCENES_FOLDER = "scenes"  # under the data folder: <partition key>.<ext> is that track's scene
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
CLIP_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv")
MIN_SIZE = (640, 360)  # smaller would be blown up more than twice: a blur, refused
MAX_CLIP_S = 60.0
MIN_CLIP_S = 2.0
CROSSFADE_S = 1.0
SEAM_MEETS = 2.0  # ends whose change is under twice the clip's median frame-to-frame change meet


@dataclass(frozen=True)
class OperatorScene:
    loop: SceneLoop
    source: Path
    fitted: str  # how the source was made to fit the frame ("as it is", "cover-cropped from 1024×1024")
    joined: str  # clips: "its ends meet" or "crossfaded 1 s"; pictures: ""


def scene_file(data_dir: Path, key: str) -> Path | None:
    """The operator's scene for track ``key``: ``data/scenes/<key>.<png|jpg|…|mp4|…>``, or None."""
    folder = Path(data_dir) / SCENES_FOLDER
    for suffix in (*IMAGE_SUFFIXES, *CLIP_SUFFIXES):
        path = folder / f"{key}{suffix}"
        if path.is_file():
            return path
    return None


def cover_crop(image: Image.Image, size: tuple[int, int] = SIZE) -> tuple[Image.Image, str]:
    """``image`` scaled to fill ``size`` and centred, the overflow cut; says what was done."""
    if image.size == size:
        return image, "as it is"
    fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    return fitted, f"cover-cropped from {image.width}×{image.height}"


def _too_small(width: int, height: int, name: str) -> None:
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise SceneError(
            f"{name}: {width}×{height} is too small for a {SIZE[0]}×{SIZE[1]} scene (at least {MIN_SIZE[0]}×{MIN_SIZE[1]})"
        )


def loop_from_picture(
    path: Path,
    out: Path,
    seed: int,
    weather: str | None,
    seconds: float = LOOP_S,
    fps: int = FPS,
    size: tuple[int, int] = SIZE,
) -> OperatorScene:
    """The picture at ``path`` as the scene's still background, the weather moving over it."""
    path = Path(path)
    started = time.perf_counter()
    try:
        image = open_picture(path)
    except VideoError as exc:
        raise SceneError(str(exc)) from None
    _too_small(image.width, image.height, path.name)
    fitted, how = cover_crop(image)
    weather = weather or "clear"
    frames = write_loop(scene_frames(seed, None, seconds, fps, weather, background=fitted), Path(out), fps, size)
    loop = SceneLoop(Path(out), frames / fps, fps, frames, weather, "operator", round(time.perf_counter() - started, 2))
    return OperatorScene(loop, path, how, "")


def _clip_frames_change(path: Path, frames: int) -> tuple[float, float]:
    """The typical (median) change between consecutive frames of the clip's first ``frames``,
    and the change from its last frame to its first (both small and grey, as the seam check
    reads them)."""
    grey = grey_frames(path, frames + 1)
    steps = np.abs(np.diff(grey[:frames], axis=0)).mean(axis=(1, 2))
    seam = float(np.abs(grey[frames - 1] - grey[0]).mean()) if len(grey) >= frames else float("inf")
    return float(np.median(steps)) if len(steps) else 0.0, seam


def loop_from_clip(
    path: Path, out: Path, fps: int = FPS, max_seconds: float = MAX_CLIP_S, size: tuple[int, int] = SIZE
) -> OperatorScene:
    """The clip at ``path`` (its first ``max_seconds`` at most) as the scene loop: cover-cropped,
    at ``fps``, its last second crossfaded into its first where its ends do not meet."""
    path, out = Path(path), Path(out)
    started = time.perf_counter()
    try:
        found = probe(path)
    except VideoError as exc:
        raise SceneError(str(exc)) from None
    if found.video is None or not found.duration_s:
        raise SceneError(f"{path.name}: no video stream with a duration")
    _too_small(found.video.width, found.video.height, path.name)
    length = min(found.duration_s, max_seconds)
    if length < MIN_CLIP_S:
        raise SceneError(f"{path.name}: {length:.1f} s is too short for a loop (at least {MIN_CLIP_S:g} s)")
    width, height = size
    fit = (
        f"fps={fps},scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos,"
        f"crop={width}:{height},setsar=1"
    )
    how = (
        "as it is"
        if (found.video.width, found.video.height) == size
        else (f"cover-cropped from {found.video.width}×{found.video.height}")
    )
    with atomic_local_path(out, suffix=".mp4") as trial:
        # first as it is, to see whether its ends meet
        _run([ffmpeg_exe(), "-nostdin", "-y", "-v", "error", "-t", f"{length:.3f}", "-i", str(path), "-an",
              "-vf", f"{fit},scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
              *x264_args(fps, CRF), "-movflags", "+faststart", "-f", "mp4", str(trial)], path.name)  # fmt: skip
        frames = int(round((probe(trial).duration_s or length) * fps))
        typical, seam = _clip_frames_change(trial, frames)
        joined = "its ends meet"
        # a seam no larger than the clip's usual change from frame to frame goes unseen
        if seam > SEAM_MEETS * max(typical, 0.05) and length >= 2 * CROSSFADE_S + MIN_CLIP_S:
            x = CROSSFADE_S
            graph = (
                f"[0:v]{fit},split[a][b];"
                f"[a]trim=start={x},setpts=PTS-STARTPTS[main];"
                f"[b]trim=end={x},setpts=PTS-STARTPTS[head];"
                f"[main][head]xfade=transition=fade:duration={x}:offset={length - 2 * x:.4f},"
                "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[v]"
            )
            _run([ffmpeg_exe(), "-nostdin", "-y", "-v", "error", "-t", f"{length:.3f}", "-i", str(path),
                  "-filter_complex", graph, "-map", "[v]", *x264_args(fps, CRF),
                  "-movflags", "+faststart", "-f", "mp4", str(trial)], path.name)  # fmt: skip
            joined = f"crossfaded {x:g} s (its ends did not meet: a change of {seam:.1f} against {typical:.1f} a frame)"
            frames = int(round((probe(trial).duration_s or length - x) * fps))
    loop = SceneLoop(out, frames / fps, fps, frames, "as filmed", "operator", round(time.perf_counter() - started, 2))
    return OperatorScene(loop, path, how, joined)


def _run(args: list[str], name: str) -> None:
    proc = subprocess.run(args, capture_output=True)
    if proc.returncode != 0:
        raise SceneError(f"{name}: cannot be made a loop: {tail(proc.stderr.decode(errors='replace'))}")


def operator_loop(
    path: Path, out: Path, seed: int, weather: str | None, seconds: float = LOOP_S, size: tuple[int, int] = SIZE
) -> OperatorScene:
    """The loop from the operator's picture or clip at ``path`` (by its suffix), at ``size``."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return loop_from_picture(path, out, seed, weather, seconds, size=size)
    if suffix in CLIP_SUFFIXES:
        return loop_from_clip(path, out, size=size)
    raise SceneError(
        f"{Path(path).name}: not a picture ({', '.join(IMAGE_SUFFIXES)}) or a clip ({', '.join(CLIP_SUFFIXES)})"
    )
