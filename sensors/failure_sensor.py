"""Tell the operator when a run fails: which asset, which partition, and the error."""

from pathlib import Path

import dagster as dg

from lofi_assets.core.alerts import FailureAlert, first_line
from lofi_assets.partitions import run_partitions
from lofi_assets.settings import settings
from resources import StorageResource
from resources.alerts import AlertsResource


def step_error(data) -> str | None:
    """A ``dg.Failure``'s own description (our messages name the input), else the error."""
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    return data.error.message if data.error else None


def failure_alert(context: dg.RunFailureSensorContext) -> FailureAlert:
    run = context.dagster_run
    tags = run.tags
    partition = run_partitions(tags)
    steps = context.get_step_failure_events()
    errors = [f"{e.step_key}: {first_line(step_error(e.step_failure_data))}" for e in steps]
    if not errors and context.failure_event.message:
        errors = [first_line(context.failure_event.message)]
    assets = sorted({e.step_key for e in steps if e.step_key}) or sorted(
        k.to_user_string() for k in (run.asset_selection or [])
    )
    base = settings().ui_url
    return FailureAlert(
        run.run_id,
        run.job_name,
        partition,
        assets,
        errors,
        ui_url=f"{base.rstrip('/')}/runs/{run.run_id}" if base else None,
    )


@dg.run_failure_sensor(
    name="run_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A failed run writes an alert naming the asset, partition and error "
    "(alerts/alerts.jsonl, the log, and LOFI_ALERT_WEBHOOK when set)",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, alerts: AlertsResource, storage: StorageResource):
    alert = failure_alert(context)
    outcome = alerts.send(alert, Path(str(storage.root_path)) / "alerts" / "alerts.jsonl")
    context.log.info(f"{alert.text} → webhook {outcome['webhook']}")
