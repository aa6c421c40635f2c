"""The scorer ranks music above controls and agrees with an independent MIR library."""

import numpy as np
import pretty_midi
import pytest
from scipy.stats import spearmanr

from lofi_assets.core.generation.composer import compose
from lofi_assets.core.generation.conditions import KEY_NAMES, MOODS, Conditions
from lofi_assets.core.generation.controls import ARRANGEMENT_CONTROLS, random_notes, second_bass, shuffled_pitch
from lofi_assets.core.generation.quality import REJECT_BELOW, WEIGHTS, score_midi


@pytest.fixture(scope="module")
def trios():
    out = []
    for i in range(8):
        piece = compose(Conditions.parse(60 + 4 * i, KEY_NAMES[3 * i], MOODS[i], 16, seed=i))
        out.append((piece, shuffled_pitch(piece, i), random_notes(piece, i)))
    return out


def test_real_pieces_rank_above_shuffled_and_random_controls(trios):
    scores = np.array([[score_midi(m).combined for m in trio] for trio in trios])
    real, shuffled, rand = scores.mean(axis=0)
    assert real > shuffled > rand
    assert (scores[:, 0] > scores[:, 2]).all() and (scores[:, 0] > scores[:, 1]).mean() >= 0.85
    assert real >= 0.85 and rand < REJECT_BELOW


def test_sub_scores_are_bounded_and_the_blend_is_their_weighted_mean(trios):
    for trio in trios:
        for midi in trio:
            s = score_midi(midi).to_dict()
            parts = {k: s[k] for k in WEIGHTS}
            assert all(0.0 <= v <= 1.0 for v in parts.values())
            assert s["combined"] == pytest.approx(sum(WEIGHTS[k] * v for k, v in parts.items()), abs=1e-3)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_requested_key_is_scored_against_that_key(trios):
    piece = trios[0][0]
    own = score_midi(piece)
    tritone_away = score_midi(piece, Conditions.parse(75, "F#" if own.key != "F#" else "C", "cozy").key)
    assert tritone_away.key_adherence < own.key_adherence - 0.3


def test_empty_and_drum_only_pieces_score_low():
    empty = pretty_midi.PrettyMIDI(initial_tempo=80)
    assert score_midi(empty).combined == 0.0
    drums = pretty_midi.PrettyMIDI(initial_tempo=80)
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes = [pretty_midi.Note(90, 36, b * 0.75, b * 0.75 + 0.1) for b in range(64)]
    drums.instruments.append(kit)
    assert score_midi(drums).combined < REJECT_BELOW


def test_scorer_moves_with_muspy_metrics(trios):
    muspy = pytest.importorskip("muspy", reason="MusPy (the independent MIR metrics) is a dev dependency")
    ours, scale, entropy, groove, rhythm = [], [], [], [], []
    for trio in trios:
        for midi in trio:
            s = score_midi(midi)
            music = muspy.from_pretty_midi(midi)
            ours.append(s.combined)
            rhythm.append(s.rhythmic_stability)
            scale.append(muspy.scale_consistency(music))
            entropy.append(muspy.pitch_class_entropy(music))
            groove.append(muspy.groove_consistency(music, 4 * music.resolution))
    assert spearmanr(ours, scale)[0] > 0.5
    assert spearmanr(ours, entropy)[0] < -0.5
    assert spearmanr(rhythm, groove)[0] > 0.5


def test_each_arrangement_control_scores_below_its_source_and_is_not_approved(trios):
    for i, (piece, _, _) in enumerate(trios):
        source = score_midi(piece)
        assert source.approved and all(source.rules.values())
        for name, control in ARRANGEMENT_CONTROLS.items():
            broken = score_midi(control(piece, i))
            assert broken.combined < source.combined, (name, i)
            if name != "chords shuffled":  # every part is still there: only the score falls
                assert not broken.approved, (name, i)


def test_approval_needs_every_arrangement_rule_not_only_the_score(trios):
    broken = score_midi(second_bass(trios[0][0]))
    assert broken.combined >= REJECT_BELOW and not broken.rules["one_bass"] and not broken.approved


def test_rule_shares_over_scored_pieces():
    from lofi_assets.core.generation.quality import rule_shares

    scores = [{"rules": {"one_bass": True, "steady_drums": False}}, {"rules": {"one_bass": True, "steady_drums": True}}]
    assert rule_shares(scores + [{}]) == {"one_bass": 1.0, "steady_drums": 0.5}  # an unscored failure is left out
    assert rule_shares([]) == {}
