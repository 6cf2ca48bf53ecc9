"""A replicated embedded S3 store: a small SeaweedFS cluster, for tests and fail-over drills.

One master (default replication ``001``: every volume on two different volume servers of the
same rack), volume servers, a filer and an S3 gateway, each its own ``weed`` process, so that one
volume server can be stopped and started again while the rest keep serving::

    cluster = EmbeddedSeaweedCluster(data_dir, access_key="sohoa", secret_key="...")
    cluster.start()                  # blocks until S3 answers and every volume server is known
    cluster.endpoint                 # "127.0.0.1:<s3 port>", as SOHOA_S3_ENDPOINT expects it
    cluster.stop_volume(1)           # a volume server goes away (SIGTERM; kill=True: SIGKILL)
    cluster.start_volume(1)          # …and comes back with its data
    cluster.stop()

Three volume servers by default, not two: with replication ``001`` SeaweedFS writes every
needle to both replicas of its volume, so with two servers and one stopped no volume is writable
(measured with weed 4.48: the master lists ``"writables": []`` and a PUT hangs). With three, the
master grows new volumes on the two that remain and every stored object still has a live copy.

``host`` is the address every component binds to and advertises (127.0.0.1 by default; a test
with network namespaces passes the address of the namespace it runs the cluster in). gRPC ports
are given explicitly (``-port.grpc``, addresses written ``host:port.grpcport``), so no port has to
be free at an offset of another.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from core.errors import StorageUnavailable
from core.net import free_port
from storage.embedded import find_weed_binary, write_identities

log = logging.getLogger(__name__)


@dataclass
class _Part:
    """One ``weed`` process of the cluster."""

    name: str
    port: int
    grpc: int
    process: subprocess.Popen[bytes] | None = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class EmbeddedSeaweedCluster:
    """Master, ``volume_servers`` volume servers, filer and S3 gateway under ``data_dir``.

    Args:
        data_dir: Where each component keeps its data and logs (created if missing).
        access_key: S3 access key of the single admin identity.
        secret_key: Its secret key.
        volume_servers: How many volume servers (at least 2; see the module docstring).
        replication: The master's default replica placement (``001``: two servers, one rack).
        host: Address to bind and advertise.
        wrap: A command prefix for every process (``["ip", "netns", "exec", "ns1"]``).
        startup_timeout: Seconds to wait for each readiness check.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        access_key: str,
        secret_key: str,
        volume_servers: int = 3,
        replication: str = "001",
        host: str = "127.0.0.1",
        wrap: Sequence[str] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        if volume_servers < 2:
            raise ValueError("a replicated cluster needs at least two volume servers")
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.replication = replication
        self.host = host
        self.wrap = list(wrap)
        self.startup_timeout = startup_timeout
        self.volume_count = volume_servers
        self._parts: dict[str, _Part] = {}

    # --- addresses -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 gateway, as ``SOHOA_S3_ENDPOINT`` expects it."""
        return f"{self.host}:{self._part('s3').port}"

    @property
    def master_url(self) -> str:
        return f"http://{self.host}:{self._part('master').port}"

    def _part(self, name: str) -> _Part:
        if name not in self._parts:
            raise StorageUnavailable("embedded SeaweedFS cluster is not started")
        return self._parts[name]

    def _address(self, name: str) -> str:
        part = self._part(name)
        return f"{self.host}:{part.port}.{part.grpc}"

    # --- commands --------------------------------------------------------------------------

    def _choose_ports(self) -> None:
        names = ["master", *(f"volume{i}" for i in range(self.volume_count)), "filer", "s3"]
        taken: set[int] = set()
        for name in names:
            pair: list[int] = []
            while len(pair) < 2:
                port = free_port()
                if port not in taken:
                    taken.add(port)
                    pair.append(port)
            self._parts[name] = _Part(name=name, port=pair[0], grpc=pair[1])

    def command(self, name: str) -> list[str]:
        """The command line of component ``name`` (ports must have been chosen)."""
        part = self._part(name)
        weed = [*self.wrap, str(find_weed_binary()), f"-logdir={self.data_dir / 'logs'}"]
        common = [
            f"-ip={self.host}",
            f"-ip.bind={self.host}",
            f"-port={part.port}",
            f"-port.grpc={part.grpc}",
        ]
        if name == "master":
            return [
                *weed, "master", *common,
                f"-mdir={self.data_dir / 'master'}",
                f"-defaultReplication={self.replication}",
                # Small volumes: a test's few objects still spread over several volumes.
                "-volumeSizeLimitMB=64",
                "-telemetry=false",
            ]  # fmt: skip
        if name.startswith("volume"):
            return [
                *weed, "volume", *common,
                f"-dir={self.data_dir / name}",
                f"-mserver={self._address('master')}",
                "-max=200",
                # Pre-stop would wait for clients to move away; the drill wants it gone now.
                "-preStopSeconds=0",
            ]  # fmt: skip
        if name == "filer":
            return [
                *weed, "filer", *common,
                f"-master={self._address('master')}",
                f"-defaultStoreDir={self.data_dir / 'filer'}",
                f"-defaultReplicaPlacement={self.replication}",
            ]  # fmt: skip
        if name == "s3":
            return [
                *weed, "s3",
                f"-ip.bind={self.host}",
                f"-port={part.port}",
                f"-port.grpc={part.grpc}",
                f"-filer={self._address('filer')}",
                f"-config={self.data_dir / 'identities.json'}",
                "-allowDeleteBucketNotEmpty=false",
                "-port.iceberg=0",
                "-port.lance=0",
            ]  # fmt: skip
        raise ValueError(f"unknown component {name}")

    # --- lifecycle -------------------------------------------------------------------------

    def _spawn(self, name: str) -> None:
        part = self._part(name)
        for folder in ("logs", "master", "filer", *(p for p in self._parts if "volume" in p)):
            (self.data_dir / folder).mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "logs" / f"{name}.out").open("ab") as out:
            part.process = subprocess.Popen(
                self.command(name),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _wait(self, what: str, ready: Callable[[], object]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            dead = [p.name for p in self._parts.values() if p.process and p.process.poll()]
            if dead:
                raise StorageUnavailable(f"SeaweedFS {', '.join(dead)} exited: {self._tail(dead)}")
            if ready():
                return
            time.sleep(0.2)
        raise StorageUnavailable(f"SeaweedFS cluster: {what} not ready in {self.startup_timeout}s")

    def _get(self, url: str) -> bytes | None:
        if self.wrap:
            # The cluster lives in another network namespace: look from inside it.
            done = subprocess.run(
                [*self.wrap, "curl", "-sf", "-m", "2", url], capture_output=True, check=False
            )
            return done.stdout if done.returncode == 0 else None
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                return bytes(response.read())
        except (OSError, urllib.error.URLError):
            return None

    def volume_servers_up(self) -> set[str]:
        """``host:port`` of the volume servers the master currently knows (via /dir/status)."""
        raw = self._get(f"{self.master_url}/dir/status")
        if raw is None:
            return set()
        topology = json.loads(raw).get("Topology", {})
        return {
            node["Url"]
            for dc in topology.get("DataCenters") or []
            for rack in dc.get("Racks") or []
            for node in rack.get("DataNodes") or []
        }

    def volume_url(self, index: int) -> str:
        return f"{self.host}:{self._part(f'volume{index}').port}"

    def start(self) -> EmbeddedSeaweedCluster:
        """Start every component in order and wait until S3 answers.

        Raises:
            StorageUnavailable: a component died or was not ready in time.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        write_identities(self.data_dir / "identities.json", self.access_key, self.secret_key)
        self._choose_ports()
        try:
            self._spawn("master")
            self._wait("master", lambda: self._get(f"{self.master_url}/cluster/status") is not None)
            for index in range(self.volume_count):
                self._spawn(f"volume{index}")
            wanted = {self.volume_url(i) for i in range(self.volume_count)}
            self._wait("volume servers", lambda: wanted <= self.volume_servers_up())
            self._spawn("filer")
            self._spawn("s3")
            self._wait(
                "S3 gateway", lambda: self._get(f"http://{self.endpoint}/healthz") is not None
            )
        except BaseException:
            self.stop()
            raise
        log.info("embedded SeaweedFS cluster on %s", self.endpoint)
        return self

    def stop_volume(self, index: int, *, kill: bool = False, timeout: float = 60.0) -> None:
        """Stop volume server ``index`` and wait until the master no longer lists it."""
        part = self._part(f"volume{index}")
        self._stop_part(part, sig=signal.SIGKILL if kill else signal.SIGTERM)
        url = self.volume_url(index)
        deadline = time.monotonic() + timeout
        while url in self.volume_servers_up():
            if time.monotonic() > deadline:
                raise StorageUnavailable(f"master still lists stopped volume server {url}")
            time.sleep(0.5)

    def start_volume(self, index: int) -> None:
        """Start volume server ``index`` again (same ports, same data) and wait for it."""
        self._spawn(f"volume{index}")
        url = self.volume_url(index)
        self._wait(f"volume server {url}", lambda: url in self.volume_servers_up())

    def _stop_part(self, part: _Part, *, sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
        process, part.process = part.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop(self, grace: float = 10.0) -> None:
        """Stop every component, gateway first. Idempotent; never raises."""
        for name in reversed(list(self._parts)):
            try:
                self._stop_part(self._parts[name], grace=grace)
            except OSError as exc:  # keep stopping the rest
                log.warning("stopping SeaweedFS %s: %s", name, exc)

    def _tail(self, names: list[str], lines: int = 3) -> str:
        tails = []
        for name in names:
            try:
                text = (self.data_dir / "logs" / f"{name}.out").read_text(errors="replace")
            except OSError:
                text = ""
            tails.append(f"{name}: " + " | ".join(text.strip().splitlines()[-lines:]))
        return "; ".join(tails)

    def __enter__(self) -> EmbeddedSeaweedCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["EmbeddedSeaweedCluster"]
