"""A real publisher process for fault tests: publishes the reference model to VARLIB_STORE.

    python tests/fault_publisher.py NAME VERSION [--note TEXT] [--pause-after N | --pause-before N] [--wait-go]
                                    [--lease SECONDS]

--pause-after N: after writing its N-th version object, print "paused" and wait for a line on stdin (so a test can
stop the store, or kill this process, between objects). --pause-before N: the same, before the N-th write (with the
publish lock held). --wait-go: print "ready" and wait for a line first (so several processes publish at the same
moment). --lease: the publish lock's lease (so a test need not wait 120 s for a lock to go stale). Exit codes are
the CLI's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from varlib import ModelRegistry, TrainSpec, VarlibError, load_macrodata, train
from varlib.registry import LOCK_FILE, locks


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("version")
    parser.add_argument("--note", default="")
    parser.add_argument("--pause-after", type=int, default=0)
    parser.add_argument("--pause-before", type=int, default=0)
    parser.add_argument("--wait-go", action="store_true")
    parser.add_argument("--lease", type=float)
    args = parser.parse_args()
    if args.lease is not None:
        locks.LOCK_LEASE_SECONDS = args.lease
    registry = ModelRegistry.from_settings()
    result = train(load_macrodata(), TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2))
    written = 0
    write = registry.store.write

    def pause() -> None:
        print("paused", flush=True)
        sys.stdin.readline()

    def write_then_maybe_pause(key: str, data: bytes, **options: object) -> str:
        nonlocal written
        if not key.endswith(LOCK_FILE) and written + 1 == args.pause_before:
            pause()
        etag = write(key, data, **options)
        if not key.endswith(LOCK_FILE):
            written += 1
            if written == args.pause_after:
                pause()
        return etag

    registry.store.write = write_then_maybe_pause
    if args.wait_go:
        print("ready", flush=True)
        sys.stdin.readline()
    try:
        receipt = registry.publish(result, args.name, args.version, note=args.note)
    except VarlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print("published" if receipt.index_updated else "published, index not updated", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
