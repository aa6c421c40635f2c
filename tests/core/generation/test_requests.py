import io
from collections import Counter

import pretty_midi
import pytest

from lofi_assets.core.generation.conditions import MOODS
from lofi_assets.core.generation.quality import REJECT_BELOW
from lofi_assets.core.generation.requests import (
    GeneratorSpec,
    gap_requests,
    make_songs,
    mood_from_text,
    nightly_requests,
)
from lofi_assets.core.generation.sound_plan import PALETTE_ORDER
from lofi_assets.core.ingest.plan import Arc, Prompt, TrackPlan


def plan():
    return TrackPlan(
        key="t1",
        title="Rainy Window Study",
        source="test",
        target_duration_min=30,
        mood_arc="cozy",
        arcs=[
            Arc(1, "Drizzle", bpm_min=60, bpm_max=66, description="soft rain, calm"),
            Arc(2, "Focus", bpm_min=78, bpm_max=84, description="deep work"),
        ],
        prompts=[
            Prompt(1, 1, "slow Rhodes chords, gentle rain"),
            Prompt(2, 2, "steady beat for deep focus in F major"),
            Prompt(2, 3, "warm coffee and tape hiss"),
        ],
    )


def test_mood_words():
    assert mood_from_text("rainy afternoon, lonely streets") == "melancholic"
    assert mood_from_text("nothing to see") is None
    assert mood_from_text("coffee", "study study") == "cozy" or mood_from_text("coffee", "study study") == "focused"


def test_gap_conditions_follow_the_plan():
    gaps = [{"arc": p.arc, "number": p.number, "text": p.text} for p in plan().prompts]
    requests = gap_requests(plan(), gaps)
    first, second, third = (r.conditions for r in requests)
    assert 60 <= first.tempo <= 66 and 78 <= second.tempo <= 84
    assert first.mood == "peaceful" and second.mood == "focused"
    assert second.key_name == "F"  # named in the prompt
    assert third.mood == "cozy"
    # 30 minutes over three prompts: songs of 4 minutes at most, in whole phrases
    assert all(
        r.conditions.bars % 4 == 0 and r.conditions.bars * 240 / r.conditions.tempo <= 4 * 60 + 20 for r in requests
    )
    assert gap_requests(plan(), gaps, bars=8)[0].conditions.bars == 8
    assert gap_requests(plan(), gaps)[0] == requests[0]  # deterministic


def test_nightly_batch_is_fixed_by_its_date_and_spread():
    a, b = nightly_requests("2026-11-20", 50), nightly_requests("2026-11-21", 50)
    assert [r.conditions for r in a] == [r.conditions for r in nightly_requests("2026-11-20", 50)]
    assert [r.conditions for r in a] != [r.conditions for r in b]
    moods = Counter(r.conditions.mood for r in a)
    assert set(moods) == set(MOODS) and max(moods.values()) - min(moods.values()) <= 1
    assert len({r.conditions.key_name for r in a}) >= 6
    assert len({r.name for r in a}) == 50
    palettes = Counter(r.plan.palette for r in a)
    assert set(palettes) == set(PALETTE_ORDER) and max(palettes.values()) - min(palettes.values()) <= 1
    for r in a:  # the palette voices the piece and names it; an ambient piece is beatless
        assert r.name.endswith(r.plan.palette.replace(" ", "-")) and r.conditions.drums == (r.plan.palette != "ambient")


def test_make_songs_best_of_n_with_the_composer(tmp_path):
    requests = nightly_requests("2026-01-02", 3, bars=8)
    made = make_songs(GeneratorSpec(None, None, composer=True), requests, candidates=2, workers=1)
    assert [m.name for m in made] == [r.name for r in requests]
    for m in made:
        assert m.generator == "composer (fallback)" and len(m.candidates) == 2
        assert m.score["combined"] == max(m.candidates) and m.approved and m.score["combined"] >= REJECT_BELOW
        path = tmp_path / f"{m.name}.mid"
        path.write_bytes(m.midi)
        tempo = pretty_midi.PrettyMIDI(str(path)).get_tempo_changes()[1][0]
        assert tempo == pytest.approx(m.conditions["tempo"], abs=0.01)


