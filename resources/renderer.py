"""How MIDI becomes audio: the General MIDI soundfont, the lo-fi colour preset and the
release tail kept after the last note."""

from __future__ import annotations

import math
from pathlib import Path

import dagster as dg
import numpy as np
from pydantic import Field

from lofi_assets.core.audio_io import RATE, read_audio, write_flac, write_wav
from lofi_assets.core.production.colour import PRESETS, ColourPreset, colour, get_preset
from lofi_assets.core.production.loudness import measure
from lofi_assets.core.production.render import Rendered, StereoStage, render_midi, resolve_soundfont
from lofi_assets.core.production.sound_stage import dress, layer_level_db


class RendererResource(dg.ConfigurableResource):
    """A soundfont render (TinySoundFont) followed by the lo-fi colour chain."""

    soundfont: str | None = Field(
        default=None,
        description="path to a General MIDI .sf2 (FluidR3_GM or the "
        "operator's own); default: FluidR3_GM where installed (make install), else TimGM6mb.sf2 "
        "shipped with pretty_midi; set from env LOFI_SOUNDFONT in definitions",
    )
    colour_preset: str = Field(default="tape", description=f"lo-fi colour preset: {', '.join(PRESETS)}")
    tail_s: float = Field(default=2.0, description="seconds kept after the last note-off for releases and decays")
    stereo: bool = Field(
        default=True,
        description="place each part by its role (pan, level against the lead, a stereo room); "
        "off: every part as the soundfont plays it, close to mono",
    )

    def soundfont_path(self) -> Path:
        """The soundfont file, checked (RenderError naming it when missing or not an .sf2)."""
        return resolve_soundfont(self.soundfont)

    def preset(self, name: str | None = None) -> ColourPreset:
        """The colour preset ``name`` or the configured one (ValueError listing the valid ones)."""
        return get_preset(name or self.colour_preset)

    def render_raw(self, midi_path: Path | str, stems: bool = False) -> Rendered:
        """The soundfont render alone, before colour (peak at -3 dBFS)."""
        stage = StereoStage() if self.stereo else None
        return render_midi(Path(midi_path), self.soundfont_path(), tail_s=self.tail_s, stems=stems, stage=stage)

    def render_file(
        self,
        midi_path: Path | str,
        out: Path,
        seed: int,
        preset: str | None = None,
        flac: bool = False,
        sound_plan: dict | None = None,
    ) -> dict:
        """Render and colour one MIDI file, write it (WAV, or FLAC), re-read what was
        written and measure it: the figures of ``rendered.json`` and of ``lofi render``.

        ``sound_plan`` (a gap song's, as ``gap_songs.json`` holds it) adds its effects and
        texture layers before the colour; each layer is also written as a FLAC stem under
        ``<out>.stems/`` and measured there, and the row's ``heard`` says what was applied."""
        chosen = self.preset(preset)  # an unknown preset fails before the render is spent
        rendered = self.render_raw(midi_path)
        music, stems, heard = rendered.mix, {}, None
        plan = sound_plan or {}
        if plan.get("textures") or plan.get("effects"):
            import pretty_midi

            from lofi_assets.core.generation.midi_analysis import first_tempo

            pm = pretty_midi.PrettyMIDI(str(midi_path))
            music, stems, heard = dress(
                music,
                plan.get("textures", ()),
                plan.get("effects", ()),
                plan.get("prompt", ""),
                RATE,
                first_tempo(pm),
                seed,
                pm.get_end_time(),
            )
        (write_flac if flac else write_wav)(out, colour(music, chosen, seed=seed))
        back = read_audio(out)
        figures = measure(back, RATE)
        row = {
            "file": Path(out).name,
            "seconds": round(back.shape[1] / RATE, 2),
            "lufs": round(figures.integrated_lufs, 2) if math.isfinite(figures.integrated_lufs) else None,
            "peak_dbfs": round(figures.sample_peak_dbfs, 2),
            "correlation": round(figures.correlation, 3),
        }
        if heard is not None:
            folder = Path(out).with_suffix(".stems")
            folder.mkdir(parents=True, exist_ok=True)
            for layer in heard.layers:
                path = write_flac(folder / f"{layer['texture'].replace(' ', '-')}.flac", stems[layer["texture"]])
                layer["stem"] = f"{folder.name}/{path.name}"
                # measured again in the file written, against the music it was set under
                layer["measured_db"] = layer_level_db(read_audio(path), heard.music_rms, RATE)
            row["heard"] = heard.to_dict()
        return row | ({"warnings": rendered.warnings} if rendered.warnings else {})

    def render(self, midi_path: Path | str, seed: int, preset: str | None = None) -> np.ndarray:
        """``midi_path`` rendered and coloured: float32 stereo ``[2, frames]`` at 44.1 kHz.

        ``seed`` fixes the colour's randomness (wow phases, drift, crackle, hiss)."""
        chosen = self.preset(preset)  # an unknown preset fails before the render is spent
        return colour(self.render_raw(midi_path).mix, chosen, seed=seed)
