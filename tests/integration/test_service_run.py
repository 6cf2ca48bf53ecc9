"""``sohoa run`` (what ``make run`` starts): everything embedded, and nothing left after SIGTERM."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from samples.pages import render_page
from tests.fixtures.net import free_port, wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _document_goes_through(base: str, token: str) -> None:
    """The embedded broker (SQLite) and worker take a scan all the way to the officer's
    signature."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    dossier = client.post(
        "/api/v1/dossiers", json={"procedure_code": "1.9", "applicant": {"name": "Lý Thị H"}}
    ).json()
    buffer = io.BytesIO()
    render_page(11, lines=3).image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    upload = client.post(
        f"/api/v1/dossiers/{dossier['code']}/documents",
        files=[("files", ("trang.jpg", buffer.getvalue(), "image/jpeg"))],
    )
    assert upload.status_code == 202, upload.text
    status_url = upload.json()["status_url"]
    deadline = time.monotonic() + 120
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        body = client.get(status_url).json()
        if body["status"] in ("signed", "failed"):
            break
        time.sleep(0.5)
    assert body["status"] == "signed", body


def _worker_pid(run_pid: int) -> int:
    for pid in _descendants(run_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cli.main" in cmdline and b"worker" in cmdline and os.getpgid(pid) == pid:
            return pid
    raise AssertionError("no worker process")


def _ready_status(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code
    except httpx.HTTPError:
        return 0


def _killed_worker_is_restarted_and_readyz_is_503_in_between(
    process: subprocess.Popen[bytes], port: int, out: Path
) -> None:
    first = _worker_pid(process.pid)
    os.killpg(first, signal.SIGKILL)  # a crash: worker and pool at once
    wait_for(lambda: _ready_status(port) == 503, timeout=30, what="readyz 503")
    body = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
    assert body["checks"]["worker"].startswith("error"), body
    wait_for(lambda: _ready_status(port) == 200, timeout=90, what="worker restarted")
    assert _worker_pid(process.pid) != first
    assert b"the worker exited" in out.read_bytes() and b"worker restarted" in out.read_bytes()


def _forwarded_for_does_not_bypass_the_citizen_rate_limit(port: int) -> None:
    # 5 per minute here; each request claims another client address.
    statuses = [
        httpx.get(
            f"http://127.0.0.1:{port}/api/v1/public/dossiers/X-{n}",
            headers={"X-Access-Secret": "guess", "X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(7)
    ]
    assert 429 in statuses, statuses


def _start(env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "run"], env=env, cwd=ROOT, stdout=sink,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


def test_run_starts_everything_embedded_and_sigterm_stops_it_all(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SOHOA_")  # embedded defaults, whatever the caller has set
    }
    env |= {
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_API_PORT": str(port),
        "SOHOA_WORKER_HEARTBEAT_SECONDS": "3",
        # The restarted worker must not beat again before /readyz can notice the dead one: a
        # restart sooner than the heartbeat limit would hide the 503 this test looks for.
        "SOHOA_WORKER_RESTART_SECONDS": "8",
        "SOHOA_PUBLIC_RATE_LIMIT_PER_MINUTE": "5",
    }
    out = tmp_path / "run.out"
    process = _start(env, out)
    try:
        wait_for(lambda: b"sohoa is running" in out.read_bytes(), timeout=60, what="sohoa run")
        text = out.read_text()
        assert f"http://127.0.0.1:{port}" in text
        assert "admin user: admin  password: " in text
        credentials = (tmp_path / "data" / "admin-credentials.txt").read_text().strip()
        assert oct((tmp_path / "data" / "admin-credentials.txt").stat().st_mode)[-3:] == "600"
        wait_for(
            lambda: httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200,
            timeout=30,
            what="readyz",
        )
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
        assert ready["checks"] == {"database": "ok", "broker": "ok", "s3": "ok", "worker": "ok"}
        name, _, password = credentials.partition(":")
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/token",
            data={"username": name, "password": password},
        )
        assert token.status_code == 200
        _document_goes_through(f"http://127.0.0.1:{port}", token.json()["access_token"])
        _forwarded_for_does_not_bypass_the_citizen_rate_limit(port)
        _killed_worker_is_restarted_and_readyz_is_503_in_between(process, port, out)
        started = _descendants(process.pid)
        assert len(started) >= 2  # at least SeaweedFS and the worker
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
    data = tmp_path / "data"
    # Private data: the folder 0700, the database and the random S3 keys 0600.
    assert oct(data.stat().st_mode)[-3:] == "700"
    for name in ("sohoa.db", "s3-credentials.json", "jwt-secret"):
        assert oct((data / name).stat().st_mode)[-3:] == "600", name
    assert "sohoa-secret-key" not in (data / "s3-credentials.json").read_text()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.2)
    assert not [p for p in started if _alive(p)], "sohoa run left processes running"
    assert not (tmp_path / "data" / "run.json").exists()
    # A second start: stale work directories go, the admin password is not printed again.
    stale = data / "work" / "sohoa-digitize-left-by-a-killed-worker"
    stale.mkdir(parents=True)
    again = _start(env, tmp_path / "again.out")
    try:
        wait_for(
            lambda: b"sohoa is running" in (tmp_path / "again.out").read_bytes(),
            timeout=60,
            what="second start",
        )
        text = (tmp_path / "again.out").read_text()
        assert "password" not in text and "admin-credentials.txt" in text
        assert not stale.exists()
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=90)
