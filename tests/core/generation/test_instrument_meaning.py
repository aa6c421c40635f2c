"""Instruments named in words the lexicon does not read are read by meaning, and clauses
that name no instrument are left alone."""

import pytest

from lofi_assets.core.generation.instrument_meaning import InstrumentMeaning
from lofi_assets.core.generation.sound_plan import sound_plan
from lofi_assets.core.library.embedding import Embedder


@pytest.fixture(scope="module")
def meaning():
    return InstrumentMeaning(Embedder(device="cpu"))


@pytest.mark.parametrize(
    ("clause", "instrument"),
    [
        ("a lonely oboe", "clarinet"),
        ("bowed violin", "strings"),
        ("twinkling toy piano", "music box"),
        ("808 sub", "synth bass"),
        ("soft horn section", "muted trumpet"),
        ("ukulele strums", "nylon guitar"),
    ],
)
def test_a_paraphrase_is_read_as_its_instrument(meaning, clause, instrument):
    match = meaning(clause)
    assert match is not None and match.instrument.name == instrument


@pytest.mark.parametrize(
    "clause", ["light rain", "slow fade out", "city lights passing", "warm analog hum", "a lazy sunday", "very quiet"]
)
def test_a_clause_naming_no_instrument_is_not_read_as_one(meaning, clause):
    assert meaning(clause) is None


def test_the_plan_plays_what_was_read_by_meaning_and_says_so(meaning):
    plain = sound_plan("a lonely oboe over light rain")
    read = sound_plan("a lonely oboe over light rain", meaning=meaning)
    assert "oboe" in plain.unrecognised and not plain.parts["lead"].named
    lead = read.parts["lead"]
    assert lead.named and lead.program == 71 and "by meaning" in lead.words
    assert "oboe" not in read.unrecognised and read.textures == ("rain",)
    # a clause the lexicon reads is never second-guessed
    assert sound_plan("nylon guitar", meaning=meaning).parts["keys"].words == "nylon guitar"


def test_a_clause_naming_a_role_or_genre_is_left_to_the_palette(meaning):
    for text in ("hypnotic lo-fi synthwave", "subtle complex chords", "warm analog synths"):
        plan = sound_plan(text, meaning=meaning)
        assert not any("by meaning" in part.words for part in plan.parts.values()), text
