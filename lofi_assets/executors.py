"""Which executor the jobs run on, from the environment.

One machine: Dagster's default multiprocess executor (``executor_from_env()`` returns
``None``). Past one machine: ``LOFI_EXECUTOR=celery`` runs each step as a Celery task on
whichever ``dagster-celery`` worker takes it from the broker; every worker loads the same
code (``lofi_assets.definitions``), the same instance (``$DAGSTER_HOME/dagster.yaml`` on
PostgreSQL) and the same storage root (``LOFI_DATA_DIR`` on shared storage or an object
store), since steps of one run land on different machines.

    LOFI_EXECUTOR        celery | multiprocess (default)
    LOFI_CELERY_BROKER   broker URL, default redis://127.0.0.1:6379/0
                         (RabbitMQ: amqp://user:password@host:5672//)
    LOFI_CELERY_BACKEND  result backend URL, default: the broker's URL when it is Redis,
                         else rpc://
    LOFI_CELERY_QUEUE    the queue steps are sent to, default ``dagster``; workers listen
                         on it with ``dagster-celery worker start -q``

The workers must be started with the same broker, backend and queue: see
``deploy/celery/celery.yaml`` and docs/operations.md, "Running past one machine".
"""

from __future__ import annotations

import dagster as dg

from lofi_assets.settings import env_text, settings

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "dagster"


def celery_config_from_env(env: dict[str, str] | None = None) -> dict:
    """The ``celery_executor`` config the environment names (never a password in run
    config: URLs are read from the environment by the executor's ``{"env": ...}`` source
    when the variable is set)."""
    broker = env_text("LOFI_CELERY_BROKER", DEFAULT_BROKER, env)
    backend = env_text("LOFI_CELERY_BACKEND", env=env) or (
        broker if broker.startswith(("redis://", "rediss://")) else "rpc://"
    )
    config: dict = {
        "broker": {"env": "LOFI_CELERY_BROKER"} if env_text("LOFI_CELERY_BROKER", env=env) else broker,
        "backend": {"env": "LOFI_CELERY_BACKEND"} if env_text("LOFI_CELERY_BACKEND", env=env) else backend,
    }
    queue = env_text("LOFI_CELERY_QUEUE", DEFAULT_QUEUE, env)
    if queue != DEFAULT_QUEUE:
        config["config_source"] = {"task_default_queue": queue}
    return config


def executor_from_env() -> dg.ExecutorDefinition | None:
    """``celery_executor`` configured from the environment when ``LOFI_EXECUTOR=celery``,
    else ``None`` (Definitions then use Dagster's default multiprocess executor)."""
    choice = settings().executor
    if choice in ("", "multiprocess", "default"):
        return None
    if choice != "celery":
        raise ValueError(f"LOFI_EXECUTOR={choice!r}: expected 'celery' or 'multiprocess'")
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_config_from_env(), name="celery")
