import pytest
import torch

from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.generate import LOFI_PROGRAMS, ModelGenerator, Sampling, candidates
from lofi_assets.core.generation.harmony import ChordChart
from lofi_assets.core.generation.midi_analysis import first_tempo
from lofi_assets.core.generation.tokens import GrammarState


@pytest.fixture(scope="module")
def generator(tiny_model_dir):
    return ModelGenerator.from_files(tiny_model_dir / "model.pt", tiny_model_dir / "tokenizer.json")


def test_generation_follows_the_conditions_and_the_grammar(generator):
    cond = Conditions.parse(73, "Dm", "melancholic", bars=4, seed=5)
    piece = generator.generate(cond)
    assert first_tempo(piece.midi) == pytest.approx(73)
    assert piece.midi.get_end_time() <= 4 * 4 * 60 / 73 + 1e-6
    programs = {-1 if i.is_drum else i.program for i in piece.midi.instruments}
    assert programs <= LOFI_PROGRAMS and len(programs) <= 4
    rules = generator.rules(cond)
    state = GrammarState()
    for token in piece.ids + [generator.grammar.eos]:
        state = generator.grammar.advance(state, token, rules)
        assert state is not None
    assert state.bars == 4
    again = generator.generate(cond)
    assert again.ids == piece.ids  # the seed fixes the piece


def test_long_pieces_continue_in_bar_aligned_windows(generator):
    piece = generator.generate(Conditions.parse(80, "C", "chill", bars=24, seed=1))
    assert piece.windows > 1  # the tiny model's context is 128 tokens
    assert piece.midi.get_end_time() > 20 * 4 * 60 / 80


def test_sampling_filters():
    logits = torch.tensor([5.0, 4.0, 1.0, 0.0, -1.0])
    ids, probs = candidates(logits, Sampling(temperature=1.0, top_k=2, top_p=1.0))
    assert ids.tolist() == [0, 1] and probs.sum() == pytest.approx(1.0)
    assert probs[0] / probs[1] == pytest.approx(torch.e)  # softmax over the kept logits
    ids, probs = candidates(logits, Sampling(temperature=1.0, top_k=5, top_p=0.5))
    assert ids.tolist() == [0] and probs[0] == pytest.approx(1.0)  # 0.72 of the mass already
    ids, _ = candidates(logits, Sampling(temperature=1.0, top_k=5, top_p=0.9))
    assert ids.tolist() == [0, 1]  # 0.72 + 0.26 reaches 0.9
    with pytest.raises(ValueError):
        Sampling(temperature=0)


def test_key_normalised_model_transposes_to_the_requested_key(generator):
    assert generator.key_normalised  # the tiny model learned in C major / A minor, as the shipped one
    free = Sampling(harmony_strictness=0.0)  # no chart: the model alone
    in_c = generator.generate(Conditions.parse(75, "C", "cozy", bars=2, seed=9), free)
    in_d = generator.generate(Conditions.parse(75, "D", "cozy", bars=2, seed=9), free)
    assert in_c.ids == in_d.ids  # the model saw the same prompt

    def pitches(piece, drums):
        return [n.pitch for i in piece.midi.instruments if i.is_drum == drums for n in i.notes]

    assert [p + 2 for p in pitches(in_c, False)] == pitches(in_d, False)
    assert pitches(in_c, True) == pitches(in_d, True)


def test_decoding_follows_the_requests_own_chart_in_the_requested_key(generator):
    from lofi_assets.core.generation.harmony import STEPS_PER_BEAT, ChordChart

    request = Conditions.parse(75, "D", "cozy", bars=4, seed=9)
    piece = generator.generate(request)
    beat = 60 / request.tempo
    keys = [n for i in piece.midi.instruments if i.program in (0, 4, 5) for n in i.notes]

    def fit(chart: ChordChart) -> float:
        inside = [n.pitch % 12 in chart.span(round(n.start / beat * STEPS_PER_BEAT))[2][1] for n in keys]
        return sum(inside) / len(inside)

    own = ChordChart.for_conditions(request)  # the composer's progression for this request, in D
    # the progression chosen for the key the model decodes in (C), moved to D: another chart
    other = ChordChart.for_conditions(Conditions.parse(75, "C", "cozy", bars=4, seed=9)).transposed(2)
    assert own.bars != other.bars
    assert keys and fit(own) >= 0.8 and fit(own) > fit(other) + 0.2, (fit(own), fit(other))


