"""Issue 13, charts are for reading: every panel of every figure has axis titles (units where known), numbers
without SI prefixes (FPE on a log axis), the train/test boundary on every panel, and ticks only where data are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from varlib import TrainSpec, analysis, train
from varlib.data import MACRODATA_INFO, known_units
from varlib.plots import (
    plot_acf,
    plot_criteria,
    plot_errors_by_horizon,
    plot_fevd,
    plot_forecast,
    plot_forecast_revision,
    plot_impulse_responses,
    plot_pvalue_heatmap,
    plot_residuals,
    plot_series,
    plot_versions,
)

VARIABLES = ["realgdp", "realcons", "realinv"]


@pytest.fixture(scope="module")
def fitted(macrodata):
    result = train(macrodata, TrainSpec.build(VARIABLES, "logdiff", lags=2, test_size=8))
    fit = analysis.refit(result.model, result.train_levels)
    return result, fit


def used_axes(fig: go.Figure) -> list[tuple[str, str]]:
    """The (x, y) axis pairs that hold a trace."""
    pairs = []
    for trace in fig.data:
        pair = (getattr(trace, "xaxis", None) or "x", getattr(trace, "yaxis", None) or "y")
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def axis(fig: go.Figure, name: str):
    return fig.layout[name.replace("x", "xaxis", 1) if name.startswith("x") else name.replace("y", "yaxis", 1)]


def assert_every_panel_titled(fig: go.Figure) -> None:
    for _, y in used_axes(fig):
        assert axis(fig, y).title.text, f"{y} has no title"
    bottoms = {x for x, _ in used_axes(fig)}
    assert any(axis(fig, x).title.text for x in bottoms), "no x axis title at all"


def test_levels_carry_their_units(fitted, macrodata) -> None:
    result, _ = fitted
    units = {name: info.axis_unit for name, info in macrodata.info.items()}
    fig = plot_series(macrodata.frame, VARIABLES, units)
    assert_every_panel_titled(fig)
    assert fig.layout.yaxis.title.text == "bn 2005 US$, SAAR" == MACRODATA_INFO["realgdp"].axis_unit
    assert fig.layout.yaxis.tickformat == ",~g"
    forecast = plot_forecast(result.test_forecast, result.train_levels, result.test_levels, units=units)
    assert_every_panel_titled(forecast)
    assert forecast.layout.yaxis3.title.text == "bn 2005 US$, SAAR"
    assert known_units("statsmodels macrodata (US, quarterly) (refreshing gdp 1.0.0)", ["realgdp", "x"]) == {
        "realgdp": "bn 2005 US$, SAAR"}  # fmt: skip
    assert known_units("CSV macro.csv", ["realgdp"]) == {}
    assert plot_series(macrodata.frame, ["realgdp"]).layout.yaxis.title.text == "level"  # unit unknown: no guess


def test_the_train_test_boundary_is_on_every_panel(fitted) -> None:
    result, _ = fitted
    fig = plot_forecast(result.test_forecast, result.train_levels, result.test_levels)
    lines = [shape for shape in fig.layout.shapes if shape.type == "line"]
    assert len(lines) == len(VARIABLES)
    assert {shape.xref for shape in lines} == {"x", "x2", "x3"}


def test_fpe_is_on_a_log_axis_in_powers_of_ten(fitted) -> None:
    """Issue 13: the FPE axis showed SI prefixes ("798.5f", "0.575p")."""
    result, _ = fitted
    fig = plot_criteria(result.selection)
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis2.tickformat == ".2e"  # 1.50e-9, not 1.5n
    assert fig.layout.yaxis2.title.text == "FPE (log scale)" and fig.layout.xaxis.title.text == "lag order p"
    assert fig.layout.yaxis.tickformat == ",.2f"


def test_analysis_figures_have_titles_and_units(fitted) -> None:
    _, fit = fitted
    d = analysis.diagnostics(fit)
    residuals = plot_residuals(d.residuals, dict.fromkeys(VARIABLES, "logdiff"))
    assert_every_panel_titled(residuals)
    assert residuals.layout.yaxis.title.text == "residual (log points per period)"
    acf = plot_acf(d.residual_acf, d.acf_band)
    assert_every_panel_titled(acf)
    assert acf.layout.yaxis.title.text == "autocorrelation"
    heat = plot_pvalue_heatmap(analysis.causality(fit).granger_pvalues, "Granger")
    assert heat.layout.xaxis.title.text == "causing variable" and heat.layout.yaxis.title.text == "caused variable"
    irf = analysis.impulse_responses(fit, 8)
    responses = plot_impulse_responses(irf.variables, irf.responses, irf.lower, irf.upper, irf.cumulative,
                                       transforms=dict.fromkeys(VARIABLES, "logdiff"))  # fmt: skip
    assert_every_panel_titled(responses)
    assert responses.layout.xaxis7.title.text == "periods after the shock"
    assert responses.layout.yaxis.title.text == "log points"  # cumulated: the effect on the log level
    assert responses.layout.yaxis.zeroline and not responses.layout.shapes  # a zero line without a shape per panel
    fevd = plot_fevd(irf.variables, irf.fevd)
    assert_every_panel_titled(fevd)
    assert fevd.layout.yaxis.title.text == "% of variance" and fevd.layout.yaxis.ticksuffix == "%"
    stacked = sum(np.asarray(trace.y)[0] for trace in fevd.data if trace.xaxis in (None, "x"))
    assert stacked == pytest.approx(100)  # shares in percent, summing to 100 at each horizon


def test_backtest_ticks_only_where_there_are_horizons(fitted, macrodata) -> None:
    """Issue 13: the backtest axis had ticks where there is no data."""
    result, _ = fitted
    bt = analysis.backtest(macrodata.frame[VARIABLES], macrodata.freq, result.spec, 2, 4, 3, False)
    fig = plot_errors_by_horizon(bt.by_horizon)
    assert_every_panel_titled(fig)
    assert list(fig.layout.xaxis.tickvals) == [1, 2, 3] and fig.layout.yaxis.title.text == "error (level units)"


def test_version_overlays_and_revisions_have_titles(fitted, macrodata) -> None:
    result, _ = fitted
    units = known_units("statsmodels macrodata (US, quarterly)", VARIABLES)
    versions = plot_versions({"gdp 1.0.0": result.test_forecast}, result.test_levels, units)
    assert_every_panel_titled(versions)
    assert versions.layout.yaxis.title.text == "bn 2005 US$, SAAR"
    rows = [{"date": str(d.date()), "variable": v, "parent": 1.0, "new": 2.0}
            for d in result.test_forecast.point.index for v in VARIABLES]  # fmt: skip
    revision = plot_forecast_revision(pd.DataFrame(rows), result.train_levels, "1.0.0 forecast", "1.1.0 forecast",
                                      units=units)  # fmt: skip
    assert_every_panel_titled(revision)
    assert len([s for s in revision.layout.shapes if s.type == "line"]) == len(VARIABLES)


def test_a_large_impulse_response_grid_becomes_a_readable_pick(macrodata) -> None:
    """Issue 13: with 8 variables the grid was 64 tiny panels whose titles ran into each other."""
    eight = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate"]
    transforms = dict.fromkeys(eight, "logdiff") | {"tbilrate": "diff"}
    result = train(macrodata, TrainSpec.build(eight, transforms, lags=2, test_size=8))
    irf = analysis.impulse_responses(analysis.refit(result.model, result.train_levels), 10)
    one_shock = plot_impulse_responses(irf.variables, irf.responses, irf.lower, irf.upper, irf.cumulative,
                                       shocks=["tbilrate"], transforms=transforms)  # fmt: skip
    assert len(used_axes(one_shock)) == 8
    assert one_shock.layout.xaxis2.domain[0] > 0.5  # two columns, not eight
    assert [a.text for a in one_shock.layout.annotations][:2] == ["realgdp ← shock to tbilrate",
                                                                  "realcons ← shock to tbilrate"]  # fmt: skip
    assert one_shock.layout.height >= 240 * 4  # four rows of readable height
    assert_every_panel_titled(one_shock)
    assert one_shock.layout.yaxis8.title.text == "level units"  # tbilrate, cumulated differences: its level
    pair = plot_impulse_responses(irf.variables, irf.responses, irf.lower, irf.upper, irf.cumulative,
                                  shocks=["m1", "cpi"], responders=["realgdp"])  # fmt: skip
    assert [a.text for a in pair.layout.annotations] == ["realgdp ← shock to m1", "realgdp ← shock to cpi"]
    np.testing.assert_allclose(pair.data[2].y, irf.responses[:, 0, 6])  # the response of realgdp to m1
