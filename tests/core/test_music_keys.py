import pytest

from lofi_assets.core.music_keys import MusicKey, key_compatibility, key_in_text, parse_key


@pytest.mark.parametrize(
    "text,tonic,minor",
    [
        ("Am", 9, True),
        ("F#m", 6, True),
        ("Bb", 10, False),
        ("C major", 0, False),
        ("C minor", 0, True),
        ("c# minor", 1, True),
        ("F# major", 6, False),
        ("Eb min", 3, True),
        ("A MINOR", 9, True),
        ("g", 7, False),
        ("D♭ major", 1, False),
        ("am", 9, True),
    ],
)
def test_keys_as_people_and_analysers_write_them(text, tonic, minor):
    assert parse_key(text) == MusicKey(tonic, minor)


def test_unreadable_keys_are_none():
    assert parse_key("") is None and parse_key("H major") is None and parse_key("unknown") is None


def test_compatibility_same_relative_fifth_other():
    am, c, em, dm, fsharp = (parse_key(k) for k in ("Am", "C major", "E minor", "d minor", "F#"))
    assert key_compatibility(am, parse_key("a minor")) == 1.0
    assert key_compatibility(am, c) == 0.5  # relative
    assert key_compatibility(am, em) == 0.5 and key_compatibility(am, dm) == 0.5  # a fifth either way
    assert key_compatibility(c, fsharp) == 0.0
    assert key_compatibility(am, None) is None


def test_key_named_in_a_prompt():
    assert key_in_text("walking bass in F major, sunny") == MusicKey(5, False)
    assert key_in_text("lazy chords in Am") == MusicKey(9, True)
    assert key_in_text("an A minor groove") == MusicKey(9, True)
    assert key_in_text("no key here, in a room") is None
