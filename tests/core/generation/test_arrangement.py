"""Roles are read from what parts play, and the arrangement rules catch what they name."""

import pretty_midi
import pytest

from lofi_assets.core.generation.arrangement import analyse, body_bars, classify, groove_consistency
from lofi_assets.core.generation.composer import compose
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.controls import (
    chords_shuffled,
    drums_redrawn,
    drums_removed,
    lead_removed,
    second_bass,
)

BEAT = 0.75  # 80 BPM


def piece(bars=8, drums=True, lead=True, basses=(33,)):
    """A hand-written arrangement: block chords, a root bass, a two-bar groove, a phrase."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=80)
    keys = pretty_midi.Instrument(4)
    for b in range(bars):
        for p in (60, 64, 67, 71) if b % 2 == 0 else (62, 65, 69, 72):
            keys.notes.append(pretty_midi.Note(70, p, b * 4 * BEAT, (b + 1) * 4 * BEAT - 0.05))
    midi.instruments.append(keys)
    for program in basses:
        bass = pretty_midi.Instrument(program)
        for b in range(bars):
            root = 36 if b % 2 == 0 else 38
            bass.notes.append(pretty_midi.Note(80, root, b * 4 * BEAT, (b * 4 + 2) * BEAT))
        midi.instruments.append(bass)
    if drums:
        kit = pretty_midi.Instrument(0, is_drum=True)
        for b in range(bars):
            for beat, pitch in [(0, 36), (1, 38), (2, 36), (3, 38)] + [(e / 2, 42) for e in range(8)]:
                t = (b * 4 + beat) * BEAT
                kit.notes.append(pretty_midi.Note(80, pitch, t, t + 0.1))
        midi.instruments.append(kit)
    if lead:
        flute = pretty_midi.Instrument(73)
        for b in range(0, bars, 2):
            for i, p in enumerate((72, 74, 76, 74, 72)):
                t = (b * 4 + i * 0.75) * BEAT
                flute.notes.append(pretty_midi.Note(75, p, t, t + 0.6 * BEAT))
        midi.instruments.append(flute)
    return midi


def test_roles_come_from_what_parts_play_not_names():
    roles = [p.role for p in classify(piece())]
    assert roles == ["keys", "bass", "drums", "lead"]
    # a low single-note line on a piano program is still the bass
    midi = piece(basses=(0,))
    assert [p.role for p in classify(midi)][1] == "bass"


def test_a_complete_arrangement_keeps_every_rule():
    report = analyse(piece())
    assert report.rules == {"one_bass": True, "keys": True, "melodic_lead": True, "steady_drums": True}
    assert report.groove_consistency == pytest.approx(1.0)


def test_each_rule_catches_its_fault():
    assert not analyse(piece(basses=(33, 35))).rules["one_bass"]
    assert not analyse(piece(basses=())).rules["one_bass"]
    assert not analyse(piece(lead=False)).rules["melodic_lead"]
    assert not analyse(piece(drums=False)).rules["steady_drums"]
    # asked for without drums: having none keeps the rule, having some breaks it
    assert analyse(piece(drums=False), drums_expected=False).rules["steady_drums"]
    assert not analyse(piece(), drums_expected=False).rules["steady_drums"]


def test_drums_that_stop_in_the_body_break_the_rule():
    midi = piece(bars=16)
    kit = midi.instruments[2]
    kit.notes = [n for n in kit.notes if n.start < 6 * 4 * BEAT]  # drums play six bars, then stop
    report = analyse(midi)
    assert report.drum_body_bars < 0.9 and not report.rules["steady_drums"]


def test_body_excludes_intro_and_outro():
    assert list(body_bars(6)) == list(range(6))
    assert list(body_bars(16)) == list(range(2, 14))
    assert list(body_bars(32)) == list(range(4, 28))


def test_groove_consistency_falls_when_drums_are_redrawn_every_bar():
    midi = piece(bars=16)
    assert groove_consistency(midi) > 0.95
    assert groove_consistency(drums_redrawn(midi, seed=3)) < 0.5
    assert groove_consistency(drums_removed(midi)) == 0.0


def test_controls_break_exactly_their_rule_on_a_composer_piece():
    midi = compose(Conditions.parse(80, "Dm", "chill", 16, seed=5))
    assert analyse(midi).all_rules
    assert analyse(second_bass(midi)).bass_parts == 2
    assert not analyse(lead_removed(midi)).rules["melodic_lead"]
    assert not analyse(drums_removed(midi)).rules["steady_drums"]
    shuffled = chords_shuffled(midi, seed=1)
    assert analyse(shuffled).all_rules  # the parts are all there; only the harmony moved
    keys = [p.index for p in classify(midi) if p.role == "keys"][0]
    before = sorted((n.pitch, round(n.end - n.start, 4)) for n in midi.instruments[keys].notes)
    after = sorted((n.pitch, round(n.end - n.start, 4)) for n in shuffled.instruments[keys].notes)
    assert before == after  # the same chords, note for note
    moved = sum(a.start != b.start for a, b in zip(midi.instruments[keys].notes, shuffled.instruments[keys].notes))
    assert moved > 0.5 * len(midi.instruments[keys].notes)  # ... in other bars


def test_bar_roles_and_groove_references_follow_the_form():
    from lofi_assets.core.generation.arrangement import bar_roles, groove_references

    plan = bar_roles(24)
    body = set(body_bars(24))
    assert all(plan.required[i] == {"keys", "bass", "drums"} and plan.either[i] == {"lead"} for i in body)
    assert plan.required[0] == {"keys"} and not plan.either[0]  # the intro: keys alone may play
    assert plan.silent[0] == {"drums"} and not plan.silent[10]
    assert "drums" not in bar_roles(24, drums=False).required[10]
    refs = groove_references(48)
    assert refs[:6] == (None,) * 6  # the intro, then the two bars that set the loop
    assert refs[6] == (4, 48) and refs[7] == (5, 48)  # a two-bar loop
    assert refs[11] == (9, 36)  # the phrase's last bar: the loop for three beats, then the fill
    assert refs[13] == (9, 48)  # a fill is never a loop's model
