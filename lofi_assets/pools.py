"""Concurrency pools: how many steps of each kind may run at once across all runs.

- ``youtube`` 1: uploads share one channel's quota and one upload session at a time.
- ``notion`` 2: Notion allows about 3 requests/s per integration; two writers stay inside it.
- ``gpu`` 1: training and separation each want the whole device.

Dagster OSS reads only a default pool limit from ``dagster.yaml`` (``concurrency: pools:
default_limit``, 1 in our files, so every pool starts one at a time); per-pool limits
live in the instance's database. The deployment writes them there itself: the
``deployment_upkeep`` sensor, on the daemon's first tick and every ten minutes after, on
any instance (SQLite, PostgreSQL, the Celery setup). ``lofi pools`` does the same at once
(``make demo`` and ``make dev`` run it), as ``dagster instance concurrency set <pool> <n>``.
"""

import dagster as dg

POOL_LIMITS = {"youtube": 1, "notion": 2, "gpu": 1}


def apply_pool_limits(instance: dg.DagsterInstance, limits: dict[str, int] = POOL_LIMITS) -> dict[str, int]:
    """Set each pool's slots on the instance; the limits now in force."""
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return {pool: instance.event_log_storage.get_concurrency_info(pool).slot_count for pool in limits}


def ensure_pool_limits(instance: dg.DagsterInstance, limits: dict[str, int] = POOL_LIMITS) -> dict[str, int]:
    """Set the pools whose slots differ from ``limits``; the ones it set."""
    storage = instance.event_log_storage
    wrong = {pool: n for pool, n in limits.items() if storage.get_concurrency_info(pool).slot_count != n}
    return apply_pool_limits(instance, wrong) if wrong else {}
