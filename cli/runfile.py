"""The run file ``sohoa run`` leaves in the data directory while it is up.

It tells the other ``sohoa`` commands of the same installation where the embedded S3 server
listens (its port is chosen at start), so that ``sohoa ingest`` or ``sohoa storage check`` work
next to a running ``sohoa run`` without any setting.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.settings import Settings, get_settings, settings_with

RUN_FILE = "run.json"


def run_file(settings: Settings) -> Path:
    """Where the run file of ``settings``' data directory is."""
    return settings.data_dir.expanduser().resolve() / RUN_FILE


def effective_settings() -> Settings:
    """The environment's settings; while ``sohoa run`` is up, its embedded S3 endpoint too."""
    settings = get_settings()
    if settings.s3_endpoint:
        return settings
    path = run_file(settings)
    if path.exists():
        info = json.loads(path.read_text(encoding="utf-8"))
        keys = {field: info[field] for field in ("s3_access_key", "s3_secret_key") if field in info}
        return settings_with(s3_endpoint=info.get("s3_endpoint", ""), **keys)
    return settings


__all__ = ["RUN_FILE", "effective_settings", "run_file"]
