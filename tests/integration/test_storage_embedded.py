"""The embedded S3 server recovers from a crashed ``sohoa run`` that left ``weed`` behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core.settings import settings_with
from storage.embedded import EmbeddedSeaweedFS
from storage.objects import ObjectStore

_CRASHING_PARENT = r"""
import os, sys
from pathlib import Path
from storage.embedded import EmbeddedSeaweedFS
server = EmbeddedSeaweedFS(Path(sys.argv[1]), access_key="emb", secret_key="emb-secret-key")
server.start()
print(server.pid, server.endpoint, flush=True)
os.kill(os.getpid(), 9)  # crash without stopping weed
"""


def test_restart_after_a_crash_takes_over_the_orphaned_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "s3"
    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHING_PARENT, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert crashed.returncode == -signal.SIGKILL
    orphan_pid = int(crashed.stdout.split()[0])
    assert Path(f"/proc/{orphan_pid}").exists()
    try:
        with EmbeddedSeaweedFS(data_dir, access_key="emb", secret_key="emb-secret-key") as server:
            assert server.pid != orphan_pid
            assert (
                not Path(f"/proc/{orphan_pid}/cmdline").exists()
                or not Path(f"/proc/{orphan_pid}/cmdline").read_bytes()
            )
            settings = server.client_settings(
                settings_with(s3_access_key="emb", s3_secret_key="emb-secret-key")
            )
            store = ObjectStore.from_settings(settings)
            store.ensure_buckets()
            stored = store.put_bytes(
                store.buckets.originals, "000.00.00.H00-261123-0001/originals/a.jpg", b"scan"
            )
            assert store.read_bytes(stored.bucket, stored.key, stored.sha256) == b"scan"
    finally:
        # Never leave the orphan behind if the takeover failed (it is this test's own child).
        if Path(f"/proc/{orphan_pid}/cmdline").exists():
            cmdline = Path(f"/proc/{orphan_pid}/cmdline").read_bytes()
            if str(data_dir).encode() in cmdline:
                os.kill(orphan_pid, signal.SIGKILL)
