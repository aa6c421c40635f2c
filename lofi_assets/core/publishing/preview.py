"""A look at the video before it goes out: a short clip cut from it by stream copy (the file
to play), and a small animated WebP of its first seconds with a now-playing card, which the
Dagster UI shows inline (it plays markdown images; a path is only text)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.video import VideoError, tail

CLIP_S = 12.0
ANIMATION_S = 5.0
ANIMATION_FPS = 8
ANIMATION_WIDTH = 320  # about 100–200 kB as a WebP: small enough for the event log


def preview_clip(video: Path, out: Path, start_s: float = 0.0, seconds: float = CLIP_S) -> Path:
    """``seconds`` of ``video`` from the keyframe at or before ``start_s``, copied (picture and
    sound as they will be uploaded), as the MP4 ``out``."""
    with atomic_local_path(Path(out), suffix=".mp4") as tmp:
        proc = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-y", "-v", "error", "-ss", f"{start_s:.3f}", "-i", str(video),
             "-t", f"{seconds:.3f}", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp)],
            capture_output=True,
        )  # fmt: skip
        if proc.returncode != 0:
            raise VideoError(f"{Path(video).name}: no preview clip: {tail(proc.stderr.decode(errors='replace'))}")
    return Path(out)


def preview_animation(
    video: Path, out: Path, start_s: float = 0.0, seconds: float = ANIMATION_S, fps: int = ANIMATION_FPS
) -> Path:
    """``seconds`` of ``video`` from ``start_s`` as a small looping animated WebP at ``out``."""
    width = ANIMATION_WIDTH
    height = round(width * 9 / 16 / 2) * 2
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{start_s:.3f}", "-i", str(video), "-t", f"{seconds:.3f}",
         "-vf", f"fps={fps},scale={width}:{height}:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
        capture_output=True,
    )  # fmt: skip
    size = width * height * 3
    count = len(proc.stdout) // size
    if proc.returncode != 0 or count < 2:
        raise VideoError(
            f"{Path(video).name}: no frames for the preview ({tail(proc.stderr.decode(errors='replace'))})"
        )
    frames = [Image.frombytes("RGB", (width, height), proc.stdout[i * size : (i + 1) * size]) for i in range(count)]
    with atomic_local_path(Path(out), suffix=".webp") as tmp:
        frames[0].save(
            tmp, format="WEBP", save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0, quality=55
        )
    return Path(out)
