"""Page flows of the dashboard with streamlit.testing.v1.AppTest, on the local store and a real S3 server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.s3server import SECRET_KEY
from varlib import ModelRegistry, open_store

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path) -> Iterator[None]:
    for name in ("VARLIB_STORE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here: settings come from the test
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[bytes, str, str | None]]:
    """Every file the app hands to the browser: (bytes, mime type, file name)."""
    recorded: list[tuple[bytes, str, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        recorded.append((path_or_data, mimetype, filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return recorded


@pytest.fixture(params=["file", "s3"])
def store_env(request, monkeypatch, tmp_path) -> dict[str, str]:
    if request.param == "file":
        env = {"VARLIB_STORE": f"file://{tmp_path / 'store'}"}
    else:
        server = request.getfixturevalue("s3_server")
        from tests.conftest import unique_bucket

        env = {"VARLIB_STORE": f"s3://{unique_bucket()}", **server.settings()}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def raw_page_text(at: AppTest) -> str:
    """Everything the page shows as text, sidebar included, as markdown source (text from data is escaped)."""
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader", "code"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    return "\n".join(parts)


def shown(markdown: str) -> str:
    """What a reader sees of markdown source whose data parts were escaped: no backslash escapes, and no zero-width
    spaces (which keep addresses from becoming links)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def page_text(at: AppTest) -> str:
    """Everything the page shows as text, sidebar included, as the reader sees it."""
    return shown(raw_page_text(at))


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def assert_no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def train_and_fit(at: AppTest) -> AppTest:
    at.run()
    assert_no_exception(at)
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    button(at, "Fit VAR").click().run()
    assert_no_exception(at)
    return at


def publish(at: AppTest, name: str = "var", version: str | None = None) -> AppTest:
    at.switch_page("pages/publish.py").run()
    assert_no_exception(at)
    if name != "var":
        at.text_input[0].set_value(name).run()
    if version is not None:
        at.text_input[1].set_value(version).run()
    confirm_release(at)
    button(at, "Publish").click().run()
    assert_no_exception(at)
    return at


def confirm_release(at: AppTest) -> None:
    """Tick the 'a release is permanent' confirmation, when the version is a release."""
    for box in at.checkbox:
        if box.label.startswith("Release ") and "is permanent" in box.label:
            box.check().run()


def test_train_publish_forecast_download(store_env, downloads) -> None:
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    assert [m.value for m in at.metric][:2] == ["3", "yes"]  # p by AIC, stable
    assert "Minimum of each criterion highlighted. Selected: AIC p=3, BIC p=1, HQIC p=2, FPE p=3" in page_text(at)
    assert len(at.get("plotly_chart")) == 3  # preview, criteria, forecast against test data

    at = publish(at)
    assert at.text_input[1].value == "0.0.1"  # suggested first version
    assert [shown(s.value) for s in at.success][-1].startswith("Published var 0.0.1 to the ")
    assert "var/0_0_1/model.json\nvar/0_0_1/train.csv\nvar/0_0_1/test.csv\nvar/0_0_1/manifest.json" in page_text(at)

    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert at.selectbox[0].value == "var" and at.selectbox[1].value == "0.0.1"  # preselected by Publish
    assert len(at.get("plotly_chart")) == 2  # the forecast ahead, and the evaluation against the test data
    csv_files = [(data, name) for data, mime, name in downloads if mime == "text/csv"]
    assert csv_files, "the Forecast page offers no CSV"
    data, file_name = csv_files[-1]
    assert file_name == "var-0.0.1-forecast-from-data-95pct.csv"
    stored = ModelRegistry(open_store(store_env["VARLIB_STORE"], store_env)).load("var", "0.0.1")
    assert data == stored.forecast_csv(12).encode()  # the same bytes as the CLI's CSV
    assert data.decode().splitlines()[0].startswith("date,realgdp,realgdp_lower,realgdp_upper,realgdp_actual,")
    assert data.decode().splitlines()[1].startswith("2009-10-01,")  # ahead of the data, which end in 2009Q3
    table = at.dataframe[0].value
    assert list(table.index[:2]) == ["2009-10-01", "2010-01-01"]
    assert table[("realgdp", "forecast")].iloc[0] == stored.forecast(1).point["realgdp"].iloc[0]
    assert "first forecast 2009-10-01" in page_text(at)

    at.radio[0].set_value("train").run()  # from the end of training, against the test data
    assert_no_exception(at)
    data, file_name = [(data, name) for data, mime, name in downloads if mime == "text/csv"][-1]
    assert file_name == "var-0.0.1-forecast-from-train-95pct.csv"
    assert data == stored.forecast_csv(12, origin="train").encode()
    assert data.decode().splitlines()[1].startswith("2006-10-01,")

    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    table = at.dataframe[0].value
    assert list(table["version"]) == ["0.0.1"] and list(table["model"]) == ["var"]


