"""The real browser path: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Train -> publish -> forecast -> download the CSV, on the local store and on a real S3 server.
Screenshots of each page land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import unique_bucket
from tests.s3server import SECRET_KEY, free_port_pairs
from varlib import ModelRegistry, open_store

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


class StreamlitServer:
    def __init__(self, env: dict[str, str], workdir: Path, port: int | None = None, script: Path | None = None) -> None:
        self.port = port or free_port_pairs(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "streamlit.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
        with open(self.log_path, "wb") as log:  # a file, not a pipe: a full pipe would block the server
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"), "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(self.port),
                 "--browser.gatherUsageStats", "false"],
                cwd=workdir, env={**clean, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(params=["file", "s3"])
def app_server(request, tmp_path) -> Iterator[tuple[StreamlitServer, dict[str, str]]]:
    if request.param == "file":
        env = {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    else:
        env = {"VARLIB_STORE": f"s3://{unique_bucket()}", **request.getfixturevalue("s3_server").settings()}
    server = StreamlitServer(env, tmp_path)
    yield server, env
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium (the CI script does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# A note as a hostile publisher might write it: an image (a tracking pixel), a link, a bare address, an email.
NOTE = "Round 1 ![px](http://tracker.example/p.png) [log in](http://phish.example) www.phish.example a@phish.example"


def settle(page: Page) -> None:
    """Wait until the script has finished running (Streamlit's own e2e tests do the same)."""
    page.wait_for_selector(IDLE, timeout=60_000)


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_train_publish_forecast_download_in_a_browser(app_server, browser, request) -> None:
    server, env = app_server
    backend = request.node.callspec.params["app_server"]
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url)
    settle(page)
    expect(page.get_by_role("heading", name="Train a VAR")).to_be_visible()
    expect(page.get_by_text("Store answers")).to_be_visible()

    page.get_by_role("button", name="Compute lag criteria").click()
    expect(page.get_by_text("Selected: AIC p=3, BIC p=1, HQIC p=2, FPE p=3")).to_be_visible()
    settle(page)
    page.get_by_role("button", name="Fit VAR").click()
    expect(page.get_by_role("heading", name="4. Result")).to_be_visible()
    settle(page)
    shoot(page, f"train-{backend}")

    page.get_by_role("link", name="Publish").first.click()
    expect(page.get_by_role("heading", name="Publish a version")).to_be_visible()
    settle(page)
    page.get_by_label("Note").fill(NOTE)
    page.keyboard.press("Tab")
    settle(page)
    version_field = page.get_by_role("textbox", name="Version")
    version_field.fill("0.0.1")  # typed, then the SNAPSHOT toggle back and forth: the typed version survives
    page.keyboard.press("Tab")
    settle(page)
    snapshot = page.get_by_text("SNAPSHOT (may be replaced or deleted later)")
    snapshot.click()
    settle(page)
    expect(version_field).to_have_value("0.0.1-SNAPSHOT")
    snapshot.click()
    settle(page)
    expect(version_field).to_have_value("0.0.1")
    publish_button = page.get_by_role("button", name="Publish", exact=True)
    expect(publish_button).to_be_disabled()  # a release asks first: it is permanent
    page.get_by_text("Release var 0.0.1 is permanent").click()
    settle(page)
    publish_button.click()
    expect(page.get_by_text("Published var 0.0.1 to the")).to_be_visible()
    settle(page)
    expect(publish_button).to_be_disabled()  # a second click publishes nothing
    shoot(page, f"publish-{backend}")

    page.get_by_role("link", name="Forecast with var 0.0.1").click()
    expect(page.get_by_role("heading", name="Forecast", exact=True)).to_be_visible()
    download_button = page.get_by_role("button", name="Download forecast CSV")
    expect(download_button).to_be_visible()
    settle(page)
    version_box = page.get_by_role("combobox", name="Version (newest first)")
    expect(version_box).to_have_value(re.compile(r"^0\.0\.1 · .* · p=3 · test RMSE"))  # the one just published
    page.get_by_text("Version 0.0.1 metadata").click()
    expect(page.get_by_text("tracker.example/p.png")).to_be_visible()  # the note is there, as text:
    assert page.locator("a[href*='example'], img[src*='example']").count() == 0  # no link, no image
    shoot(page, f"forecast-{backend}")
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename == "var-0.0.1-forecast-from-data-95pct.csv"
    downloaded = Path(download.path()).read_bytes()
    expected = ModelRegistry(open_store(env["VARLIB_STORE"], env)).load("var", "0.0.1").forecast_csv(12)
    assert downloaded == expected.encode()
    assert downloaded.decode().count("\n") == 13  # header + 12 steps

    page.get_by_role("link", name="Registry").first.click()
    expect(page.get_by_role("heading", name="Checksums")).to_be_visible()
    settle(page)
    shoot(page, f"registry-{backend}")
    assert SECRET_KEY not in page.content()
    context.close()


