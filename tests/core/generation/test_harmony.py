import pytest

from lofi_assets.core.generation.composer import chord_chart, compose
from lofi_assets.core.generation.conditions import Conditions
from lofi_assets.core.generation.harmony import ChordChart
from lofi_assets.core.generation.tokens import GrammarRules, GrammarState, TokenGrammar, duration_steps, load_tokenizer

BAR = 48  # steps a bar


@pytest.fixture
def chart():
    return ChordChart.for_conditions(Conditions.parse(80, "C", "uplifting", bars=16, seed=3))


def test_the_chart_is_the_composers(chart):
    cond = Conditions.parse(80, "C", "uplifting", bars=16, seed=3)
    assert len(chart.bars) == 16
    assert [[root for root, _ in bar] for bar in chart.bars] == [[r for r, _ in bar] for bar in chord_chart(cond)]
    assert chart.bars[0] == ((0, frozenset({0, 4, 7, 11, 2})),)  # the intro states the tonic (Cmaj9)
    assert chart.scale == {0, 2, 4, 5, 7, 9, 11}
    assert compose(cond).instruments  # the chart does not disturb the composer's own draw
    minor = ChordChart.for_conditions(Conditions.parse(80, "Am", "focused", bars=8, seed=1))
    assert 8 in minor.scale and 7 in minor.scale and 11 in minor.scale  # the raised seventh too


def test_span_splits_two_chord_bars(chart):
    two = next(i for i, bar in enumerate(chart.bars) if len(bar) == 2)
    start, end, chord = chart.span(two * BAR + 30)
    assert (start, end, chord) == (two * BAR + 24, two * BAR + 48, chart.bars[two][1])
    assert chart.span(10_000)[2] in chart.bars[-1]  # past the end: the last chord


def test_what_fits_each_role(chart):
    root, pcs = chart.bars[0][0]  # Cmaj9
    assert chart.fits("keys", 5, 64) and not chart.fits("keys", 5, 65)  # E yes, F no
    assert chart.fits("bass", 0, 36) and chart.fits("bass", 2, 48)  # the root, on (or just after) beat 1
    assert not chart.fits("bass", 0, 40)  # E under Cmaj9 on beat 1: an inversion, not the root
    assert chart.fits("bass", 12, 41) and not chart.fits("bass", 12, 42)  # beat 2: scale yes, F# no
    assert chart.fits("lead", 24, 71) and not chart.fits("lead", 24, 77)  # beat 3: B yes, F no
    assert chart.fits("lead", 18, 77)  # between the strong beats a scale tone passes
    assert chart.fits("drums", 0, 36) and chart.fits("other", 0, 61)


def test_held_notes_stay_inside_the_chords_they_ring_into(chart):
    first, second = chart.bars[0][0], chart.bars[1][0]
    shared = sorted(first[1] & second[1])
    foreign = sorted(first[1] - second[1])
    assert chart.rings_true("keys", 0, 60 + shared[0], 4 * BAR // 3)
    assert not chart.rings_true("keys", 0, 60 + foreign[0], 2 * BAR)
    assert chart.rings_true("keys", 0, 60 + foreign[0], BAR + 3)  # a release just past the bar line
    assert chart.rings_true("bass", 0, 36, BAR - 2)
    assert chart.rings_true("bass", 0, 36, 2 * BAR) == (second[0] == first[0])
    assert not chart.rings_true("bass", 12, 38, 24)  # D from beat 2 over beat 3 of Cmaj9
    assert chart.rings_true("bass", 12, 38, 12)  # D for beat 2 alone
    assert chart.rings_true("lead", 0, 64, 4 * BAR)  # a held chord tone may ring on
    assert chart.rings_true("lead", 18, 77, 12) and not chart.rings_true("lead", 18, 77, 13)  # F passes
    assert not chart.rings_true("bass", 14, 41, 18)  # a held F under Cmaj9 colours the bar
    assert chart.voicing(0) <= first[1] and len(chart.voicing(0)) == 4  # the fifth dropped


def test_duration_tokens_in_steps():
    assert duration_steps("1.0.12") == 12
    assert duration_steps("0.6.12") == 6
    assert duration_steps("5.2.4") == 66


def test_the_grammar_reports_each_note_with_its_step_and_duration(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir / "tokenizer.json")
    grammar, vocab = TokenGrammar(tokenizer), tokenizer.vocab
    rules = GrammarRules(bars=2)
    s = GrammarState()
    for token in ("Bar_None", "TimeSig_4/4", "Bar_None", "TimeSig_4/4", "Position_6", "Program_4"):
        s = grammar.advance(s, vocab[token], rules)
    s = grammar.advance(s, vocab["Pitch_64"], rules)
    assert s.begun == ((BAR + 6, 4, 64),) and s.pending == (BAR + 6, 4, 64) and s.timed == ()
    s = grammar.advance(s, vocab["Velocity_63"], rules)
    assert s.begun == () and s.pending == (BAR + 6, 4, 64)
    s = grammar.advance(s, vocab["Duration_1.6.12"], rules)
    assert s.timed == ((BAR + 6, 4, 64, 18),) and s.pending is None


def test_a_transposed_chart_is_the_same_progression_moved():
    request = Conditions.parse(80, "Dm", "melancholic", bars=8, seed=5001)
    chart = ChordChart.for_conditions(request)
    up = chart.transposed(7)  # D minor as a model trained in A minor decodes it
    assert up.tonic == 9 and up.scale == frozenset((p + 7) % 12 for p in chart.scale)
    for bar, moved in zip(chart.bars, up.bars, strict=True):
        for (root, pcs), (root2, pcs2) in zip(bar, moved, strict=True):
            assert root2 == (root + 7) % 12 and pcs2 == frozenset((p + 7) % 12 for p in pcs)
            assert up.voicings[(root2, pcs2)] == frozenset((p + 7) % 12 for p in chart.voicings[(root, pcs)])
    # a chart chosen for the moved key itself is another progression: decoding must not use it
    chosen = ChordChart.for_conditions(Conditions.parse(80, "Am", "melancholic", bars=8, seed=5001))
    assert chosen.bars != up.bars