def test_forecast_page_options_horizon_and_latest(tmp_path, monkeypatch, downloads) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    publish(at, version="0.0.2")
    publish(at, version="0.1.0-SNAPSHOT")
    at.switch_page("pages/forecast.py").run()
    versions = at.selectbox[1]
    assert versions.options[0].startswith("latest (= 0.0.2)")
    assert versions.options[1].startswith("0.1.0-SNAPSHOT · ") and " · p=3 · test RMSE realgdp " in versions.options[1]
    assert versions.value == "0.1.0-SNAPSHOT"  # the one just published
    versions.set_value("latest").run()
    at.number_input[0].set_value(20).run()
    assert_no_exception(at)
    lines = downloads[-1][0].decode().splitlines()
    assert len(lines) == 21 and lines[-1].endswith(",,data,95.0")  # header + 20 steps; no actuals ahead of the data
    assert downloads[-1][2] == "var-0.0.2-forecast-from-data-95pct.csv"


def test_results_survive_switching_pages(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.switch_page("pages/registry.py").run()
    at.switch_page("pages/train.py").run()
    assert_no_exception(at)
    assert next(m.value for m in at.metric) == "3"
    assert "4. Result" in page_text(at)


def test_bad_csv_shows_its_message(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    bad = b"date,a,b\n2000-01-01,1,2\n2000-02-01,oops,3\n2000-03-01,2,4\n"
    at.file_uploader[0].set_value(("macro.csv", bad, "text/csv")).run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.error] == ["CSV macro.csv: non-numeric value 'oops' in column 'a', line 3."]


def test_good_csv_trains(tmp_path, monkeypatch, macrodata) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    frame = macrodata.frame[["realgdp", "realcons", "realinv"]]
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    at.file_uploader[0].set_value(("macro.csv", frame.to_csv().encode(), "text/csv")).run()
    assert_no_exception(at)
    assert at.multiselect[0].value == ["realgdp", "realcons"]
    at.form_submit_button[0].click().run()
    button(at, "Fit VAR").click().run()
    assert_no_exception(at)
    assert next(m.value for m in at.metric) == "3"


def test_validation_error_in_the_form_is_shown(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.multiselect[0].set_value(["realgdp", "realint"]).run()
    at.selectbox(key="transform_realint").set_value("log")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    assert any("variable 'realint' has a non-positive value" in shown(e.value) for e in at.error)


def test_store_down_is_a_message_on_every_page(monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", "s3://models")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "analyst")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert_no_exception(at)
    sidebar_errors = [shown(e.value) for e in at.sidebar.error]
    assert sidebar_errors == [
        "Store unavailable: Failed checking bucket models: cannot reach the S3 store http://127.0.0.1:9 "
        "(bucket models) (connection refused)."
    ]
    for page in ("pages/publish.py", "pages/forecast.py", "pages/registry.py"):
        at.switch_page(page).run()
        assert_no_exception(at)
        assert SECRET_KEY not in page_text(at)
    at.switch_page("pages/train.py")
    train_and_fit(at)  # training needs no store and still works
    at.switch_page("pages/publish.py").run()
    assert any(
        shown(e.value).startswith("This page needs the model store, which is unavailable:") for e in at.main.error
    )
    assert SECRET_KEY not in page_text(at)


def test_s3_settings_from_secrets(s3_server) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets.update({"VARLIB_STORE": "s3://from-secrets", **s3_server.settings()})
    at.run()
    assert_no_exception(at)
    assert f"S3 store {s3_server.endpoint} (bucket from-secrets)" in page_text(at)
    assert "Store answers" in [s.value for s in at.sidebar.success]
    assert SECRET_KEY not in page_text(at)


def test_publishing_an_existing_release_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    assert button(at, "Publish").disabled  # published: nothing changed since
    at.text_area[0].set_value("the same release again").run()  # a new input...
    confirm_release(at)
    button(at, "Publish").click().run()  # ...but the release exists
    warning = next(shown(w.value) for w in at.warning if "already exists (created" in w.value)
    assert warning.endswith("so publishing it again will be refused. Suggested next version: 0.0.2.")
    assert [shown(e.value) for e in at.error][-1].startswith(
        "Version 0.0.1 of model 'var' already exists in the local store"
    )


def test_tampered_version_shows_the_checksum_message(tmp_path, monkeypatch) -> None:
    store_url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store_url)
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    store = open_store(store_url)
    data = store.read("var/0_0_1/train.csv").data
    store.write("var/0_0_1/train.csv", data.replace(b"2710.349", b"2710.348"))
    st.cache_data.clear()
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.main.error] == [
        "var/0_0_1/train.csv fails its checksum (sha256 in the manifest does not match): "
        "it is corrupted or was changed after publishing."
    ]


def test_rerun_of_a_loaded_version_does_not_refetch(tmp_path, monkeypatch) -> None:
    store_url = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store_url)
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    at.switch_page("pages/forecast.py").run()
    store = open_store(store_url)
    for key in store.list_keys("var/"):
        store.delete(key)  # were the page to read the store again, it would now fail
    at.run()
    at.select_slider[0].set_value(90).run()  # a new interval level is computed from the cached version
    assert_no_exception(at)
    assert not at.main.error
    assert len(at.get("plotly_chart")) == 2