@pytest.mark.parametrize(
    "key,shift", [("C", 0), ("G", 5), ("F#", -6), ("B", 1), ("Am", 0), ("Em", 5), ("Cm", -3), ("Bbm", -1)]
)
def test_normalising_shift_takes_the_nearer_way(key, shift):
    from lofi_assets.core.generation.dataset import normalising_shift

    assert normalising_shift(Conditions.parse(75, key, "cozy").key) == shift


def test_decoding_keeps_the_arrangement_roles(generator):
    from lofi_assets.core.generation.arrangement import analyse, body_bars

    cond = Conditions.parse(80, "Am", "chill", bars=8, seed=3)
    piece = generator.generate(cond)
    report = analyse(piece.midi)
    roles = [p.role for p in report.parts]
    assert roles.count("bass") == 1 and roles.count("drums") == 1
    assert len({i.program for i in piece.midi.instruments if not i.is_drum}) == len(piece.midi.instruments) - 1
    bar = 4 * 60 / 80
    drum_bars = {int(n.start / bar) for i in piece.midi.instruments if i.is_drum for n in i.notes}
    assert set(body_bars(8)) <= drum_bars  # drums through the body


def test_the_model_drums_play_the_kit_of_the_feel(generator):
    from lofi_assets.core.generation.composer import drum_kit

    cond = Conditions.parse(80, "Am", "melancholic", bars=4, seed=2)  # brushes
    drums = [i for i in generator.generate(cond).midi.instruments if i.is_drum]
    assert drums and drums[0].program == drum_kit("melancholic") == 40


def test_a_piece_asked_for_without_drums_has_none(generator):
    cond = Conditions.parse(66, "C", "dreamy", bars=4, seed=2, drums=False)
    piece = generator.generate(cond)
    assert not any(i.is_drum for i in piece.midi.instruments)


def test_groove_breaks_counts_hits_off_the_loop_and_loop_hits_skipped():
    from lofi_assets.core.generation.generate import groove_breaks

    loop = frozenset({(0, 36), (12, 38), (24, 36), (36, 38)})
    here = GrammarState("PitchDrum", -1, 12, 5, drum_hits=frozenset({(0, 36)}))
    on_loop = GrammarState("PitchDrum", -1, 12, 5, drum_hits=frozenset({(0, 36), (13, 40)}))  # a snare, a step late
    off_loop = GrammarState("PitchDrum", -1, 12, 5, drum_hits=frozenset({(0, 36), (12, 42)}))
    skipped = GrammarState("Position", -1, 30, 5, drum_hits=frozenset({(0, 36)}))
    assert not groove_breaks(here, on_loop, loop)
    assert groove_breaks(here, off_loop, loop)
    assert groove_breaks(here, skipped, loop)  # the snare at 12 and the kick at 24 are gone
    assert not groove_breaks(here, off_loop, None)  # a free bar


def _chart_shares(generator, piece, cond):
    """The share of the pitched notes of each role that begin on the piece's chord chart."""
    from lofi_assets.core.generation.harmony import ChordChart

    chart = ChordChart.for_conditions(cond)
    rules, state = generator.rules(cond), GrammarState()
    fits: dict[str, list[bool]] = {}
    for token in piece.ids:
        state = generator.grammar.advance(state, token, rules)
        for step, program, pitch in state.begun:
            role = generator.role_of[program]
            fits.setdefault(role, []).append(chart.fits(role, step, pitch))
    return {role: sum(f) / len(f) for role, f in fits.items()}


def test_decoding_follows_the_chord_chart(generator):
    cond = Conditions.parse(80, "C", "cozy", bars=8, seed=4)  # C major: the model's own key, no shift
    strict = _chart_shares(generator, generator.generate(cond, Sampling(harmony_strictness=1.0)), cond)
    free = _chart_shares(generator, generator.generate(cond, Sampling(harmony_strictness=0.0)), cond)
    assert min(strict.values()) >= 0.95  # the tiny model plays almost at random: the chart holds it
    assert sum(free.values()) / len(free) < 0.8
    with pytest.raises(ValueError):
        Sampling(harmony_strictness=1.5)