def test_an_uploaded_file_survives_a_page_switch_in_a_browser(browser, tmp_path) -> None:
    """Issue 12: the uploaded file was lost when the analyst switched pages and came back to Train."""
    server = StreamlitServer({"VARLIB_STORE": f"file://{tmp_path / 'store'}"}, tmp_path)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url)
        settle(page)
        page.get_by_text("Upload a file (CSV or Excel)").click()
        settle(page)
        page.locator("input[type=file]").set_input_files(str(ROOT / "tests" / "data" / "nyse_business_days.tsv"))
        expect(page.get_by_text("are business days, with 9 missing from the calendar")).to_be_visible()
        settle(page)
        page.get_by_role("combobox", name="Calendar gaps").click()
        page.get_by_role("option", name="carry forward").click()
        expect(page.get_by_text("Note: filled 9 missing business days")).to_be_visible()
        settle(page)
        page.get_by_role("button", name="Compute lag criteria").click()
        expect(page.get_by_role("heading", name="3. Fit")).to_be_visible()
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Forecast").click()
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
        settle(page)
        expect(page.get_by_text("Using nyse_business_days.tsv")).to_be_visible()
        expect(page.get_by_role("combobox", name="Calendar gaps")).to_have_value("carry forward")
        expect(page.get_by_role("heading", name="3. Fit")).to_be_visible()  # its lag table, still
        page.get_by_role("button", name="Fit VAR").click()  # and the next click still has the file
        expect(page.get_by_role("heading", name="4. Result")).to_be_visible()
        settle(page)
        shoot(page, "train-uploaded-after-switch")
        assert page.get_by_text("Upload a CSV or Excel file to continue").count() == 0
    finally:
        server.stop()


def test_no_page_reaches_outside_the_machine_or_logs_an_error(browser, tmp_path, macrodata) -> None:
    """Issue 13: the page icon was fetched from a font CDN: console errors offline and no favicon."""
    from varlib import TrainSpec, train

    store = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(store)).publish(
        train(macrodata, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2)), "gdp", "1.0.0"
    )
    server = StreamlitServer({"VARLIB_STORE": store}, tmp_path)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
        page.set_default_timeout(60_000)
        elsewhere, errors = [], []
        own = (server.url, server.url.replace("http", "ws"), "data:", "blob:")
        page.on("request", lambda request: None if request.url.startswith(own) else elsewhere.append(request.url))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(server.url)
        settle(page)
        for name in ("Publish", "Forecast", "Refresh", "Analyze", "Compare", "Registry", "Train"):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
            settle(page)
            shoot(page, f"page-{name.lower()}")  # one per page, for a person to look at
        page.wait_for_timeout(1000)  # late requests (the favicon) arrive after the script has run
        assert elsewhere == [] and errors == []
        icon = page.locator("link[rel*='icon']").first.get_attribute("href")
        assert icon is not None and (not icon.startswith("http") or icon.startswith(server.url))  # served here
    finally:
        server.stop()


def test_an_eight_variable_model_reads_on_the_analyze_page_in_a_browser(browser, tmp_path, macrodata) -> None:
    """Issue 13: 64 tiny impulse-response panels; every click on Analyze took about 5 s with them on screen."""
    from varlib import TrainSpec, train

    eight = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]
    transforms = dict.fromkeys(eight, "logdiff") | {"tbilrate": "diff"}
    store = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(store)).publish(
        train(macrodata, TrainSpec.build(eight, transforms, lags=6, max_lags=8)), "macro8", "1.0.0"
    )
    server = StreamlitServer({"VARLIB_STORE": store}, tmp_path)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url)
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Analyze").click()
        expect(page.get_by_text("Analyzing macro8 1.0.0, VAR(6)")).to_be_visible()
        settle(page)
        page.get_by_role("tab", name="Impulse responses").click()
        settle(page)
        page.get_by_role("button", name="Compute impulse responses and FEVD").click()
        expect(page.get_by_text("Forecast error variance decomposition")).to_be_visible()
        settle(page)
        expect(page.get_by_text("realgdp ← shock to realgdp")).to_be_visible()  # one shock, eight readable panels
        shoot(page, "analyze-8-variables-impulse-responses")
        started = time.monotonic()
        page.get_by_role("tab", name="Diagnostics").click()
        expect(page.get_by_text("Residual tests")).to_be_visible()
        page.get_by_role("tab", name="Impulse responses").click()
        expect(page.get_by_text("Forecast error variance decomposition")).to_be_visible()  # kept, not recomputed
        settle(page)
        assert time.monotonic() - started < 5  # two tab switches, with everything computed before

        page.get_by_role("tab", name="Backtest").click()
        settle(page)
        page.get_by_text("Re-select p at each origin").click()
        page.get_by_role("button", name="Run backtest").click()
        expect(page.get_by_role("button", name="Download backtest errors (CSV)")).to_be_visible()
        settle(page)
        shoot(page, "analyze-8-variables-backtest")
    finally:
        server.stop()


