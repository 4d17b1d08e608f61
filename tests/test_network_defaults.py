"""Safe defaults (issue 11): a fresh `streamlit run app.py` and `python -m varlib serve` listen on loopback only."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from tests.s3server import free_port_pairs

ROOT = Path(__file__).resolve().parents[1]


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_dashboard_config_binds_to_loopback() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_a_fresh_streamlit_run_listens_on_loopback_only(tmp_path) -> None:
    port = free_port_pairs(1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_", "STREAMLIT_"))}
    env["VARLIB_STORE"] = f"file://{tmp_path / 'store'}"
    # As the README says to run it, with only a port chosen so as not to clash: the address comes from the config.
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(150):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and nothing else (no 0.0.0.0, no ::)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_listens_on_loopback_by_default(tmp_path) -> None:
    port = free_port_pairs(1)[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    env |= {"VARLIB_STORE": f"file://{tmp_path / 'store'}", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "varlib", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        assert listening_addresses(port) == {"0100007F"}
    finally:
        process.terminate()
        process.wait(timeout=10)
