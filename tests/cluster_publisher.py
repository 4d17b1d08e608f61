"""A publishing process for the cluster drills: publishes COUNT versions MAJOR.MINOR.0 ... of NAME to
VARLIB_STORE, one after another, and appends one JSON line per attempt to REPORT:

    {"version": "1.2.0", "outcome": "published" | "exists" | "unknown" | "failed", "error": "...", "listed": bool}

    python tests/cluster_publisher.py NAME MAJOR.MINOR COUNT REPORT [--pause SECONDS] [--versions 1.2.3,1.2.5]

The models differ by version (lags and test rows cycle through twelve variants), so that answers for different
versions differ too and a replica answering for the wrong one would show.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from varlib import ModelRegistry, TrainSpec, VarlibError, load_macrodata, train
from varlib.errors import OutcomeUnknown, VersionExists

VARIANTS = [(lags, test_size) for lags in (1, 2, 3) for test_size in (8, 9, 10, 11)]


def variant_of(version: str) -> tuple[int, int]:
    return VARIANTS[int(version.rsplit(".", 1)[1]) % len(VARIANTS)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("series", help="MAJOR.MINOR: the versions published are MAJOR.MINOR.0, .1, ...")
    parser.add_argument("count", type=int)
    parser.add_argument("report", type=Path)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between publishes")
    parser.add_argument("--versions", default="", help="publish exactly these (a retry of failed ones)")
    args = parser.parse_args()
    registry = ModelRegistry.from_settings()
    data = load_macrodata()
    results = {
        variant: train(data, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=variant[0], test_size=variant[1]))
        for variant in VARIANTS
    }
    versions = args.versions.split(",") if args.versions else [f"{args.series}.{i}" for i in range(args.count)]
    print("ready", flush=True)
    with open(args.report, "a") as report:
        for version in versions:
            line: dict[str, object] = {"version": version}
            try:
                receipt = registry.publish(results[variant_of(version)], args.name, version)
                line |= {"outcome": "published", "listed": receipt.index_updated}
            except VersionExists as exc:
                line |= {"outcome": "exists", "error": str(exc)}
            except OutcomeUnknown as exc:
                line |= {"outcome": "unknown", "error": str(exc)}
            except VarlibError as exc:
                line |= {"outcome": "failed", "error": str(exc)}
            report.write(json.dumps(line) + "\n")
            report.flush()
            time.sleep(args.pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
