import pytest

from lofi_assets.core.production.render import RenderError
from lofi_assets.core.production.separation import SeparationError
from resources import RendererResource, SeparatorResource


def test_separator_needs_a_weights_folder_and_never_the_hub(tmp_path):
    with pytest.raises(SeparationError, match="set LOFI_DEMUCS_WEIGHTS"):
        SeparatorResource().load()
    with pytest.raises(SeparationError, match=str(tmp_path / "nothing")):
        SeparatorResource(weights_dir=str(tmp_path / "nothing")).lazy()
    empty = tmp_path / "weights"
    empty.mkdir()
    with pytest.raises(SeparationError, match="htdemucs"):
        SeparatorResource(weights_dir=str(empty)).load()


def test_renderer_names_a_bad_soundfont(tmp_path):
    assert RendererResource().soundfont_path().name == "TimGM6mb.sf2"
    with pytest.raises(RenderError, match="missing.sf2"):
        RendererResource(soundfont=str(tmp_path / "missing.sf2")).soundfont_path()
    with pytest.raises(ValueError, match="clean, tape, vinyl, dusty"):
        RendererResource(colour_preset="glossy").preset()
