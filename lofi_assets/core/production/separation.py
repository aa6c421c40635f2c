"""Stem separation with demucs: drums, bass, other and vocals from a finished song.

Separation is the most expensive audio step (a real model runs at a fraction of real time on
CPU), so its result is cached on disk by everything that decides it: the audio's content
hash, the model name, a digest of the weight files and the separation parameters. A song
is separated once; later runs find ``stems.json`` with the same key and reuse the stems.

Weights come only from a local folder laid out as demucs's ``LocalRepo`` expects
(``<signature>.th`` per model, ``<name>.yaml`` naming the signatures of a bag of models);
the HuggingFace hub and the legacy download server are never asked. A ``.th`` file is a
pickle, so the folder must hold weights you trust.

The model is applied with ``demucs.apply.apply_model`` and normalised exactly as the
demucs command line does (centre and scale by the mono mix), so stems match what
``python -m demucs`` would write for the same model and parameters.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lofi_assets.core.audio_io import RATE, AudioInputError, read_audio, write_flac
from lofi_assets.core.files import atomic_local_path, file_sha256, write_json_atomic

MANIFEST = "stems.json"
INSTRUMENTAL = "instrumental.flac"
VOCALS = "vocals"
FLOOR_DB = -120.0  # what "no vocals at all" (or a silent song) reads as, so the figure stays finite
CACHE_VERSION = 1  # bump when the stems written for the same inputs change (format, normalisation)


class SeparationError(ValueError):
    """Separation that cannot be done; the message names the file or folder and the reason."""


@dataclass
class SeparationResult:
    stems: dict[str, Path]
    instrumental: Path | None
    has_vocals: bool
    vocals_db: float
    cache_key: str
    cached: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stems"] = {name: str(path) for name, path in self.stems.items()}
        data["instrumental"] = str(self.instrumental) if self.instrumental else None
        return data


# ---------------------------------------------------------------------------- weights


def _signature(weights_file: Path) -> str:
    """``955717e8-8726e21a.th`` → ``955717e8``: demucs's LocalRepo treats the part after
    the last dash as a checksum of the file."""
    return weights_file.stem.rsplit("-", 1)[0]


def model_files(name: str, weights_dir: Path) -> list[Path]:
    """The files ``name`` is loaded from: its ``.th``, or a bag's ``.yaml`` and every ``.th`` it names."""
    import yaml

    folder = Path(weights_dir)
    expected = f"{name}.th, {name}-<checksum>.th, or {name}.yaml (a bag of models) with its <signature>.th files"
    if not folder.is_dir():
        raise SeparationError(
            f"{folder}: no such folder; expected the weights of demucs model {name!r} there ({expected})"
        )
    weights = {_signature(file): file for file in sorted(folder.glob("*.th"))}
    bags = {file.stem: file for file in sorted(folder.glob("*.yaml"))}
    if name in weights:
        return [weights[name]]
    if name not in bags:
        found = ", ".join(sorted(file.name for file in [*weights.values(), *bags.values()])) or "no .th or .yaml files"
        raise SeparationError(f"{folder}: no demucs model {name!r}; expected {expected}; found {found}")
    try:
        signatures = [str(sig) for sig in yaml.safe_load(bags[name].read_text())["models"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SeparationError(
            f"{bags[name]}: not a demucs bag of models (expected a 'models:' list of "
            f"signatures; {type(exc).__name__}: {exc})"
        ) from None
    missing = [sig for sig in signatures if sig not in weights]
    if missing:
        raise SeparationError(
            f"{folder}: {name}.yaml names {', '.join(missing)}, but there is no "
            f"{missing[0]}.th (or {missing[0]}-<checksum>.th); found "
            f"{', '.join(sorted(f.name for f in weights.values())) or 'no .th files'}"
        )
    return [bags[name], *(weights[sig] for sig in signatures)]


def weights_digest(name: str, weights_dir: Path) -> str:
    """sha256 over the names and bytes of the files ``name`` loads: new weights, new cache key."""
    digest = hashlib.sha256()
    for file in model_files(name, weights_dir):
        digest.update(file.name.encode("utf-8") + b"\0")
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_separator(name: str, weights_dir: Path):
    """The demucs model (a single model or a ``BagOfModels``) named ``name``, from ``weights_dir`` only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: with a repo folder demucs never asks the hub
    folder = Path(weights_dir)
    model_files(name, folder)  # a clear message for a missing folder or model before demucs sees it
    from demucs.pretrained import get_model

    try:
        return get_model(name, repo=folder)
    except SystemExit:  # demucs's ``fatal`` prints to stderr and exits; a pipeline must not exit
        raise SeparationError(f"{folder}: demucs refused to load {name!r} (its message is on stderr)") from None
    except Exception as exc:  # ModelLoadingError (checksum), or torch.load on a truncated/corrupt .th
        raise SeparationError(
            f"{folder}: cannot load demucs model {name!r} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else exc!r})"
        ) from None


def save_local_model(model, weights_dir: Path, signature: str) -> Path:
    """Write ``model`` as ``<signature>.th`` the way demucs's LocalRepo loads it (for tests,
    benchmarks and fine-tuned models): its class, init arguments and float32 state."""
    import torch

    args, kwargs = model._init_args_kwargs  # recorded by demucs's @capture_init
    package = {
        "klass": model.__class__,
        "args": args,
        "kwargs": kwargs,
        "state": {key: value.detach().cpu() for key, value in model.state_dict().items()},
    }
    path = Path(weights_dir) / f"{signature}.th"
    with atomic_local_path(path, suffix=".th") as tmp:
        torch.save(package, tmp)
    return path


# ---------------------------------------------------------------------------- separation


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this container may use, not the host's count
    except AttributeError:
        return os.cpu_count() or 1


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` intra-op threads, then restore: generation workers pin torch to one."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, count))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def seeded_shifts(seed: int = 0) -> Iterator[None]:
    """apply_model draws its time shifts from the global ``random``; a fixed seed makes the
    stems for one cache key reproducible, and the caller's random state is left as it was."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def _segment_limit(model) -> float:
    """Transformer models cannot take longer segments than they were trained on."""
    from demucs.apply import BagOfModels
    from demucs.htdemucs import HTDemucs

    if isinstance(model, BagOfModels):
        return float(model.max_allowed_segment)
    if isinstance(model, HTDemucs):
        return float(model.segment)
    return math.inf


def _resample(wav, from_rate: int, to_rate: int):
    import julius

    return wav if from_rate == to_rate else julius.resample_frac(wav, from_rate, to_rate)


def separate(
    model,
    samples: np.ndarray,
    *,
    shifts: int = 1,
    overlap: float = 0.25,
    segment: float | None = None,
    device: str = "cpu",
    split: bool = True,
    threads: int | None = None,
) -> dict[str, np.ndarray]:
    """Every stem the model names, float32 ``[2, frames]`` at 44.1 kHz, for a stereo 44.1 kHz mix."""
    import torch
    from demucs.apply import apply_model

    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[0] != 2 or samples.shape[1] == 0:
        raise SeparationError(f"separation needs stereo audio shaped [2, frames], not {list(samples.shape)}")
    if not np.isfinite(samples).all():
        raise SeparationError("separation input has NaN or infinite samples")
    if shifts < 0:
        raise SeparationError(f"shifts must be 0 or more, not {shifts}")
    if not 0 <= overlap < 1:
        raise SeparationError(f"overlap must be in [0, 1), not {overlap}")
    if segment is not None and not 0 < segment <= _segment_limit(model):
        raise SeparationError(
            f"segment {segment} s is outside (0, {_segment_limit(model):g}] s for this model "
            "(a transformer model cannot take longer segments than it was trained on)"
        )
    frames = samples.shape[1]
    model_rate = int(model.samplerate)
    with torch.inference_mode(), torch_threads(threads or available_cpus()), seeded_shifts():
        wav = _resample(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)), RATE, model_rate)
        # As the demucs CLI (api.Separator.separate_tensor): centre and scale by the mono mix,
        # and undo it after. The 1e-8 keeps digital silence finite (0 / 1e-8 = 0).
        ref = wav.mean(0)
        mean, std = ref.mean(), ref.std() + 1e-8
        out = apply_model(
            model,
            ((wav - mean) / std)[None],
            shifts=shifts,
            split=split,
            overlap=overlap,
            segment=segment,
            device=device,
            progress=False,
            num_workers=0,
        )
        out = out[0].to("cpu", torch.float32) * std + mean  # [sources, channels, frames]
        out = _resample(out, model_rate, RATE)[..., :frames]
        stems = out.numpy()
    if stems.shape[-1] < frames:  # resampling back can come up a frame short
        stems = np.pad(stems, [(0, 0), (0, 0), (0, frames - stems.shape[-1])])
    return {name: np.ascontiguousarray(stems[i], dtype=np.float32) for i, name in enumerate(model.sources)}