def test_harmony_breaks_reads_the_notes_a_step_began_and_timed():
    from lofi_assets.core.generation.generate import harmony_breaks
    from lofi_assets.core.generation.harmony import ChordChart

    chart = ChordChart.for_conditions(Conditions.parse(80, "C", "cozy", bars=8, seed=4))
    roles = {4: "keys", 33: "bass"}
    root = chart.bars[0][0][0]
    assert not harmony_breaks(GrammarState(begun=((0, 33, 36 + root),)), chart, roles)
    assert harmony_breaks(GrammarState(begun=((0, 33, 37 + root),)), chart, roles)
    assert harmony_breaks(GrammarState(timed=((0, 33, 36 + root, 500),)), chart, roles) == any(
        r != root for bar in chart.bars[1:10] for r, _ in bar
    )
    assert not harmony_breaks(GrammarState(begun=((0, 33, 37),)), None, roles)  # no chart: free


def test_a_lead_phrase_of_one_note_is_cut_short_by_a_rest():
    from lofi_assets.core.generation.generate import LeadPhrase

    def at(bar, position, last="Position"):
        return GrammarState(last, None, position, bar)

    phrase = LeadPhrase()
    assert not phrase.cut_by(at(1, 0), at(2, 0))  # no phrase yet
    phrase.add(48, 6)  # half a beat in bar 2
    assert phrase.short()
    assert not phrase.cut_by(at(2, 6), at(2, 12))  # a rest shorter than a beat
    assert phrase.cut_by(at(2, 12), at(2, 30))  # a beat's rest after half a beat
    assert phrase.cut_by(at(2, 12), GrammarState("EOS", None, 12, 2))  # the piece ends on it
    phrase.add(60, 18)  # it goes on: two and a half beats in all
    assert not phrase.short() and not phrase.cut_by(at(2, 40), at(3, 0))
    phrase.add(3 * 48, 6)  # a new phrase after a rest
    assert phrase.start == 3 * 48 and phrase.short()


def test_a_lead_phrase_ends_on_a_held_note():
    from lofi_assets.core.generation.generate import LeadPhrase

    def at(bar, position):
        return GrammarState("Position", None, position, bar)

    phrase = LeadPhrase()
    for step, duration in ((48, 12), (60, 12), (72, 12), (84, 6)):  # three quarters, then an eighth
        phrase.add(step, duration)
    assert not phrase.short() and phrase.open()  # long enough, but it stops on a short note
    assert phrase.cut_by(at(2, 42), at(3, 6))  # a beat's rest after the eighth is refused
    phrase.add(90, 24)  # it comes to rest on a half note
    assert not phrase.open() and not phrase.cut_by(at(3, 20), at(4, 0))


def test_a_lead_phrase_hears_its_notes_as_they_sound():
    from lofi_assets.core.generation.generate import LeadPhrase

    phrase = LeadPhrase(piece_end=4 * 48)
    phrase.add(48, 24)
    phrase.add(60, 24)  # struck while the first rings: the first lasts a quarter, not a half
    assert phrase.durations == [12, 24] and not phrase.open()
    phrase.add(84, 24)  # and the second now stops at 84
    assert phrase.durations == [12, 24, 24]
    phrase.add(4 * 48 - 3, 24)  # the piece's end cuts the last note to three steps
    assert phrase.durations[-1] == 3 and phrase.end == 4 * 48 and phrase.open()


def test_a_lead_note_the_piece_end_cuts_short_is_refused():
    from lofi_assets.core.generation.generate import LeadPhrase

    roles = {73: "lead", 4: "keys"}
    phrase = LeadPhrase(piece_end=2 * 48)
    for step in (48, 60, 72):
        phrase.add(step, 12)
    before = GrammarState("Duration", 73, 36, 2)
    late = GrammarState("Duration", 73, 45, 2, timed=((93, 73, 60, 12),))  # three steps before the end
    held = GrammarState("Duration", 73, 36, 2, timed=((84, 73, 60, 12),))  # ends with the piece
    keys = GrammarState("Duration", 4, 45, 2, timed=((93, 4, 60, 12),))
    assert phrase.cut_by(before, late, roles)
    assert not phrase.cut_by(before, held, roles) and not phrase.cut_by(before, keys, roles)
    assert phrase.durations == [12, 12, 12]  # judging a step leaves the phrase as it was


