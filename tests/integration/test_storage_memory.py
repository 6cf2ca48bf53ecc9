"""Streaming keeps memory flat: a 200 MB upload and download grow peak RSS by parts, not size.

Measured in a subprocess from ``VmHWM`` (peak resident set) in ``/proc/self/status`` so the test
process's own allocations do not blur the number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import Settings
from storage.objects import ObjectStore

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
SIZE = 200 * MiB
#: Parts are 16 MiB; a few buffers of that size may coexist (read, hash, send).
MAX_GROWTH = 80 * MiB

_SCRIPT = r"""
import hashlib, json, sys
from pathlib import Path
from core.settings import get_settings
from storage.objects import ObjectStore

def peak() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")

path = Path(sys.argv[1])
store = ObjectStore.from_settings(get_settings())
bucket = store.buckets.documents
warm = b"warm up every code path"
store.put_bytes(bucket, sys.argv[2] + ".warmup", warm)
store.read_bytes(bucket, sys.argv[2] + ".warmup", hashlib.sha256(warm).hexdigest())
base = peak()
stored = store.put_file(bucket, sys.argv[2], path)
after_put = peak()
digest = hashlib.sha256()
size = 0
for chunk in store.iter_verified(bucket, sys.argv[2], stored.sha256):
    size += len(chunk)
after_get = peak()
print(json.dumps({"base": base, "put": after_put - base, "get": after_get - after_put,
                  "size": size, "sha256": stored.sha256}))
"""


def test_200mb_streamed_upload_and_download_keep_memory_flat(
    s3_settings: Settings, object_store: ObjectStore, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    block = os.urandom(MiB)
    with path.open("wb") as out:
        for i in range(SIZE // MiB):
            out.write(i.to_bytes(8, "big") + block[8:])
    env = {
        **os.environ,
        "SOHOA_S3_ENDPOINT": s3_settings.s3_endpoint,
        "SOHOA_S3_ACCESS_KEY": s3_settings.s3_access_key,
        "SOHOA_S3_SECRET_KEY": s3_settings.s3_secret_key.get_secret_value(),
        "SOHOA_S3_SECURE": "false",
    }
    key = "000.00.00.H00-261123-9999/000.00.00.H00-261123-9999.01.pdf"
    try:
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(path), key],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        path.unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    assert numbers["size"] == SIZE
    assert numbers["put"] < MAX_GROWTH, f"upload grew peak RSS by {numbers['put'] / MiB:.0f} MiB"
    assert numbers["get"] < MAX_GROWTH, f"download grew peak RSS by {numbers['get'] / MiB:.0f} MiB"
    print(
        f"peak RSS growth: put {numbers['put'] / MiB:.1f} MiB, get {numbers['get'] / MiB:.1f} MiB"
    )
