"""A replicated SeaweedFS cluster on loopback, each component its own process: one master keeping two copies of
every object (`-defaultReplication=001`), three volume servers, a filer and an S3 gateway. The tests kill, stop
and restart components one by one; see ../shared/S3_TESTING.md for the flags.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.s3server import free_port_pairs, s3_settings, weed_binary, write_identities

VOLUME_SERVERS = 3


def _get_json(url: str, timeout: float = 2.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class SeaweedCluster:
    """Start the cluster; kill, stop and start its components by name: master, volume1..3, filer, s3."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.config = workdir / "identities.json"
        workdir.mkdir(parents=True, exist_ok=True)
        write_identities(self.config)
        ports = free_port_pairs(3 + VOLUME_SERVERS)
        self.master_port, self.filer_port, self.s3_port = ports[:3]
        self.volume_ports = ports[3:]
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def master(self) -> str:
        return f"http://127.0.0.1:{self.master_port}"

    @property
    def filer(self) -> str:
        return f"http://127.0.0.1:{self.filer_port}"

    def settings(self, **overrides: str) -> dict[str, str]:
        return s3_settings(self.endpoint, **overrides)

    def _command(self, component: str) -> list[str]:
        common = ["-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        data = self.workdir
        if component == "master":
            return ["master", *common, f"-port={self.master_port}", f"-mdir={data / 'master'}", "-peers=none",
                    "-defaultReplication=001", "-volumeSizeLimitMB=64", "-telemetry=false"]  # fmt: skip
        if component.startswith("volume"):
            number = int(component.removeprefix("volume"))
            return ["volume", *common, f"-port={self.volume_ports[number - 1]}", f"-dir={data / component}",
                    "-max=20", f"-master=127.0.0.1:{self.master_port}", "-dataCenter=dc1", "-rack=r1",
                    "-minFreeSpace=1"]  # fmt: skip
        if component == "filer":
            return ["filer", *common, f"-port={self.filer_port}", f"-master=127.0.0.1:{self.master_port}",
                    f"-defaultStoreDir={data / 'filer'}", f"-localSocket={data / 'filer.sock'}"]  # fmt: skip
        if component == "s3":
            return ["s3", *common, f"-port={self.s3_port}", f"-filer=127.0.0.1:{self.filer_port}",
                    f"-config={self.config}", "-port.iceberg=0", "-port.lance=0",
                    f"-localSocket={data / 's3.sock'}"]  # fmt: skip
        raise ValueError(component)

    def start(self) -> None:
        self.start_component("master")
        for number in range(1, VOLUME_SERVERS + 1):
            self.start_component(f"volume{number}")
        self.start_component("filer")
        self.start_component("s3")

    def start_component(self, component: str) -> None:
        for folder in ("master", "filer", *(f"volume{n}" for n in range(1, VOLUME_SERVERS + 1))):
            (self.workdir / folder).mkdir(exist_ok=True)
        with open(self.workdir / f"{component}.log", "ab") as log:  # a file: a full pipe would block the server
            self.processes[component] = subprocess.Popen([weed_binary(), *self._command(component)], stdout=log,
                                                         stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self._wait_ready(component, time.monotonic() + 60)

    def _wait_ready(self, component: str, deadline: float) -> None:
        while True:
            process = self.processes[component]
            if process.poll() is not None:
                raise RuntimeError(f"weed {component} exited with {process.returncode}; see {component}.log")
            if self._ready(component):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"weed {component} was not ready within 60 s; see {self.workdir}/{component}.log")
            time.sleep(0.2)

    def _ready(self, component: str) -> bool:
        try:
            if component == "master":
                return bool(_get_json(f"{self.master}/cluster/status").get("IsLeader"))
            if component.startswith("volume"):
                port = self.volume_ports[int(component.removeprefix("volume")) - 1]
                return f"127.0.0.1:{port}" in self.live_volume_servers()
            if component == "filer":
                urllib.request.urlopen(f"{self.filer}/", timeout=2).read()
                return True
            urllib.request.urlopen(f"{self.endpoint}/", timeout=2)
            return True
        except urllib.error.HTTPError:
            return component == "s3" or component == "filer"  # 403 without credentials: the gateway is up
        except (OSError, ValueError):
            return False

    def live_volume_servers(self) -> set[str]:
        """The volume servers the master counts as alive."""
        topology = _get_json(f"{self.master}/dir/status")["Topology"]
        return {node["Url"] for center in topology.get("DataCenters") or [] for rack in center.get("Racks") or []
                for node in rack.get("DataNodes") or []}  # fmt: skip

    def kill(self, component: str) -> None:
        """SIGKILL: the process dies mid-write, as on a crash or an out-of-memory kill."""
        process = self.processes.pop(component)
        process.kill()
        process.wait(timeout=10)

    def stop(self, component: str) -> None:
        process = self.processes.pop(component)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def copies(self, bucket: str, key: str) -> list[set[str]]:
        """For each chunk of an object, the volume servers holding a copy of it (from the filer and the master)."""
        entry = _get_json(f"{self.filer}/buckets/{bucket}/{key}?metadata=true")
        holders = []
        for chunk in entry.get("chunks") or []:
            volume = str(chunk["fid"]["volume_id"] if isinstance(chunk.get("fid"), dict) else chunk["file_id"])
            volume = volume.split(",")[0]
            lookup = _get_json(f"{self.master}/dir/lookup?volumeId={volume}")
            holders.append({location["url"] for location in lookup.get("locations") or []})
        return holders

    def shutdown(self) -> None:
        for component in list(self.processes):
            try:
                os.killpg(self.processes[component].pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
