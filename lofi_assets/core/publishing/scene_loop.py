"""The video's moving scene: the thumbnail's procedural art, without its title, brought to
life as a seamless loop, rendered once a track and repeated to the master's length.

What moves is periodic in the loop's length, so its last frame leads into its first as any
frame leads into the next: stars twinkle (each at a whole number of cycles a loop), clouds
drift (a texture periodic in the distance they drift in one loop), rain falls (streak
layers that scroll a whole number of frame heights a loop), and where it does not rain,
motes of light float up a frame height a loop, swaying. The loop is encoded once
(H.264 High, yuv420p, BT.709, a closed GOP of half the frame rate, no B-frames) and the
video is laid out from its GOPs by stream copy (:mod:`.gop_stream`), so an hour costs one
loop's encode.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lofi_assets.core.audio_io import ffmpeg_exe
from lofi_assets.core.files import atomic_local_path
from lofi_assets.core.publishing.gop_stream import x264_args
from lofi_assets.core.publishing.thumbnail.scene import PALETTES, Palette, procedural_background
from lofi_assets.core.publishing.video import feed_ffmpeg

LOOP_S = 16.0
FPS = 24
SIZE = (1280, 720)
SKY_SHARE = 0.55  # the top of the frame that is sky in every procedural scene (the skyline starts lower)
CLOUD_DRIFT_PX = 320  # a loop's drift of the clouds: 20 px a second at 16 s
WEATHERS = ("rain", "stars", "clear")
CRF = 24  # a busy rain loop at 24 fps: ~0.4 MB/s; the picture is soft art, not detail


class SceneError(ValueError):
    pass


@dataclass(frozen=True)
class SceneLoop:
    path: Path
    seconds: float
    fps: int
    frames: int
    weather: str
    palette: str
    render_s: float


STAR_WORDS = r"\bstar(s|ry|lit|light)?\b|\bnight sky\b|\bconstellations?\b"


def weather_in_text(*texts: str) -> str | None:
    """The weather a plan's words ask the scene for: ``rain`` (the sound plan's own rain
    words), ``stars``, or None (the palette's own)."""
    import re

    from lofi_assets.core.generation.sound_plan import TEXTURE_WORDS

    text = " ".join(texts).lower()
    if re.search(TEXTURE_WORDS["rain"], text):
        return "rain"
    if re.search(STAR_WORDS, text):
        return "stars"
    return None


def palette_for(seed: int, palette: str | None = None) -> tuple[str, Palette]:
    """The palette the thumbnail of ``seed`` is painted in (or the one named)."""
    if palette is None:
        name = list(PALETTES)[seed % len(PALETTES)]
    elif palette in PALETTES:
        name = palette
    else:
        raise SceneError(f"unknown palette {palette!r}; choose one of {', '.join(PALETTES)}")
    return name, PALETTES[name]


def _periodic_noise(rng: np.random.Generator, height: int, period: int, smooth: float) -> np.ndarray:
    """Soft noise periodic in x with ``period`` px (low frequencies only), 0..1."""
    spectrum = np.fft.rfft2(rng.standard_normal((height, period)))
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(period)[None, :]
    spectrum *= np.exp(-((fx**2 + fy**2) ** 0.5) * smooth)
    field = np.fft.irfft2(spectrum, s=(height, period))
    field -= field.min()
    return (field / max(field.max(), 1e-9)).astype(np.float32)


def _rain_layer(rng: np.random.Generator, width: int, height: int, count: int, length: int, slant: float) -> np.ndarray:
    layer = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        level = int(rng.uniform(60, 200))
        for dy in (0, -height):  # drawn twice, so a streak crossing the bottom wraps to the top
            draw.line([(x, y + dy), (x + slant * length, y + dy + length)], fill=level, width=1)
    return np.asarray(layer, np.float32) / 255.0


def scene_frames(
    seed: int,
    palette: str | None = None,
    seconds: float = LOOP_S,
    fps: int = FPS,
    weather: str | None = None,
    background: Image.Image | None = None,
) -> Iterator[np.ndarray]:
    """The loop's frames, ``uint8`` ``[height, width, 3]``; frame ``n`` and frame ``n + frames``
    would be the same. ``weather`` (rain, stars, clear) overrides the palette's. A
    ``background`` (an operator's picture, already the frame's size) takes the procedural
    art's place; the weather moves over it, without the art's clouds (its sky is not known)."""
    _, pal = palette_for(seed, palette)
    if weather is not None:
        pal = replace(pal, weather=weather)
    width, height = SIZE
    frames = max(2, round(seconds * fps))
    rng = np.random.default_rng([seed, 0x5CE4E])
    if background is None:
        base = np.asarray(procedural_background(seed, replace(pal, weather="clear"), grain=False), np.float32) / 255.0
    elif background.size != SIZE:
        raise SceneError(f"a background of {background.width}×{background.height}, not {width}×{height}")
    else:
        base = np.asarray(background.convert("RGB"), np.float32) / 255.0
    sky_h = int(height * SKY_SHARE)
    luma = base[..., :3] @ np.asarray([0.2126, 0.7152, 0.0722], np.float32)

    # stars where the sky is dark, each twinkling a whole number of times a loop
    stars = None
    if pal.weather == "stars":
        n = 260
        ys = (rng.random(n) ** 1.5 * sky_h * 0.9).astype(int)
        xs = rng.integers(0, width, n)
        keep = luma[ys, xs] < 0.35
        ys, xs = ys[keep], xs[keep]
        stars = (
            ys,
            xs,
            rng.uniform(0.3, 0.95, len(ys)),
            rng.integers(1, 4, len(ys)),
            rng.uniform(0, 2 * np.pi, len(ys)),
        )

    # clouds over the sky, drifting CLOUD_DRIFT_PX a loop
    period = CLOUD_DRIFT_PX
    clouds = np.tile(_periodic_noise(rng, sky_h, period, 150.0), (1, width // period + 2))
    fade = np.clip(1.0 - np.arange(sky_h, dtype=np.float32) / sky_h, 0, 1)[:, None] ** 0.7
    cloud_colour = np.asarray(pal.sky_mid, np.float32) / 255.0 * 0.6 + 0.25
    cloud_alpha = 0.22 * np.clip(clouds * 1.6 - 0.55, 0, 1) * fade[:, :1] * (background is None)

    rain = []
    if pal.weather == "rain":
        slant = rng.uniform(-0.2, 0.2)
        rain = [
            (_rain_layer(rng, width, height, 240, 26, slant), 0.18, 18),  # far: dim, a frame height every 0.9 s
            (_rain_layer(rng, width, height, 90, 48, slant), 0.30, 32),  # near: brighter, faster
        ]

    # without rain, motes of light drift up through the frame (a whole frame height a loop)
    # and sway: the lo-fi video's floating dust
    motes = None
    if not rain:
        n = 70
        sprite = np.exp(-((np.arange(-6, 7)[:, None] ** 2 + np.arange(-6, 7)[None, :] ** 2) / 8.0)).astype(np.float32)
        motes = (
            rng.uniform(0, width, n),
            rng.uniform(0, height, n),
            rng.uniform(0.15, 0.45, n),
            rng.integers(1, 3, n),
            rng.uniform(0, 2 * np.pi, n),
            sprite,
        )
    glow = np.asarray(pal.windows, np.float32) / 255.0

    for f in range(frames):
        img = base.copy()
        if motes is not None:
            x0, y0, level, cycles, phase, sprite = motes
            ys = (y0 - f * height / frames) % height
            xs = x0 + 14 * np.sin(2 * np.pi * cycles * f / frames + phase)
            for x, y, a in zip(xs.astype(int), ys.astype(int), level):
                if 6 <= x < width - 7 and 6 <= y < height - 7:
                    patch = img[y - 6 : y + 7, x - 6 : x + 7]
                    img[y - 6 : y + 7, x - 6 : x + 7] = 1.0 - (1.0 - patch) * (1.0 - glow * (a * sprite)[..., None])
        if stars is not None:
            ys, xs, bright, cycles, phase = stars
            level = bright * (0.55 + 0.45 * np.sin(2 * np.pi * cycles * f / frames + phase))
            img[ys, xs] = np.maximum(img[ys, xs], level[:, None].astype(np.float32))
        shift = round(f * period / frames)
        alpha = cloud_alpha[:, shift : shift + width]
        sky = img[:sky_h]
        img[:sky_h] = 1.0 - (1.0 - sky) * (1.0 - cloud_colour * alpha[..., None])
        for layer, strength, cycles in rain:
            offset = (f * cycles * height // frames) % height
            streaks = np.roll(layer, offset, axis=0) * strength
            img += streaks[..., None] * np.asarray([0.8, 0.85, 0.95], np.float32)
        yield (np.clip(img, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def encode_args(out: Path, fps: int, crf: int = CRF, size: tuple[int, int] = SIZE) -> list[str]:
    """ffmpeg reading raw RGB frames (``SIZE``) on stdin, writing the loop at ``size`` as an
    MP4 whose GOPs a video can be laid out from (:func:`.gop_stream.x264_args`), moov first."""
    width, height = SIZE
    scale = "" if size == SIZE else f"scale={size[0]}:{size[1]}:flags=lanczos,"
    return [
        ffmpeg_exe(), "-nostdin", "-y", "-v", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-",
        "-vf", f"{scale}scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
        *x264_args(fps, crf),
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]  # fmt: skip


def write_loop(frames: Iterator[np.ndarray], out: Path, fps: int, size: tuple[int, int] = SIZE) -> int:
    """``frames`` (RGB ``uint8``, ``SIZE``) encoded at ``size`` as the loop MP4 ``out`` (under a
    temporary name until it is whole); returns how many were written."""
    count = 0

    def raw() -> Iterator[bytes]:
        nonlocal count
        for frame in frames:
            count += 1
            yield frame.tobytes()

    with atomic_local_path(out, suffix=".mp4") as tmp:
        code, said = feed_ffmpeg(encode_args(tmp, fps, CRF, size), raw())
        if code != 0:
            raise SceneError(f"{out.name}: ffmpeg failed encoding the scene loop: {said.strip()[-300:]}")
    return count


def render_loop(
    seed: int,
    out: Path,
    palette: str | None = None,
    seconds: float = LOOP_S,
    fps: int = FPS,
    weather: str | None = None,
    size: tuple[int, int] = SIZE,
) -> SceneLoop:
    """The scene of ``seed`` as an MP4 loop at ``out`` (written under a temporary name), its
    frames ``size`` (drawn at 1280×720, scaled); ``weather`` (rain, stars, clear) overrides
    the palette's."""
    if not 1.0 <= seconds <= 120.0 or not 1 <= fps <= 60:
        raise SceneError(f"a loop of {seconds:g} s at {fps} fps: expected 1–120 s at 1–60 fps")
    if weather not in (None, *WEATHERS):
        raise SceneError(f"unknown weather {weather!r}; choose one of {', '.join(WEATHERS)}")
    name, pal = palette_for(seed, palette)
    pal = replace(pal, weather=weather or pal.weather)
    started = time.perf_counter()
    frames = write_loop(scene_frames(seed, palette, seconds, fps, weather), Path(out), fps, size)
    return SceneLoop(Path(out), frames / fps, fps, frames, pal.weather, name, round(time.perf_counter() - started, 2))
