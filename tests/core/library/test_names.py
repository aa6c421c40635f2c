from lofi_assets.core.library.names import SongName, parse_song_name, song_key


def test_library_names():
    assert parse_song_name("1_1_45a") == SongName(None, 1, 1, 45, "a")
    assert parse_song_name("A_2_6_19a") == SongName("A", 2, 6, 19, "a")
    assert parse_song_name("B_3_2_20b") == SongName("B", 3, 2, 20, "b")
    assert parse_song_name("b_2_5_22c").prefix == "B"
    assert parse_song_name("late_night_rain") == SongName(None, None, None, None, None)


def test_song_keys_are_safe():
    assert song_key("A_2_6_19a") == "a-2-6-19a"
    key = song_key("Rain, Vol. 2 | final")
    assert "," not in key and "|" not in key and key == "rain-vol-2-final"
