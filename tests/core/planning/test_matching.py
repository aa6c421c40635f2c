"""Every term of the score takes part; the assignment is global; gaps say why."""

import numpy as np
import pytest

from lofi_assets.core.ingest.plan import Arc, Prompt, TrackPlan
from lofi_assets.core.planning.matching import (
    Catalog,
    Query,
    Weights,
    assign,
    match,
    queries_from_plan,
    tempo_words_range,
)

DIM = 8


def unit(*values):
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def catalog(rows, embeddings):
    records = [
        {"song_id": r[0], "text": "", "bpm": r[1], "key": r[2], "duration": 180, "arc": r[3], "times_used": r[4]}
        for r in rows
    ]
    return Catalog.from_records(records, np.stack(embeddings))


def query(**kw):
    base = dict(arc=1, number=1, text="x", bpm_range=None, tempo_source="none")
    base.update(kw)
    return Query(**base)


def best(q, cat, emb):
    result, total = match([q], emb[None, :], cat, threshold=0.0, top_k=len(cat))
    return result.prompts[0].candidates


def test_semantic_term():
    cat = catalog([("near", 70, "Am", 1, 0), ("far", 70, "Am", 1, 0)], [unit(1, 0.1), unit(0.1, 1)])
    top = best(query(), cat, unit(1, 0))
    assert top[0].song_id == "near" and top[0].terms["semantic"] > top[1].terms["semantic"]


def test_arc_term_same_adjacent_far():
    cat = catalog(
        [("same", 70, "Am", 2, 0), ("next", 70, "Am", 3, 0), ("far", 70, "Am", 5, 0), ("unknown", 70, "Am", None, 0)],
        [unit(1)] * 4,
    )
    terms = {c.song_id: c.terms["arc"] for c in best(query(arc=2), cat, unit(1))}
    assert terms == {"same": 1.0, "next": 0.5, "far": 0.0, "unknown": 0.0}


def test_tempo_term_is_octave_aware():
    # The tracker said 118 for a song really at 59; the slow arc wants 45-60.
    cat = catalog(
        [("doubled", 118, "Am", 1, 0), ("too_fast", 72, "Am", 1, 0), ("inside", 52, "Am", 1, 0)], [unit(1)] * 3
    )
    terms = {c.song_id: c.terms["tempo"] for c in best(query(bpm_range=(45, 60), tempo_source="arc"), cat, unit(1))}
    assert terms["inside"] == 1.0
    assert terms["doubled"] >= 0.85  # its half (59) fits
    assert terms["too_fast"] < 0.35  # no octave of 72 comes near 45-60
    # With no target, tempo does not rank songs.
    assert {c.terms["tempo"] for c in best(query(), cat, unit(1))} == {0.5}


def test_tempo_words():
    assert tempo_words_range("very slow ambient piano") == (45.0, 60.0)
    assert tempo_words_range("midtempo lofi vaporwave beat") == (70.0, 90.0)
    assert tempo_words_range("lo-fi hip hop beat at 66 BPM") == (63.0, 69.0)
    assert tempo_words_range("airy pads") is None


def test_key_term_is_case_proof():
    cat = catalog(
        [
            ("same", 70, "a minor", 1, 0),
            ("relative", 70, "C", 1, 0),
            ("fifth", 70, "e minor", 1, 0),
            ("other", 70, "F#", 1, 0),
            ("unknown", 70, "", 1, 0),
        ],
        [unit(1)] * 5,
    )
    terms = {c.song_id: c.terms["key"] for c in best(query(key_tonic=9, key_minor=True), cat, unit(1))}
    assert terms == {"same": 1.0, "relative": 0.5, "fifth": 0.5, "other": 0.0, "unknown": 0.5}