def instrumental(stems: dict[str, np.ndarray]) -> np.ndarray:
    """The song without its vocals: the sum of every other stem."""
    others = [stem for name, stem in stems.items() if name != VOCALS]
    if not others:
        raise SeparationError(f"no stems besides {VOCALS!r} to make an instrumental from ({', '.join(stems)})")
    return np.sum(others, axis=0, dtype=np.float32)


def _rms(samples: np.ndarray) -> float:
    """RMS without DC: demucs adds the mix's mean to every stem, which is no sign of a voice."""
    samples = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(np.square(samples - samples.mean(axis=-1, keepdims=True)))))


def has_vocals(stems: dict[str, np.ndarray], mix: np.ndarray, threshold_db: float = -20.0) -> tuple[bool, float]:
    """Whether the vocals stem is loud enough to count, and its level relative to the mix in dB.

    An instrumental still leaves a little in the vocals stem (bleed, hiss); a sung line sits
    within 10–15 dB of the mix."""
    vocals, mix_rms = stems.get(VOCALS), _rms(mix)
    if vocals is None or mix_rms == 0.0:
        return False, FLOOR_DB
    vocals_rms = _rms(vocals)
    level = 20 * math.log10(vocals_rms / mix_rms) if vocals_rms > 0 else FLOOR_DB
    level = max(FLOOR_DB, level)
    return level > threshold_db, round(level, 2)


