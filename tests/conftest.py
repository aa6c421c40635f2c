"""Shared test fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_NOTION = PROJECT_ROOT / "data" / "notion"
SHARED_FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures" / "static_dreamscapes"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A storage root holding a copy of the project's sample Notion export."""
    root = tmp_path / "data"
    shutil.copytree(SAMPLE_NOTION, root / "notion")
    for name in ("library", "midi"):
        (root / name).mkdir()
    return root


@pytest.fixture
def shared_notion_docs() -> Path:
    folder = SHARED_FIXTURES / "notion_docs"
    if not folder.is_dir():
        pytest.skip(f"shared fixtures not present at {folder}")
    return folder
