from collections import Counter

import pretty_midi
import pytest

from lofi_assets.core.generation.composer import compose
from lofi_assets.core.generation.conditions import MOODS, Conditions
from lofi_assets.core.generation.corpus import (
    collect_operator_midi,
    compose_corpus,
    corpus_conditions,
    read_manifest,
    write_manifest,
)


def test_conditions_spread_over_tempo_key_and_mood():
    conds = corpus_conditions(400, seed=1)
    assert Counter(c.mood for c in conds) == {m: 50 for m in MOODS}
    assert len({c.key_name for c in conds}) == 24
    tempi = sorted(c.tempo for c in conds)
    assert 45 <= tempi[0] < 46 and 94 < tempi[-1] <= 95
    assert max(b - a for a, b in zip(tempi, tempi[1:])) < 1.0  # stratified: no holes
    # moods keep the mode the channel uses them with
    assert sum(c.key.minor for c in conds if c.mood == "melancholic") > 40
    assert sum(not c.key.minor for c in conds if c.mood == "uplifting") > 40


def test_compose_corpus_writes_pieces_and_manifest(tmp_path):
    entries = compose_corpus(tmp_path, 6, seed=2)
    write_manifest(tmp_path, entries)
    again = read_manifest(tmp_path)
    assert [e.piece_id for e in again] == [e.piece_id for e in entries]
    for e in again:
        midi = pretty_midi.PrettyMIDI(str(tmp_path / e.path))
        assert midi.get_tempo_changes()[1][0] == pytest.approx(e.tempo, abs=0.01)
        assert e.notes == sum(len(i.notes) for i in midi.instruments) > 0


def test_operator_midi_filtered_labelled_and_deduplicated(tmp_path):
    source = tmp_path / "midi"
    source.mkdir()
    piece = compose(Conditions.parse(72, "Dm", "chill", 16, seed=1))
    piece.write(str(source / "rainy_melancholic_Dm.mid"))
    piece.write(str(source / "same-notes-again.mid"))
    compose(Conditions.parse(80, "G", "cozy", 16, seed=2)).write(str(source / "plain.mid"))
    (source / "broken.mid").write_bytes(b"MThd garbage")
    waltz = compose(Conditions.parse(80, "G", "cozy", 16, seed=3))
    waltz.time_signature_changes = [pretty_midi.TimeSignature(3, 4, 0)]
    waltz.write(str(source / "waltz.mid"))
    fast = pretty_midi.PrettyMIDI(initial_tempo=230)
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(80, 60 + i % 12, i * 0.25, i * 0.25 + 0.2) for i in range(200)]
    fast.instruments.append(inst)
    fast.write(str(source / "fast.mid"))

    entries, rejected = collect_operator_midi(source, tmp_path / "corpus", set())
    by_name = {e.piece_id.rsplit("-", 1)[0]: e for e in entries}
    assert set(by_name) == {"plain", "rainy_melancholic_Dm"}
    named = by_name["rainy_melancholic_Dm"]
    assert (named.mood, named.key, named.labels_from) == ("melancholic", "Dm", "file name")
    assert by_name["plain"].labels_from == "estimated" and by_name["plain"].key in ("G", "Em", "C", "D")
    reasons = " | ".join(rejected)
    assert "broken.mid: not a readable MIDI file" in reasons
    assert "waltz.mid: time signature [(3, 4)]" in reasons
    assert "fast.mid: tempo 230 BPM outside 40–200" in reasons
    assert "same-notes-again.mid: duplicate" in reasons
