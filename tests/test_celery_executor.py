"""A track's chain on Dagster's Celery executor, as deployed past one machine: a real broker
(Redis, or LOFI_TEST_CELERY_BROKER), PostgreSQL instance storage from
deploy/celery/dagster.yaml, two ``dagster-celery`` worker processes started from
deploy/celery/celery.yaml, and the storage root as the one place steps share.

The chain is notion_track → prompt_embeddings → track_playlist for one ``tracks``
partition: three real steps (the plan parsed from the Notion export, its prompts embedded
with the bundled model, the playlist matched), each of which reads the previous step's
files from the storage root, never from the process before it.

Without a broker the test is skipped with the reason; under ``CI`` it fails (.ci/run
starts Redis or installs it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest

from lofi_assets.assets import library_index, notion_track, prompt_embeddings, track_playlist
from lofi_assets.executors import celery_config_from_env, executor_from_env
from resources import EmbedderResource, NotionResource, StorageResource
from tests.conftest import PROJECT_ROOT
from tests.pg import pg_env

BROKER = os.environ.get("LOFI_TEST_CELERY_BROKER", "redis://127.0.0.1:6379/0")
TRACK = "sunday-morning-coffee"
CHAIN = ("notion_track", "prompt_embeddings", "track_playlist")
# What each step leaves on the storage root, under assets/<asset>/<partition>/.
OUTPUTS = {
    "notion_track": ["plan.json"],
    "prompt_embeddings": ["prompts.npy", "prompts.json"],
    "track_playlist": ["playlist.json"],
}


def celery_track_chain():
    """The chain as a job on the executor LOFI_EXECUTOR names (celery here). Module level,
    so each worker rebuilds it from this module (``dg.reconstructable``); resources come
    from the environment each process was started with, like lofi_assets.definitions."""
    storage = StorageResource(root=os.environ["LOFI_DATA_DIR"])
    job = dg.define_asset_job(
        "celery_track_chain", selection=dg.AssetSelection.assets(*CHAIN), executor_def=executor_from_env()
    )
    defs = dg.Definitions(
        assets=[notion_track, prompt_embeddings, track_playlist, library_index],
        jobs=[job],
        resources={"storage": storage, "notion": NotionResource(storage=storage), "embedder": EmbedderResource()},
    )
    return defs.resolve_job_def("celery_track_chain")


def broker_reachable(url: str) -> str | None:
    """None when the broker answers, else why not."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001  (any failure to connect means: no broker here)
        return f"{type(exc).__name__}: {exc}"
    return None


def require_broker(url: str = BROKER) -> None:
    why = broker_reachable(url)
    if why:
        reason = f"no Celery broker at {url} ({why}); set LOFI_TEST_CELERY_BROKER or start redis-server"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must provide one; .ci/run starts or installs Redis)")
        pytest.skip(reason)


