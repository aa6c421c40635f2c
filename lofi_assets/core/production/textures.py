"""Texture layers: the rain, thunder, crackle and city a prompt asks to hear under its song.

Every layer is made procedurally for the whole song at once, from its seed: nothing loops,
so nothing is heard repeating over a three-minute song, and the same seed gives the same
samples. Each maker returns float32 stereo ``[2, frames]`` scaled to a reference RMS of 1
(its sounding part: a sparse layer such as thunder is measured while it sounds), so the
level a producer sets against the music (:data:`LEVEL_DB`) is one gain. The sources:

- **rain**: pink noise band-limited to the hiss of falling water, its density drifting,
  plus drops (Poisson, more of them the heavier the rain) as short bright bursts;
- **thunder**: a few low rumbles a minute, brown noise under 150 Hz (90 Hz distant) with a
  slow attack and a long decay;
- **vinyl crackle**: sparse impulsive clicks over faint surface noise;
- **tape hiss** and **static**: high-passed white noise, static flickering at 20 Hz;
- **hum**: 60 Hz mains and its harmonics, slowly breathing;
- **wind**: pink noise through a band whose centre and level drift in gusts;
- **city**: a low traffic rumble and cars passing every 10–30 s;
- **train**: the rails' clack pairs at a steady pace over a low carriage rumble;
- **café**: a murmur of voices (speech-band noise with syllabic modulation) and cups;
- **fireplace**: a low roar with pops and crackles;
- **ocean**: low-passed noise in swells of 8–14 s;
- **birds**: chirps, fast frequency sweeps between 2 and 6 kHz, in small flurries;
- **night insects**: crickets, 4–5 kHz tones in chirps of pulses;
- **radio**: a speech-band hiss with a slowly tuning whistle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lofi_assets.core.audio_io import RATE
from lofi_assets.core.production.colour import _rms

# Each layer's RMS against the music's RMS (dB) as producers set such beds: rain and the
# sea as a bed heard through the music, crackle and hiss under it, hum barely there.
LEVEL_DB: dict[str, float] = {
    "rain": -20.0,
    "thunder": -14.0,
    "vinyl crackle": -28.0,
    "tape hiss": -32.0,
    "static": -30.0,
    "hum": -32.0,
    "wind": -22.0,
    "city": -22.0,
    "train": -20.0,
    "café": -22.0,
    "fireplace": -22.0,
    "ocean": -20.0,
    "birds": -24.0,
    "night insects": -28.0,
    "radio": -30.0,
}
SOFTER_DB = -6.0  # "light", "soft", "distant", "faint", "gentle"
LOUDER_DB = 4.0  # "heavy", "close", "loud", "pouring"
ONLY_MUSIC_DB = -10.0  # "rain only": the music drops away under the layer
SOFTER_WORDS = ("light", "soft", "distant", "faint", "gentle", "far", "quiet", "subtle", "low")
LOUDER_WORDS = ("heavy", "close", "loud", "pouring", "thick", "strong", "nearby")


class TextureError(ValueError):
    pass


@dataclass(frozen=True)
class Layer:
    texture: str
    level_db: float  # RMS against the music's RMS
    why: str  # the words that set it


def _rng(seed: int, texture: str) -> np.random.Generator:
    return np.random.default_rng([int(seed) % (1 << 32), *texture.encode()])


def _sos(kind: str, cutoff, rate: int, order: int = 2) -> np.ndarray:
    from scipy import signal as sps  # scipy.signal costs a second to import: only where used

    if np.ndim(cutoff):
        cutoff = [min(float(c), 0.45 * rate) for c in cutoff]
    else:
        cutoff = min(float(cutoff), 0.45 * rate)
    return sps.butter(order, cutoff, kind, fs=rate, output="sos")


def _filter(x: np.ndarray, *sections: np.ndarray) -> np.ndarray:
    """``x`` through the cascade of second-order ``sections`` (float32 in, float32 out)."""
    from scipy import signal as sps

    return sps.sosfilt(np.concatenate(sections), x, axis=-1).astype(np.float32, copy=False)


def _pink_sos() -> np.ndarray:
    from scipy import signal as sps

    from lofi_assets.core.production.colour import PINK_A, PINK_B

    return sps.tf2sos(PINK_B, PINK_A)


def _brown_sos() -> np.ndarray:
    from scipy import signal as sps

    # a leaky integrator: -6 dB/octave above 5 Hz, no drift below
    return sps.tf2sos([1.0], [1.0, -0.9993])


def _noise(rng: np.random.Generator, frames: int, channels: int = 2) -> np.ndarray:
    return rng.standard_normal((channels, frames), dtype=np.float32)


def _slow(rng: np.random.Generator, frames: int, rate: int, hz: float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """A smooth random curve between ``lo`` and ``hi`` changing about ``hz`` times a second."""
    points = max(2, int(frames / rate * hz) + 2)
    knots = lo + (hi - lo) * rng.random(points)
    at = np.linspace(0, frames - 1, points)
    return np.interp(np.arange(frames, dtype=np.float32), at, knots).astype(np.float32)


def _events(rng: np.random.Generator, frames: int, rate: int, per_s: float) -> np.ndarray:
    return np.sort(rng.integers(0, frames, int(rng.poisson(per_s * frames / rate))))


def _place(
    out: np.ndarray, at: np.ndarray, bursts: np.ndarray, rng: np.random.Generator, spread: float = 0.5
) -> np.ndarray:
    """Add ``bursts`` ``[count, length]`` into ``out`` at ``at``, each at a random pan."""
    count, length = bursts.shape
    if count == 0:
        return out
    pan = (0.5 + spread * (rng.random(count) - 0.5)) * (np.pi / 2)
    index = (at[:, None] + np.arange(length)[None, :]).reshape(-1)
    keep = index < out.shape[1]
    for ch, gain in enumerate((np.cos(pan), np.sin(pan))):
        weights = (bursts * (np.sqrt(2) * gain)[:, None]).reshape(-1)
        out[ch] += np.bincount(index[keep], weights[keep], minlength=out.shape[1])[: out.shape[1]].astype(np.float32)
    return out


def _decaying_noise(rng: np.random.Generator, count: int, length: int, rate: int, tau: np.ndarray) -> np.ndarray:
    t = np.arange(length) / rate
    return (rng.standard_normal((count, length)) * np.exp(-t[None, :] / tau[:, None])).astype(np.float32)


def rain(frames: int, rate: int, rng: np.random.Generator, heavy: bool = False) -> np.ndarray:
    bed = _filter(_noise(rng, frames), _pink_sos(), _sos("bandpass", (400.0, 9000.0), rate))
    bed *= _slow(rng, frames, rate, 0.2, 0.7, 1.0)
    drops = np.zeros((2, frames), dtype=np.float32)
    at = _events(rng, frames, rate, 180.0 if heavy else 60.0)
    length = int(0.008 * rate)
    bursts = _decaying_noise(rng, len(at), length, rate, rng.uniform(0.3e-3, 1.5e-3, len(at)))
    bursts = _filter(bursts, _sos("highpass", 1800.0, rate)) * (rng.random(len(at)) ** 2)[:, None]
    _place(drops, at, bursts, rng, spread=0.9)
    return bed / max(_rms(bed), 1e-9) + 1.2 * drops / max(_rms(drops), 1e-9)


def thunder(frames: int, rate: int, rng: np.random.Generator, distant: bool = False) -> np.ndarray:
    out = np.zeros((2, frames), dtype=np.float32)
    seconds = frames / rate
    t = rng.uniform(2.0, 25.0)
    starts = []
    while t < seconds:
        starts.append(int(t * rate))
        t += rng.uniform(20.0, 45.0)
    if not starts:
        starts = [int(min(2.0, seconds * 0.1) * rate)]
    length = min(frames, int(9.0 * rate))
    tt = np.arange(length) / rate
    for s in starts:
        attack, decay = rng.uniform(0.2, 0.6), rng.uniform(2.5, 5.0)
        env = (1 - np.exp(-tt / attack)) * np.exp(-tt / decay)
        env *= 0.6 + 0.4 * _slow(rng, length, rate, 3.0)  # rolls within the rumble
        n = min(length, frames - s)
        rumble = _filter(_noise(rng, length), _brown_sos(), _sos("lowpass", 90.0 if distant else 150.0, rate, 4))
        out[:, s : s + n] += rumble[:, :n] * env[:n]
    return out


def vinyl_crackle(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((2, frames), dtype=np.float32)
    at = _events(rng, frames, rate, 12.0)
    length = int(0.004 * rate)
    bursts = _decaying_noise(rng, len(at), length, rate, rng.uniform(0.05e-3, 0.4e-3, len(at)))
    bursts = _filter(bursts, _sos("highpass", 600.0, rate))
    bursts *= (rng.random(len(at)) ** 3 * rng.choice([-1.0, 1.0], len(at)))[:, None]
    _place(out, at, bursts, rng)
    clicks = out
    surface = _filter(_noise(rng, frames), _pink_sos(), _sos("bandpass", (800.0, 8000.0), rate))
    return clicks / max(_rms(clicks), 1e-9) + 0.15 * surface / max(_rms(surface), 1e-9)


def tape_hiss(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    return _filter(_noise(rng, frames), _sos("bandpass", (3000.0, 14000.0), rate))


def static(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    noise = _filter(_noise(rng, frames), _sos("bandpass", (1500.0, 9000.0), rate))
    return noise * _slow(rng, frames, rate, 20.0, 0.3, 1.0)


def hum(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    period = rate // 60 if rate % 60 == 0 else round(rate / 60)  # mains: one cycle, repeated
    t = np.arange(period) / period
    cycle = sum(a * np.sin(2 * np.pi * k * t + rng.uniform(0, 2 * np.pi)) for k, a in ((1, 1.0), (2, 0.5), (3, 0.3)))
    wave = np.tile(cycle.astype(np.float32), frames // period + 1)[:frames] * _slow(rng, frames, rate, 0.3, 0.8, 1.0)
    return np.stack([wave, wave])


def wind(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    noise = _filter(_noise(rng, frames), _pink_sos())
    low = _filter(noise, _sos("bandpass", (150.0, 600.0), rate))
    high = _filter(noise, _sos("bandpass", (500.0, 2000.0), rate))
    gust = _slow(rng, frames, rate, 0.15, 0.2, 1.0)
    return low * gust + high * gust**2


def city(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    rumble = _filter(_noise(rng, frames), _brown_sos(), _sos("lowpass", 300.0, rate))
    rumble /= max(_rms(rumble), 1e-9)
    cars = np.zeros((2, frames), dtype=np.float32)
    t, seconds = rng.uniform(0, 10), frames / rate
    noise = _filter(_noise(rng, frames), _pink_sos(), _sos("bandpass", (200.0, 2500.0), rate))
    while t < seconds:
        length, s = int(rng.uniform(4.0, 8.0) * rate), int(t * rate)
        n = min(length, frames - s)
        env = np.sin(np.linspace(0, np.pi, length)[:n]) ** 2
        sweep = np.linspace(-1, 1, length)[:n] * (1 if rng.random() < 0.5 else -1)  # passes left to right or back
        cars[0, s : s + n] += noise[0, s : s + n] * env * np.sqrt(0.5 * (1 - sweep))
        cars[1, s : s + n] += noise[1, s : s + n] * env * np.sqrt(0.5 * (1 + sweep))
        t += rng.uniform(10.0, 30.0)
    return rumble + 1.5 * cars / max(_rms(cars), 1e-9)


def train(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    rumble = _filter(_noise(rng, frames), _brown_sos(), _sos("lowpass", 200.0, rate))
    rumble /= max(_rms(rumble), 1e-9)
    period, gap = rng.uniform(1.0, 1.4), rng.uniform(0.12, 0.18)  # a rail joint under each bogie
    starts = np.arange(0.3, frames / rate, period)
    at = np.sort(np.concatenate([starts, starts + gap]))
    at = (at * rate).astype(int)
    at = at[at < frames]
    length = int(0.05 * rate)
    clacks = _decaying_noise(rng, len(at), length, rate, np.full(len(at), 8e-3))
    clacks = _filter(clacks, _sos("bandpass", (150.0, 2500.0), rate))
    out = _place(np.zeros((2, frames), dtype=np.float32), at, clacks, rng, spread=0.2)
    return 0.7 * rumble + out / max(_rms(out), 1e-9)


def cafe(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    voices = np.zeros((2, frames), dtype=np.float32)
    speech = _filter(_noise(rng, frames, 4), _pink_sos(), _sos("bandpass", (250.0, 3000.0), rate))
    for talker in speech:  # a room of talkers, each with syllables and pauses
        syllables = _slow(rng, frames, rate, 5.0) ** 2 * (_slow(rng, frames, rate, 0.3) > 0.4)
        pan = rng.uniform(0.2, 0.8) * np.pi / 2
        voices[0] += talker * syllables * np.float32(np.cos(pan))
        voices[1] += talker * syllables * np.float32(np.sin(pan))
    voices /= max(_rms(voices), 1e-9)
    at = _events(rng, frames, rate, 0.25)
    length = int(0.3 * rate)
    t = np.arange(length) / rate
    freqs = rng.uniform(2500.0, 4500.0, len(at))
    clinks = np.sin(2 * np.pi * freqs[:, None] * t[None, :]) * np.exp(-t[None, :] / 0.05) * 0.5
    cups = _place(np.zeros((2, frames), dtype=np.float32), at, clinks.astype(np.float32), rng)
    return voices + cups


def fireplace(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    roar = _filter(_noise(rng, frames), _brown_sos(), _sos("lowpass", 400.0, rate))
    roar *= _slow(rng, frames, rate, 0.5, 0.6, 1.0)
    roar /= max(_rms(roar), 1e-9)
    at = _events(rng, frames, rate, 6.0)
    length = int(0.02 * rate)
    pops = _decaying_noise(rng, len(at), length, rate, rng.uniform(0.5e-3, 4e-3, len(at)))
    pops = _filter(pops, _sos("highpass", 300.0, rate)) * (rng.random(len(at)) ** 2)[:, None]
    pops = _place(np.zeros((2, frames), dtype=np.float32), at, pops, rng)
    return roar + 1.5 * pops / max(_rms(pops), 1e-9)


def ocean(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    noise = _filter(_noise(rng, frames), _pink_sos(), _sos("lowpass", 1500.0, rate))
    t, seconds = 0.0, frames / rate
    swell = np.zeros(frames, dtype=np.float32)
    while t < seconds:  # each wave rises, breaks and draws back
        period, s = rng.uniform(8.0, 14.0), int(t * rate)
        length = int(period * rate)
        n = min(length, frames - s)
        x = np.linspace(0, 1, length)[:n]
        swell[s : s + n] += (np.sin(np.pi * x**0.6) ** 2).astype(np.float32)
        t += period * rng.uniform(0.7, 0.9)  # the next comes in as this one draws back
    return noise * (0.15 + swell)


def birds(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((2, frames), dtype=np.float32)
    flurries = _events(rng, frames, rate, 0.3)
    at = np.concatenate(
        [f + (np.cumsum(rng.uniform(0.08, 0.25, rng.integers(2, 7))) * rate).astype(int) for f in flurries]
    )
    at = np.sort(at[at < frames]) if len(flurries) else np.zeros(0, dtype=int)
    length = int(0.12 * rate)
    t = np.arange(length) / rate
    start, end = rng.uniform(2000.0, 6000.0, len(at)), rng.uniform(2000.0, 6000.0, len(at))
    freq = start[:, None] + (end - start)[:, None] * (t / t[-1])[None, :]
    phase = 2 * np.pi * np.cumsum(freq, axis=1) / rate
    chirps = (np.sin(phase) * np.sin(np.pi * t / t[-1])[None, :] ** 2).astype(np.float32)
    return _place(out, at, chirps, rng, spread=0.9)


def night_insects(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((2, frames), dtype=np.float32)
    for _ in range(3):  # three crickets, each its own pitch and pace: one chirp cycle repeated
        period = int(rate / rng.uniform(1.5, 3.0))
        t = np.arange(period) / rate
        chirp = np.sin(2 * np.pi * rng.uniform(4000.0, 5000.0) * t) * (np.sin(2 * np.pi * 30.0 * t) > 0.3)
        chirp *= t < 0.12 * period / rate
        start = int(rng.integers(0, period))
        voice = np.tile(chirp.astype(np.float32), frames // period + 2)[start : start + frames]
        voice *= _slow(rng, frames, rate, 0.05) ** 0.5  # each falls quiet now and then
        pan = rng.uniform(0.1, 0.9) * np.pi / 2
        out[0] += voice * np.float32(np.cos(pan))
        out[1] += voice * np.float32(np.sin(pan))
    return out


def radio(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    band = _filter(_noise(rng, frames, 1), _sos("bandpass", (300.0, 3000.0), rate))[0]
    pitch = 800.0 + 1200.0 * _slow(rng, frames, rate, 0.1)
    whistle = 0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / rate).astype(np.float32)
    mono = band * _slow(rng, frames, rate, 8.0, 0.5, 1.0) + whistle
    return np.stack([mono, mono]).astype(np.float32)


MAKERS: dict[str, Callable[..., np.ndarray]] = {
    "rain": rain,
    "thunder": thunder,
    "vinyl crackle": vinyl_crackle,
    "tape hiss": tape_hiss,
    "static": static,
    "hum": hum,
    "wind": wind,
    "city": city,
    "train": train,
    "café": cafe,
    "fireplace": fireplace,
    "ocean": ocean,
    "birds": birds,
    "night insects": night_insects,
    "radio": radio,
}


def layer_rms(x: np.ndarray, rate: int = RATE) -> float:
    """The RMS of the 100 ms blocks within 30 dB of the loudest: a sparse layer (thunder,
    birds) measured while it sounds, not averaged with its silences. By blocks, not by
    samples as the render's ``sounding_rms`` gates a part: crackle's bed lies more than 40 dB
    under its loudest click and would be gated out sample by sample."""
    block = max(1, rate // 10)
    usable = x.shape[-1] // block * block
    if usable == 0:
        return _rms(np.asarray(x, dtype=np.float32))
    y = np.asarray(x[..., :usable], dtype=np.float32).reshape(x.shape[0], -1, block)
    power = np.einsum("cbk,cbk->b", y, y) / (x.shape[0] * block)
    loud = power >= power.max() * 1e-3
    return float(np.sqrt(power[loud].mean())) if loud.any() else 0.0


def make_layer(texture: str, frames: int, seed: int, rate: int = RATE, words: str = "") -> np.ndarray:
    """``texture``'s layer for ``frames`` at a sounding RMS of 1 (``words`` choose a variant:
    heavy rain, distant thunder)."""
    if texture not in MAKERS:
        raise TextureError(f"unknown texture {texture!r}; known: {', '.join(MAKERS)}")
    rng = _rng(seed, texture)
    maker = MAKERS[texture]
    if texture == "rain":
        x = rain(frames, rate, rng, heavy=any(w in words for w in LOUDER_WORDS))
    elif texture == "thunder":
        x = thunder(frames, rate, rng, distant=any(w in words for w in ("distant", "far")))
    else:
        x = maker(frames, rate, rng)
    x = np.nan_to_num(np.asarray(x, dtype=np.float32))
    level = layer_rms(x, rate)
    return x / np.float32(level) if level > 0 else x


def plan_layers(textures: tuple[str, ...] | list[str], prompt: str) -> tuple[list[Layer], float]:
    """The layers of a plan's textures, each at its level against the music (a "light",
    "distant" texture lower, a "heavy" one higher), and the gain on the music (dB): "rain
    only", "just rain" let the music drop away."""
    import re

    text = prompt.lower()
    layers = []
    for texture in textures:
        if texture not in LEVEL_DB:
            raise TextureError(f"unknown texture {texture!r}; known: {', '.join(LEVEL_DB)}")
        level, why = LEVEL_DB[texture], texture
        # the words just before the texture's own ("light rain", "distant thunder")
        head = texture.split()[0].rstrip("é").rstrip("e")
        near = re.search(rf"((?:\w+[ -]){{0,2}}){re.escape(head)}", text)
        before = near.group(1) if near else ""
        if any(re.search(rf"\b{w}\b", before) for w in SOFTER_WORDS):
            level, why = level + SOFTER_DB, f"{before.strip()} {texture}: softer"
        elif any(re.search(rf"\b{w}\b", before) for w in LOUDER_WORDS):
            level, why = level + LOUDER_DB, f"{before.strip()} {texture}: louder"
        layers.append(Layer(texture, level, why))
    only = bool(re.search(r"\b(only|just|nothing but)\b", text)) and bool(layers)
    return layers, ONLY_MUSIC_DB if only else 0.0
