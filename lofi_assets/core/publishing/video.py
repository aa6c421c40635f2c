"""The upload video: a still thumbnail and the mastered audio as an MP4 (H.264 + AAC)
that YouTube takes as it is.

A lo-fi video is one picture held for an hour, so it is encoded as a still. Pillow
decodes the thumbnail once (and in doing so names a bad file before ffmpeg runs, and
fits odd sizes to 1280×720 with black bars); ffmpeg converts that one frame to BT.709
yuv420p once and its ``loop`` filter repeats it in memory at 2 frames per second. x264
with ``-tune stillimage`` codes a keyframe every 10 s and small P-frames between, so
the picture costs little and the AAC encoder (384 kb/s at 48 kHz, YouTube's
recommendation for stereo; ``audio_io.aac_encoder``) sets the pace: an hour from a 24-bit
WAV takes about 44 s on two cores (82× realtime), where the usual ``-loop 1 … -shortest``
command manages 6×. An AAC ``.m4a`` input (the master's checked copy, which ``track_video``
uses) is carried as it is, not encoded again (about 120× realtime).

The waveform visualiser (``waveform=True``) draws ffmpeg's ``showwaves`` in a band near
the bottom at 15 frames per second. The band changes in every frame, so x264 codes 15
real frames a second instead of 2 nearly empty ones: about 17× realtime (some 3.6 minutes
an hour), five times the still's time and 3 times its size (``benchmarks/bench_video.py``).
That is why it is off by default.

The file lasts exactly as long as the audio, measured from its packets: the picture is
trimmed to a whole number of frames ending within a frame before the audio's end and the
audio cut with ``-t`` (``-shortest`` alone lets a looped image run on by up to a GOP).
:func:`verify_video` checks codecs, size, channels and duration (±0.5 s) before the file
gets its final name. imageio-ffmpeg ships no ffprobe, so :func:`probe` reads the stream
summary that ``ffmpeg -i`` prints.
"""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from lofi_assets.core.audio_io import AAC_BITRATE, aac_encoder, ffmpeg_exe
from lofi_assets.core.files import atomic_local_path

WIDTH, HEIGHT = 1280, 720


class Resolution(StrEnum):
    """The upload's frame: 720p (the default) or 1080p (the art is drawn at 720p and scaled).
    Run config names the member (``p1080``), as Dagster's enum config does."""

    p720 = "p720"
    p1080 = "p1080"

    @property
    def size(self) -> tuple[int, int]:
        return {"p720": (1280, 720), "p1080": (1920, 1080)}[self.value]


STILL_FPS = 2.0  # a still needs few frames; the P-frames between keyframes are a few kB each
WAVEFORM_FPS = 15.0  # smooth enough for a waveform; every frame is real work for x264
# A keyframe every 10 s so YouTube (and players) can seek. Keyframes are most of the video's
# bytes: at 10 s a grainy thumbnail costs about 180 MB an hour, at 5 s twice that.
KEYFRAME_S = 10.0
CRF = 18  # near-transparent: YouTube re-encodes whatever it gets, so give it a clean picture
# x264's preset. Measured on stills: medium and slow reach the same SSIM as veryfast (±0.0005)
# in 3-4× the time and a larger file; nothing moves, so their better motion search finds nothing.
PRESET = "veryfast"
TOLERANCE_S = 0.5
BAND_HEIGHT = 120  # waveform band, px
BAND_MARGIN = 48  # above the bottom edge, clear of the player's progress bar
STDERR_LINES = 4  # how much of ffmpeg's complaint goes into an error message


class VideoError(ValueError):
    """A video that cannot be made or does not pass its checks; the message names the file."""


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int
    height: int
    fps: float | None


@dataclass(frozen=True)
class AudioStream:
    codec: str
    rate: int
    channels: int  # 0 when ffmpeg names a layout this module does not know


