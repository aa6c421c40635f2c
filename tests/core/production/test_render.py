"""Rendering small pretty_midi pieces with the shipped General MIDI soundfont."""

from __future__ import annotations

import os

import numpy as np
import pretty_midi
import pytest

from lofi_assets.core.production.render import (
    DEFAULT_SOUNDFONT,
    PEAK_DBFS,
    RATE,
    RenderError,
    render_midi,
    resolve_soundfont,
)


def piece(*parts: tuple[int, bool, list[tuple[int, float, float]]]) -> pretty_midi.PrettyMIDI:
    """Parts as ``(program, is_drum, [(pitch, start, end), ...])``."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=90)
    for program, drum, notes in parts:
        inst = pretty_midi.Instrument(program, is_drum=drum)
        inst.notes = [pretty_midi.Note(100, pitch, start, end) for pitch, start, end in notes]
        pm.instruments.append(inst)
    return pm


def envelope(x: np.ndarray) -> np.ndarray:
    return np.abs(x).max(axis=0)


def test_a_440_hz_note_renders_stereo_at_its_pitch_and_length():
    r = render_midi(piece((0, False, [(69, 0.25, 1.25)])), tail_s=0.5)
    assert r.mix.dtype == np.float32 and r.mix.shape == (2, round(1.75 * RATE)) and r.rate == RATE
    assert r.seconds == pytest.approx(1.75, abs=1 / RATE) and r.notes == 1
    assert r.parts == ["0-acoustic-grand-piano"]
    assert np.isfinite(r.mix).all()
    assert 20 * np.log10(np.abs(r.mix).max()) == pytest.approx(PEAK_DBFS, abs=0.01)
    block = r.mix[0, round(0.35 * RATE) : round(0.35 * RATE) + 16384] * np.hanning(16384)
    spectrum = np.abs(np.fft.rfft(block))
    peak_hz = np.fft.rfftfreq(16384, 1 / RATE)[spectrum.argmax()]
    assert abs(peak_hz - 440) < 6, peak_hz


def test_notes_start_at_their_exact_frame():
    # the same note moved by 1.0 s is the same samples moved by exactly 44100 frames
    early = render_midi(piece((4, False, [(60, 0.0, 0.5)])), tail_s=0.3, gain_db=0.0).mix
    late = render_midi(piece((4, False, [(60, 1.0, 1.5)])), tail_s=0.3, gain_db=0.0).mix
    assert late.shape[1] == early.shape[1] + RATE
    assert np.abs(late[:, :RATE]).max() == 0.0  # silent before the note
    np.testing.assert_allclose(late[:, RATE:], early, atol=1e-6)
    env = envelope(late)
    onset = int(np.argmax(env > 0.01 * env.max()))
    assert abs(onset - RATE) <= RATE // 1000, onset  # within 1 ms


def test_sustain_pedal_holds_notes_until_it_lifts():
    pm = piece((0, False, [(60, 0.0, 0.2)]))
    pm.instruments[0].control_changes = [pretty_midi.ControlChange(64, 127, 0.0), pretty_midi.ControlChange(64, 0, 1.0)]
    held = render_midi(pm, tail_s=0.5, gain_db=0.0)
    dry = render_midi(piece((0, False, [(60, 0.0, 0.2)])), tail_s=0.5, gain_db=0.0)
    assert held.seconds == pytest.approx(1.5, abs=1e-3) and dry.seconds == pytest.approx(0.7, abs=1e-3)
    window = slice(round(0.6 * RATE), round(0.7 * RATE))
    assert np.abs(held.mix[:, window]).max() > 5 * np.abs(dry.mix[:, window]).max()


def test_stems_sum_to_the_mix_and_parts_do_not_leak_into_each_other():
    pm = piece(
        (4, False, [(60, 0.0, 2.0), (64, 0.0, 2.0)]),
        (33, False, [(40, 1.0, 1.5)]),
        (0, True, [(36, 0.5, 0.6), (38, 1.0, 1.1), (42, 1.5, 1.6)]),
    )
    r = render_midi(pm, stems=True, tail_s=0.0)
    assert list(r.stems) == ["0-electric-piano-1", "1-electric-bass-finger", "2-drums"] == r.parts
    assert r.notes == 6
    total = sum(r.stems.values())
    assert np.abs(total - r.mix).max() < 1e-5
    for stem in r.stems.values():
        assert stem.shape == r.mix.shape and stem.dtype == np.float32
    # the bass starts at 1.0 s although the piano rendered before it was still sounding at the end
    assert np.abs(r.stems["0-electric-piano-1"][:, -RATE // 10 : -RATE // 20]).max() > 0.01
    assert np.abs(r.stems["1-electric-bass-finger"][:, :RATE]).max() == 0.0
    assert np.abs(r.stems["2-drums"][:, : RATE // 2]).max() == 0.0
    # the same gain for all: the mix without stems is the same signal
    alone = render_midi(pm, tail_s=0.0)
    assert alone.gain_db == pytest.approx(r.gain_db)
    np.testing.assert_allclose(alone.mix, r.mix, atol=1e-6)


def test_drums_sound_on_the_drum_channel_with_the_kit():
    r = render_midi(piece((0, True, [(36, 0.0, 0.1), (42, 0.5, 0.6)])), tail_s=0.5, gain_db=0.0)
    hat = r.mix[0, round(0.5 * RATE) : round(0.6 * RATE)]
    assert np.abs(r.mix).max() > 0.01
    spectrum = np.abs(np.fft.rfft(hat * np.hanning(hat.size)))
    freqs = np.fft.rfftfreq(hat.size, 1 / RATE)
    # a closed hi-hat is noise far above a piano's F#2 (the pitch 42 would be on program 0)
    assert spectrum[freqs > 4000].sum() > spectrum[freqs < 1000].sum()


def test_the_drum_part_plays_the_kit_its_program_names():
    snare = [(38, 0.0, 0.3)]
    standard = render_midi(piece((0, True, snare)), tail_s=0.3, gain_db=0.0).mix
    brush = render_midi(piece((40, True, snare)), tail_s=0.3, gain_db=0.0)
    assert not brush.warnings
    # a brushed snare is another sample, and softer than the standard kit's stick
    assert not np.allclose(standard, brush.mix, atol=1e-3)
    assert np.sqrt(np.mean(brush.mix**2)) < np.sqrt(np.mean(standard**2))


def test_a_kit_the_soundfont_lacks_falls_back_to_the_standard_kit_and_says_so():
    snare = [(38, 0.0, 0.3)]
    r = render_midi(piece((99, True, snare)), tail_s=0.3, gain_db=0.0)
    assert r.warnings == [
        f"soundfont {DEFAULT_SOUNDFONT.name} has no program 99 (drum kit 99); 0 (the Standard kit) used instead"
    ]
    assert np.allclose(r.mix, render_midi(piece((0, True, snare)), tail_s=0.3, gain_db=0.0).mix)


def test_a_midi_file_path_renders(tmp_path):
    path = tmp_path / "song.mid"
    piece((0, False, [(60, 0.0, 0.5)])).write(str(path))
    assert render_midi(path, tail_s=0.1).notes == 1


def test_empty_midi_is_refused():
    with pytest.raises(RenderError, match="no notes to render"):
        render_midi(piece((0, False, [])))


def test_an_unreadable_midi_file_is_refused(tmp_path):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi at all")
    with pytest.raises(RenderError, match="bad.mid"):
        render_midi(bad)


def test_soundfont_default_and_errors(tmp_path):
    assert resolve_soundfont(None) == DEFAULT_SOUNDFONT and DEFAULT_SOUNDFONT.is_file()
    missing = tmp_path / "nope.sf2"
    with pytest.raises(RenderError, match="nope.sf2"):
        resolve_soundfont(str(missing))
    with pytest.raises(RenderError, match="nope.sf2"):
        render_midi(piece((0, False, [(60, 0.0, 0.5)])), missing)
    bogus = tmp_path / "bogus.sf2"
    bogus.write_bytes(os.urandom(4096))
    with pytest.raises(RenderError, match="bogus.sf2.*not a SoundFont"):
        resolve_soundfont(bogus)
    # the right header with garbage after it gets past the check but not past the loader
    forged = tmp_path / "forged.sf2"
    forged.write_bytes(b"RIFF" + (4088).to_bytes(4, "little") + b"sfbk" + os.urandom(4084))
    with pytest.raises(RenderError, match="forged.sf2"):
        render_midi(piece((0, False, [(60, 0.0, 0.5)])), forged)


def band(seconds: float = 4.0) -> pretty_midi.PrettyMIDI:
    """Keys, bass, a lead and drums (kick, snare, hats, a crash), each playing throughout."""
    beat = 60 / 90
    beats = range(int(seconds / beat))
    keys = [(p, b * beat, (b + 1) * beat) for b in beats for p in (60, 64, 67, 71)]
    bass = [(36, b * beat, (b + 1) * beat) for b in beats]
    lead = [(76 + 2 * (b % 3), b * beat, (b + 0.9) * beat) for b in beats]
    drums = [(36 if b % 2 == 0 else 38, b * beat, b * beat + 0.1) for b in beats]
    drums += [(42, (b + 0.5) * beat, (b + 0.5) * beat + 0.05) for b in beats] + [(49, 0.0, 0.5)]
    return piece((4, False, keys), (33, False, bass), (73, False, lead), (0, True, drums))


def test_the_stereo_stage_places_each_role():
    from lofi_assets.core.production.loudness import measure
    from lofi_assets.core.production.render import StereoStage, sounding_rms

    plain = render_midi(band())
    placed = render_midi(band(), stage=StereoStage(), stems=True)
    assert measure(plain.mix, RATE).correlation > 0.98  # mono samples, unplaced: a mono mix
    assert 0.6 <= measure(placed.mix, RATE).correlation <= 0.9
    stems = dict(zip(["keys", "bass", "lead", "drums"], placed.stems.values()))
    assert np.allclose(sum(placed.stems.values()), placed.mix, atol=1e-5)  # the stems still sum to the mix

    def side(x):  # > 0: leans right
        return float(np.sum(x[1] ** 2) - np.sum(x[0] ** 2)) / float(np.sum(x**2))

    assert side(stems["keys"]) < -0.2 and side(stems["lead"]) > 0.2 and abs(side(stems["bass"])) < 0.05
    # the brief's stem levels against the lead (before the room, whose tails fill the rests, and the width)
    dry = render_midi(band(), stage=StereoStage(room_wet=0, correlation=(-1.0, 1.0)), stems=True)
    stems = dict(zip(["keys", "bass", "lead", "drums"], dry.stems.values()))
    lead = sounding_rms(stems["lead"])
    for role, level in (("drums", -3.0), ("bass", -6.0), ("keys", -8.0)):
        assert 20 * np.log10(sounding_rms(stems[role]) / lead) == pytest.approx(level, abs=0.1), role


def test_a_part_that_pans_itself_keeps_its_pan():
    from lofi_assets.core.production.render import StereoStage

    midi = band()
    keys = midi.instruments[0]
    keys.control_changes.append(pretty_midi.ControlChange(10, 127, 0.0))  # hard right
    stems = list(render_midi(midi, stage=StereoStage(keys_spread_ms=0, room_wet=0), stems=True).stems.values())
    assert np.sum(stems[0][1] ** 2) > 10 * np.sum(stems[0][0] ** 2)  # right, though keys sit left


def test_the_default_soundfont_is_fluidr3_where_installed(tmp_path, monkeypatch):
    from lofi_assets.core.production import render

    monkeypatch.delenv("LOFI_SOUNDFONT")
    installed = tmp_path / "share" / "sounds" / "sf2" / "FluidR3_GM.sf2"
    monkeypatch.setattr(render, "FLUIDR3_PLACES", (installed,))
    assert render.default_soundfont() == DEFAULT_SOUNDFONT  # not installed: the small font
    installed.parent.mkdir(parents=True)
    installed.write_bytes(DEFAULT_SOUNDFONT.read_bytes())  # any SoundFont 2 file stands in here
    assert render.default_soundfont() == installed == resolve_soundfont(None)
    monkeypatch.setenv("LOFI_SOUNDFONT", str(tmp_path / "mine.sf2"))
    assert render.default_soundfont() == tmp_path / "mine.sf2"  # the operator's choice wins


def test_a_mix_too_wide_or_too_narrow_is_brought_into_the_band():
    from lofi_assets.core.production.render import correlation, width_for

    rng = np.random.default_rng(0)
    mid, side = rng.standard_normal(44100), rng.standard_normal(44100)
    wide = np.stack([mid + side, mid - side])  # correlation 0
    narrow = np.stack([mid + 0.05 * side, mid - 0.05 * side])  # about 0.995
    for x in (wide, narrow):
        w = width_for(x, (0.65, 0.85))
        m, s = 0.5 * (x[0] + x[1]), 0.5 * (x[0] - x[1]) * w
        assert 0.64 <= correlation(np.stack([m + s, m - s])) <= 0.86
    inside = np.stack([mid + 0.4 * side, mid - 0.4 * side])
    assert width_for(inside, (0.65, 0.85)) == 1.0


def test_the_keys_duck_under_each_kick():
    from lofi_assets.core.production.render import duck_curve, kick_onsets

    gain = duck_curve(RATE, [0.25, 0.75], RATE, depth_db=4.0, release_ms=100.0)
    db = 20 * np.log10(gain)
    assert db[: round(0.25 * RATE)].max() == 0.0  # nothing before the first kick
    assert db[round(0.255 * RATE)] == pytest.approx(-4.0, abs=0.2)  # down at the hit, after a 5 ms ramp
    assert db[round(0.65 * RATE)] > -0.1  # back within 400 ms
    assert kick_onsets(band(2.0)) == pytest.approx([0.0, 4 / 3])  # the band's kicks on beats 1 and 3


def test_the_drum_bus_rounds_and_darkens_the_hits():
    from lofi_assets.core.production.render import drum_bus

    rng = np.random.default_rng(1)
    hits = np.zeros((2, RATE), dtype=np.float32)
    hits[:, 1000:3000] = rng.standard_normal((2, 2000)) * np.exp(-np.arange(2000) / 400) * 0.5
    out = drum_bus(hits, RATE, drive_db=6.0, lowpass_hz=5000.0)
    assert np.abs(out).max() <= np.abs(hits).max() * 1.05  # the level given back, not raised

    def top(x):
        spectrum = np.abs(np.fft.rfft(x[0]))
        return spectrum[np.fft.rfftfreq(x.shape[1], 1 / RATE) > 10000].sum() / spectrum.sum()

    assert top(out) < 0.5 * top(hits)


def tiny_soundfont(path, programs: list[int]):
    """A SoundFont 2 file whose bank 0 holds only ``programs``, each playing one looped
    sine sample (A4): the smallest font TinySoundFont loads."""
    import struct

    rate, frames = 22050, 22050
    sine = (np.sin(2 * np.pi * 440 * np.arange(frames) / rate) * 12000).astype("<i2")
    smpl = sine.tobytes() + bytes(2 * 46)  # the format's 46 zero samples after each sample

    def chunk(cid: bytes, data: bytes) -> bytes:
        return cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")

    def name(text: str) -> bytes:
        return text.encode().ljust(20, b"\0")

    phdr = b"".join(struct.pack("<20sHHHIII", name(f"tone {p}"), p, 0, i, 0, 0, 0) for i, p in enumerate(programs))
    phdr += struct.pack("<20sHHHIII", name("EOP"), 0, 0, len(programs), 0, 0, 0)
    pbag = b"".join(struct.pack("<HH", i, 0) for i in range(len(programs) + 1))
    pgen = struct.pack("<HH", 41, 0) * len(programs) + struct.pack("<HH", 0, 0)  # 41: the instrument
    inst = struct.pack("<20sH", name("sine"), 0) + struct.pack("<20sH", name("EOI"), 1)
    ibag = struct.pack("<HH", 0, 0) + struct.pack("<HH", 2, 0)
    igen = struct.pack("<HH", 54, 1) + struct.pack("<HH", 53, 0) + struct.pack("<HH", 0, 0)  # loop; sample 0
    shdr = struct.pack("<20sIIIIIBbHH", name("A4"), 0, frames, 1000, frames - 1000, rate, 69, 0, 0, 1)
    shdr += struct.pack("<20sIIIIIBbHH", name("EOS"), 0, 0, 0, 0, 0, 0, 0, 0, 0)
    mod_end = bytes(10)
    info = b"INFO" + chunk(b"ifil", struct.pack("<HH", 2, 1)) + chunk(b"isng", b"EMU8000\0")
    info += chunk(b"INAM", b"tiny\0\0")
    sdta = b"sdta" + chunk(b"smpl", smpl)
    pdta = b"pdta" + b"".join(
        chunk(cid, data)
        for cid, data in (
            (b"phdr", phdr),
            (b"pbag", pbag),
            (b"pmod", mod_end),
            (b"pgen", pgen),
            (b"inst", inst),
            (b"ibag", ibag),
            (b"imod", mod_end),
            (b"igen", igen),
            (b"shdr", shdr),
        )
    )
    body = b"sfbk" + chunk(b"LIST", info) + chunk(b"LIST", sdta) + chunk(b"LIST", pdta)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def test_a_program_the_soundfont_lacks_falls_back_to_its_family_then_to_the_piano(tmp_path):
    font = tiny_soundfont(tmp_path / "tiny.sf2", programs=[0, 5])
    # An electric piano (4, Rhodes) the font lacks: the nearest of the piano family it has (5).
    rhodes = render_midi(piece((4, False, [(69, 0.0, 0.5)])), font, tail_s=0.2, gain_db=0.0)
    assert rhodes.warnings == [
        "soundfont tiny.sf2 has no program 4 (Electric Piano 1); 5 (Electric Piano 2) used instead"
    ]
    assert np.abs(rhodes.mix).max() > 0.01  # it sounds: the sine of the preset it fell back to
    # A bass (33) with no bass in the font at all: preset 0.
    bass = render_midi(piece((33, False, [(45, 0.0, 0.5)])), font, tail_s=0.2, gain_db=0.0)
    assert bass.warnings == [
        "soundfont tiny.sf2 has no program 33 (Electric Bass (finger)); 0 (Acoustic Grand Piano) used instead"
    ]
    # A program it has: no warning.
    assert not render_midi(piece((5, False, [(69, 0.0, 0.5)])), font, tail_s=0.2).warnings
