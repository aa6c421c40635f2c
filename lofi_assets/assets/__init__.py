"""Software-defined assets, one module per stage (group)."""

from lofi_assets.assets.generation import gap_songs, midi_corpus, midi_model, midi_tokenizer, nightly_songs
from lofi_assets.assets.ingest import notion_track
from lofi_assets.assets.library import library_index, library_song, song_embedding
from lofi_assets.assets.planning import prompt_embeddings, track_playlist

# Every asset partitioned by ``tracks``, in order: the per-track job materializes them.
TRACK_ASSETS = [notion_track, prompt_embeddings, track_playlist, gap_songs]
# Every asset partitioned by ``songs``.
SONG_ASSETS = [library_song, song_embedding]
# The model's chain, unpartitioned: corpus → tokenizer → trained model.
MODEL_ASSETS = [midi_corpus, midi_tokenizer, midi_model]
ALL_ASSETS = [*TRACK_ASSETS, *SONG_ASSETS, library_index, *MODEL_ASSETS, nightly_songs]
