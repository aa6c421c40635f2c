"""``deployment_upkeep``: the deployment keeps its own settings and tidies after killed runs."""

import dagster as dg

from lofi_assets.core.files import is_local
from lofi_assets.core.upkeep import remove_stale_temporaries
from lofi_assets.pools import ensure_pool_limits
from resources import StorageResource


@dg.sensor(
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes the per-pool limits (youtube 1, notion 2, gpu 1) to the instance where they are missing "
    "or changed, so a new deployment serialises uploads before anyone runs `lofi pools`; removes the temporaries "
    "of killed runs (hidden files and master scratch folders untouched for 6 hours). Starts no run.",
)
def deployment_upkeep(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SkipReason:
    changed = ensure_pool_limits(context.instance)
    said = [
        f"pool limits set: {', '.join(f'{p} {n}' for p, n in changed.items())}" if changed else "pool limits in place"
    ]
    assets = storage.root_path / "assets"
    if is_local(assets):
        tidied = remove_stale_temporaries(assets)
        if tidied.removed:
            context.log.info("removed: " + ", ".join(str(p) for p in tidied.removed))
        said.append(f"{len(tidied.removed)} stale temporaries removed ({tidied.bytes / 1e6:.1f} MB)")
    return dg.SkipReason("; ".join(said))
