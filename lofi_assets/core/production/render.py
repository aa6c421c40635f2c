"""MIDI to audio with a General MIDI soundfont.

The pieces the pipeline writes are plain General MIDI (keys, bass, drums, lead), so a GM
soundfont played by TinySoundFont (C, via ``tinysoundfont``) is enough to hear them: no
FluidSynth binary, no audio device, the same samples on every machine for the same file
and soundfont. The default soundfont is FluidR3_GM where it is installed (``make install``
puts Debian's copy in the environment), else the small TimGM6mb.sf2 that ships inside
``pretty_midi``; ``LOFI_SOUNDFONT`` points at any other ``.sf2``.

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
import os
import re
import sys
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
DEFAULT_SOUNDFONT = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"  # 6 MB, always there
# FluidR3_GM (MIT; Debian's fluid-soundfont-gm): `make install` puts it in the environment
# where Debian's tools exist; a system copy serves too.
FLUIDR3_PLACES = (
    Path(sys.prefix) / "share" / "sounds" / "sf2" / "FluidR3_GM.sf2",
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
)

# A rendered song's L/R correlation (rendered_songs' stereo_image check): neither mono nor a
# hole in the middle. The master's own window is master_rules.CORRELATION_RANGE; the master
# steers a mix of songs into it (width.py), whatever the songs read.
SONG_CORRELATION_RANGE = (0.6, 0.9)


def default_soundfont() -> Path:
    """``LOFI_SOUNDFONT`` when set, else FluidR3_GM where it is installed, else TimGM6mb."""
    chosen = os.environ.get("LOFI_SOUNDFONT")
    if chosen:
        return Path(chosen).expanduser()
    return next((p for p in FLUIDR3_PLACES if p.is_file()), DEFAULT_SOUNDFONT)


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


@dataclass(frozen=True)
class StereoStage:
    """Where each part sits on the stage, by its arrangement role (a soundfont plays almost
    every preset from mono samples, so unplaced parts add up to a mono mix).

    Pans run from −1 (left) to 1 (right), constant power; kick, snare and bass stay in the
    middle, hats go right, toms and cymbals left (the drummer's kit seen from the
    audience). Levels are each role's sounding RMS against the lead's (the brief's stem
    levels). The keys get a short inter-channel delay (a Haas spread, as a stereo piano
    mic pair gives) and every part a small stereo room, which decorrelates the sides.
    A part that pans itself (CC10) keeps its own pan."""

    pans: dict[str, float] = field(default_factory=lambda: {"keys": -0.45, "lead": 0.35, "other": 0.2})
    levels_db: dict[str, float] = field(
        default_factory=lambda: {"lead": 0.0, "drums": -3.0, "bass": -6.0, "keys": -8.0, "other": -8.0}
    )
    kit_pans: dict[str, float] = field(default_factory=lambda: {"hat": 0.4, "tom": -0.3, "cymbal": -0.3})
    keys_spread_ms: float = 10.0
    room_wet: float = 0.12
    room_size: float = 0.35
    # The correlation the placed mix is brought into by its side level (mid/side width):
    # fonts differ (FluidR3's stereo Rhodes with the spread reads 0.59, TimGM6mb's mono one
    # 0.76), and the colour stage narrows a little after; the rendered song must land in
    # SONG_CORRELATION_RANGE, so the fit aims 0.05 inside it.
    correlation: tuple[float, float] = (SONG_CORRELATION_RANGE[0] + 0.05, SONG_CORRELATION_RANGE[1] - 0.05)
    # Lo-fi character. The keys duck under each kick (a sidechain pump: down this many dB
    # at the hit, back with this time constant), and the drums go through a bus that
    # saturates them (tanh, this much drive) and takes off the top (a low-pass).
    duck_db: float = 4.0
    duck_release_ms: float = 140.0
    drum_drive_db: float = 6.0
    drum_lowpass_hz: float = 7500.0


def pan(signal: np.ndarray, position: float) -> np.ndarray:
    """Constant-power pan of a stereo ``[2, frames]`` signal (0 leaves it as it is)."""
    if position == 0:
        return signal
    angle = (np.clip(position, -1.0, 1.0) + 1) * np.pi / 4
    gains = np.array([[np.cos(angle)], [np.sin(angle)]], dtype=np.float32) * np.float32(np.sqrt(2))
    return signal * gains


def kick_onsets(pm: pretty_midi.PrettyMIDI) -> list[float]:
    """Seconds of every kick drum hit (GM 35 and 36) in the piece."""
    return sorted(n.start for i in pm.instruments if i.is_drum for n in i.notes if n.pitch in (35, 36))


def duck_curve(frames: int, onsets: list[float], rate: int, depth_db: float, release_ms: float) -> np.ndarray:
    """A sidechain gain: down ``depth_db`` at each onset (a 5 ms ramp in, so it does not
    click), recovering exponentially with ``release_ms``; 1 where no kick has played."""
    duck = np.zeros(frames, dtype=np.float64)
    if not onsets:
        return np.ones(frames, dtype=np.float32)
    tau = release_ms * rate / 1000
    attack = max(1, round(0.005 * rate))
    for at in (round(t * rate) for t in onsets):
        if at >= frames:
            continue
        span = min(frames - at, round(6 * tau))
        shape = np.exp(-np.arange(span) / tau)
        shape[: min(attack, span)] *= np.linspace(0, 1, attack)[: min(attack, span)]
        duck[at : at + span] = np.maximum(duck[at : at + span], shape)
    return (10 ** (-depth_db * duck / 20)).astype(np.float32)


def drum_bus(part: np.ndarray, rate: int, drive_db: float, lowpass_hz: float) -> np.ndarray:
    """Saturate the drums (tanh with ``drive_db`` in, the level given back out) and
    low-pass them: rounder, darker hits, as a lo-fi drum bus."""
    import pedalboard

    out = part
    if drive_db > 0:
        peak = float(np.abs(part).max())
        if peak > 0:
            drive = 10 ** (drive_db / 20) / peak
            out = np.tanh(part * np.float32(drive)) * np.float32(peak / np.tanh(10 ** (drive_db / 20)))
    if lowpass_hz:
        out = pedalboard.Pedalboard([pedalboard.LowpassFilter(cutoff_frequency_hz=lowpass_hz)])(
            np.ascontiguousarray(out, dtype=np.float32), rate
        )
    return out.astype(np.float32, copy=False)


def correlation(x: np.ndarray) -> float:
    """Left/right correlation of a stereo ``[2, frames]`` signal (1 for silence)."""
    left, right = x[0], x[1]
    energy = float(np.sqrt(float(np.dot(left, left)) * float(np.dot(right, right))))
    return float(np.dot(left, right)) / energy if energy > 0 else 1.0


def width_for(x: np.ndarray, band: tuple[float, float]) -> float:
    """The side gain that brings ``x``'s correlation into ``band`` (1 when it is inside).
    With mid M and side S, L·R = M² − S² and |L|² + |R|² = 2(M² + S²), so a side gain w
    gives (M² − w²S²) / (M² + w²S²) (exact when mid and side are uncorrelated)."""
    now = correlation(x)
    if band[0] <= now <= band[1]:
        return 1.0
    target = min(max(now, band[0]), band[1])
    mid = 0.5 * (x[0] + x[1])
    side = 0.5 * (x[0] - x[1])
    m2, s2 = float(np.dot(mid, mid)), float(np.dot(side, side))
    if s2 == 0 or m2 == 0:
        return 1.0
    return float(np.sqrt(m2 * (1 - target) / (s2 * (1 + target))))


def sounding_rms(signal: np.ndarray) -> float:
    """RMS over the frames where a part sounds (within 40 dB of its peak): its level when
    it plays, not diluted by its rests."""
    thinned = signal[:, ::4]  # every fourth frame: the same level to a hundredth of a dB, a quarter of the work
    envelope = np.abs(thinned).max(axis=0)
    if not envelope.size or envelope.max() == 0:
        return 0.0
    sounding = thinned[:, envelope > envelope.max() * 0.01]
    return float(np.sqrt(np.mean(np.square(sounding, dtype=np.float64))))


def resolve_soundfont(path: str | Path | None) -> Path:
    """The soundfont to use: ``path``, or :func:`default_soundfont`.

    A missing or unreadable file, or one that is not a RIFF ``sfbk`` (SoundFont 2), raises
    :class:`RenderError` naming the file."""
    sf = default_soundfont() if path is None or str(path) == "" else Path(path).expanduser()
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
        bank = 128 if instrument.is_drum else 0
        # TinySoundFont quietly plays something else for a preset the font lacks: look first.
        # A missing program falls back to the nearest of its General MIDI family (another
        # electric piano for an electric piano), then to preset 0.
        family = range(program // 8 * 8, program // 8 * 8 + 8) if not instrument.is_drum else range(0)
        nearest = sorted(family, key=lambda p: (abs(p - program), p))
        chosen = next((p for p in [*nearest, program, 0] if self.synth.sfpreset_name(self.sfid, bank, p)), None)
        if chosen is None:
            raise RenderError(
                f"soundfont {self.soundfont}: no preset for program {program} and no preset 0 to fall back on"
            )
        try:
            self.synth.program_select(channel, self.sfid, 0, chosen, instrument.is_drum)
        except RuntimeError:
            raise RenderError(f"soundfont {self.soundfont}: preset {chosen} cannot be selected") from None
        if chosen == program:
            return None
        what = f"drum kit {program}" if instrument.is_drum else pretty_midi.program_to_instrument_name(program)
        instead = "the Standard kit" if instrument.is_drum else pretty_midi.program_to_instrument_name(chosen)
        return f"soundfont {self.soundfont.name} has no program {program} ({what}); {chosen} ({instead}) used instead"

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
    stage: StereoStage | None = None,
) -> Rendered:
    """Render every note of every part to float32 stereo ``[2, frames]`` at ``rate``.

    The result lasts until the last note-off (after sustain) or the file's end, whichever
    is later, plus ``tail_s`` for releases and decays. ``gain_db=None`` normalises the mix
    peak to ``PEAK_DBFS``; a number applies that fixed gain to the synthesiser's output
    instead. Stems always share the mix gain, so they sum to the mix. With ``stage`` each
    part is placed by its role (:class:`StereoStage`): panned, levelled against the lead,
    and given the stereo room; stems are then those placed parts."""
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
    roles = _roles(pm) if stage is not None else {}
    placed: list[tuple[str, str, np.ndarray]] = []  # (name, role, [2, frames]) before levels
    for i, inst in parts:
        channel = DRUM_CHANNEL if inst.is_drum else MELODIC_CHANNEL
        warning = player.select(channel, inst)
        if warning:
            warnings.append(warning)
        names.append(part_name(i, inst))
        if stage is None:
            player.play(channel, events[i], buffer)
            mix += buffer
            if stems:
                out_stems[names[-1]] = np.ascontiguousarray(buffer.T)
            continue
        role = roles.get(i, "other")
        part = np.zeros((2, frames), dtype=np.float32)
        for position, group in _placements(inst, role, stage):
            if group is not inst:
                player.select(channel, group)
            player.play(channel, _events(group, rate, last_end), buffer)
            part += pan(buffer.T, position)
        if role == "keys" and stage.keys_spread_ms > 0:
            delay = round(stage.keys_spread_ms * rate / 1000)
            part[1, delay:] = part[1, :-delay].copy()
            part[1, :delay] = 0.0
        if role == "keys" and stage.duck_db > 0:
            part *= duck_curve(frames, kick_onsets(pm), rate, stage.duck_db, stage.duck_release_ms)
        if role == "drums":
            part = drum_bus(part, rate, stage.drum_drive_db, stage.drum_lowpass_hz)
        placed.append((names[-1], role, part))
    del buffer
    if stage is not None:
        mix = _stage_mix(placed, stage, rate, out_stems if stems else None)

    if not np.isfinite(mix).all():
        raise RenderError(f"{label}: the synthesiser produced NaN or infinite samples with {sf.name}")
    peak = float(np.abs(mix).max())
    if gain_db is None:
        if peak == 0.0:
            raise RenderError(f"{label}: rendered silence ({sf.name} has no sound for these notes)")
        gain_db = PEAK_DBFS - 20.0 * np.log10(peak)
    gain = np.float32(10.0 ** (gain_db / 20.0))
    fade = _fade_out(frames, rate)
    result = np.ascontiguousarray(mix.T) if stage is None else mix
    for signal in [result, *out_stems.values()]:
        signal *= gain
        signal[:, frames - fade.size :] *= fade
    return Rendered(
        mix=result, rate=rate, notes=notes, gain_db=float(gain_db), parts=names, stems=out_stems, warnings=warnings
    )


def _roles(pm: pretty_midi.PrettyMIDI) -> dict[int, str]:
    from lofi_assets.core.generation.arrangement import classify

    return {r.index: r.role for r in classify(pm)}


def _placements(inst: pretty_midi.Instrument, role: str, stage: StereoStage):
    """``(pan, part)`` pairs to render: the drums split by kit piece, any other part whole.
    A part with its own pan (CC10) keeps it: placed in the middle, its CC doing the rest."""
    if any(c.number == 10 for c in inst.control_changes):
        return [(0.0, inst)]
    if not inst.is_drum:
        return [(stage.pans.get(role, 0.0), inst)]
    from lofi_assets.core.generation.arrangement import KIT_PIECES

    groups: dict[float, list[pretty_midi.Note]] = {}
    for note in inst.notes:
        groups.setdefault(stage.kit_pans.get(KIT_PIECES.get(note.pitch, "other"), 0.0), []).append(note)
    out = []
    for position, notes in sorted(groups.items()):
        group = pretty_midi.Instrument(inst.program, is_drum=True, name=inst.name)
        group.notes, group.control_changes, group.pitch_bends = notes, inst.control_changes, inst.pitch_bends
        out.append((position, group))
    return out


def _stage_mix(
    placed: list[tuple[str, str, np.ndarray]], stage: StereoStage, rate: int, stems: dict[str, np.ndarray] | None
) -> np.ndarray:
    """The placed parts levelled by role against the lead, each through the stereo room, summed."""
    import pedalboard

    by_role: dict[str, np.ndarray] = {}
    for _, role, part in placed:
        by_role[role] = by_role[role] + part if role in by_role else part  # summed only where a role has two parts
    levels = {role: sounding_rms(signal) for role, signal in by_role.items()}
    reference = next((r for r in ("lead", "keys", "other", "bass", "drums") if levels.get(r)), None)

    def room(signal: np.ndarray) -> np.ndarray:
        if stage.room_wet <= 0:
            return signal
        reverb = pedalboard.Reverb(
            room_size=stage.room_size, damping=0.5, wet_level=stage.room_wet, dry_level=1.0, width=1.0
        )
        return reverb(signal, rate)

    mix = np.zeros_like(placed[0][2])
    for name, role, part in placed:
        gain = 1.0
        if reference is not None and levels.get(role):
            wanted = stage.levels_db.get(role, 0.0) - stage.levels_db.get(reference, 0.0)
            gain = 10 ** (wanted / 20) * levels[reference] / levels[role]
        part *= np.float32(gain)
        if stems is not None:  # the room is linear: each stem through it sums to the mix through it
            stems[name] = part = room(part)
        mix += part
    if stems is None:
        mix = room(mix)
    width = width_for(mix, stage.correlation)
    if width != 1.0:  # linear: each stem narrowed (or widened) alike still sums to the mix
        from lofi_assets.core.production.colour import stereo_width

        mix = stereo_width(mix, width)
        for name in stems or {}:
            stems[name] = stereo_width(stems[name], width)
    return mix


def _fade_out(frames: int, rate: int) -> np.ndarray:
    n = min(frames, round(FADE_S * rate))
    return (0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
