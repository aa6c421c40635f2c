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


RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_tags(keys: list[str]) -> dict[str, str]:
    """The run tags that make one run over a batch of consecutive keys (its first and last)."""
    return {RANGE_START: keys[0], RANGE_END: keys[-1]}


def run_partitions(tags: dict[str, str]) -> str | None:
    """What a run's tags say it made: its partition, ``first..last`` for a range, or ``None``."""
    first = tags.get("dagster/partition") or tags.get(RANGE_START)
    last = tags.get(RANGE_END)
    return f"{first}..{last}" if last and first != last else first