def test_usage_term_prefers_less_used_songs():
    cat = catalog([("fresh", 70, "Am", 1, 0), ("worn", 70, "Am", 1, 10), ("some", 70, "Am", 1, 3)], [unit(1)] * 3)
    top = best(query(), cat, unit(1))
    terms = {c.song_id: c.terms["usage"] for c in top}
    assert terms["fresh"] == 1.0 and terms["worn"] == 0.0 and 0 < terms["some"] < 1
    assert top[0].song_id == "fresh"


def test_weights_change_the_ranking():
    cat = catalog([("semantic_fit", 120, "Am", 4, 0), ("arc_fit", 70, "Am", 1, 0)], [unit(1), unit(0.3, 1)])
    q = query(arc=1)
    default, _ = match([q], unit(1)[None, :], cat, threshold=0.0)
    arc_heavy, _ = match([q], unit(1)[None, :], cat, threshold=0.0, weights=Weights(0.1, 0.9, 0, 0, 0))
    assert default.prompts[0].candidates[0].song_id == "semantic_fit"
    assert arc_heavy.prompts[0].candidates[0].song_id == "arc_fit"


def test_global_assignment_beats_first_come():
    # Prompt 1 likes s1 a little more than s2; prompt 2 can only use s1.
    total = np.array([[0.90, 0.86, 0.10], [0.88, 0.20, 0.10]])
    assert assign(total, 0.7) == {0: 1, 1: 0}
    # A strong match is not traded for two barely-passing ones.
    assert assign(np.array([[0.95, 0.10], [0.71, 0.10]]), 0.7) == {0: 0}
    assert assign(np.array([[0.5, 0.6]]), 0.7) == {}


def test_no_song_twice_and_gap_reasons():
    cat = catalog([("rain", 70, "Am", 1, 0), ("slow_rain", 130, "Am", 1, 0)], [unit(1, 0.05), unit(0.2, 1)])
    queries = [
        query(number=1),
        query(number=2),
        query(number=3, bpm_range=(45, 50), tempo_source="arc"),
        query(number=4),
    ]
    emb = np.stack([unit(1), unit(1), unit(0.2, 1, 1), unit(0, 0, 0, 1)])
    result, _ = match(queries, emb, cat, threshold=0.7)
    assigned = [p.song_id for p in result.prompts if p.song_id]
    assert len(assigned) == len(set(assigned)) == 1
    reasons = {p.number: p.gap_reason for p in result.prompts}
    assert reasons[2] == "already used"  # "rain" went to prompt 1
    assert reasons[3] == "tempo"  # "slow_rain" fits but for its tempo (130, 65, 260 vs 45-50)
    assert reasons[4] == "nothing similar"


def test_queries_take_tempo_from_the_arc_then_the_words_and_key_from_the_text():
    plan = TrackPlan(
        key="t",
        title="t",
        source="s",
        arcs=[Arc(1, "Dawn", bpm_min=60, bpm_max=66), Arc(2, "Night")],
        prompts=[Prompt(1, 1, "soft keys"), Prompt(2, 2, "very slow pads in A minor"), Prompt(2, 3, "airy")],
    )
    q = queries_from_plan(plan)
    assert (q[0].bpm_range, q[0].tempo_source) == ((60, 66), "arc")
    assert (q[1].bpm_range, q[1].tempo_source, q[1].key_tonic, q[1].key_minor) == ((45, 60), "words", 9, True)
    assert (q[2].bpm_range, q[2].tempo_source, q[2].key_tonic) == (None, "none", -1)


@pytest.mark.parametrize("n", [0, 1])
def test_empty_library_makes_every_prompt_a_gap(n):
    cat = catalog([("only", 70, "Am", 1, 0)][:n], [unit(1)][:n] or [np.zeros(DIM, dtype=np.float32)])
    if n == 0:
        cat.embeddings = np.zeros((0, DIM), dtype=np.float32)
    result, _ = match([query()], unit(0, 1)[None, :], cat)
    assert result.prompts[0].song_id is None and result.prompts[0].gap_reason == "nothing similar"