def write_instance(home: Path) -> None:
    """$DAGSTER_HOME/dagster.yaml: the deployment's own file, unchanged."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "celery" / "dagster.yaml", home / "dagster.yaml")


class Workers:
    """``dagster-celery worker start`` processes on one queue, each in its own process
    group (the command runs ``celery worker`` as a child), stopped with their children."""

    def __init__(self, env: dict[str, str], queue: str, count: int, log_dir: Path, tag: str):
        self.env, self.queue, self.procs, self.names, self.app = env, queue, [], [], None
        bin_dir = str(Path(sys.executable).parent)
        for n in range(count):
            name = f"lofi-test-{tag}-{n}"
            log = open(log_dir / f"worker-{n}.log", "wb")  # noqa: SIM115  (closed in stop)
            cmd = [
                os.path.join(bin_dir, "dagster-celery"),
                "worker",
                "start",
                "-A",
                "dagster_celery.app",
                "-y",
                str(PROJECT_ROOT / "deploy" / "celery" / "celery.yaml"),
                "-q",
                queue,
                "-n",
                name,
                "-i",
                "tests.test_celery_executor",
                "-l",
                "INFO",
                "--",
                "-c",
                "1",
                "--without-gossip",
                "--without-mingle",
            ]
            proc = subprocess.Popen(
                cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.procs.append((proc, log))
            self.names.append(f"{name}@{_hostname()}")

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker answers a ping over the broker (code imported, queue consumed)."""
        from dagster_celery.make_app import make_app

        self.app = make_app(
            {
                "broker": self.env["LOFI_CELERY_BROKER"],
                "backend": self.env["LOFI_CELERY_BACKEND"],
                "include": [],
                "config_source": None,
                "retries": None,
            }
        )
        deadline = time.monotonic() + timeout
        answered: set[str] = set()
        while time.monotonic() < deadline:
            for proc, _ in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"celery worker exited with {proc.returncode}: {self.log_tail()}")
            for reply in self.app.control.ping(destination=self.names, timeout=1.0) or []:
                answered.update(reply)
            if answered >= set(self.names):
                return
        raise TimeoutError(
            f"workers {sorted(set(self.names) - answered)} did not answer in {timeout:.0f} s: {self.log_tail()}"
        )

    def drain(self, name: str) -> None:
        """What an operator does before taking a machine away: the worker finishes what it
        has and takes nothing more from the queue (Celery's cancel_consumer)."""
        replies = self.app.control.cancel_consumer(self.queue, destination=[name], reply=True, timeout=5)
        assert replies and name in replies[0], f"worker {name} did not confirm the drain: {replies}"

    def log_tail(self, chars: int = 3000) -> str:
        tails = []
        for _, log in self.procs:
            log.flush()
            text = Path(log.name).read_text(errors="replace")
            tails.append(f"--- {Path(log.name).name}\n{text[-chars:]}")
        return "\n".join(tails)

    def stop(self) -> None:
        if self.app is not None:
            self.app.close()
        for proc, _ in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc, log in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
            log.close()


def _hostname() -> str:
    import socket

    return socket.gethostname()


def celery_env(home: Path, data_dir: Path, db_name: str, queue: str, broker: str = BROKER) -> dict[str, str]:
    """What the orchestrating process and every worker share: instance, storage root, broker."""
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_COMPUTE_LOG_DIR": str(home / "compute_logs"),
        "LOFI_DATA_DIR": str(data_dir),
        "LOFI_EXECUTOR": "celery",
        "LOFI_CELERY_BROKER": broker,
        "LOFI_CELERY_QUEUE": queue,
        **pg_env(db_name),
    }
    env["LOFI_CELERY_BACKEND"] = os.environ.get("LOFI_TEST_CELERY_BACKEND") or (
        broker if broker.startswith(("redis://", "rediss://")) else "rpc://"
    )
    return env


