import pretty_midi
import pytest

from lofi_assets.core.generation.conditions import Conditions, condition_vocabulary
from lofi_assets.core.generation.tokens import (
    GrammarRules,
    GrammarState,
    TokenGrammar,
    TokenizerError,
    decode_ids,
    encode_midi,
    load_tokenizer,
    train_tokenizer,
)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(tiny_model_dir / "tokenizer.json")


def test_conditioning_tokens_are_special_and_bpe_is_trained(tokenizer):
    assert tokenizer.is_trained and len(tokenizer) == 600
    special = set(tokenizer.special_tokens)
    assert set(condition_vocabulary()) <= special
    assert {"BOS_None", "EOS_None", "PAD_None"} <= special
    cfg = tokenizer.config
    assert cfg.use_programs and cfg.use_tempos and cfg.use_time_signatures and cfg.num_velocities == 16


def test_round_trip_keeps_the_notes(tokenizer, tiny_model_dir):
    path = next((tiny_model_dir / "corpus" / "composer").glob("*.mid"))
    original = pretty_midi.PrettyMIDI(str(path))
    ids = encode_midi(tokenizer, path)
    back = decode_ids(tokenizer, ids, tempo=original.get_tempo_changes()[1][0])
    assert sum(len(i.notes) for i in back.instruments) == sum(len(i.notes) for i in original.instruments)

    def parts(midi):  # the tokens carry no drum kit: the drums come back as a drum part
        return {i.program for i in midi.instruments if not i.is_drum}, any(i.is_drum for i in midi.instruments)

    assert parts(back) == parts(original)
    assert len(ids) < len(TokenGrammar(tokenizer).base_tokens(ids)) / 1.5  # BPE merges


def test_a_legato_part_plays_one_voice(tokenizer):
    midi = pretty_midi.PrettyMIDI(initial_tempo=60)
    lead = pretty_midi.Instrument(73)
    # the same pitch struck again while it rings, then a step up
    lead.notes = [
        pretty_midi.Note(90, 60, 1.0, 2.5),
        pretty_midi.Note(90, 60, 2.0, 4.0),
        pretty_midi.Note(90, 62, 4.0, 5.0),
    ]
    midi.instruments.append(lead)
    ids = encode_midi(tokenizer, midi)

    def spans(legato):
        return [
            round(t, 6)
            for n in decode_ids(tokenizer, ids, tempo=60, legato=legato).instruments[0].notes
            for t in (n.start, n.end)
        ]

    # as MIDI plays it, the first note-off silences the second note after half a beat
    assert spans(frozenset())[2:4] == [2.0, 2.5]
    # one voice: the first note stops where the second begins, which rings on
    assert spans(frozenset({73})) == [1.0, 2.0, 2.0, 4.0, 4.0, 5.0]


def test_grammar_accepts_every_corpus_piece(tokenizer, tiny_model_dir):
    grammar = TokenGrammar(tokenizer)
    for path in list((tiny_model_dir / "corpus" / "composer").glob("*.mid"))[:8]:
        ids = encode_midi(tokenizer, path) + [grammar.eos]
        bars = sum(1 for i in ids if i in grammar.bar_start_ids)
        state = GrammarState()
        rules = GrammarRules(bars=bars)
        for token in ids:
            state = grammar.advance(state, token, rules)
            assert state is not None, grammar.base_tokens([token])


def test_grammar_refuses_what_breaks_the_rules(tokenizer):
    grammar = TokenGrammar(tokenizer)
    vocab = tokenizer.vocab
    base = {
        t: vocab[t]
        for t in (
            "Bar_None",
            "TimeSig_4/4",
            "Position_12",
            "Position_0",
            "Program_33",
            "Pitch_40",
            "Pitch_90",
            "Program_-1",
            "PitchDrum_36",
            "Velocity_63",
            "EOS_None",
        )
    }
    rules = GrammarRules(bars=1, programs=frozenset({33, -1}))
    s = GrammarState()
    assert grammar.advance(s, base["EOS_None"], rules) is None  # no bars yet
    s = grammar.advance(s, base["Bar_None"], rules)
    s = grammar.advance(s, base["TimeSig_4/4"], rules)
    s = grammar.advance(s, base["Position_12"], rules)
    assert grammar.advance(s, base["Position_0"], GrammarRules(bars=1)) is None  # positions only move on
    s = grammar.advance(s, base["Program_33"], rules)
    assert grammar.advance(s, base["Pitch_90"], rules) is None  # a bass up in the flute's range
    assert grammar.advance(s, base["PitchDrum_36"], rules) is None
    assert grammar.advance(s, base["Pitch_40"], rules) is not None
    assert grammar.advance(s, vocab["Program_0"], rules) is None if "Program_0" in vocab else True
    assert grammar.advance(GrammarState("Duration", 33, 12, 1), base["Bar_None"], rules) is None  # bar 2 of 1
    assert grammar.advance(GrammarState("Duration", 33, 12, 1), base["EOS_None"], rules) is not None
    assert (
        grammar.advance(GrammarState(), vocab[Conditions.parse(75, "Am", "cozy").condition_tokens()[0]], rules) is None
    )


