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


def partition_batches(order: list[str], wanted: list[str], most: int) -> list[list[str]]:
    """``wanted`` keys as runs of consecutive partitions of ``order`` (a run over a key
    range makes every key between its ends), each at most ``most`` keys, in order."""
    position = {key: i for i, key in enumerate(order)}
    batches: list[list[str]] = []
    last = None
    for key in sorted(set(wanted), key=position.__getitem__):
        if batches and position[key] == last + 1 and len(batches[-1]) < most:
            batches[-1].append(key)
        else:
            batches.append([key])
        last = position[key]
    return batches


def range_tags(keys: list[str]) -> dict[str, str]:
    """The run tags that make one run over a batch of consecutive keys."""
    return {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