def worker_env(env: dict[str, str]) -> dict[str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("NOTION_", "LOFI_", "DAGSTER_"))}
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    full["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    # One thread per worker process: two workers share the machine's cores.
    full.setdefault("OMP_NUM_THREADS", "1")
    return full


def execute_with_deadline(instance: dg.DagsterInstance, timeout: float, while_running=None) -> dg.ExecutionResult:
    """execute_job in a thread (a step no worker takes would otherwise wait forever);
    ``while_running()`` is called about ten times a second until the run ends."""
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = dg.execute_job(
                dg.reconstructable(celery_track_chain), instance=instance, tags={"dagster/partition": TRACK}
            )
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        if while_running:
            while_running()
        thread.join(0.1)
    if thread.is_alive():
        raise TimeoutError(f"the run did not finish in {timeout:.0f} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def step_workers(instance: dg.DagsterInstance, run_id: str) -> tuple[dict[str, str], dict[str, int]]:
    """Per step: the Celery worker that took it (the engine event dagster-celery writes
    from inside the task) and the pid its STEP_START event was written from."""
    hosts, pids = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type == dg.DagsterEventType.ENGINE_EVENT and "in celery worker" in (event.message or ""):
            hosts[event.step_key] = event.engine_event_data.metadata["Celery worker"].value
        elif event.event_type == dg.DagsterEventType.STEP_START:
            pids[event.step_key] = event.pid
    return hosts, pids


def test_executor_from_env_is_celery_only_when_asked(monkeypatch):
    monkeypatch.delenv("LOFI_EXECUTOR", raising=False)
    assert executor_from_env() is None
    monkeypatch.setenv("LOFI_EXECUTOR", "celery")
    monkeypatch.delenv("LOFI_CELERY_BROKER", raising=False)
    monkeypatch.delenv("LOFI_CELERY_BACKEND", raising=False)
    monkeypatch.delenv("LOFI_CELERY_QUEUE", raising=False)
    assert executor_from_env().name == "celery"
    assert celery_config_from_env() == {"broker": "redis://127.0.0.1:6379/0", "backend": "redis://127.0.0.1:6379/0"}
    monkeypatch.setenv("LOFI_CELERY_BROKER", "amqp://guest:secret@rabbit:5672//")
    monkeypatch.setenv("LOFI_CELERY_QUEUE", "tracks")
    # the URL (and its password) is read from the environment, never written into config
    assert celery_config_from_env() == {
        "broker": {"env": "LOFI_CELERY_BROKER"},
        "backend": "rpc://",
        "config_source": {"task_default_queue": "tracks"},
    }
    monkeypatch.setenv("LOFI_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="LOFI_EXECUTOR"):
        executor_from_env()


@pytest.mark.postgres
# dagster-celery registers its task again for every step it submits; Celery 5.7 warns.
@pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered")
def test_track_chain_runs_across_two_celery_workers(pg_database, data_dir, tmp_path, monkeypatch):
    require_broker()
    home = tmp_path / "dagster_home"
    write_instance(home)
    tag = uuid.uuid4().hex[:8]
    queue = f"lofi-test-{tag}"  # no stray worker elsewhere listens on it
    env = celery_env(home, data_dir, pg_database, queue)
    for var, value in env.items():
        monkeypatch.setenv(var, value)

    workers = Workers(worker_env(env), queue, count=2, log_dir=tmp_path, tag=tag)
    drained: list[str] = []
    try:
        workers.wait_ready()
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            instance.add_dynamic_partitions("tracks", [TRACK])

            def drain_the_first_steps_worker():
                # Both workers listen on the queue; whichever takes the first step is then
                # drained, so the rest of the chain has to move to the other machine and
                # find its inputs on the storage root alone.
                if drained:
                    return
                runs = instance.get_runs(limit=1)
                hosts = step_workers(instance, runs[0].run_id)[0] if runs else {}
                if hosts:
                    drained.append(next(iter(hosts.values())))
                    workers.drain(drained[0])

            started = time.perf_counter()
            result = execute_with_deadline(instance, timeout=120, while_running=drain_the_first_steps_worker)
            elapsed = time.perf_counter() - started
            assert result.success, workers.log_tail()
            hosts, pids = step_workers(instance, result.run_id)
            run = instance.get_run_by_id(result.run_id)
            materialized = {
                key.to_user_string()
                for key in instance.get_asset_keys()
                if instance.get_latest_materialization_event(key)
            }
    finally:
        workers.stop()

    assert run.is_success and run.tags["dagster/partition"] == TRACK
    assert materialized >= set(CHAIN)
    for asset, files in OUTPUTS.items():
        for name in files:
            path = data_dir / "assets" / asset / TRACK / name
            assert path.is_file() and path.stat().st_size > 0, path
    # every step ran in a worker, not here, and the steps were spread over both workers
    assert set(hosts) == set(CHAIN) and set(pids) == set(CHAIN), (hosts, pids)
    assert set(hosts.values()) <= set(workers.names)
    assert drained == [hosts["notion_track"]] and hosts["track_playlist"] != drained[0], (drained, hosts)
    assert len(set(hosts.values())) >= 2, hosts
    assert os.getpid() not in pids.values() and len(set(pids.values())) >= 2, pids
    print(f"celery chain {elapsed:.1f} s; steps by worker: {hosts}")