def test_bad_tokenizer_files(tmp_path):
    with pytest.raises(TokenizerError, match="no tokenizer"):
        load_tokenizer(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TokenizerError, match="cannot be loaded"):
        load_tokenizer(tmp_path / "bad.json")
    with pytest.raises(TokenizerError, match="vocab_size"):
        train_tokenizer([], vocab_size=50)


ROLES = ((33, "bass"), (35, "bass"), (4, "keys"), (-1, "drums"))


def _note(grammar, state, rules, vocab, program, pitch):
    """One note at the state's position: Program, Pitch, Velocity, Duration."""
    kind = "PitchDrum" if program == -1 else "Pitch"
    duration = next(t for t in vocab if t.startswith("Duration_"))
    for token in (f"Program_{program}", f"{kind}_{pitch}", "Velocity_63", duration):
        state = grammar.advance(state, vocab[token], rules)
        if state is None:
            return None
    return state


def test_role_grammar_one_program_a_role_single_notes_and_required_roles(tokenizer):
    grammar = TokenGrammar(tokenizer)
    vocab = tokenizer.vocab
    rules = GrammarRules(
        bars=2,
        roles=ROLES,
        mono_roles=frozenset({"bass"}),
        required=(frozenset({"bass", "drums"}), frozenset()),
    )
    s = GrammarState()
    for token in ("Bar_None", "TimeSig_4/4", "Position_0"):
        s = grammar.advance(s, vocab[token], rules)
    with_bass = _note(grammar, s, rules, vocab, 33, 40)
    assert with_bass is not None and with_bass.roles_in_bar == {"bass"}
    assert _note(grammar, with_bass, rules, vocab, 33, 43) is None  # the bass plays one note at a time
    after = grammar.advance(with_bass, vocab["Position_12"], rules)
    assert _note(grammar, after, rules, vocab, 35, 40) is None  # a second bass program
    assert _note(grammar, after, rules, vocab, 33, 43) is not None  # the same bass, later
    assert grammar.advance(with_bass, vocab["Bar_None"], rules) is None  # the bar still needs drums
    with_drums = _note(grammar, with_bass, rules, vocab, -1, 36)
    assert with_drums.drum_hits == {(0, 36)}
    next_bar = grammar.advance(with_drums, vocab["Bar_None"], rules)
    assert next_bar is not None and next_bar.drum_history == (frozenset({(0, 36)}),)
    assert next_bar.roles_last_bar == {"bass", "drums"} and not next_bar.roles_in_bar


def test_required_either_lets_a_role_rest_one_bar(tokenizer):
    rules = GrammarRules(bars=3, required_either=(frozenset({"lead"}),) * 3)
    assert rules.needs(1, frozenset(), frozenset({"lead"})) == frozenset()
    assert rules.needs(1, frozenset(), frozenset()) == {"lead"}
    assert rules.needs(5, frozenset(), frozenset()) == frozenset()  # past the plan: nothing


def test_a_chord_has_at_most_its_limit_of_notes(tokenizer):
    grammar = TokenGrammar(tokenizer)
    vocab = tokenizer.vocab
    rules = GrammarRules(bars=1, roles=ROLES, max_notes_at_once={"keys": 2})
    s = GrammarState()
    for token in ("Bar_None", "TimeSig_4/4", "Position_0"):
        s = grammar.advance(s, vocab[token], rules)
    s = _note(grammar, _note(grammar, s, rules, vocab, 4, 60), rules, vocab, 4, 64)
    assert s is not None and s.at_position == (4, 4)
    assert _note(grammar, s, rules, vocab, 4, 67) is None  # a third note at once
    assert _note(grammar, grammar.advance(s, vocab["Position_12"], rules), rules, vocab, 4, 67) is not None
