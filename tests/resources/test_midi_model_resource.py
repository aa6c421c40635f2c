import shutil

import pytest

from lofi_assets.core.generation.model import CheckpointError
from resources.midi_model import SHIPPED_MODEL_DIR, MidiModelResource


def test_order_configured_then_trained_then_shipped(tiny_model_dir, tmp_path):
    assert MidiModelResource(checkpoint_dir=str(tiny_model_dir)).model_dir(tmp_path)[1] == "configured"
    assert MidiModelResource().model_dir(tiny_model_dir)[1] == "midi_model asset"
    assert MidiModelResource().model_dir(tmp_path) == (SHIPPED_MODEL_DIR, "shipped with the package")


def test_a_corrupt_checkpoint_fails_unless_the_fallback_is_configured(tiny_model_dir, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(tiny_model_dir / "tokenizer.json", folder)
    (folder / "model.pt").write_bytes(b"truncated")
    with pytest.raises(CheckpointError, match=r"model\.pt is corrupt"):
        MidiModelResource(checkpoint_dir=str(folder)).spec()
    spec, origin = MidiModelResource(checkpoint_dir=str(folder), fallback_to_composer=True).spec()
    assert spec.composer and origin.startswith("composer (fallback: checkpoint")


def test_a_checkpoint_for_another_tokenizer_is_refused(tiny_model_dir, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(tiny_model_dir / "model.pt", folder)
    (folder / "tokenizer.json").write_text((tiny_model_dir / "tokenizer.json").read_text().replace(" ", "  ", 1))
    with pytest.raises(CheckpointError, match="was trained with tokenizer"):
        MidiModelResource(checkpoint_dir=str(folder)).spec()