@dataclass(frozen=True)
class Probe:
    """What ``ffmpeg -i`` says about a file: its first video and audio streams (or None)."""

    path: Path
    duration_s: float | None
    video: VideoStream | None
    audio: AudioStream | None


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    seconds: float
    bytes: int
    video_codec: str
    audio_codec: str
    width: int
    height: int
    fps: float
    waveform: bool
    encode_s: float  # wall time of encode_video: checks, encode and verification
    realtime_factor: float  # seconds of video per second of encoding

    def to_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


# --- running ffmpeg -------------------------------------------------------------------------------------------


# ffmpeg's threaded pipeline ends a failure with teardown lines that would push the cause out of the message.
_TEARDOWN = re.compile(
    r"Task finished with error code|Terminating thread with return code|Nothing was written "
    r"into output file|Could not open encoder before EOF|Error sending frames to consumers"
)
_CONTEXT = re.compile(r"\[[^\]]* @ 0x[0-9a-f]+\] ")  # "[vost#0:0/libx264 @ 0x55...] ": addresses are noise


def tail(stderr: str, lines: int = STDERR_LINES) -> str:
    """The last ``lines`` meaningful lines of ffmpeg's stderr, on one line."""
    kept = [_CONTEXT.sub("", line).strip() for line in stderr.splitlines()]
    kept = [line for line in kept if line and not _TEARDOWN.search(line)]
    return " | ".join(kept[-lines:]) or "no message"


def feed_ffmpeg(args: list[str], chunks: Iterable[bytes]) -> tuple[int, str]:
    """Run ffmpeg (``args`` from the executable on) with ``chunks`` written to its stdin;
    returns its exit status and what it said. Its stderr is drained as it writes, so a
    talkative encoder cannot stall the pipe; a consumer that stops reading early (``-t``)
    ends the writing."""
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.append(proc.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    try:
        for chunk in chunks:
            proc.stdin.write(chunk)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    code = proc.wait()
    reader.join()
    return code, b"".join(said).decode(errors="replace")


def arg(path: Path) -> str:
    # Absolute, so that a name like "a:b.wav" is not taken for a protocol or "-x.wav" for an option.
    return str(Path(path).resolve())


def run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([ffmpeg_exe(), *args], capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise VideoError(f"{what}: ffmpeg failed (exit {proc.returncode}): {tail(proc.stderr)}")
    return proc


# --- probing without ffprobe ----------------------------------------------------------------------------------

LAYOUT_CHANNELS = {
    "mono": 1,
    "stereo": 2,
    "2.1": 3,
    "3.0": 3,
    "quad": 4,
    "4.0": 4,
    "5.0": 5,
    "5.1": 6,
    "6.1": 7,
    "7.1": 8,
}
_DURATION = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #0:\d+\S*: (Video|Audio): (.*)")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b")
_AUDIO = re.compile(r"(\d+) Hz, ([^,]+)")


def parse_video(description: str) -> VideoStream | None:
    size = _SIZE.search(description)
    if not size:
        return None
    fps = _FPS.search(description)
    rate = float(fps.group(1)) * (1000 if fps.group(2) else 1) if fps else None
    return VideoStream(description.split()[0].rstrip(","), int(size.group(1)), int(size.group(2)), rate)


def parse_audio(description: str) -> AudioStream | None:
    found = _AUDIO.search(description)
    if not found:
        return None
    layout = found.group(2).strip()
    counted = re.fullmatch(r"(\d+) channels", layout)
    channels = int(counted.group(1)) if counted else LAYOUT_CHANNELS.get(layout.split("(")[0], 0)
    return AudioStream(description.split()[0].rstrip(","), int(found.group(1)), channels)


def parse_probe(path: Path, text: str) -> Probe:
    """The ``Duration:`` line and the first video and audio ``Stream #0:n`` lines of ``ffmpeg -i``."""
    duration = _DURATION.search(text)
    seconds = (
        int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)) if duration else None
    )
    video = audio = None
    for kind, description in _STREAM.findall(text):
        if kind == "Video" and video is None and "(attached pic)" not in description:  # cover art is no video
            video = parse_video(description)
        elif kind == "Audio" and audio is None:
            audio = parse_audio(description)
    return Probe(Path(path), seconds, video, audio)


