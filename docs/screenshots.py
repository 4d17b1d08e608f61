"""The README's screenshots: one per page, from a real server and Chromium, on a store set up as in a forecasting
round (run by hand after a change to what the pages show).

    python docs/screenshots.py

The store: gdp 1.0.0 (realgdp, realcons, realinv; trained on the built-in data to 2008Q3), its refresh 1.1.0 with
the four quarters after, @production on 1.1.0, and an 8-variable VAR(6) for Analyze. Pictures land in docs/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, StreamlitServer, settle  # noqa: E402
from varlib import Dataset, ModelRegistry, TrainSpec, load_macrodata, open_store, train  # noqa: E402
from varlib.refresh import refresh  # noqa: E402

DOCS = ROOT / "docs"
EIGHT = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]


def round_store(folder: Path) -> str:
    url = f"file://{folder / 'store'}"
    registry = ModelRegistry(open_store(url))
    full = load_macrodata()
    to_2008q3 = Dataset(full.frame.loc[:"2008-07-01"], full.freq, full.source)
    spec = TrainSpec.build(["realgdp", "realcons", "realinv"], "logdiff", test_size=8, max_lags=8)
    registry.publish(train(to_2008q3, spec), "gdp", "1.0.0", note="2008Q3 round")
    refreshed = refresh(registry.load("gdp", "1.0.0"), full)
    registry.publish(refreshed.result, "gdp", "1.1.0", note="2009Q3 round: four new quarters")
    registry.set_alias("gdp", "production", "1.1.0", note="the 2009Q3 round")
    transforms = dict.fromkeys(EIGHT, "logdiff") | {"tbilrate": "diff"}
    registry.publish(train(full, TrainSpec.build(EIGHT, transforms, lags=6)), "macro8", "1.0.0")
    return url


def go(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    settle(page)


def to_top(page: Page, locator) -> None:
    locator.first.evaluate("element => element.scrollIntoView({block: 'start'})")


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(500)  # charts finish drawing after the script has run
    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)
    print(f"docs/{name}.png")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="varlib-screenshots-"))
    server = StreamlitServer({"VARLIB_STORE": round_store(folder)}, folder)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            page.goto(server.url)
            settle(page)
            page.get_by_role("button", name="Compute lag criteria").click()
            settle(page)
            page.get_by_role("button", name="Fit VAR").click()
            settle(page)
            to_top(page, page.get_by_role("heading", name="2. Lag selection"))
            shoot(page, "train")
            go(page, "Publish")
            shoot(page, "publish")
            go(page, "Forecast")
            page.get_by_role("combobox", name="Model").click()
            page.get_by_role("option", name="gdp").click()
            settle(page)
            shoot(page, "forecast")
            go(page, "Refresh")
            page.get_by_role("combobox", name="Version to refresh").click()
            page.get_by_role("option", name="1.0.0 ·").click()
            settle(page)
            page.get_by_test_id("stBaseButton-primaryFormSubmit").click()  # the form's, not the sidebar's Refresh
            settle(page)
            to_top(page, page.get_by_role("heading", name="2. What changed"))
            shoot(page, "refresh")
            go(page, "Compare")
            to_top(page, page.get_by_role("heading", name="Test accuracy"))
            shoot(page, "compare")
            go(page, "Registry")
            shoot(page, "registry")
            go(page, "Analyze")
            page.get_by_text("Stored version").click()  # not the fit on Train
            settle(page)
            page.get_by_role("combobox", name="Stored model").click()
            page.get_by_role("option", name="macro8").click()
            settle(page)
            page.get_by_role("tab", name="Impulse responses").click()
            settle(page)
            page.get_by_role("button", name="Compute impulse responses and FEVD").click()
            settle(page)
            to_top(page, page.get_by_role("tab", name="Impulse responses"))
            shoot(page, "analyze")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