def test_the_keys_hand_voices_a_chord_without_doubling():
    from lofi_assets.core.generation.generate import KeysHand

    roles = {4: "keys", 73: "lead"}
    hand = KeysHand()
    hand.add(60, 60)
    here = GrammarState("Duration", 4, 12, 2)  # bar 2, step 12: the hand's step
    assert hand.thin(here)
    assert hand.doubles(GrammarState(begun=((60, 4, 72),)), roles)  # C again, an octave up
    assert not hand.doubles(GrammarState(begun=((60, 4, 64),)), roles)
    assert not hand.doubles(GrammarState(begun=((60, 73, 72),)), roles)  # the lead may double it
    hand.add(60, 64)
    hand.add(60, 67)
    assert not hand.thin(here)  # three tones: a chord, without a chart to say more
    chart = ChordChart.for_conditions(Conditions.parse(80, "C", "uplifting", bars=4, seed=3))
    assert hand.thin(here, chart)  # the chart's Cmaj9 voices four tones
    hand.add(72, 62)
    assert hand.pcs == {2} and not hand.doubles(GrammarState(begun=((60, 4, 60),)), roles)


def test_a_drum_note_opens_only_where_the_loop_has_a_hit_to_play():
    from lofi_assets.core.generation.generate import groove_breaks

    loop = frozenset({(0, 36), (12, 38), (24, 36), (36, 38)})
    here = GrammarState("Duration", 4, 12, 5, drum_hits=frozenset({(0, 36)}))
    at_the_snare = GrammarState("Program", -1, 12, 5, drum_hits=frozenset({(0, 36)}))
    between = GrammarState("Program", -1, 18, 5, drum_hits=frozenset({(0, 36)}))
    played = GrammarState("Program", -1, 12, 5, drum_hits=frozenset({(0, 36), (12, 38)}))
    assert not groove_breaks(here, at_the_snare, loop)
    assert groove_breaks(here, between, loop)  # only a hit off the loop could follow
    assert groove_breaks(here, played, loop)  # the snare is played: a second one is off it
    assert not groove_breaks(here, between, loop, until=12)  # past the fill's start: free


def test_a_near_empty_loop_bar_is_not_the_model():
    from lofi_assets.core.generation.arrangement import groove_references
    from lofi_assets.core.generation.generate import loop_model

    loops = groove_references(16)  # bars 2 and 3 set the loop; 5 is a fill
    groove = frozenset({(0, 36), (12, 38), (24, 36), (36, 38), (0, 42), (24, 42)})
    sparse = frozenset({(0, 42)})
    assert loops[4][0] == 2 and loops[7][0] == 3
    assert loop_model(loops, (frozenset(), frozenset(), groove, groove), 4) == 2
    assert loop_model(loops, (frozenset(), frozenset(), sparse, groove), 4) == 3  # bar 2 all but sat out
    history = (frozenset(), frozenset(), groove, sparse, groove, groove, groove)
    assert loop_model(loops, history, 7) == 6  # the sparse bar 3 is passed over for the bar before
    fill_before = (frozenset(), frozenset(), groove, sparse, groove, groove)
    assert loops[5][1] < 48 and loop_model(loops, fill_before, 6) == 4  # never a fill


def test_keys_never_clash_with_the_chord():
    from lofi_assets.core.generation.generate import keys_clash

    chart = ChordChart.for_conditions(Conditions.parse(80, "C", "uplifting", bars=4, seed=3))
    roles = {4: "keys", 73: "lead"}
    root, pcs = chart.span(0)[2]
    outside = next(pc for pc in range(12) if pc not in pcs and pc in chart.scale)
    assert keys_clash(GrammarState(begun=((0, 4, 60 + outside),)), chart, roles)
    assert not keys_clash(GrammarState(begun=((0, 4, 60 + root),)), chart, roles)
    assert not keys_clash(GrammarState(begun=((0, 73, 60 + outside),)), chart, roles)  # a lead passing tone
    held = next(pc for pc in pcs if any(pc not in c[1] for c in chart._chords_under(0, 4 * 48)))
    assert keys_clash(GrammarState(timed=((0, 4, 60 + held, 4 * 48),)), chart, roles)  # held into chords without it
    assert not keys_clash(GrammarState(timed=((0, 4, 60 + held, 24),)), chart, roles)
    assert not keys_clash(GrammarState(begun=((0, 4, 61),)), None, roles)


