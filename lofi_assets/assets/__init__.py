"""Software-defined assets, one module per stage (group)."""

from lofi_assets.assets.ingest import notion_track
from lofi_assets.assets.library import library_index, library_song, song_embedding
from lofi_assets.assets.planning import prompt_embeddings, track_playlist

# Every asset partitioned by ``tracks``, in order: the per-track job materializes them.
TRACK_ASSETS = [notion_track, prompt_embeddings, track_playlist]
# Every asset partitioned by ``songs``.
SONG_ASSETS = [library_song, song_embedding]
ALL_ASSETS = [*TRACK_ASSETS, *SONG_ASSETS, library_index]
