"""Which MIDI generator the pipeline uses: a configured checkpoint, the one ``midi_model``
trained, or the checkpoint shipped with the package, in that order; the composer only
when configured as the fallback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:
    from lofi_assets.core.generation.requests import GeneratorSpec

SHIPPED_MODEL_DIR = Path(__file__).resolve().parent.parent / "lofi_assets" / "models" / "lofi-gpt"
MODEL_FILE, TOKENIZER_FILE = "model.pt", "tokenizer.json"


class MidiModelResource(dg.ConfigurableResource):
    """The MIDI model and how to sample it."""

    checkpoint_dir: str | None = Field(
        default=None,
        description="a folder with model.pt and tokenizer.json; "
        "default: midi_model's output if materialized, else the shipped model",
    )
    fallback_to_composer: bool = Field(
        default=False,
        description="use the rule-based composer when the model "
        "cannot be loaded (each piece's metadata names its generator)",
    )
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95

    def model_dir(self, trained_dir: Path | None) -> tuple[Path, str]:
        """The folder to load from and where it came from."""
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir), "configured"
        if trained_dir is not None and (trained_dir / MODEL_FILE).exists():
            return trained_dir, "midi_model asset"
        return SHIPPED_MODEL_DIR, "shipped with the package"

    def spec(self, trained_dir: Path | None = None) -> tuple[GeneratorSpec, str]:
        """A spec that builds the generator in any process, and a line saying which."""
        # the generation stack (pretty_midi, miditok, torch) loads only where a spec is made
        from lofi_assets.core.generation.model import CheckpointError
        from lofi_assets.core.generation.requests import GeneratorSpec
        from lofi_assets.core.generation.tokens import TokenizerError

        folder, origin = self.model_dir(trained_dir)
        spec = GeneratorSpec(
            str(folder / MODEL_FILE),
            str(folder / TOKENIZER_FILE),
            temperature=self.temperature,
            top_k=self.top_k,
            top_p=self.top_p,
        )
        try:
            spec.build()  # fail here, naming the files, rather than in every worker
        except (CheckpointError, TokenizerError) as exc:
            if not self.fallback_to_composer:
                raise
            composer = GeneratorSpec(None, None, composer=True)
            return composer, f"composer (fallback: {exc})"
        return spec, f"model from {origin} ({folder})"
