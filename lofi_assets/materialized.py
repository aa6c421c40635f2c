"""What the instance already holds: the sensors ask before requesting work again."""

import dagster as dg

PAGE = 1000  # records per query


def latest_metadata(instance: dg.DagsterInstance, asset: str, keys: list[str], field: str) -> dict[str, object]:
    """``field`` from the metadata of each partition's latest materialization of
    ``asset``; a partition never materialized (or without the field) is left out."""
    found: dict[str, object] = {}
    seen: set[str] = set()
    if not keys:
        return found
    wanted = set(keys)
    cursor = None
    while True:
        result = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=sorted(wanted)),
            limit=PAGE,
            cursor=cursor,
        )
        for record in result.records:  # newest first: the first seen per partition is the latest
            materialization = record.asset_materialization
            if materialization is None or materialization.partition in seen:
                continue
            seen.add(materialization.partition)
            value = materialization.metadata.get(field)
            if value is not None:
                found[materialization.partition] = value.value
        if not result.has_more or seen >= wanted:
            return found
        cursor = result.cursor
