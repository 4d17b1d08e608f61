"""The dashboard's login in a real browser (issue 11): `streamlit run` with Streamlit's st.login against a real
OpenID Connect provider on loopback (oidc-provider-mock), a viewer and a publisher logging in through it.

The viewer sees no write control and cannot publish; the publisher publishes, and the stored version records them.
(The library refusing a viewer's write is in tests/test_access.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.s3server import free_port_pairs
from tests.test_browser import StreamlitServer, browser, settle, shoot  # noqa: F401 - the browser fixture
from varlib import ModelRegistry, open_store

USERS = {"ana": "ana@bank.example", "vic": "vic@bank.example"}


class OidcProvider:
    """oidc-provider-mock on loopback with two predefined users (their e-mail as a claim)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port_pairs(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        claims = [arg for sub, email in USERS.items()
                  for arg in ("--user-claims", json.dumps({"sub": sub, "email": email}))]  # fmt: skip
        with open(workdir / "oidc.log", "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "-p", str(self.port), *claims],
                                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{self.url}/.well-known/openid-configuration", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the OpenID Connect provider did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def login_app(tmp_path) -> Iterator[tuple[StreamlitServer, OidcProvider, str]]:
    provider = OidcProvider(tmp_path)
    store = f"file://{tmp_path / 'store'}"
    port = free_port_pairs(1)[0]
    secrets = tmp_path / ".streamlit" / "secrets.toml"  # the app runs in tmp_path: its own .streamlit
    secrets.parent.mkdir()
    secrets.write_text(
        f'VARLIB_STORE = "{store}"\n'
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{"c" * 40}"\n'
        'client_id = "varlib"\n'
        f'client_secret = "{"s" * 40}"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n'
        "[varlib.roles]\n"
        'publishers = ["ana@bank.example"]\n'
        'viewers = ["*"]\n'
    )
    server = StreamlitServer({}, tmp_path, port=port)
    yield server, provider, store
    server.stop()
    provider.stop()


def log_in(page: Page, server: StreamlitServer, provider: OidcProvider, sub: str) -> None:
    page.goto(server.url)
    settle(page)
    expect(page.get_by_text("Log in to see and use the models in this store.")).to_be_visible()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{provider.url}/**")
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's predefined user
    page.wait_for_url(f"{server.url}/**")
    settle(page)
    expect(page.get_by_text(f"Logged in as {USERS[sub]}".replace("@", "@\u200b"))).to_be_visible()


def train_and_fit(page: Page) -> None:
    page.get_by_role("button", name="Compute lag criteria").click()
    settle(page)
    page.get_by_role("button", name="Fit VAR").click()
    expect(page.get_by_role("heading", name="4. Result")).to_be_visible()
    settle(page)


def test_a_viewer_cannot_publish_and_a_publisher_publishes_as_themselves(login_app, browser) -> None:  # noqa: F811
    server, provider, store = login_app
    viewer = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = viewer.new_page()
    page.set_default_timeout(60_000)
    log_in(page, server, provider, "vic")
    expect(page.get_by_text("· viewer")).to_be_visible()
    train_and_fit(page)
    page.get_by_role("link", name="Publish").first.click()
    settle(page)
    expect(page.get_by_text("Publishing needs the publisher role")).to_be_visible()
    assert page.get_by_role("button", name="Publish", exact=True).count() == 0
    shoot(page, "publish-viewer")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{provider.url}/**")  # Streamlit ends the session at the provider too (RP-initiated logout)
    page.get_by_role("button", name="End session").click()
    page.goto(server.url)
    settle(page)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()  # logged out: no page until logged in again
    viewer.close()

    publisher = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = publisher.new_page()
    page.set_default_timeout(60_000)
    log_in(page, server, provider, "ana")
    expect(page.get_by_text("· publisher")).to_be_visible()
    train_and_fit(page)
    page.get_by_role("link", name="Publish").first.click()
    settle(page)
    page.get_by_text("Release var 0.0.1 is permanent").click()
    settle(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published var 0.0.1 to the")).to_be_visible()
    shoot(page, "publish-publisher")
    publisher.close()
    stored = ModelRegistry(open_store(store)).load("var", "0.0.1")
    assert stored.metadata["created_by"] == "ana@bank.example"