def probe(path: Path) -> Probe:
    """Streams and duration of a media file, from ``ffmpeg -hide_banner -i path``.

    The container's duration is taken as written: fine for the MP4s made here. For an
    input's true length use :func:`audio_seconds`, which does not trust headers.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path.name}: no such file")
    # With no output ffmpeg exits 1 ("At least one output file must be specified") after
    # printing the summary; a file it cannot open has no "Input #0" line.
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", arg(path)], capture_output=True, text=True, errors="replace"
    )
    if "Input #0" not in proc.stderr:
        raise VideoError(f"{path.name}: not a readable media file ({tail(proc.stderr, 2)})")
    return parse_probe(path, proc.stderr)


def audio_seconds(path: Path) -> float:
    """The playing time of the first audio stream, counted from its packets.

    Headers are not trusted: a truncated MP3 keeps its Xing header's full length, an MP3
    without one (or a WAV cut short) gets a length estimated from the bitrate. Copying the
    packets to the null muxer reads the stream without decoding it (an hour of 24-bit WAV
    in about a second) and ffmpeg's progress report ends at the last packet really there.
    """
    proc = run_ffmpeg(
        [
            "-nostdin",
            "-v",
            "error",
            "-nostats",
            "-progress",
            "pipe:1",
            "-i",
            arg(path),
            "-map",
            "0:a:0",
            "-c",
            "copy",
            "-f",
            "null",
            "-",
        ],
        f"{Path(path).name}: reading the audio",
    )
    times = re.findall(r"^out_time_us=(\d+)$", proc.stdout, flags=re.M)
    return int(times[-1]) / 1e6 if times else 0.0


# --- inputs ---------------------------------------------------------------------------------------------------


def check_audio(path: Path) -> tuple[AudioStream, float]:
    """The audio stream and its length; VideoError naming the file if it is missing, empty or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path.name}: no such audio file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path.name}: the audio file is empty (0 bytes)")
    found = probe(path)
    if found.audio is None:
        raise VideoError(f"{path.name}: no audio stream")
    seconds = audio_seconds(path)
    if seconds <= 0:
        raise VideoError(f"{path.name}: no audio (zero length)")
    return found.audio, seconds


