"""The plain core: music and media, with no Dagster in it.

One package per stage of the asset graph (the asset groups), each handing a file or a
value to the next, and a few modules every stage shares:

- ``ingest``: Notion track pages (API or Markdown export) → ``TrackPlan``.
- ``library``: song files → analysis, text and embeddings, the library catalog.
- ``planning``: a plan's prompts × the library → reused songs and the gaps.
- ``generation``: conditions → MIDI (composer, tokenizer, model, scorer, song requests).
- ``production``: MIDI → audio (render, lo-fi colour), stems, the long mix, the master.
- ``publishing``: a master → YouTube metadata, a thumbnail and the video file.
- ``youtube``: the YouTube APIs: client, upload, daily figures.
- ``analytics``: the daily figures → the channel report.

Shared: ``files`` (atomic writes, JSON reads), ``tables`` (Markdown tables),
``partition_keys`` (keys and seeds), ``music_keys`` (keys as musicians write them),
``audio_io`` (the audio format every stage uses), ``alerts`` (operator alerts).
"""
