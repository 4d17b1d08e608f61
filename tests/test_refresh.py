"""Refresh: a stored version's specification on new data; revisions reported; lineage recorded; clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.api import VAR
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, page_text
from varlib import InvalidInput, ModelRegistry, TrainSpec, load_macrodata, open_store, train
from varlib.artifact import sha256_hex
from varlib.cli import main
from varlib.data import Dataset
from varlib.refresh import refresh

SPEC = {"test_size": 12, "max_lags": 12, "criterion": "aic"}


def to_2008q3() -> Dataset:
    full = load_macrodata()
    return Dataset(full.frame.loc[:"2008-07-01"], full.freq, "macrodata to 2008Q3")


@pytest.fixture
def parent_registry(registry) -> ModelRegistry:
    """gdp 1.0.0: realgdp and realcons, logdiff, AIC, trained on the built-in data to 2008Q3."""
    registry.publish(train(to_2008q3(), TrainSpec.build(["realgdp", "realcons"], "logdiff", **SPEC)), "gdp", "1.0.0")
    return registry


def test_refresh_fits_the_stored_spec_on_the_extended_data_and_records_its_parent(parent_registry) -> None:
    parent = parent_registry.load("gdp", "1.0.0")
    refreshed = refresh(parent, load_macrodata())
    result = refreshed.result
    assert refreshed.new_rows == 4 and refreshed.revisions == [] and refreshed.lag_order_kept
    assert result.model.lag_order == parent.model.lag_order and len(result.test_levels) == 12
    assert result.spec.transforms == {"realgdp": "logdiff", "realcons": "logdiff"} and result.model.trend == "c"
    # The production fit: statsmodels on all 202 log-differenced rows with the stored p.
    levels = load_macrodata().frame[["realgdp", "realcons"]].to_numpy()
    reference = VAR(np.diff(np.log(levels), axis=0)).fit(parent.model.lag_order, trend="c")
    np.testing.assert_allclose(result.production.coefs, reference.coefs, rtol=0, atol=1e-10)

    receipt = parent_registry.publish(result, "gdp", "1.1.0")
    child = parent_registry.load("gdp", "1.1.0")
    manifest_bytes = parent_registry.store.read("gdp/1_0_0/manifest.json").data
    assert child.metadata["lineage"]["parent"] == {
        "name": "gdp", "version": "1.0.0", "manifest_sha256": sha256_hex(manifest_bytes)
    }  # fmt: skip
    assert parent_registry.list_versions("gdp")[0].parent == "gdp 1.0.0"
    assert receipt.keys[-1] == "gdp/1_1_0/manifest.json"
    ahead = child.forecast(4)
    assert ahead.point.index[0] == pd.Timestamp("2009-10-01")


def test_the_forecast_revision_compares_the_same_dates(parent_registry) -> None:
    parent = parent_registry.load("gdp", "1.0.0")
    refreshed = refresh(parent, load_macrodata(), compare_steps=6)
    table = refreshed.forecast_revision
    gdp = table[table["variable"] == "realgdp"]
    assert list(gdp["date"]) == [d.strftime("%Y-%m-%d") for d in pd.date_range("2009-10-01", periods=6, freq="QS")]
    # The parent's forecast from its own end (2008Q3) for those dates: steps 5 to 10 of its forecast.
    np.testing.assert_allclose(gdp["parent"], parent.forecast(10).point["realgdp"].iloc[4:], rtol=1e-12)
    np.testing.assert_allclose(gdp["new"], refreshed.result.production.forecast(6).point["realgdp"], rtol=1e-12)
    np.testing.assert_allclose(gdp["revision"], gdp["new"] - gdp["parent"], rtol=1e-12)


def test_revised_rows_are_reported_and_accepted(parent_registry) -> None:
    parent = parent_registry.load("gdp", "1.0.0")
    frame = load_macrodata().frame.copy()
    frame.loc["2008-01-01", "realgdp"] += 12.5
    frame.loc["2008-04-01", "realgdp"] -= 3.0
    refreshed = refresh(parent, Dataset(frame, "QS-JAN", "revised.csv"))
    [revision] = refreshed.revisions
    assert (revision.variable, revision.rows, revision.largest_change, revision.at) == ("realgdp", 2, 12.5,
                                                                                         "2008-01-01")  # fmt: skip
    assert (revision.first, revision.last) == ("2008-01-01", "2008-04-01")
    assert refreshed.result.levels.loc["2008-01-01", "realgdp"] == frame.loc["2008-01-01", "realgdp"]


def test_only_the_new_rows_are_enough(parent_registry) -> None:
    parent = parent_registry.load("gdp", "1.0.0")
    full = load_macrodata()
    only_new = Dataset(full.frame.loc["2008-10-01":, ["realgdp", "realcons"]], full.freq, "new quarters.csv")
    from_new = refresh(parent, only_new).result
    from_full = refresh(parent, full).result
    np.testing.assert_allclose(from_new.production.coefs, from_full.production.coefs, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: Dataset(f.drop(columns="realcons"), "QS-JAN", "new.csv"),
         "new.csv: no variable 'realcons', which gdp 1.0.0 uses (available: "),
        (lambda f: Dataset(f.resample("YS").last(), "YS-JAN", "annual.csv"),
         "annual.csv: the data are yearly, but gdp 1.0.0 was fitted on quarterly data; give data of that "
         "frequency, or choose aggregate='monthly', 'quarterly' or 'yearly'."),
        (lambda f: Dataset(f.loc[:"2007-07-01"], "QS-JAN", "old.csv"),
         "old.csv: the data end at 2007-07-01, before the data of gdp 1.0.0, which end at 2008-07-01; a refresh "
         "needs data that extend them."),
        (lambda f: Dataset(f.loc[:"2008-07-01"], "QS-JAN", "same.csv"),
         "same.csv: the data end at 2008-07-01, like the data of gdp 1.0.0: there is no new row to refresh it with."),
        (lambda f: Dataset(f.loc["2009-01-01":], "QS-JAN", "gap.csv"),
         "gap.csv: the data start at 2009-01-01, leaving a gap after the data of gdp 1.0.0, which end at 2008-07-01; "
         "include the rows from 2008-10-01."),
    ],
    ids=["missing variable", "other frequency", "ends earlier", "no new row", "gap"],
)  # fmt: skip
def test_unusable_new_data_give_clear_errors(parent_registry, make, message) -> None:
    parent = parent_registry.load("gdp", "1.0.0")
    with pytest.raises(InvalidInput) as info:
        refresh(parent, make(load_macrodata().frame))
    assert str(info.value).startswith(message)


def test_reselect_uses_the_stored_criterion_and_a_fixed_order_cannot(registry) -> None:
    data = to_2008q3()
    registry.publish(train(data, TrainSpec.build(["realgdp", "realcons"], "logdiff", test_size=12, max_lags=8,
                                                 criterion="bic")), "gdp", "1.0.0")  # fmt: skip
    registry.publish(train(data, TrainSpec.build(["realgdp", "realcons"], "logdiff", test_size=12, lags=2)), "gdp",
                     "2.0.0")  # fmt: skip
    reselected = refresh(registry.load("gdp", "1.0.0"), load_macrodata(), reselect=True, test_size=8).result
    assert reselected.chosen_by == "bic" and reselected.selection.max_lags == 8 and len(reselected.test_levels) == 8
    assert reselected.model.lag_order == reselected.selection.selected["bic"]
    with pytest.raises(InvalidInput, match=r"has a fixed lag order \(p = 2\), so there is no criterion to reselect"):
        refresh(registry.load("gdp", "2.0.0"), load_macrodata(), reselect=True)


def test_refresh_from_the_cli_publishes_a_child(tmp_path, capsys) -> None:
    store = f"file://{tmp_path / 'store'}"
    ModelRegistry(open_store(store)).publish(
        train(to_2008q3(), TrainSpec.build(["realgdp", "realcons"], "logdiff", **SPEC)), "gdp", "1.0.0"
    )
    main(["--store", store, "alias", "set", "gdp", "production", "1.0.0"])
    capsys.readouterr()
    assert main(["--store", store, "refresh", "gdp", "@production", "--dataset", "macrodata", "--publish", "1.1.0",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["parent"]["version"] == "1.0.0" and out["new_rows"] == 4 and out["published"]["version"] == "1.1.0"
    assert len(out["forecast_revision"]) == 16  # 8 steps x 2 variables
    assert main(["--store", store, "refresh", "gdp", "1.1.0", "--dataset", "macrodata"]) == 2
    assert "there is no new row to refresh it with" in capsys.readouterr().err
    assert main(["--store", store, "list", "gdp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["parent"] == "gdp 1.0.0"


def test_done_when_a_refresh_is_published_and_shown_in_the_registry_and_forecast_pages(tmp_path, monkeypatch) -> None:
    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    ModelRegistry(open_store(store)).publish(
        train(to_2008q3(), TrainSpec.build(["realgdp", "realcons"], "logdiff", **SPEC)), "gdp", "1.0.0"
    )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/refresh.py").run()
    assert_no_exception(at)
    next(b for b in at.button if b.label == "Refresh").click().run()
    assert_no_exception(at)
    assert [m.value for m in at.metric][:2] == ["4", "2009-07-01"]
    assert "No data revisions: the parent's rows were unchanged." in page_text(at)
    assert at.text_input[0].value == "1.0.1"  # the next release, suggested
    next(box for box in at.checkbox if "is permanent" in box.label).check().run()
    button(at, "Publish refresh").click().run()
    assert_no_exception(at)
    assert "Published gdp 1.0.1, a child of 1.0.0." in page_text(at)
    assert button(at, "Publish refresh").disabled
    next(b for b in at.button if b.label.startswith("Promote: point @production at 1.0.1")).click().run()
    assert_no_exception(at)
    registry = ModelRegistry(open_store(store))
    assert str(registry.resolve("gdp", "@production")) == "1.0.1"
    assert registry.lifecycle("gdp").history[-1]["note"] == "refresh of 1.0.0"

    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    assert at.dataframe[0].value.set_index("version").loc["1.0.1", "refreshed from"] == "gdp 1.0.0"
    assert "Refreshed from: 1.0.1 ← 1.0.0" in page_text(at)
    revision = next(frame.value for frame in at.dataframe if ("realgdp", "revision") in list(frame.value.columns))
    assert list(revision.index[:1]) == ["2009-10-01"]

    at.switch_page("pages/forecast.py").run()
    assert_no_exception(at)
    assert at.selectbox[1].value == "1.0.1"
    assert "1.0.1 is a refresh of **gdp 1.0.0** with 4 new rows; lag order kept." in page_text(at)
    ahead = at.dataframe[0].value
    assert list(ahead.index[:1]) == ["2009-10-01"]


def test_the_refresh_page_takes_a_csv_of_new_rows_and_shows_errors_as_messages(tmp_path, monkeypatch) -> None:
    store = f"file://{tmp_path / 'store'}"
    monkeypatch.setenv("VARLIB_STORE", store)
    ModelRegistry(open_store(store)).publish(
        train(to_2008q3(), TrainSpec.build(["realgdp", "realcons"], "logdiff", **SPEC)), "gdp", "1.0.0"
    )
    frame = load_macrodata().frame.loc["2008-04-01":, ["realgdp", "realcons"]].copy()
    frame.loc["2008-04-01", "realcons"] += 7.25  # a revised quarter, and four new ones
    frame.index = frame.index.to_period("Q").astype(str)
    frame.index.name = "quarter"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/refresh.py").run()
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    at.file_uploader[0].set_value(("new-quarters.csv", frame.to_csv().encode(), "text/csv")).run()
    next(b for b in at.button if b.label == "Refresh").click().run()
    assert_no_exception(at)
    assert [m.value for m in at.metric][:2] == ["4", "2009-07-01"]
    revisions = at.dataframe[0].value
    assert list(revisions["variable"]) == ["realcons"] and list(revisions["rows revised"]) == [1]
    assert revisions["largest_change"].iloc[0] == pytest.approx(7.25)

    wrong = frame.drop(columns="realcons")
    at.file_uploader[0].set_value(("no-cons.csv", wrong.to_csv().encode(), "text/csv")).run()
    next(b for b in at.button if b.label == "Refresh").click().run()
    assert_no_exception(at)
    assert [e.value for e in at.error][-1].replace("\\", "") == (
        "CSV no-cons.csv: no variable 'realcons', which gdp 1.0.0 uses (available: realgdp)."
    )
