# mypy: ignore-errors
"""Locust users for ``bench/bench_load.py``: citizens looking up their dossier and downloading
its signed document (the verified download, as the citizen page does).

Runs in its own venv (``bench/.locust-venv``) so locust's pins never touch sohoa's; it reads
the dossier code, secret and document id from the environment.
"""

from __future__ import annotations

import os

from locust import FastHttpUser, between, task

CODE = os.environ["SOHOA_LOAD_CODE"]
SECRET = os.environ["SOHOA_LOAD_SECRET"]
DOCUMENT = os.environ["SOHOA_LOAD_DOCUMENT"]


class Citizen(FastHttpUser):
    """One citizen: mostly looks the dossier up, sometimes downloads the signed PDF."""

    wait_time = between(1.0, 3.0)
    network_timeout = 60.0
    connection_timeout = 10.0

    @task(3)
    def lookup(self) -> None:
        self.client.get(
            f"/api/v1/public/dossiers/{CODE}",
            headers={"X-Access-Secret": SECRET},
            name="lookup",
        )

    @task(1)
    def download(self) -> None:
        with self.client.get(
            f"/api/v1/public/documents/{DOCUMENT}/download",
            headers={"X-Access-Secret": SECRET},
            name="download",
            catch_response=True,
        ) as response:
            if not response.content.startswith(b"%PDF"):
                response.failure("not a PDF")
