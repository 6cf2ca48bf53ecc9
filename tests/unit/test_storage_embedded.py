"""The embedded SeaweedFS command line: loopback only, no telemetry, no port clashes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from core.settings import settings_with
from storage.embedded import GRPC_PORT_OFFSET, EmbeddedSeaweedFS, pick_port_pair, write_identities
from tests.fixtures.net import port_is_free


def test_port_pair_has_its_grpc_twin_free() -> None:
    port = pick_port_pair()
    assert port_is_free(port) and port_is_free(port + GRPC_PORT_OFFSET)


def test_command_binds_loopback_and_switches_off_extras(tmp_path: Path) -> None:
    server = EmbeddedSeaweedFS(tmp_path, access_key="a", secret_key="b", s3_port=41000)
    server._choose_ports()
    cmd = server.command()
    assert "-ip.bind=127.0.0.1" in cmd and "-ip=127.0.0.1" in cmd
    assert "-master.telemetry=false" in cmd and "-webdav=false" in cmd and "-admin.ui=false" in cmd
    assert "-s3.port=41000" in cmd and server.endpoint == "127.0.0.1:41000"
    assert cmd.index(f"-logdir={tmp_path / 'logs'}") < cmd.index("mini")  # a global flag
    http_ports = list(server.ports.values())
    every_port = http_ports + [p + GRPC_PORT_OFFSET for p in http_ports]
    assert len(set(every_port)) == len(every_port)


def test_identities_file_is_private_and_grants_the_key(tmp_path: Path) -> None:
    path = write_identities(tmp_path / "identities.json", "ak", "secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    identity = json.loads(path.read_text())["identities"][0]
    assert identity["credentials"] == [{"accessKey": "ak", "secretKey": "secret"}]
    assert "Admin" in identity["actions"]


def test_from_settings_uses_data_dir_and_keys(tmp_path: Path) -> None:
    settings = settings_with(data_dir=tmp_path, s3_access_key="k", s3_secret_key="s" * 12)
    server = EmbeddedSeaweedFS.from_settings(settings)
    assert server.data_dir == tmp_path.resolve() / "seaweedfs"
    assert (server.access_key, server.secret_key) == ("k", "s" * 12)
    assert not server.is_running() and not server.healthy()
