"""``sohoa indicators --from --to --json``: the same figures as the API and the page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pipeline
from core.settings import settings_with
from pipeline.context import Runtime
from storage.db import make_engine, session_factory, upgrade

ROOT = Path(__file__).resolve().parents[2]


def test_indicators_command_prints_the_period_as_json(tmp_path: Path) -> None:
    url = f"sqlite+pysqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = settings_with(data_dir=tmp_path, agency_code="000.77.88.H99", database_url=url)
    rt = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    for _ in range(2):
        pipeline.create_dossier(
            rt, procedure_code="1.1", applicant_name="Hồ Thị Mai", applicant_id_number=None,
            applicant_phone=None, actor="t",
        )  # fmt: skip
    rt.close()
    env = {
        **os.environ,
        "SOHOA_DATABASE_URL": url,
        "SOHOA_DATA_DIR": str(tmp_path),
        "SOHOA_AGENCY_CODE": "000.77.88.H99",
        "SOHOA_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "indicators", "--by", "month", "--json"],
        env=env, cwd=ROOT, capture_output=True, check=True,
    )  # fmt: skip
    body = json.loads(done.stdout)
    assert body["dossiers_received"] == 2 and body["by"] == "month"
    assert {"digitized_at_reception_rate", "results_digitized_rate", "reuse_rate"} <= set(body)
    assert sum(p["dossiers_received"] for p in body["trend"]) == 2
    bad = subprocess.run(
        [sys.executable, "-m", "cli.main", "indicators", "--from", "1/12/2026"],
        env=env, cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 3 and b"NNNN-TT-NN" in bad.stderr