def test_long_work_shows_progress_and_a_cancel_stops_it_in_a_browser(browser, tmp_path) -> None:
    """Issue 13: long work showed nothing for seconds and could not be stopped. The pages' helper, on work that
    takes 20 s: its progress shows at once, and Cancel stops it within a step."""
    server = StreamlitServer({}, tmp_path, script=ROOT / "tests" / "fixtures" / "cancellable_app.py")
    try:
        page = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url)
        settle(page)
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_text(re.compile(r"Step 1 of 100"))).to_be_visible(timeout=5_000)
        expect(page.get_by_text(re.compile(r"Step [3-9] of 100"))).to_be_visible(timeout=10_000)
        clicked = time.monotonic()
        page.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text("Slow work cancelled; nothing was kept.")).to_be_visible(timeout=10_000)
        settle(page)
        assert time.monotonic() - clicked < 5  # stopped at its next step, not after its 20 s
        assert page.get_by_text("Finished").count() == 0
        page.get_by_role("button", name="Start").click()  # and it can start again
        expect(page.get_by_text(re.compile(r"Step 1 of 100"))).to_be_visible(timeout=5_000)
    finally:
        server.stop()


def test_an_edited_exogenous_path_moves_the_forecast_and_its_csv_in_a_browser(browser, tmp_path, macrodata) -> None:
    """AppTest cannot edit a data editor: a real browser types a new value into the path of tbilrate."""
    import pandas as pd

    from varlib import TrainSpec, train

    url = f"file://{tmp_path / 'store'}"
    transforms = {"realgdp": "logdiff", "realcons": "logdiff", "tbilrate": "diff"}
    spec = TrainSpec.build(["realgdp", "realcons"], transforms, exog=["tbilrate"], test_size=12, lags=2)
    ModelRegistry(open_store(url)).publish(train(macrodata, spec), "gdpx", "1.0.0")
    server = StreamlitServer({"VARLIB_STORE": url}, tmp_path)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(server.url)
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Forecast").click()
        settle(page)
        expect(page.get_by_text("Path of the exogenous variables (tbilrate)")).to_be_visible()
        version = ModelRegistry(open_store(url)).load("gdpx", "1.0.0")
        dates = version.production.forecast_dates(12)
        path = pd.DataFrame({"tbilrate": [5.0] + [float(version.levels["tbilrate"].iloc[-1])] * 11}, index=dates)
        expected = version.forecast_csv(12, exog_path=path)
        editor = page.get_by_test_id("stDataFrame").first
        # The grid draws after the script has run and the edit reruns it after a debounce; both take longer on
        # a loaded machine. So type the value (setting it again is harmless) and download until the CSV shows it,
        # three times at most, rather than after fixed waits.
        for _attempt in range(3):
            page.wait_for_timeout(800)
            box = editor.bounding_box()
            page.mouse.dblclick(box["x"] + 130, box["y"] + 52)  # tbilrate in the first forecast quarter
            page.wait_for_timeout(300)  # the cell's editor opens and takes the focus
            page.keyboard.press("Control+A")
            page.keyboard.type("5")
            page.keyboard.press("Enter")
            deadline = time.monotonic() + 10
            while True:
                page.wait_for_timeout(500)
                settle(page)
                with page.expect_download() as download_info:
                    page.get_by_role("button", name="Download forecast CSV").click()
                downloaded = Path(download_info.value.path()).read_text()
                if downloaded == expected or time.monotonic() > deadline:
                    break
            if downloaded == expected:
                break
        assert downloaded == expected
        assert downloaded != version.forecast_csv(12, exog_path=path.assign(tbilrate=path["tbilrate"].iloc[-1]))
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
        server.stop()
