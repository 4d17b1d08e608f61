"""Property-based bad input: whatever the CSV, model name or version, the answer is a result or varlib's own
one-line error, and a rejected input writes nothing to the store."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varlib import ModelRegistry, open_store
from varlib.api import create_app
from varlib.cli import UNEXPECTED_EXIT, main
from varlib.errors import InvalidInput, StoreError, VarlibError
from varlib.naming import MODEL_NAME_PATTERN, Version

CASES = 1000
FUZZ = settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

dates = st.sampled_from(["2000-01-01", "2000-04-01", "1999Q4", "2001-Q2", "01/02/2003", "2003-13-01", "yesterday",
                         "2000-01-01T00:00:00", "", "2000-02-30", "1.5", "NaT"])  # fmt: skip
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "NA", "nan", ".", "-", "1e309", "0x10", "1,5", "true", " 3 ", "∞"]),
    st.text(max_size=8),
)
names = st.one_of(
    st.sampled_from(["date", "gdp", "cons", "", "date", "Unnamed: 1", "a,b", '"q"', "ü"]), st.text(max_size=6)
)


@st.composite
def tables(draw) -> bytes:
    columns = draw(st.lists(names, min_size=1, max_size=5))
    rows = draw(st.integers(0, 40))
    dated = draw(st.booleans())
    lines = [",".join(columns)]
    for i in range(rows):
        cells = [draw(numbers) for _ in columns]
        if dated:
            cells[0] = f"{2000 + i // 4}-{3 * (i % 4) + 1:02d}-01" if draw(st.integers(0, 9)) else draw(dates)
        lines.append(",".join(cells))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    return text.encode(encoding, errors="replace")


csv_inputs = st.one_of(
    tables(),
    st.binary(max_size=2000),
    st.sampled_from([b"", b"   \n\n", b"\x00\x01\x02", b"date\n", ("x," * 20000).encode() + b"\n1\n"]),
)


def run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


@FUZZ
@given(csv_inputs)
def test_any_csv_gives_a_result_or_one_clear_error_and_writes_nothing(data: bytes) -> None:
    workdir = Path(tempfile.mkdtemp())
    try:
        (workdir / "input.csv").write_bytes(data)
        store = workdir / "store"
        code, err = run_cli(["--store", f"file://{store}", "train", "--csv", str(workdir / "input.csv"),
                             "--max-lags", "2", "--test-size", "2", "--publish", "fuzz", "0.0.1"])  # fmt: skip
        assert code != UNEXPECTED_EXIT, err
        if code == 0:
            assert open_store(f"file://{store}").etag("fuzz/0_0_1/manifest.json") is not None
        else:
            assert err.startswith("error: ") and err.count("\n") == 1, err
            assert "Traceback" not in err
            assert open_store(f"file://{store}").list_keys("") == []  # nothing written
    finally:
        shutil.rmtree(workdir)


texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "..",
            "../x",
            "a/b",
            "var\n",
            " var",
            "var ",
            "ѵar",
            "VAR",
            "x" * 65,
            "",
            "latest",
            "0.0.1",
            "1.0.0-SNAPSHOT",
            "01.0.0",
            "1.0",
            "1_0_0",
            "%2e%2e",
            "var\x00",
            "１.0.0",
        ]
    ),
    st.from_regex(MODEL_NAME_PATTERN, fullmatch=True),
)


def valid_name(name: str) -> bool:
    return bool(MODEL_NAME_PATTERN.fullmatch(name))


def valid_version(text: str) -> bool:
    try:
        Version.parse(text)
    except InvalidInput:
        return False
    return True


# A registry on an address where nothing listens: any request it made would raise StoreError.
UNREACHABLE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "VARLIB_S3_TIMEOUT": "1"}


@FUZZ
@given(name=texts, version=texts)
def test_names_and_versions_are_validated_before_any_request(name: str, version: str, gdp_cons_result) -> None:
    registry = ModelRegistry(open_store("s3://models", UNREACHABLE))
    should_reach_store = valid_name(name) and valid_version(version)
    try:
        registry.planned_keys(name, version)
        registry.resolve(name, version) if version != "latest" else None
    except VarlibError as exc:
        assert isinstance(exc, InvalidInput), exc
        assert not should_reach_store
        assert str(exc).startswith(("Invalid model name", "Invalid version", "'latest' must be resolved"))
        return
    assert should_reach_store
    with pytest.raises(StoreError):  # valid input does reach the (unreachable) store
        registry.publish(gdp_cons_result, name, version)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory) -> TestClient:
    store = open_store(f"file://{tmp_path_factory.mktemp('api-store')}")
    return TestClient(create_app(ModelRegistry(store)), raise_server_exceptions=False)


@FUZZ
@given(name=texts, version=texts)
def test_the_service_answers_any_name_and_version_with_404_or_422(name: str, version: str, fuzz_client) -> None:
    path = f"/models/{quote(name, safe='')}/versions/{quote(version, safe='')}/forecast?steps=1"
    response = fuzz_client.get(path)
    assert response.status_code in (404, 422), (path, response.status_code, response.text)
    assert set(response.json()) == {"error", "message"}
