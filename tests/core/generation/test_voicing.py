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