def test_registry_details_and_snapshot_delete(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at)
    publish(at, version="0.0.2-SNAPSHOT")
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    assert list(at.dataframe[0].value["version"]) == ["0.0.2-SNAPSHOT", "0.0.1"]
    text = page_text(at)
    assert "p = 3, by AIC." in text and "Verified against manifest.json" in text
    at.selectbox[1].set_value("0.0.2-SNAPSHOT").run()
    at.checkbox[0].check().run()
    button(at, "Delete SNAPSHOT").click().run()
    assert_no_exception(at)
    assert list(at.dataframe[0].value["version"]) == ["0.0.1"]
    at.selectbox[1].set_value("0.0.1").run()
    assert "A deprecated release stays loadable by its exact version (releases are immutable)" in page_text(at)
    assert not any(b.label == "Delete SNAPSHOT" for b in at.button)  # a release cannot be deleted
    history = at.dataframe[-1].value
    assert list(history["what"]) == ["SNAPSHOT 0.0.2-SNAPSHOT deleted"] and history["by"].iloc[0]


def test_every_page_renders_on_an_empty_store(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for page in ("pages/publish.py", "pages/forecast.py", "pages/registry.py", "pages/train.py"):
        at.switch_page(page).run()
        assert_no_exception(at)
        assert not at.error
    at.switch_page("pages/forecast.py").run()
    assert "No models in the store yet: train one and publish it." in page_text(at)


def published_versions(tmp_path: Path) -> list[str]:
    return [v.version for v in ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).list_versions("var")]


def test_a_second_click_after_a_publish_creates_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = publish(train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT)))
    assert published_versions(tmp_path) == ["0.0.1"]
    assert at.text_input[1].value == "0.0.1"  # the field shows what was published, not the next suggestion
    assert button(at, "Publish").disabled
    assert [shown(s.value) for s in at.success][-1].startswith("Published var 0.0.1 to the ")
    at.run()  # reruns (any widget elsewhere) publish nothing either
    assert published_versions(tmp_path) == ["0.0.1"] and button(at, "Publish").disabled


def test_the_typed_version_is_the_one_published(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = publish(train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT)), version="1.1.0")
    assert published_versions(tmp_path) == ["1.1.0"]
    # Right after the publish, on the same page, type a version below the new suggestion (1.1.1) and publish it.
    at.text_input[1].set_value("1.0.0").run()
    assert at.text_input[1].value == "1.0.0"
    confirm_release(at)
    button(at, "Publish").click().run()
    assert_no_exception(at)
    assert published_versions(tmp_path) == ["1.1.0", "1.0.0"]
    assert at.text_input[1].value == "1.0.0"


