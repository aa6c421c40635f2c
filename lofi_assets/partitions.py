"""The pipeline's partitions.

- ``tracks``: one key per Notion track page: the page id as 32 lowercase hex digits (or a
  slug of the file name for a hand-written file with no id), so renaming keeps the key.
- ``songs``: one key per library song file (the file stem, made safe).
- ``daily``: daily windows for the nightly batch and the analytics.
"""

import dagster as dg

tracks_partitions = dg.DynamicPartitionsDefinition(name="tracks")
songs_partitions = dg.DynamicPartitionsDefinition(name="songs")
daily_partitions = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