def fit_to_frame(image):
    """``image`` (RGB) scaled to fit 1280×720 and centred on black: no cropping, no stretching."""
    from PIL import Image

    if image.size == (WIDTH, HEIGHT):
        return image
    scale = min(WIDTH / image.width, HEIGHT / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    canvas = Image.new("RGB", (WIDTH, HEIGHT))
    canvas.paste(image.resize(size, Image.Resampling.LANCZOS), ((WIDTH - size[0]) // 2, (HEIGHT - size[1]) // 2))
    return canvas


def to_rgb(image):
    """Transparency over black (what the pad colour is); CMYK, palette and grey to RGB."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def open_picture(path: Path):
    """The picture at ``path`` decoded as RGB, EXIF rotation applied; a missing or
    undecodable file is a VideoError naming it."""
    from PIL import Image, ImageOps

    if not path.is_file():
        raise VideoError(f"{path.name}: no such image file")
    try:
        with Image.open(path) as opened:
            opened.load()
            return to_rgb(ImageOps.exif_transpose(opened))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise VideoError(f"{path.name}: not a decodable image ({exc})") from None


def prepare_image(path: Path, folder: Path) -> Path:
    """The thumbnail as a 1280×720 RGB PNG in ``folder``.

    Decoding here rather than in ffmpeg names a missing or corrupt image before any
    encoding starts, and Pillow also applies EXIF rotation, which ffmpeg's image reader does not.
    """

    image = open_picture(Path(path))
    out = folder / "still.png"
    fit_to_frame(image).save(out, compress_level=1)  # read once by ffmpeg: speed over size
    return out


# --- the encode -----------------------------------------------------------------------------------------------


def video_filter(fps: float, frames: int, waveform: bool) -> str:
    """The filter graph from the still ([0:v]) and, for the waveform, the audio ([1:a:0]) to [v]."""
    # One frame in: the colour conversion (BT.709, as YouTube assumes for HD, tagged so) runs
    # once, and `loop` repeats the converted frame in memory; `-loop 1` on the input would
    # decode and convert the PNG again for every frame.
    still = (
        "[0:v]scale=flags=lanczos+accurate_rnd:out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
    )
    repeat = f"loop=loop=-1:size=1:start=0,fps={fps:g},trim=end_frame={frames}"
    if not waveform:
        return f"{still},{repeat}[v]"
    top = HEIGHT - BAND_HEIGHT - BAND_MARGIN
    return (
        f"{still},drawbox=x=0:y={top}:w=iw:h={BAND_HEIGHT}:color=black@0.35:t=fill,{repeat}[bg];"
        # sqrt scale lifts the quiet passages (a master at -14 LUFS sits well below full scale)
        f"[1:a:0]aformat=channel_layouts=mono,showwaves=s={WIDTH}x{BAND_HEIGHT}:mode=cline:rate={fps:g}:"
        f"scale=sqrt:colors=white@0.85,format=yuva420p[wave];"
        f"[bg][wave]overlay=x=0:y={top}:shortest=1:format=yuv420[v]"
    )


def audio_options(source: AudioStream, bitrate: str) -> list[str]:
    if source.codec == "aac" and source.channels == 2:
        return ["-c:a", "copy"]  # already AAC stereo: a second lossy generation gains nothing
    return [*aac_encoder(bitrate), "-ac", "2"]  # 44.1 kHz masters become 48 kHz


def ffmpeg_args(
    still: Path, audio: Path, out: Path, seconds: float, fps: float, waveform: bool, preset: str, audio_args: list[str]
) -> list[str]:
    gop = max(1, round(fps * KEYFRAME_S))
    # The loop is endless and -shortest would stop it a GOP late; -t alone keeps every frame
    # that starts before the end, so the last can run on by up to a frame (0.5 s at 2 fps).
    # Trimming to a count of frames ends the picture within a frame *before* the audio does
    # (a player holds the last frame), and the file's duration is the audio's. (In the graph,
    # not -frames:v: ffmpeg ends every stream when one reaches its -frames.)
    frames = max(1, math.floor(seconds * fps + 1e-6))
    return [
        "-nostdin",
        "-y",
        "-v",
        "error",
        "-framerate",
        f"{fps:g}",
        "-i",
        arg(still),
        "-i",
        arg(audio),
        "-filter_complex",
        video_filter(fps, frames, waveform),
        "-map",
        "[v]",
        "-map",
        "1:a:0",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-tune",
        "stillimage",
        "-crf",
        str(CRF),
        "-g",
        str(gop),
        "-pix_fmt",
        "yuv420p",
        *audio_args,
        *mp4_ending(seconds, out),
    ]


def mp4_ending(seconds: float, out: Path) -> list[str]:
    """The output options every upload ends with: its length, the moov atom first, MP4."""
    return ["-t", f"{seconds:.6f}", "-movflags", "+faststart", "-f", "mp4", arg(out)]


def problems_with(found: Probe, expected_s: float, size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[str]:
    problems = []
    video, audio = found.video, found.audio
    if video is None:
        problems.append("no video stream")
    else:
        if video.codec != "h264":
            problems.append(f"video codec {video.codec}, not h264")
        if (video.width, video.height) != size:
            problems.append(f"video {video.width}×{video.height}, not {size[0]}×{size[1]}")
    if audio is None:
        problems.append("no audio stream")
    else:
        if audio.codec != "aac":
            problems.append(f"audio codec {audio.codec}, not aac")
        if audio.channels != 2:
            problems.append(f"audio has {audio.channels or 'an unknown number of'} channels, not 2 (stereo)")
    if found.duration_s is None:
        problems.append("no duration")
    elif abs(found.duration_s - expected_s) > TOLERANCE_S:
        problems.append(f"duration {found.duration_s:.2f} s, expected {expected_s:.2f} s (±{TOLERANCE_S:g})")
    return problems


def verify_video(path: Path, expected_s: float, size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[str]:
    """What is wrong with ``path`` as an upload of ``expected_s`` seconds (empty when nothing):
    an H.264 video stream of ``size`` (1280×720), an AAC stereo audio stream, the duration
    within 0.5 s."""
    path = Path(path)
    if not path.is_file():
        return ["no such file"]
    try:
        found = probe(path)
    except VideoError as exc:
        return [str(exc)]
    return problems_with(found, expected_s, size)


def made_info(out: Path, made: Probe, started: float, fps: float, waveform: bool) -> VideoInfo:
    """What an encode that began at ``started`` (``perf_counter``) made, as probed."""
    encode_s = time.perf_counter() - started
    return VideoInfo(
        path=out,
        seconds=made.duration_s,
        bytes=out.stat().st_size,
        video_codec=made.video.codec,
        audio_codec=made.audio.codec,
        width=made.video.width,
        height=made.video.height,
        fps=made.video.fps or fps,
        waveform=waveform,
        encode_s=round(encode_s, 3),
        realtime_factor=round(made.duration_s / encode_s, 1),
    )


def encode_video(
    image: Path,
    audio: Path,
    out: Path,
    *,
    waveform: bool = False,
    fps: float | None = None,
    audio_bitrate: str = AAC_BITRATE,
    preset: str = PRESET,
) -> VideoInfo:
    """Encode ``image`` held for the length of ``audio`` as the MP4 ``out``; verified before it is named.

    ``fps`` defaults to 2 for the still and 15 with the waveform; ``preset`` is x264's.
    Raises VideoError naming the file for a missing or undecodable input, an ffmpeg
    failure or a result that fails its checks; ``out`` is then left as it was.
    """
    started = time.perf_counter()
    image, audio, out = Path(image), Path(audio), Path(out)
    if out.suffix.lower() != ".mp4":
        raise VideoError(f"{out.name}: the video must be an .mp4")
    fps = float(fps or (WAVEFORM_FPS if waveform else STILL_FPS))
    with tempfile.TemporaryDirectory(prefix="lofi-video-") as scratch:
        still = prepare_image(image, Path(scratch))
        source, seconds = check_audio(audio)
        with atomic_local_path(out, suffix=".mp4") as tmp:
            run_ffmpeg(
                ffmpeg_args(still, audio, tmp, seconds, fps, waveform, preset, audio_options(source, audio_bitrate)),
                f"{audio.name} + {image.name}",
            )
            made = probe(tmp)
            problems = problems_with(made, seconds)
            if problems:
                raise VideoError(f"{out.name} (from {audio.name}, {image.name}): {'; '.join(problems)}")
    return made_info(out, made, started, fps, waveform)


# --- the moving scene ------------------------------------------------------------------------------------------

MIN_SCENE_FPS = 24.0
FLASH_LEVELS = 20.0  # a mean luma jump between two frames above this (of 255) reads as a flash
MOVED_LEVELS = 2.0  # a pixel that changes by more than this (of 255) from one frame to the next moved
STILL_SHARE = 0.001  # frames where fewer pixels than this share moved do not move (a still: none)
STILL_LEVELS = 0.05  # a mean change under this (of 255) is no change at all
# the seam's frame is a keyframe, encoded afresh where the frame before it was predicted: a
# little more change there is the encoder's, not the scene's
SEAM_TOLERANCE = 1.25
PROBE_SIZE = (160, 90)  # frames are compared at this size: motion, not detail


def grey_frames(path: Path, count: int, start_s: float = 0.0) -> np.ndarray:
    """``count`` frames from ``start_s``, decoded small and grey: ``[count, 90, 160]`` float32."""
    width, height = PROBE_SIZE
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{start_s:.3f}", "-i", arg(Path(path)),
         "-frames:v", str(count), "-vf", f"scale={width}:{height},format=gray", "-f", "rawvideo", "-"],
        capture_output=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise VideoError(f"{Path(path).name}: cannot decode frames: {tail(proc.stderr.decode(errors='replace'))}")
    data = np.frombuffer(proc.stdout, np.uint8)
    got = data.size // (width * height)
    return data[: got * width * height].reshape(got, height, width).astype(np.float32)


@dataclass(frozen=True)
class SceneMotion:
    motion: float  # the median share of pixels that move from one frame to the next
    largest_step: float  # the largest such change inside the loop
    seam: float | None  # the change from the loop's last frame to its first, as the video plays it
    flashes: int  # steps whose mean luma jumps more than FLASH_LEVELS

    def problems(self) -> list[str]:
        out = []
        if self.motion < STILL_SHARE:
            out.append(f"the scene does not move ({100 * self.motion:.2f} % of its pixels move a frame)")
        if self.seam is not None and self.seam > SEAM_TOLERANCE * max(self.largest_step, STILL_LEVELS):
            out.append(
                f"the loop's seam ({self.seam:.2f}) is a larger change than any within it ({self.largest_step:.2f})"
            )
        if self.flashes:
            out.append(f"{self.flashes} flashes (a mean luma jump over {FLASH_LEVELS:g} of 255)")
        return out


def scene_motion(path: Path, loop_frames: int) -> SceneMotion:
    """Motion, seam and flashes of a video that repeats a loop of ``loop_frames``, read from
    its first loop and the first frame of the second (a video shorter than a loop plays no
    seam: ``seam`` is None)."""
    frames = grey_frames(path, loop_frames + 1)
    if len(frames) < 3:
        raise VideoError(f"{Path(path).name}: {len(frames)} frames decoded, too few to see motion")
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    jumps = np.abs(np.diff(frames.mean(axis=(1, 2))))
    seam = round(float(steps[-1]), 3) if len(frames) == loop_frames + 1 else None
    within = steps[:-1] if seam is not None else steps
    moved = (np.abs(np.diff(frames, axis=0)) > MOVED_LEVELS).mean(axis=(1, 2))
    return SceneMotion(
        motion=round(float(np.median(moved)), 5),
        largest_step=round(float(within.max()), 3),
        seam=seam,
        flashes=int((jumps > FLASH_LEVELS).sum()),
    )


def contact_sheet(path: Path, seconds: float, out: Path, count: int = 6, columns: int = 3) -> Path:
    """Frames at even times over ``seconds`` of the video, in a grid (JPEG), to look at before
    it goes out."""
    from PIL import Image

    width, height = WIDTH // columns, HEIGHT // columns
    rows = -(-count // columns)
    sheet = Image.new("RGB", (width * columns, height * rows))
    for i in range(count):
        at = seconds * (i + 0.5) / count
        proc = subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i", arg(Path(path)), "-frames:v", "1",
             "-vf", f"scale={width}:{height}", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
            capture_output=True,
        )  # fmt: skip
        if proc.returncode != 0 or len(proc.stdout) < width * height * 3:
            raise VideoError(f"{Path(path).name}: no frame at {at:.1f} s for the contact sheet")
        frame = Image.frombytes("RGB", (width, height), proc.stdout[: width * height * 3])
        sheet.paste(frame, ((i % columns) * width, (i // columns) * height))
    with atomic_local_path(Path(out), suffix=".jpg") as tmp:
        sheet.save(tmp, format="JPEG", quality=85)
    return Path(out)
