"""MIDI to audio with a General MIDI soundfont.

The pieces the pipeline writes are plain General MIDI (keys, bass, drums, lead), so a GM
soundfont played by TinySoundFont (C, via ``tinysoundfont``) is enough to hear them: no
FluidSynth binary, no audio device, the same samples on every machine for the same file
and soundfont. The default soundfont is the small TimGM6mb.sf2 that ships inside
``pretty_midi``; an operator can point at FluidR3_GM or their own ``.sf2``.

Timing is sample-accurate: the events of a part are sorted and the synthesiser renders
exactly the frames between one event and the next, so a note that starts at 1.0 s starts
at frame 44100. Each part (a ``pretty_midi.Instrument``) is rendered alone on a freshly
reset channel, so stems come for free and the mix is their sum. Sustain pedal (CC64) is
applied here by holding note-offs until the pedal lifts (this TinySoundFont build ignores
CC64); other controllers (volume CC7, expression CC11, pan CC10, ...) and pitch bends go
to the synthesiser as they are.

Level: by default the mix is normalised so that its peak sits at ``PEAK_DBFS`` (-3 dBFS),
leaving room for the colour stage (saturation, reverb, crackle) and the true-peak margin of
mastering; a soundfont's own loudness then does not matter. A fixed ``gain_db`` can be
asked for instead (for comparing renders); either way stems get the same gain as the mix.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pretty_midi

from lofi_assets.core.audio_io import RATE

PEAK_DBFS = -3.0
DRUM_CHANNEL = 9
MELODIC_CHANNEL = 0
FADE_S = 0.05  # raised-cosine fade over the last frames, so a cut-off tail does not click
FLUSH_FRAMES = 2048  # voices stopped with "all sounds off" die within one envelope block
SOUNDFONT_MAGIC = (b"RIFF", b"sfbk")
DEFAULT_SOUNDFONT = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"

# event kinds, in the order they are applied when they share a frame
_CONTROL, _BEND, _OFF, _ON = 0, 1, 2, 3


class RenderError(ValueError):
    """A MIDI file or soundfont that cannot be rendered; the message names which and why."""


@dataclass
class Rendered:
    """A rendered piece: ``mix`` is float32 ``[2, frames]``; ``stems`` (when asked for) hold
    each part alone at the same gain, named like ``"0-electric-piano-1"`` or ``"2-drums"``."""

    mix: np.ndarray
    rate: int
    notes: int
    gain_db: float
    parts: list[str]
    stems: dict[str, np.ndarray] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.mix.shape[1] / self.rate


def resolve_soundfont(path: str | Path | None) -> Path:
    """The soundfont to use: ``path``, or the GM soundfont shipped with pretty_midi.

    A missing or unreadable file, or one that is not a RIFF ``sfbk`` (SoundFont 2), raises
    :class:`RenderError` naming the file."""
    sf = DEFAULT_SOUNDFONT if path is None or str(path) == "" else Path(path).expanduser()
    if not sf.is_file():
        raise RenderError(f"soundfont {sf}: no such file")
    try:
        with sf.open("rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise RenderError(f"soundfont {sf}: cannot read ({exc.strerror})") from None
    if head[:4] != SOUNDFONT_MAGIC[0] or head[8:12] != SOUNDFONT_MAGIC[1]:
        raise RenderError(f"soundfont {sf}: not a SoundFont 2 file (no RIFF sfbk header)")
    return sf


def part_name(index: int, instrument: pretty_midi.Instrument) -> str:
    """``"<index>-<GM program name>"``, or ``"<index>-drums"``, lower case with dashes."""
    name = "drums" if instrument.is_drum else pretty_midi.program_to_instrument_name(instrument.program)
    return f"{index}-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _load_midi(midi: pretty_midi.PrettyMIDI | Path | str) -> tuple[pretty_midi.PrettyMIDI, str]:
    if isinstance(midi, pretty_midi.PrettyMIDI):
        return midi, "MIDI"
    path = Path(midi)
    try:
        return pretty_midi.PrettyMIDI(str(path)), path.name
    except Exception as exc:  # mido/pretty_midi raise OSError, EOFError, ValueError, KeyError...
        raise RenderError(f"{path.name}: not a readable MIDI file ({exc})") from None


def _sustained_offs(instrument: pretty_midi.Instrument, last_end: float) -> list[float]:
    """Note-off times with the sustain pedal applied: a note released while the pedal is
    down sounds until the pedal lifts (or until ``last_end`` if it never does)."""
    ends = [n.end for n in instrument.notes]
    pedal = sorted((c.time, c.value >= 64) for c in instrument.control_changes if c.number == 64)
    if not any(down for _, down in pedal):
        return ends
    downs: list[float] = []
    ups: list[float] = []
    state = False
    for t, down in pedal:
        if down and not state:
            downs.append(t)
        elif not down and state:
            ups.append(t)
        state = down
    if len(ups) < len(downs):
        ups.append(max(last_end, downs[-1]))
    out = []
    for end in ends:
        k = bisect.bisect_right(downs, end) - 1  # the last press at or before the release
        out.append(max(end, ups[k]) if k >= 0 and ups[k] > end else end)
    return out


def _events(instrument: pretty_midi.Instrument, rate: int, last_end: float) -> list[tuple[int, int, int, int]]:
    """``(frame, kind, a, b)`` sorted by frame and, within a frame, controls, bends, offs, ons."""
    events: list[tuple[int, int, int, int]] = []
    for note, off in zip(instrument.notes, _sustained_offs(instrument, last_end)):
        on = max(0, round(note.start * rate))
        velocity = int(min(127, max(1, note.velocity)))
        events.append((on, _ON, int(note.pitch), velocity))
        events.append((max(on + 1, round(off * rate)), _OFF, int(note.pitch), 0))
    for cc in instrument.control_changes:
        if cc.number != 64:  # sustain is applied to the note-offs above
            events.append((max(0, round(cc.time * rate)), _CONTROL, int(cc.number), int(min(127, max(0, cc.value)))))
    for bend in instrument.pitch_bends:
        value = int(min(16383, max(0, bend.pitch + 8192)))
        events.append((max(0, round(bend.time * rate)), _BEND, value, 0))
    events.sort()
    return events


class _Player:
    """One TinySoundFont synthesiser rendering one part at a time into a frame buffer."""

    def __init__(self, soundfont: Path, rate: int):
        import tinysoundfont

        self.rate = rate
        self.synth = tinysoundfont.Synth(gain=0.0, samplerate=rate)
        try:
            self.sfid = self.synth.sfload(str(soundfont))
        except Exception as exc:  # tinysoundfont raises RuntimeError("Could not load SoundFont ...")
            raise RenderError(f"soundfont {soundfont}: TinySoundFont cannot load it ({exc})") from None
        self.soundfont = soundfont
        self._scratch = memoryview(bytearray(FLUSH_FRAMES * 8))

    def select(self, channel: int, instrument: pretty_midi.Instrument) -> str | None:
        """Reset the channel and choose the part's program; a warning if it had to fall back."""
        self.synth.sounds_off()
        self.synth.generate_simple(FLUSH_FRAMES, buffer=self._scratch)  # let stopped voices finish
        self.synth.control_change(channel, 121, 0)  # reset controllers: volume, pan, bend range
        self.synth.pitchbend(channel, 8192)
        program = int(instrument.program)
        # TinySoundFont quietly plays preset 0 for a kit the font lacks: ask for the kit first
        kit_missing = instrument.is_drum and self.synth.sfpreset_name(self.sfid, 128, program) is None
        try:
            if not kit_missing:
                self.synth.program_select(channel, self.sfid, 0, program, instrument.is_drum)
                return None
        except RuntimeError:
            pass
        try:  # an operator's soundfont need not have every GM program
            self.synth.program_select(channel, self.sfid, 0, 0, instrument.is_drum)
        except RuntimeError:
            raise RenderError(
                f"soundfont {self.soundfont}: no preset for program {program} and no preset 0 to fall back on"
            ) from None
        what = f"drum kit {program}" if instrument.is_drum else pretty_midi.program_to_instrument_name(program)
        return f"soundfont {self.soundfont.name} has no program {program} ({what}); preset 0 used instead"

    def play(self, channel: int, events: list[tuple[int, int, int, int]], out: np.ndarray) -> None:
        """Fill ``out`` (float32 ``[frames, 2]``, C order) with the part, from frame 0 to the end."""
        frames = out.shape[0]
        view = memoryview(out).cast("B")
        synth = self.synth
        at = 0
        for frame, kind, a, b in events:
            if frame >= frames:
                break
            if frame > at:
                synth.generate_simple(frame - at, buffer=view[at * 8 : frame * 8])
                at = frame
            if kind == _ON:
                synth.noteon(channel, a, b)
            elif kind == _OFF:
                synth.noteoff(channel, a)
            elif kind == _BEND:
                synth.pitchbend(channel, a)
            else:
                synth.control_change(channel, a, b)
        if at < frames:
            synth.generate_simple(frames - at, buffer=view[at * 8 : frames * 8])


