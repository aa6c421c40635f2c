"""Importing library songs in batches: each file decoded, measured and described once.

A batch shares what every song of it needs (the folder's listing, the plans that say what
each song was made for, the content hashes already imported), so a run over a hundred
songs pays for them once instead of a hundred times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lofi_assets.core.ingest.plan import TrackPlan
from lofi_assets.core.library.analysis import AudioError, SongAnalysis, analyse_file
from lofi_assets.core.library.catalog import library_files, plans_by_track_number, prompt_context, sidecar_context


class SongImportError(Exception):
    """A song that cannot be imported; the message names the song and why."""


@dataclass
class SongBatch:
    """What a batch of songs is imported against."""

    folder: Path
    files: dict[str, Path]
    plans: dict[int, TrackPlan]
    # sha256 -> (partition key, file name) of every song already imported, batch included
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def open(cls, folder: Path, plans: list[TrackPlan], analyses: Iterable[dict]) -> SongBatch:
        files = {f.key: f.path for f in library_files(folder)[0]}
        imported = {a["sha256"]: (a.get("song_id", ""), a.get("file", "")) for a in analyses if a.get("sha256")}
        return cls(Path(folder), files, plans_by_track_number(plans), imported)

    def analyse(self, key: str) -> tuple[SongAnalysis, dict]:
        """The song's analysis and its record (what ``analysis.json`` holds); a song with no
        file, audio that does not decode, or the same audio as another song is refused."""
        path = self.files.get(key)
        if path is None:
            raise SongImportError(f"song {key}: no audio file for it in {self.folder}")
        try:
            analysis = analyse_file(path)
        except AudioError as exc:
            raise SongImportError(f"song {key}: {exc}") from None
        other_key, other_file = self.imported.get(analysis.sha256, (key, path.name))
        if other_key != key:
            raise SongImportError(
                f"song {key}: {path.name} is the same audio as {other_file} "
                f"(sha256 {analysis.sha256[:12]}); not imported twice"
            )
        record = {"song_id": key, "file": path.name, **analysis.to_dict(), **prompt_context(self.plans, path.stem)}
        if not record.get("mood_words"):
            record.update(sidecar_context(path))
        self.imported[analysis.sha256] = (key, path.name)
        return analysis, record
