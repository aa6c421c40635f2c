"""The run-failure sensor on a real failing run: the alert names the asset, the partition
and the error, lands in the alerts file, and reaches a webhook on loopback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from resources import StorageResource
from resources.alerts import AlertsResource
from sensors.failure_sensor import run_failure_alerts

broken_partitions = dg.StaticPartitionsDefinition(["2026-11-30", "2026-12-01"])


@dg.asset(partitions_def=broken_partitions)
def broken_stats(context: dg.AssetExecutionContext) -> None:
    raise dg.Failure(description=f"video_stats {context.partition_key}: YouTube says quotaExceeded\nsecond line")


class Hook:
    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[dict] = []

    def __enter__(self) -> "Hook":
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"content_type": self.headers["Content-Type"], **json.loads(body)})
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secret"
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def failed_run_context(instance):
    result = dg.materialize([broken_stats], partition_key="2026-12-01", instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in instance.all_logs(result.run_id) if e.dagster_event and e.dagster_event.is_run_failure)
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alerts",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure.dagster_event,
    ).for_run_failure(), result.run_id


@pytest.mark.parametrize("status", [200, 500])
def test_failed_run_writes_an_alert_and_calls_the_webhook(tmp_path, status, caplog):
    with dg.instance_for_test() as instance, Hook(status) as hook:
        context, run_id = failed_run_context(instance)
        run_failure_alerts(
            context, alerts=AlertsResource(webhook_url=hook.url), storage=StorageResource(root=str(tmp_path))
        )
        lines = (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()
        assert len(lines) == 1
        alert = json.loads(lines[0])
        assert alert["assets"] == ["broken_stats"] and alert["partition"] == "2026-12-01"
        assert alert["run_id"] == run_id
        assert alert["errors"] == ["broken_stats: video_stats 2026-12-01: YouTube says quotaExceeded"]
        assert "broken_stats [2026-12-01] failed" in alert["text"]
        (sent,) = hook.received
        assert sent["content_type"].startswith("application/json") and sent["text"] == alert["text"]
        assert "secret" not in caplog.text  # the webhook URL is never logged


def test_without_a_webhook_the_alert_is_still_written(tmp_path):
    with dg.instance_for_test() as instance:
        context, _ = failed_run_context(instance)
        run_failure_alerts(context, alerts=AlertsResource(), storage=StorageResource(root=str(tmp_path)))
        assert json.loads((tmp_path / "alerts" / "alerts.jsonl").read_text())["partition"] == "2026-12-01"