def render_midi(
    midi: pretty_midi.PrettyMIDI | Path | str,
    soundfont: Path | str | None = None,
    *,
    rate: int = RATE,
    stems: bool = False,
    tail_s: float = 2.0,
    gain_db: float | None = None,
) -> Rendered:
    """Render every note of every part to float32 stereo ``[2, frames]`` at ``rate``.

    The result lasts until the last note-off (after sustain) or the file's end, whichever
    is later, plus ``tail_s`` for releases and decays. ``gain_db=None`` normalises the mix
    peak to ``PEAK_DBFS``; a number applies that fixed gain to the synthesiser's output
    instead. Stems always share the mix gain, so they sum to the mix."""
    pm, label = _load_midi(midi)
    sf = resolve_soundfont(soundfont)
    if tail_s < 0:
        raise ValueError(f"tail_s must be ≥ 0, not {tail_s}")
    parts = [(i, inst) for i, inst in enumerate(pm.instruments) if inst.notes]
    notes = sum(len(inst.notes) for _, inst in parts)
    if not notes:
        raise RenderError(f"{label}: no notes to render")
    last_end = max(n.end for _, inst in parts for n in inst.notes)
    events = {i: _events(inst, rate, last_end) for i, inst in parts}
    last_off = max(frame for ev in events.values() for frame, kind, _, _ in ev if kind == _OFF)
    # the file's own end (a trailing controller or meta event) counts too, as in get_end_time()
    frames = max(last_off, round(pm.get_end_time() * rate)) + round(tail_s * rate)

    player = _Player(sf, rate)
    mix = np.zeros((frames, 2), dtype=np.float32)
    buffer = np.empty((frames, 2), dtype=np.float32)
    names: list[str] = []
    out_stems: dict[str, np.ndarray] = {}
    warnings: list[str] = []
    for i, inst in parts:
        channel = DRUM_CHANNEL if inst.is_drum else MELODIC_CHANNEL
        warning = player.select(channel, inst)
        if warning:
            warnings.append(warning)
        player.play(channel, events[i], buffer)
        mix += buffer
        names.append(part_name(i, inst))
        if stems:
            out_stems[names[-1]] = np.ascontiguousarray(buffer.T)
    del buffer

    if not np.isfinite(mix).all():
        raise RenderError(f"{label}: the synthesiser produced NaN or infinite samples with {sf.name}")
    peak = float(np.abs(mix).max())
    if gain_db is None:
        if peak == 0.0:
            raise RenderError(f"{label}: rendered silence ({sf.name} has no sound for these notes)")
        gain_db = PEAK_DBFS - 20.0 * np.log10(peak)
    gain = np.float32(10.0 ** (gain_db / 20.0))
    fade = _fade_out(frames, rate)
    result = np.ascontiguousarray(mix.T)
    for signal in [result, *out_stems.values()]:
        signal *= gain
        signal[:, frames - fade.size :] *= fade
    return Rendered(
        mix=result, rate=rate, notes=notes, gain_db=float(gain_db), parts=names, stems=out_stems, warnings=warnings
    )


def _fade_out(frames: int, rate: int) -> np.ndarray:
    n = min(frames, round(FADE_S * rate))
    return (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