def test_make_songs_on_two_processes_matches_one(tiny_model_dir):
    spec = GeneratorSpec(str(tiny_model_dir / "model.pt"), str(tiny_model_dir / "tokenizer.json"))
    requests = nightly_requests("2026-03-04", 2, bars=2)
    one = make_songs(spec, requests, workers=1)
    two = make_songs(spec, requests, workers=2)
    assert [m.sha256 for m in one] == [m.sha256 for m in two]
    assert all(m.generator.startswith("model model.pt@") for m in one)


def test_a_prompt_asking_for_no_drums_is_passed_on():
    gaps = [{"arc": 1, "number": 9, "text": "ambient Rhodes, no drums"}, {"arc": 1, "number": 10, "text": "lazy beat"}]
    quiet, beat = gap_requests(plan(), gaps)
    assert quiet.conditions.drums is False and "no drums" in quiet.why["drums"]
    assert beat.conditions.drums is True


@pytest.mark.parametrize("workers", [1, 2])
def test_make_songs_tells_of_each_piece_as_it_finishes_and_keeps_the_requests_order(workers):
    requests = nightly_requests("2026-01-03", 3, bars=4)
    heard = []
    made = make_songs(GeneratorSpec(None, None, composer=True), requests, workers=workers, done=heard.append)
    assert [m.name for m in made] == [r.name for r in requests]
    assert sorted(m.name for m in heard) == sorted(r.name for r in requests)
    assert all(m.summary().startswith(f"{m.name}: score 0.") for m in made)


def test_best_of_n_stops_at_the_first_approved_candidate_at_the_target():
    from lofi_assets.core.generation.quality import TARGET

    requests = nightly_requests("2026-01-04", 3, bars=8)
    spec = GeneratorSpec(None, None, composer=True)
    every = make_songs(spec, requests, candidates=3, workers=1)
    early = make_songs(spec, requests, candidates=3, workers=1, good_enough=TARGET)
    assert all(len(m.candidates) == 3 for m in every)
    for m, full in zip(early, every):
        assert m.candidates == full.candidates[: len(m.candidates)]  # the same seeds, in order
        if len(m.candidates) < 3:  # it stopped: the kept piece is approved and at the target
            assert m.approved and m.score["combined"] >= TARGET == pytest.approx(0.85)
    assert sum(len(m.candidates) for m in early) < sum(len(m.candidates) for m in every)


def test_a_gap_is_played_by_the_instruments_its_prompt_names(tmp_path):
    gaps = [
        {"arc": 1, "number": 4, "text": "nylon guitar over a soft boom bap beat, kalimba melody"},
        {"arc": 2, "number": 5, "text": "walking bass and brushed snare"},
    ]
    requests = gap_requests(plan(), gaps, bars=8)
    guitar, walking = requests
    assert guitar.plan.parts["keys"].program == 24 and guitar.plan.parts["lead"].program == 108
    assert walking.plan.parts["bass"].instrument == "upright bass" and walking.plan.drums.kit_program == 40
    made = make_songs(GeneratorSpec(None, None, composer=True), requests, workers=1)
    for m, r in zip(made, requests):
        midi = pretty_midi.PrettyMIDI(io.BytesIO(m.midi))
        programs = {i.program for i in midi.instruments if not i.is_drum and i.notes}
        wanted = set(r.plan.programs().values())
        assert programs <= wanted, (programs, wanted)  # every pitched part plays a planned instrument
        assert m.voiced and {role.split()[0] for role in m.voiced} <= {*r.plan.programs(), "drums"}
    kits = {i.program for i in pretty_midi.PrettyMIDI(io.BytesIO(made[1].midi)).instruments if i.is_drum}
    assert kits == {40}  # the brush kit
