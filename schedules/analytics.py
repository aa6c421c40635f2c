"""The morning analytics: yesterday's figures (and the trailing days YouTube has filled
in since) pulled, then the day's report, whose weights steer the next nightly batch."""

from datetime import timedelta

import dagster as dg

from lofi_assets.jobs import analytics_job
from lofi_assets.settings import settings

ANALYTICS_CRON = settings().analytics_cron  # a schedule's cron is fixed when the code location loads
ANALYTICS_TZ = settings().analytics_tz


@dg.schedule(
    job=analytics_job,
    cron_schedule=ANALYTICS_CRON,
    execution_timezone=ANALYTICS_TZ,
    name="analytics_daily",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 (LOFI_ANALYTICS_CRON, LOFI_ANALYTICS_TZ): pull yesterday's figures and write the report",
)
def analytics_daily(context: dg.ScheduleEvaluationContext):
    yesterday = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(partition_key=yesterday, run_key=f"analytics-{yesterday}")
