import pytest

from lofi_assets.core.generation.conditions import MOODS, ConditionError, Conditions, condition_vocabulary, tempo_bin


@pytest.mark.parametrize(
    "text,name",
    [
        ("C", "C"),
        ("Db", "C#"),
        ("F#m", "F#m"),
        ("Bbm", "Bbm"),
        ("A minor", "Am"),
        ("C#m", "C#m"),
        ("Ebm", "Ebm"),
        ("G", "G"),
    ],
)
def test_keys_as_musicians_write_them(text, name):
    assert Conditions.parse(75, text, "cozy").key_name == name


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(ConditionError, match=r"unknown key 'H'.*C, C#, D, Eb.*Am.*Bbm"):
        Conditions.parse(75, "H", "cozy")


def test_unknown_mood_lists_the_moods():
    with pytest.raises(ConditionError) as err:
        Conditions.parse(75, "Am", "happy")
    assert all(m in str(err.value) for m in MOODS)


@pytest.mark.parametrize("tempo", [39.9, 200.5, -1])
def test_tempo_outside_40_200_is_refused(tempo):
    with pytest.raises(ConditionError, match="outside 40–200 BPM"):
        Conditions.parse(tempo, "Am", "cozy")


def test_bars_and_mood_case():
    assert Conditions.parse(40, "Am", "Cozy", bars=1).mood == "cozy"
    with pytest.raises(ConditionError, match="bars"):
        Conditions.parse(75, "Am", "cozy", bars=0)


def test_condition_tokens_and_bins():
    cond = Conditions.parse(77.4, "F#m", "dreamy")
    assert cond.condition_tokens() == ["TempoBin_75", "Key_F#m", "Mood_dreamy"]
    assert tempo_bin(40) == 45 and tempo_bin(140) == 95 and tempo_bin(62.6) == 65
    vocab = condition_vocabulary()
    assert len(vocab) == len(set(vocab)) == 11 + 24 + 8
    assert all(t in vocab for t in cond.condition_tokens())


@pytest.mark.parametrize(
    "text, drums",
    [("no drums, just rain", False), ("ambient pads", False), ("drumless Rhodes", False), ("a steady beat", True)],
)
def test_prompts_can_ask_for_no_drums(text, drums):
    from lofi_assets.core.generation.conditions import drums_from_text

    assert drums_from_text(text) is drums
    assert Conditions.parse(70, "C", "chill", drums=drums).to_dict()["drums"] is drums