# ---------------------------------------------------------------------------- files and cache


def cache_key(
    audio_sha256: str, model_name: str, weights_digest: str, shifts: int, overlap: float, segment: float | None
) -> str:
    """sha256 of a canonical JSON of everything that decides the stems."""
    fields = {
        "version": CACHE_VERSION,
        "audio_sha256": audio_sha256,
        "model": model_name,
        "weights": weights_digest,
        "shifts": int(shifts),
        "overlap": float(overlap),
        "segment": None if segment is None else float(segment),
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read_manifest(out_dir: Path) -> dict | None:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent or damaged: separate again
    return manifest if isinstance(manifest, dict) else None


def _cached(out_dir: Path, key: str, started: float) -> SeparationResult | None:
    manifest = _read_manifest(out_dir)
    if manifest is None or manifest.get("cache_key") != key:
        return None
    try:
        stems = {str(name): out_dir / file for name, file in manifest["stems"].items()}
        inst = out_dir / manifest["instrumental"] if manifest["instrumental"] else None
        vocals, vocals_db = bool(manifest["has_vocals"]), float(manifest["vocals_db"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a manifest from another version, or edited by hand: separate again
    if not stems or not all(path.is_file() for path in [*stems.values(), *([inst] if inst else [])]):
        return None
    return SeparationResult(stems, inst, vocals, vocals_db, key, cached=True, seconds=time.perf_counter() - started)


def _write_checked(path: Path, samples: np.ndarray, frames: int) -> Path:
    """Write a stem (atomically: temporary name, then rename) and decode it back: a stem that
    does not come back at the input's length is not kept."""
    write_flac(path, samples)
    try:
        written = read_audio(path).shape[1]
    except AudioInputError as exc:
        raise SeparationError(f"{path}: the stem just written does not decode ({exc})") from None
    if abs(written - frames) > 1:
        raise SeparationError(f"{path}: the stem just written has {written} frames, the input {frames}")
    return path


def torch_module() -> type:
    from torch import nn

    return nn.Module


def separate_file(
    path: Path,
    out_dir: Path,
    model,
    *,
    model_name: str,
    weights_digest: str,
    shifts: int = 1,
    overlap: float = 0.25,
    segment: float | None = None,
    device: str = "cpu",
) -> SeparationResult:
    """Stems of one song as ``out_dir/<stem>.flac`` (and ``instrumental.flac`` when it has
    vocals), described by ``out_dir/stems.json``; reused when the cache key matches.

    ``model`` may be a zero-argument callable returning the model, so that a cache hit
    never pays for loading it."""
    started = time.perf_counter()
    path, out_dir = Path(path), Path(out_dir)
    if not path.is_file():
        raise SeparationError(f"{path}: no such file to separate")
    audio_sha256 = file_sha256(path)
    key = cache_key(audio_sha256, model_name, weights_digest, shifts, overlap, segment)
    hit = _cached(out_dir, key, started)
    if hit is not None:
        return hit

    try:
        mix = read_audio(path)
    except AudioInputError as exc:
        raise SeparationError(str(exc)) from exc  # already names the file and the reason
    if callable(model) and not isinstance(model, torch_module()):
        model = model()
    separated = separate(model, mix, shifts=shifts, overlap=overlap, segment=segment, device=device)
    separation_s = time.perf_counter() - started
    vocals, vocals_db = has_vocals(separated, mix)

    previous = _read_manifest(out_dir) or {}
    written = {name: out_dir / f"{name}.flac" for name in separated}
    inst = out_dir / INSTRUMENTAL if vocals else None
    outputs = [(written[name], stem) for name, stem in separated.items()]
    outputs += [(inst, instrumental(separated))] if inst else []
    # FLAC encoding is single-threaded and releases the GIL: five stems at once take about
    # a third of the time, which keeps the whole step as fast as the demucs CLI's WAV output.
    with ThreadPoolExecutor(max_workers=min(len(outputs), available_cpus())) as pool:
        list(pool.map(lambda item: _write_checked(*item, mix.shape[1]), outputs))

    # Files of an earlier separation (another model's stems, an instrumental of a song now
    # judged vocal-free) go, so the folder holds exactly what the manifest says.
    keep = {file.name for file in written.values()} | ({INSTRUMENTAL} if inst else set()) | {MANIFEST}
    stale = [*previous.get("stems", {}).values(), INSTRUMENTAL]
    for name in stale:
        if isinstance(name, str) and name not in keep and "/" not in name:
            (out_dir / name).unlink(missing_ok=True)

    seconds = time.perf_counter() - started
    write_json_atomic(
        out_dir / MANIFEST,
        {  # last: only a complete set of stems is ever cached
            "cache_key": key,
            "model": model_name,
            "weights_digest": weights_digest,
            "parameters": {"shifts": shifts, "overlap": overlap, "segment": segment, "device": device},
            "source": {"file": path.name, "sha256": audio_sha256, "frames": int(mix.shape[1]), "rate": RATE},
            "stems": {name: file.name for name, file in written.items()},
            "instrumental": INSTRUMENTAL if inst else None,
            "has_vocals": vocals,
            "vocals_db": vocals_db,
            "separation_s": round(separation_s, 3),
            "seconds": round(seconds, 3),
        },
    )
    return SeparationResult(written, inst, vocals, vocals_db, key, cached=False, seconds=seconds)