def test_toggling_snapshot_keeps_a_typed_version_and_page_switches_keep_the_fields(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.switch_page("pages/publish.py").run()
    at.text_input[0].set_value("gdp").run()
    at.text_input[1].set_value("2.3.4").run()
    at.toggle[0].set_value(True).run()
    assert at.text_input[1].value == "2.3.4-SNAPSHOT"
    at.toggle[0].set_value(False).run()
    assert at.text_input[1].value == "2.3.4"
    at.text_area[0].set_value("Q3 round").run()
    at.switch_page("pages/registry.py").run()
    at.switch_page("pages/publish.py").run()
    assert_no_exception(at)
    assert (at.text_input[0].value, at.text_input[1].value, at.text_area[0].value) == ("gdp", "2.3.4", "Q3 round")


def test_a_release_asks_for_a_confirmation_that_it_is_permanent(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.switch_page("pages/publish.py").run()
    assert button(at, "Publish").disabled
    confirmation = next(box for box in at.checkbox if box.label.startswith("Release var 0.0.1"))
    assert confirmation.label == (
        "Release var 0.0.1 is permanent: once published it can never be changed or deleted, only deprecated."
    )
    at.toggle[0].set_value(True).run()  # a SNAPSHOT may be replaced: no confirmation
    assert at.text_input[1].value == "0.0.1-SNAPSHOT" and not at.checkbox
    button(at, "Publish").click().run()
    assert published_versions(tmp_path) == ["0.0.1-SNAPSHOT"]


def test_registry_page_moves_aliases_and_deprecates_with_a_history(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    monkeypatch.setenv("VARLIB_USER", "ana")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at, version="1.0.0")
    publish(at, version="1.1.0")
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    at.selectbox[1].set_value("1.0.0").run()
    at.text_input[1].set_value("first round")  # the alias form's note: sent with the form's button
    next(b for b in at.button if b.label == "Set alias").click().run()
    assert_no_exception(at)
    assert list(at.dataframe[0].value["aliases"]) == ["", "@production"]
    assert "Aliases pointing here: @production" in page_text(at)

    at.selectbox[1].set_value("1.1.0").run()
    at.text_input[2].set_value("revised data were wrong")  # the deprecation reason
    next(b for b in at.button if b.label == "Deprecate release").click().run()
    assert_no_exception(at)
    table = at.dataframe[0].value.set_index("version")
    assert table.loc["1.1.0", "status"] == "deprecated"
    assert table.loc["1.1.0", "deprecated because"] == "revised data were wrong"
    assert "Release 1.1.0 is deprecated: revised data were wrong." in page_text(at)
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    assert str(registry.resolve("var", "latest")) == "1.0.0"

    # The alias form offers only releases that are not deprecated; a move onto one is refused anyway.
    assert next(s for s in at.selectbox if s.label == "Release").options == ["1.0.0"]
    history = at.dataframe[-1].value
    assert list(history["what"]) == ["1.1.0 deprecated (revised data were wrong)",
                                     "@production (new) -> 1.0.0 (first round)"]  # fmt: skip
    assert set(history["by"]) == {"ana"}
    button(at, "Undeprecate 1.1.0").click().run()
    assert_no_exception(at)
    assert str(registry.resolve("var", "latest")) == "1.1.0"
    assert registry.load("var", "1.1.0").metadata["created_by"] == "ana"  # the release itself never changed


def test_forecast_page_offers_aliases_and_marks_deprecated_releases(tmp_path, monkeypatch, downloads) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = train_and_fit(AppTest.from_file(APP, default_timeout=TIMEOUT))
    publish(at, version="1.0.0")
    publish(at, version="1.1.0")
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.set_alias("var", "production", "1.0.0")
    registry.deprecate("var", "1.1.0", reason="bad vintage")
    st.cache_data.clear()
    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    versions = at.selectbox[1]
    assert versions.options[:3] == ["latest (= 1.0.0)", "@production (= 1.0.0)", versions.options[2]]
    assert versions.options[2].startswith("1.1.0 · ") and versions.options[2].endswith(" · DEPRECATED")
    versions.set_value("@production").run()
    assert_no_exception(at)
    assert downloads[-1][2] == "var-1.0.0-forecast-from-data-95pct.csv"
    at.selectbox[1].set_value("1.1.0").run()
    assert "var 1.1.0 is deprecated: bad vintage." in page_text(at)