def test_the_keys_do_not_move_on_from_a_thin_chord():
    from lofi_assets.core.generation.generate import KeysHand

    chart = ChordChart.for_conditions(Conditions.parse(80, "C", "uplifting", bars=4, seed=3))
    roles = {4: "keys"}
    voicing = sorted(chart.voicing(0))
    hand = KeysHand()
    for pc in voicing[:2]:
        hand.add(0, 60 + pc)
    here = GrammarState("Duration", 4, 0, 1)
    assert hand.left_thin(here, GrammarState("Position", None, 12, 1), chart, roles)  # two tones, moving on
    assert not hand.left_thin(here, GrammarState("Program", 4, 0, 1), chart, roles)  # still here: it may fill in
    filled = tuple((0, 4, 60 + pc) for pc in voicing[2:])
    assert not hand.left_thin(here, GrammarState("Position", None, 12, 1, begun=filled), chart, roles)
    assert not hand.left_thin(GrammarState("Duration", 4, 6, 1), GrammarState("Position", None, 12, 1), chart, roles)


def test_the_riff_memory_remembers_the_last_time_a_chord_sounded():
    from lofi_assets.core.generation.generate import RiffMemory

    chart = ChordChart.for_conditions(Conditions.parse(80, "Am", "melancholic", bars=16, seed=7))
    roles = {33: "bass", 73: "lead"}
    start, _, chord = chart.span(0)
    again = next(s for s in range(48, 16 * 48, 48) if chart.span(s)[2] == chord and chart.span(s)[0] == s)
    memory = RiffMemory()
    memory.add("bass", 0, 45, chart)
    memory.add("bass", 24, 52, chart)
    memory.add("lead", 0, 69, chart)  # the lead is free to sing anew
    assert not memory.echoes(GrammarState(begun=((again, 33, 45),)), chart, roles)  # still its first time
    memory.add("bass", again, 45, chart)  # the chord comes round: the first time is now the last
    assert memory.echoes(GrammarState(begun=((again + 24, 33, 52),)), chart, roles)
    assert not memory.echoes(GrammarState(begun=((again + 12, 33, 52),)), chart, roles)  # elsewhere in the bar
    assert not memory.echoes(GrammarState(begun=((again, 73, 69),)), chart, roles)


def test_a_lead_phrase_breathes_within_four_bars():
    from lofi_assets.core.generation.generate import LeadPhrase

    roles = {73: "lead"}
    phrase = LeadPhrase(piece_end=16 * 48)
    for step in range(48, 48 + 15 * 12, 12):  # fifteen beats of quarters
        phrase.add(step, 12)
    here = GrammarState("Duration", 73, 36, 5)  # step 228, where the last quarter ends
    opens = GrammarState("Program", 73, 40, 5)  # a note opens at 232: the phrase would pass 16 beats
    assert phrase.cut_by(here, opens, roles)
    merged = GrammarState("Pitch", 73, 40, 5, begun=((232, 73, 60),))  # the same in a merged token
    assert phrase.cut_by(here, merged, roles)
    later = GrammarState("Program", 73, 40, 6)  # after a rest: a new phrase
    assert not phrase.cut_by(GrammarState("Position", None, 40, 6), later, roles)
    short = LeadPhrase(piece_end=16 * 48)
    short.add(48, 24)
    assert not short.cut_by(GrammarState("Duration", 73, 24, 2), GrammarState("Program", 73, 24, 2), roles)


def _tonic_share(generator, sampling: Sampling) -> float:
    """The share of pitched notes on the tonic over six D minor pieces."""
    on_tonic = total = 0
    for seed in range(6):
        cond = Conditions.parse(80, "Dm", "cozy", bars=8, seed=seed)
        notes = [n for i in generator.generate(cond, sampling).midi.instruments if not i.is_drum for n in i.notes]
        on_tonic += sum(n.pitch % 12 == cond.key.tonic for n in notes)
        total += len(notes)
    return on_tonic / total


def test_home_steer_leans_on_the_tonic(generator):
    # the tiny model seldom offers a tonic among its likely ids: a strong steer shows the lean
    assert _tonic_share(generator, Sampling(home_steer=8.0)) > _tonic_share(generator, Sampling(home_steer=0.0)) + 0.03
    with pytest.raises(ValueError):
        Sampling(home_steer=-1.0)
