import pretty_midi
import pytest

from lofi_assets.core.generation.generate import ComposerGenerator
from lofi_assets.core.generation.requests import prompt_request
from lofi_assets.core.generation.sound_plan import Idiom
from lofi_assets.core.generation.voicing import STRUM_S, play_idiom, voice


def chord_part(program=4, beat=0.75):
    inst = pretty_midi.Instrument(program)
    for bar in range(2):
        for pitch in (57, 60, 64, 67):
            inst.notes.append(pretty_midi.Note(80, pitch, bar * 4 * beat, (bar + 1) * 4 * beat))
    return inst


def test_an_arpeggio_breaks_each_chord_into_eighths_over_its_length():
    inst = chord_part(24)
    said = play_idiom(inst, Idiom.arpeggio, 0.75)
    assert "arpeggio" in said
    starts = sorted({round(n.start, 3) for n in inst.notes})
    assert starts[:3] == [0.0, 0.375, 0.75] and len(starts) == 16  # eight eighths a bar, two bars
    assert [n.pitch for n in sorted(inst.notes, key=lambda n: n.start)[:6]] == [57, 60, 64, 67, 64, 60]
    assert all(n.end in (3.0, 6.0) for n in inst.notes)  # each rings to its chord's end


def test_a_strum_staggers_a_chord_low_to_high_and_a_swell_holds_to_the_next_chord():
    inst = chord_part(24)
    play_idiom(inst, Idiom.strum, 0.75)
    first = sorted((n for n in inst.notes if n.start < 1), key=lambda n: n.pitch)
    assert [round(n.start, 3) for n in first] == [round(k * STRUM_S, 3) for k in range(4)]
    pad = chord_part(89)
    for n in pad.notes:
        n.end = n.start + 0.5  # short stabs
    play_idiom(pad, Idiom.pad_swell, 0.75)
    assert {round(n.end, 3) for n in pad.notes} == {3.0, 3.5}  # held to the next chord, the last as it was


def test_a_music_box_goes_up_to_its_register_and_a_drone_holds_a_bar():
    box = pretty_midi.Instrument(10)
    box.notes = [pretty_midi.Note(70, p, i * 0.5, i * 0.5 + 0.4) for i, p in enumerate((60, 62, 64, 65))]
    assert "up 1 octave" in play_idiom(box, Idiom.melody, 0.75)
    assert [n.pitch for n in box.notes] == [72, 74, 76, 77]
    bass = pretty_midi.Instrument(33)
    bass.notes = [pretty_midi.Note(90, p, i * 0.75, i * 0.75 + 0.5) for i, p in enumerate((41, 45, 48, 43, 38))]
    play_idiom(bass, Idiom.drone, 0.75)
    assert [(n.pitch, n.start, n.end) for n in bass.notes] == [(41, 0.0, 3.0), (38, 3.0, 6.0)]


@pytest.mark.parametrize(
    ("prompt", "programs"),
    [
        ("nylon guitar arpeggio over brushed drums, kalimba melody", {24, 108}),
        ("airy synth pad, no drums, slow chord swells", {94}),
        ("muted trumpet-like synth lead over a Wurlitzer", {59, 4}),
    ],
)
def test_a_composed_piece_is_voiced_by_its_plan(prompt, programs):
    request = prompt_request(prompt, bars=8)
    piece = ComposerGenerator().generate(request.conditions)
    played = voice(piece.midi, request.plan)
    pitched = {i.program for i in piece.midi.instruments if not i.is_drum and i.notes}
    assert programs <= pitched <= set(request.plan.programs().values())
    assert set(played) >= {"keys", "bass", "lead"}
    kits = {i.program for i in piece.midi.instruments if i.is_drum and i.notes}
    if "brushed" in prompt:
        assert kits == {40}  # the brush kit
    if "no drums" in prompt:
        assert not kits


def drum_bar(beat=0.75, bars=2):
    inst = pretty_midi.Instrument(0, is_drum=True)
    for b in range(bars):
        for k in range(8):  # eighths
            t = (4 * b + k / 2) * beat
            inst.notes.append(pretty_midi.Note(80, 42, t, t + 0.1))
        for q, pitch in ((0, 36), (1, 38), (2.5, 36), (3, 38)):
            t = (4 * b + q) * beat
            inst.notes.append(pretty_midi.Note(100, pitch, t, t + 0.1))
    return inst


def test_feel_words_change_the_drums():
    from lofi_assets.core.generation.voicing import SIDE_STICK, SNARE, play_feel

    beat = 0.75
    half = drum_bar()
    play_feel(half, ("half time",), beat)
    snares = sorted(round(n.start / beat, 2) for n in half.notes if n.pitch == SNARE)
    assert snares == [2.0, 6.0]  # beat 3 of each bar only
    rim = drum_bar()
    play_feel(rim, ("rimshot",), beat)
    assert SNARE not in {n.pitch for n in rim.notes} and SIDE_STICK in {n.pitch for n in rim.notes}
    lazy = drum_bar()
    play_feel(lazy, ("lazy hats",), beat)
    offbeats = [n for n in lazy.notes if n.pitch == 42 and (n.start / beat) % 1 > 0.1]
    assert all(abs((n.start / beat) % 1 - (0.5 + 1 / 6)) < 1e-6 and n.velocity == 56 for n in offbeats)
    sleepy = drum_bar()
    play_feel(sleepy, ("sleepy kick",), beat)
    kicks = [n for n in sleepy.notes if n.pitch == 36]
    assert [round(n.start / beat, 2) for n in kicks] == [0.0, 4.0] and {n.velocity for n in kicks} == {75}
    shaker = drum_bar()
    play_feel(shaker, ("shaker",), beat)
    assert sum(n.pitch == 82 for n in shaker.notes) == 16
    sparse = drum_bar()
    play_feel(sparse, ("sparse",), beat)
    assert sum(n.pitch == 42 for n in sparse.notes) == 4  # a hat every other beat
    fading = drum_bar()
    play_feel(fading, ("fading beat",), beat)
    last = max(fading.notes, key=lambda n: n.start)
    assert last.velocity < 40 and fading.notes[0].velocity in (80, 100)


def test_boom_bap_lays_its_kick_pattern():
    from lofi_assets.core.generation.voicing import play_feel

    beat = 0.75
    drums = drum_bar()
    said = play_feel(drums, ("boom bap",), beat)
    kicks = [round(n.start / beat, 2) for n in drums.notes if n.pitch == 36]
    assert said.startswith("boom bap:") and kicks == [0.0, 1.5, 4.0, 4.75, 6.5]


def test_feels_add_hits_only_in_bars_the_drums_play():
    from lofi_assets.core.generation.voicing import SHAKER, SNARE, play_feel

    beat = 0.75
    drums = drum_bar(bars=3)
    drums.notes = [n for n in drums.notes if n.start >= 4 * beat]  # an intro bar without drums
    play_feel(drums, ("half time", "shaker"), beat)
    assert min(n.start for n in drums.notes if n.pitch in (SNARE, SHAKER)) >= 4 * beat


def test_a_voiced_part_keeps_its_role_whatever_its_notes_do():
    from lofi_assets.core.generation.arrangement import classify

    request = prompt_request("nylon guitar arpeggio over brushed drums", bars=8)
    piece = ComposerGenerator().generate(request.conditions)
    voice(piece.midi, request.plan)
    roles = {piece.midi.instruments[p.index].program: p.role for p in classify(piece.midi)}
    assert roles[24] == "keys"  # single notes in a low register, and still the keys
    assert sum(role == "bass" for role in roles.values()) == 1
