"""The service stays up while its store hangs: /healthz answers, verified releases keep being served.

A real `python -m varlib serve` process talks to the real S3 server through a proxy written here, which can
stop passing bytes on (the store hangs: connections open, nothing answers) at any moment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import unique_bucket
from tests.s3server import free_port_pairs
from varlib import ModelRegistry

ROOT = Path(__file__).resolve().parents[1]


class HangingProxy:
    """Forwards TCP to the S3 server until `hang()`: from then on it accepts and reads, but never answers."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.hanging = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def hang(self) -> None:
        self.hanging.set()

    def close(self) -> None:
        self.closed.set()
        for sock in [self.listener, *self.sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.hanging.is_set():
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _swallow(self, sock: socket.socket) -> None:
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    return
                while self.hanging.is_set() and not self.closed.is_set():
                    time.sleep(0.1)  # hold the bytes: the store stopped answering mid-conversation
                sink.sendall(data)
        except OSError:
            pass


def get(url: str, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0  # no answer in time
    return status, time.monotonic() - started


def test_a_hanging_store_does_not_stop_healthz_or_cached_releases(tmp_path, s3_server, gdp_cons_result) -> None:
    bucket = unique_bucket()
    ModelRegistry.from_settings(f"s3://{bucket}", s3_server.settings()).publish(gdp_cons_result, "var", "0.0.1")
    proxy = HangingProxy(s3_server.endpoint)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    env.update(s3_server.settings(AWS_ENDPOINT_URL=proxy.endpoint, VARLIB_S3_TIMEOUT="5"),
               VARLIB_STORE=f"s3://{bucket}", PYTHONPATH=str(ROOT))  # fmt: skip
    port = free_port_pairs(1)[0]
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    waiting = ThreadPoolExecutor(max_workers=80)
    try:
        deadline = time.monotonic() + 30
        while get(f"{base}/healthz", 2)[0] != 200:
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        pinned = f"{base}/models/var/versions/0.0.1/forecast?steps=4"
        assert get(pinned, 10)[0] == 200  # now verified and cached

        proxy.hang()
        # 80 requests that need the store (latest is resolved from the index every time) pile up ...
        stuck = [waiting.submit(get, f"{base}/models/var/versions/latest/forecast?steps=4", 60) for _ in range(80)]
        time.sleep(1.0)
        # ... while health checks and the cached release keep being answered, quickly.
        probes = []
        for _ in range(10):
            probes.append(("healthz", *get(f"{base}/healthz", 5)))
            probes.append(("pinned", *get(pinned, 5)))
            time.sleep(0.2)
        assert all(status == 503 for name, status, _ in probes if name == "healthz"), probes
        assert all(status == 200 for name, status, _ in probes if name == "pinned"), probes
        assert max(seconds for _, _, seconds in probes) < 3.5, probes
        health = json.loads(urllib.request.urlopen(f"{base}/models/var/versions/0.0.1").read())
        assert health["version"] == "0.0.1"
        outcomes = [future.result() for future in stuck]
        assert {status for status, _ in outcomes} <= {503}, outcomes  # each a clean 503, none left hanging
        assert max(seconds for _, seconds in outcomes) < 30, outcomes
    finally:
        waiting.shutdown(wait=False, cancel_futures=True)
        server.terminate()
        server.wait(timeout=10)
        proxy.close()
