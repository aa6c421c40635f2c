"""The prompt's sound around its music: the plan's effects on the music, its texture
layers under it, and a record of what was heard.

Order: the rendered music → effects (:mod:`.effects`) → the music's gain ("rain only" lets
it drop away) → each texture layer (:mod:`.textures`) added at its level against the
music's sounding RMS, each kept as its own stem. The colour preset is applied after, to
the whole, as to any song.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from lofi_assets.core.production.colour import stereo_width
from lofi_assets.core.production.effects import NOT_APPLIED, AppliedEffect, apply_effects
from lofi_assets.core.production.render import StereoStage, width_for
from lofi_assets.core.production.textures import Layer, layer_rms, make_layer, plan_layers

LAYER_TOLERANCE_DB = 1.0  # a layer's measured level within this of its plan passes
LAYER_WIDTH = 0.6  # the side's scale on a texture layer


@dataclass
class Heard:
    """What a song's sound plan put into its audio."""

    effects: list[AppliedEffect] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)  # texture, planned and measured level, why
    music_gain_db: float = 0.0
    music_rms: float = 0.0  # the music's sounding RMS the layers were set against
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "effects": [asdict(e) for e in self.effects],
            "layers": self.layers,
            "music_gain_db": self.music_gain_db,
            "music_rms_dbfs": round(20 * np.log10(max(self.music_rms, 1e-12)), 2),
            "notes": self.notes,
        }


def layer_level_db(stem: np.ndarray, music_rms: float, rate: int) -> float:
    """A stem's sounding level against the music's sounding RMS, dB."""
    return round(20 * np.log10(max(layer_rms(stem, rate), 1e-12) / max(music_rms, 1e-12)), 2)


def dress(
    music: np.ndarray,
    textures: tuple[str, ...] | list[str],
    effects: tuple[str, ...] | list[str],
    prompt: str,
    rate: int,
    tempo: float,
    seed: int,
    last_note_s: float,
) -> tuple[np.ndarray, dict[str, np.ndarray], Heard]:
    """``music`` (float32 ``[2, frames]``) with the plan's effects and layers, the layers as
    stems, and what was heard. Nothing planned: the music unchanged."""
    heard = Heard()
    y, heard.effects, heard.notes = apply_effects(music, effects, rate, tempo, seed, last_note_s)
    if heard.effects and y.shape[0] == 2:
        # a wide reverb or a chorus can take the song out of the stereo window the render
        # placed it in: brought back by its side level, as the render does
        width = width_for(y, StereoStage().correlation)
        if width != 1.0:
            y = stereo_width(y, width)
            heard.notes.append(f"side scaled by {width:.2f} after the effects (stereo correlation window)")
    layers, heard.music_gain_db = plan_layers(textures, prompt)
    music_rms = heard.music_rms = layer_rms(y, rate)
    if heard.music_gain_db:
        y = y * np.float32(10 ** (heard.music_gain_db / 20))
    stems: dict[str, np.ndarray] = {}
    for i, layer in enumerate(layers):
        stem = _layer(layer, y.shape[1], seed + 101 * (i + 1), rate, music_rms)
        stems[layer.texture] = stem
        y = y + stem
        heard.layers.append(
            {
                "texture": layer.texture,
                "planned_db": layer.level_db,
                "measured_db": layer_level_db(stem, music_rms, rate),
                "why": layer.why,
            }
        )
    return y.astype(np.float32, copy=False), stems, heard


def _layer(layer: Layer, frames: int, seed: int, rate: int, music_rms: float) -> np.ndarray:
    gain = np.float32(10 ** (layer.level_db / 20) * max(music_rms, 1e-4))
    x = make_layer(layer.texture, frames, seed, rate, words=layer.why)
    # a bed sits around the music, not at its edges: the side narrowed so that independent
    # channels correlate at about 0.5 (a sparse song over rain stays within the stereo check)
    mid, side = 0.5 * (x[0] + x[1]), np.float32(0.5 * LAYER_WIDTH) * (x[0] - x[1])
    y = np.stack([mid + side, mid - side])
    level = layer_rms(y, rate)
    return y * np.float32(gain / level if level > 0 else gain)


def sound_plan_problems(plan: dict | None, heard: dict | None) -> list[str]:
    """What a rendered song's ``heard`` lacks against its ``plan``: a planned layer missing
    or more than :data:`LAYER_TOLERANCE_DB` off its level, a planned effect absent or
    without its mark; a song with nothing planned must carry nothing."""
    plan, heard = plan or {}, heard or {}
    problems = []
    layers = {layer["texture"]: layer for layer in heard.get("layers", [])}
    for texture in plan.get("textures", ()):
        layer = layers.get(texture)
        if layer is None:
            problems.append(f"layer {texture} planned, not in the render")
        elif abs(layer["measured_db"] - layer["planned_db"]) > LAYER_TOLERANCE_DB:
            problems.append(f"layer {texture} at {layer['measured_db']} dB, planned {layer['planned_db']} dB")
    problems += [f"layer {t} not planned" for t in layers if t not in plan.get("textures", ())]
    effects = {effect["name"]: effect for effect in heard.get("effects", [])}
    for name in plan.get("effects", ()):
        if name in NOT_APPLIED:
            continue
        if name not in effects:
            problems.append(f"effect {name} planned, not applied")
        elif not effects[name]["mark"]["heard"]:
            problems.append(f"effect {name} left no mark ({effects[name]['mark']})")
    return problems
