"""A video laid out from whole GOPs of H.264, never encoded again.

The scene loop and every now-playing segment are encoded with the same x264 settings
(:func:`x264_args`): no B-frames and an IDR frame with its SPS and PPS at the head of every
GOP. Cut at those IDRs, an Annex B stream falls into self-contained GOPs, and any sequence
of them is itself a valid stream whose timestamps follow from the frame rate alone (no
B-frames: display order is decode order). :func:`mux_gops` writes such a sequence into
ffmpeg's MP4 muxer over the master's audio, so an hour of the scene is bytes copied, and a
now-playing card costs only the GOPs it shows in.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.publishing.video import feed_ffmpeg

NAL_SPS = 7  # nal_unit_type of a sequence parameter set: the first unit of each of our GOPs


class GopError(ValueError):
    pass


def x264_args(fps: int, crf: int, preset: str = "veryfast") -> list[str]:
    """The encoder settings every piece of a GOP-laid video shares: H.264 High, yuv420p,
    BT.709 tagged, a closed GOP of half the frame rate starting on an IDR with its headers,
    no B-frames (so pieces join without reordering), no scene-cut keyframes."""
    gop = max(1, fps // 2)
    return [
        "-c:v", "libx264", "-profile:v", "high", "-preset", preset, "-crf", str(crf),
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-bf", "0",
        "-x264-params", "repeat-headers=1",
        "-pix_fmt", "yuv420p",
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
    ]  # fmt: skip


def split_gops(stream: bytes) -> list[bytes]:
    """An Annex B H.264 stream cut before each SPS: its GOPs, each starting with its headers
    and an IDR frame (as :func:`x264_args` encodes them; the first also carries any SEI
    before its headers)."""
    b = np.frombuffer(stream, np.uint8)
    if b.size < 5:
        raise GopError("an empty H.264 stream")
    found = np.nonzero((b[:-3] == 0) & (b[1:-2] == 0) & (b[2:-1] == 1))[0]  # 00 00 01 start codes
    heads = [int(i - 1 if i > 0 and b[i - 1] == 0 else i) for i in found if b[i + 3] & 0x1F == NAL_SPS]
    if not heads:
        raise GopError("the H.264 stream has no sequence parameter set")
    heads[0] = 0  # what comes before the first SPS (x264's own SEI) stays with the first GOP
    return [stream[a:z] for a, z in zip(heads, [*heads[1:], len(stream)], strict=True)]


def annexb(path: Path) -> bytes:
    """The video stream of an MP4 as Annex B bytes (stream copy: nothing is decoded)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v:0", "-c:v", "copy",
         "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"],
        capture_output=True,
    )  # fmt: skip
    if proc.returncode != 0 or not proc.stdout:
        raise GopError(f"{Path(path).name}: no H.264 stream to copy ({proc.stderr.decode(errors='replace')[-200:]})")
    return proc.stdout


def mux_gops(gops: Iterable[bytes], fps: int, audio: Path, out: Path, seconds: float, audio_args: list[str]) -> None:
    """Write ``gops`` in order as the video of the MP4 ``out``, over ``audio``'s first stream,
    cut to ``seconds``, moov first. Raises GopError with ffmpeg's complaint."""
    args = [
        ffmpeg_exe(), "-nostdin", "-y", "-v", "error",
        "-f", "h264", "-framerate", str(fps), "-i", "-",
        "-i", str(audio),
        "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *audio_args,
        "-t", f"{seconds:.6f}", "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip
    code, said = feed_ffmpeg(args, gops)
    if code != 0:
        raise GopError(f"{Path(out).name}: ffmpeg could not mux the scene: {said.strip()[-300:]}")
