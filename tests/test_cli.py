"""The command line: the issue's reference commands against a real S3 server, output formats, and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR

from tests.s3server import SECRET_KEY
from varlib import load_macrodata
from varlib.cli import main
from varlib.store import open_store

ROOT = Path(__file__).resolve().parents[1]
TRAIN = [
    "train", "--dataset", "macrodata", "--columns", "realgdp,realcons", "--transform", "logdiff",
    "--test-size", "12", "--max-lags", "12", "--ic", "aic",
]  # fmt: skip


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    full_env.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "varlib", *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def statsmodels_level_forecast(steps: int) -> np.ndarray:
    """statsmodels' own forecast of the reference model, taken back to levels by hand."""
    levels = load_macrodata().frame[["realgdp", "realcons"]].iloc[:-12]
    logged = np.log(levels.to_numpy())
    results = VAR(np.diff(logged, axis=0)).fit(maxlags=12, ic="aic", trend="c")
    steps_ahead = results.forecast(np.diff(logged, axis=0)[-results.k_ar :], steps)
    return np.exp(logged[-1] + np.cumsum(steps_ahead, axis=0))


def test_reference_commands_against_s3(s3_server, tmp_path) -> None:
    env = {"VARLIB_STORE": "s3://models", **s3_server.settings()}
    trained = run_cli([*TRAIN, "--publish", "var", "0.0.1"], env, tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "Chosen lag order: p = 3 (AIC)" in trained.stdout
    bucket = open_store("s3://models", s3_server.settings())
    assert bucket.list_keys("var/0_0_1/") == [
        f"var/0_0_1/{f}" for f in ("manifest.json", "model.json", "test.csv", "train.csv")
    ]

    forecast = run_cli(["forecast", "var", "0.0.1", "--steps", "12", "--origin", "train", "--csv", "out.csv"], env,
                       tmp_path)  # fmt: skip
    assert forecast.returncode == 0, forecast.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == [
        "date", "realgdp", "realgdp_lower", "realgdp_upper", "realgdp_actual",
        "realcons", "realcons_lower", "realcons_upper", "realcons_actual", "origin", "interval_level",
    ]  # fmt: skip
    assert set(out["origin"]) == {"train"} and set(out["interval_level"]) == {95}
    assert len(out) == 12 and out["date"].iloc[0] == "2006-10-01" and out["date"].iloc[-1] == "2009-07-01"
    np.testing.assert_allclose(out[["realgdp", "realcons"]].to_numpy(), statsmodels_level_forecast(12), rtol=1e-12)
    actual = load_macrodata().frame[["realgdp", "realcons"]].iloc[-12:].to_numpy()
    np.testing.assert_allclose(out[["realgdp_actual", "realcons_actual"]].to_numpy(), actual)
    assert (out["realgdp_lower"] < out["realgdp"]).all() and (out["realgdp"] < out["realgdp_upper"]).all()

    again = run_cli([*TRAIN, "--publish", "var", "0.0.1"], env, tmp_path)
    assert again.returncode == 4
    assert again.stderr.count("\n") == 1 and "already exists in the S3 store" in again.stderr
    assert SECRET_KEY not in again.stderr + again.stdout + trained.stdout


def test_forecast_beyond_test_data_leaves_actual_blank_and_latest_works(tmp_path, capsys) -> None:
    store = f"file://{tmp_path / 'store'}"
    assert main(["--store", store, *TRAIN, "--publish", "var", "0.0.1"]) == 0
    capsys.readouterr()
    assert main(["--store", store, "forecast", "var", "latest", "--steps", "14", "--origin", "train"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 15  # header + exactly 14 steps
    assert lines[-1].startswith("2010-01-01,") and lines[-1].endswith(",,train,95.0")
    assert lines[-3].endswith(",2009-07-01") is False and lines[-3].count(",,") == 0  # 2009Q3: inside the test data


def test_json_output_of_every_command(tmp_path, capsys) -> None:
    store = ["--store", f"file://{tmp_path / 'store'}"]
    assert main([*store, *TRAIN, "--publish", "var", "0.0.1", "--note", "first", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["lag_order"] == 3 and trained["lag_selection"]["selected"]["bic"] == 1
    assert trained["published"]["keys"][-1] == "var/0_0_1/manifest.json"
    assert main([*store, "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ["var"]
    assert main([*store, "list", "var", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["version"] == "0.0.1" and listed[0]["lag_order"] == 3 and listed[0]["note"] == "first"
    assert main([*store, "show", "var", "latest", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["metadata"]["model"]["lag_order"] == 3 and "model.json" in shown["manifest"]["objects"]
    assert main([*store, "forecast", "var", "0.0.1", "--steps", "2", "--alpha", "0.1", "--origin", "train",
                 "--json"]) == 0  # fmt: skip
    forecast = json.loads(capsys.readouterr().out)
    assert [row["date"] for row in forecast["forecast"]] == ["2006-10-01", "2007-01-01"]
    assert set(forecast["forecast"][0]["realgdp"]) == {"point", "lower", "upper", "actual"}
    assert forecast["origin"] == "train" and forecast["interval_level"] == 90 and not forecast["evaluation_only"]
    assert main([*store, "forecast", "var", "0.0.1", "--steps", "2", "--json"]) == 0
    ahead = json.loads(capsys.readouterr().out)
    assert ahead["origin"] == "data" and [row["date"] for row in ahead["forecast"]] == ["2009-10-01", "2010-01-01"]
    assert set(ahead["forecast"][0]["realgdp"]) == {"point", "lower", "upper"}
    assert main([*store, "reindex", "var", "--json"]) == 0
    assert [v["version"] for v in json.loads(capsys.readouterr().out)["versions"]] == ["0.0.1"]


def test_per_variable_transforms_and_fixed_lags(tmp_path, capsys) -> None:
    args = ["--store", f"file://{tmp_path}", "train", "--columns", "realgdp,realcons,infl"]
    args += ["--transform", "realgdp=logdiff,realcons=logdiff", "--lags", "2", "--trend", "ct", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["transforms"] == {"realgdp": "logdiff", "realcons": "logdiff", "infl": "none"}
    assert out["lag_order"] == 2 and out["chosen_by"] == "fixed" and out["trend"] == "ct"


def test_train_from_csv(tmp_path, capsys) -> None:
    frame = load_macrodata().frame[["realgdp", "realcons"]]
    frame.index = frame.index.to_period("Q").astype(str)
    frame.index.name = "quarter"
    frame.to_csv(tmp_path / "macro.csv")
    assert main(["--store", f"file://{tmp_path}", "train", "--csv", str(tmp_path / "macro.csv"), "--transform",
                 "logdiff", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["lag_order"] == 3


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["forecast", "var", "9.9.9", "--steps", "3"], 3, "error: Version 9.9.9 of model 'var' does not exist in the"),
        (["forecast", "var", "../etc", "--steps", "3"], 2, "error: Invalid version '../etc'"),
        (["forecast", "Var", "0.0.1", "--steps", "3"], 2, "error: Invalid model name 'Var'"),
        (["forecast", "var", "0.0.1", "--steps", "0"], 2, "error: Forecast steps must be a whole number from 1 to"),
        (
            ["forecast", "var", "0.0.1", "--steps", "3", "--alpha", "2"],
            2,
            "error: Interval alpha must be at least 1e-06 and below 1",
        ),
        (["forecast", "var", "0.0.1", "--steps", "x"], 2, "error: argument --steps: invalid int value: 'x'"),
        (["train", "--columns", "realgdp"], 2, "error: A VAR needs at least 2 variables, got 1."),
        (["train", "--columns", "realgdp,nope"], 2, "error: statsmodels macrodata (US, quarterly): no variable 'nope'"),
        (["train", "--csv", "missing.csv"], 2, "error: CSV missing.csv: file not found."),
        (["train", "--columns", "a,b", "--publish", "var", "1.0"], 2, "error: Invalid version '1.0'"),
        (
            ["delete", "var", "0.0.1"],
            2,
            "error: Version 0.0.1 of model 'var' is a release; releases cannot be deleted.",
        ),
        (["--store", "gs://x", "list"], 6, "error: Unknown store scheme 'gs' in VARLIB_STORE"),
    ],
)
def test_errors_are_one_line_with_exit_code(tmp_path, capsys, monkeypatch, args, code, message) -> None:
    monkeypatch.chdir(tmp_path)
    base = [] if args[0] == "--store" else ["--store", f"file://{tmp_path / 'store'}"]
    if not args[0].startswith("--"):
        assert main([*base, *TRAIN, "--publish", "var", "0.0.1"]) == 0
        capsys.readouterr()
    try:
        result = main([*base, *args])
    except SystemExit as exc:  # argparse's own errors exit from inside the parser
        result = exc.code
    err = capsys.readouterr().err
    assert result == code
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_csv_in_a_real_process_prints_one_line(tmp_path) -> None:
    (tmp_path / "bad.csv").write_text("date,a,b\n2000-01-01,1,2\n2000-02-01,x,3\n2000-03-01,2,4\n")
    done = run_cli(["train", "--csv", "bad.csv"], {"VARLIB_STORE": f"file://{tmp_path}"}, tmp_path)
    assert done.returncode == 2
    assert done.stderr == "error: CSV bad.csv: non-numeric value 'x' in column 'a', line 3.\n"


def test_store_down_in_a_real_process_prints_one_line(tmp_path) -> None:
    env = {
        "VARLIB_STORE": "s3://models",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "someone",
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    done = run_cli(["list", "var"], env, tmp_path)
    assert done.returncode == 6
    assert done.stderr == (
        "error: Failed reading var/index.json: cannot reach the S3 store http://127.0.0.1:9 (bucket models) "
        "(connection refused).\n"
    )
    assert SECRET_KEY not in done.stderr + done.stdout


def test_serve_on_a_busy_port_is_one_line(tmp_path, capsys) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["--store", f"file://{tmp_path}", "serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: Cannot serve on 127.0.0.1:{port}: Address already in use.\n"
