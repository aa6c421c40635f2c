import pytest

from lofi_assets.core.partition_keys import (
    is_page_id_key,
    key_from_filename,
    key_to_page_id,
    page_id_to_key,
    slugify,
    title_from_filename,
)

HEX = "4f1c2b7e9a3d4e8f8b6a1c2d3e4f5a6b"


def test_page_id_forms_give_one_key():
    assert page_id_to_key(key_to_page_id(HEX)) == HEX
    assert page_id_to_key("4F1C2B7E-9A3D-4E8F-8B6A-1C2D3E4F5A6B") == HEX
    with pytest.raises(ValueError):
        page_id_to_key("not-an-id")


@pytest.mark.parametrize(
    "stem",
    [
        f"Rainy Window Study Session {HEX}",
        f"Renamed Page Title {HEX}",  # renaming the page keeps the key
        HEX,
        key_to_page_id(HEX),
        f"Title_{HEX}",
    ],
)
def test_exported_file_names_key_on_the_page_id(stem):
    assert key_from_filename(stem) == HEX


def test_files_without_an_id_get_a_safe_slug():
    key = key_from_filename("Café, Nights | Vol. 2")
    assert key == "cafe-nights-vol-2"
    assert "," not in key and "|" not in key
    assert slugify("🌙🌙") == "untitled"
    assert not is_page_id_key(key)


def test_title_from_filename():
    assert title_from_filename(f"Rainy Window {HEX}") == "Rainy Window"
    assert title_from_filename(HEX) is None
    assert title_from_filename("midnight-train") == "midnight-train"
