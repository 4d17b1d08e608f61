"""Plotly figures for the dashboard: pure functions of varlib results, testable without a UI.

Plotly renders a subset of HTML in every text (titles, legend names, category tick labels): `<a href>` from a
column name would be a live link. Every figure leaves here with the text that came from data escaped (_text_safe).
"""

from __future__ import annotations

import functools
import html
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from varlib.model import Forecast
from varlib.training import CRITERIA, LagSelection

HISTORY_COLOR = "#4c566a"
ACTUAL_COLOR = "#d08770"
FORECAST_COLOR = "#1f6feb"
BAND_COLOR = "rgba(31, 111, 235, 0.18)"


def _escaped(value: object) -> object:
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, (list, tuple, np.ndarray)) and any(isinstance(v, str) for v in value):
        return [html.escape(v, quote=False) if isinstance(v, str) else v for v in value]
    return value


def _text_safe(make: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Escape, as text, every string a figure shows that may come from data or storage (not our hover templates)."""

    @functools.wraps(make)
    def safe(*args: object, **kwargs: object) -> go.Figure:
        fig = make(*args, **kwargs)
        for annotation in fig.layout.annotations or ():
            annotation.text = _escaped(annotation.text)
        if fig.layout.title.text:
            fig.layout.title.text = _escaped(fig.layout.title.text)
        for key in fig.layout:
            if key.startswith(("xaxis", "yaxis")) and fig.layout[key].title.text:
                fig.layout[key].title.text = _escaped(fig.layout[key].title.text)
        for trace in fig.data:
            if getattr(trace, "name", None):
                trace.name = _escaped(trace.name)
            for attribute in ("x", "y", "text"):
                value = getattr(trace, attribute, None)
                if value is not None:
                    setattr(trace, attribute, _escaped(value))
        return fig

    return safe


def _grid(count: int) -> tuple[int, int]:
    cols = 1 if count == 1 else 2
    return math.ceil(count / cols), cols


def level_title(name: str, units: dict[str, str] | None) -> str:
    """A level's axis title: its unit where known (the built-in data's, or a stored version's)."""
    return (units or {}).get(name) or "level"


def transformed_unit(transform: str | None) -> str:
    """What a residual or an impulse response of a transformed variable is measured in."""
    return {"log": "log points", "logdiff": "log points per period", "diff": "change per period"}.get(
        transform or "none", "level units")  # fmt: skip


def _panel_titles(fig: go.Figure, count: int, cols: int, y_title: Callable[[int], str], x_title: str,
                  **y_options: object) -> None:  # fmt: skip
    """An axis title on every panel: each panel's own y, and the x of each column's bottom panel."""
    rows = math.ceil(count / cols)
    layout: dict[str, dict] = {}
    for i in range(count):  # make_subplots numbers the axes row by row from 1 ("xaxis", "xaxis2", ...)
        suffix = "" if i == 0 else str(i + 1)
        layout[f"yaxis{suffix}"] = {"title": {"text": y_title(i), "font": {"size": 11}}, **y_options}
        row = i // cols + 1
        bottom = row == rows or (row == rows - 1 and i + cols >= count)
        layout[f"xaxis{suffix}"] = {"title": {"text": x_title if bottom else None, "font": {"size": 11}}}
    fig.update_layout(layout)  # one update: a call per axis costs milliseconds each


@_text_safe
def plot_series(frame: pd.DataFrame, variables: list[str], units: dict[str, str] | None = None) -> go.Figure:
    """The chosen level series, one panel each (their scales differ too much to share an axis)."""
    rows, cols = _grid(max(len(variables), 1))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables, shared_xaxes=False)
    for i, name in enumerate(variables):
        fig.add_trace(
            go.Scatter(x=frame.index, y=frame[name], name=name, line={"color": HISTORY_COLOR}, showlegend=False),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    _panel_titles(fig, len(variables), cols, lambda i: level_title(variables[i], units), "date", tickformat=",~g")
    fig.update_layout(height=260 * rows + 40, margin={"t": 40, "b": 20, "l": 20, "r": 20})
    return fig


@_text_safe
def plot_criteria(selection: LagSelection) -> go.Figure:
    """Information criteria against p, the minimum of each marked; FPE on its own axis."""
    table = selection.table
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for criterion in CRITERIA:
        on_right = criterion == "fpe"
        fig.add_trace(
            go.Scatter(
                x=table.index,
                y=table[criterion],
                name=criterion.upper(),
                mode="lines+markers",
                line={"dash": "dot"} if on_right else {},
            ),
            secondary_y=on_right,
        )
        best = selection.selected[criterion]
        fig.add_trace(
            go.Scatter(
                x=[best],
                y=[table.at[best, criterion]],
                mode="markers",
                showlegend=False,
                marker={"size": 14, "symbol": "star", "color": "black"},
                hovertemplate=f"{criterion.upper()} minimum at p={best}<extra></extra>",
            ),
            secondary_y=on_right,
        )
    fig.update_xaxes(title_text="lag order p", dtick=1)
    fig.update_yaxes(title_text="AIC / BIC / HQIC (lower is better)", tickformat=",.2f", secondary_y=False)
    # FPE spans orders of magnitude and is tiny: a log axis in powers of ten, never SI prefixes (0.575p).
    fig.update_yaxes(title_text="FPE (log scale)", type="log", tickformat=".2e", secondary_y=True,
                     showgrid=False)  # fmt: skip
    fig.update_layout(
        height=380,
        margin={"t": 50, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


@_text_safe
def plot_forecast(
    forecast: Forecast,
    history: pd.DataFrame,
    actual: pd.DataFrame | None = None,
    history_rows: int | None = 60,
    history_label: str = "training data",
    origin_label: str = "end of training",
    units: dict[str, str] | None = None,
) -> go.Figure:
    """Per variable: history, test actuals (if given), forecast and its interval band, in levels.

    A dotted line marks where the forecast starts (the last history row), labelled `origin_label`.
    """
    variables = forecast.variables
    rows, cols = _grid(len(variables))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables)
    level = round((1 - forecast.alpha) * 100, 1)
    shown = history if history_rows is None else history.iloc[-history_rows:]
    for i, name in enumerate(variables):
        at = {"row": i // cols + 1, "col": i % cols + 1}
        first = i == 0
        fig.add_trace(
            go.Scatter(
                x=forecast.upper.index,
                y=forecast.upper[name],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                name="upper",
                legendgroup="band",
                marker={"color": BAND_COLOR},
            ),
            **at,
        )
        fig.add_trace(
            go.Scatter(
                x=forecast.lower.index,
                y=forecast.lower[name],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=BAND_COLOR,
                name=f"{level:g}% interval",
                showlegend=first,
                legendgroup="band",
                marker={"color": BAND_COLOR},
            ),
            **at,
        )
        fig.add_trace(
            go.Scatter(
                x=shown.index,
                y=shown[name],
                name=history_label,
                line={"color": HISTORY_COLOR},
                showlegend=first,
                legendgroup="history",
            ),
            **at,
        )
        if actual is not None and len(actual):
            fig.add_trace(
                go.Scatter(
                    x=actual.index,
                    y=actual[name],
                    name="test data",
                    mode="lines+markers",
                    line={"color": ACTUAL_COLOR},
                    showlegend=first,
                    legendgroup="actual",
                ),
                **at,
            )
        fig.add_trace(
            go.Scatter(
                x=forecast.point.index,
                y=forecast.point[name],
                name="forecast",
                mode="lines+markers",
                line={"color": FORECAST_COLOR},
                showlegend=first,
                legendgroup="forecast",
            ),
            **at,
        )
    if len(shown):
        boundary = shown.index[-1]
        for i in range(len(variables)):  # on every panel: where the history ends and the forecast starts
            at = {"row": i // cols + 1, "col": i % cols + 1}
            fig.add_vline(x=boundary, line={"dash": "dot", "width": 1, "color": HISTORY_COLOR}, **at)
        fig.add_annotation(x=boundary, y=1, xref="x", yref="y domain", text=origin_label, showarrow=False,
                           xanchor="right", yanchor="bottom", font={"size": 11, "color": HISTORY_COLOR})  # fmt: skip
    _panel_titles(fig, len(variables), cols, lambda i: level_title(variables[i], units), "date", tickformat=",~g")
    fig.update_layout(
        height=320 * rows + 40,
        margin={"t": 80, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
        hovermode="x unified",
    )
    return fig


# ----- analysis figures ---------------------------------------------------------------------------


@_text_safe
def plot_inverse_roots(roots: pd.DataFrame) -> go.Figure:
    """Companion eigenvalues (inverse roots) against the unit circle: inside means stable."""
    angle = np.linspace(0, 2 * np.pi, 361)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=np.cos(angle),
            y=np.sin(angle),
            mode="lines",
            name="unit circle",
            line={"color": HISTORY_COLOR, "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=roots["real"],
            y=roots["imag"],
            mode="markers",
            name="inverse roots",
            marker={"size": 10, "color": FORECAST_COLOR},
            hovertemplate="modulus %{customdata:.4f}<extra></extra>",
            customdata=roots["modulus"],
        )
    )
    fig.update_xaxes(range=[-1.2, 1.2], zeroline=True, title_text="real")
    fig.update_yaxes(range=[-1.2, 1.2], zeroline=True, scaleanchor="x", scaleratio=1, title_text="imaginary")
    fig.update_layout(
        height=440,
        width=460,
        margin={"t": 50, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


@_text_safe
def plot_residuals(residuals: pd.DataFrame, transforms: dict[str, str] | None = None) -> go.Figure:
    """Residuals of each equation, in the units of its transformed variable."""
    rows, cols = _grid(len(residuals.columns))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(residuals.columns))
    for i, name in enumerate(residuals.columns):
        fig.add_trace(
            go.Scatter(
                x=residuals.index, y=residuals[name], mode="lines", line={"color": HISTORY_COLOR}, showlegend=False
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    names = list(residuals.columns)
    _panel_titles(fig, len(names), cols, lambda i: f"residual ({transformed_unit((transforms or {}).get(names[i]))})",
                  "date", tickformat=",~g")  # fmt: skip
    fig.update_layout(height=240 * rows + 40, margin={"t": 40, "b": 20, "l": 20, "r": 20})
    return fig


@_text_safe
def plot_acf(correlations: dict[str, np.ndarray], band: float) -> go.Figure:
    names = list(correlations)
    rows, cols = _grid(len(names))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"ACF of {n} residuals" for n in names])
    for i, name in enumerate(names):
        at = {"row": i // cols + 1, "col": i % cols + 1}
        lags = np.arange(1, len(correlations[name]))
        fig.add_trace(go.Bar(x=lags, y=correlations[name][1:], marker_color=FORECAST_COLOR, showlegend=False), **at)
        for sign in (1, -1):
            fig.add_hline(y=sign * band, line={"dash": "dot", "color": ACTUAL_COLOR}, **at)
    _panel_titles(fig, len(names), cols, lambda i: "autocorrelation", "lag (periods)", tickformat=".2f")
    fig.update_layout(height=240 * rows + 40, margin={"t": 40, "b": 20, "l": 20, "r": 20})
    return fig


@_text_safe
def plot_pvalue_heatmap(pvalues: pd.DataFrame, title: str) -> go.Figure:
    """p-values with the caused variable as rows and the causing one as columns; low (dark) = evidence."""
    text = [[("" if np.isnan(v) else f"{v:.3f}") for v in row] for row in pvalues.to_numpy()]
    fig = go.Figure(
        go.Heatmap(
            z=pvalues.to_numpy(),
            x=[f"{c} →" for c in pvalues.columns],
            y=[f"→ {r}" for r in pvalues.index],
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorscale="Blues_r",
            colorbar={"title": "p-value"},
        )
    )
    fig.update_layout(title=title, height=160 + 50 * len(pvalues), margin={"t": 60, "b": 20, "l": 20, "r": 20})
    fig.update_xaxes(title_text="causing variable")
    fig.update_yaxes(autorange="reversed", title_text="caused variable")
    return fig


@_text_safe
def plot_impulse_responses(
    variables: list[str], responses, lower, upper, cumulative: list[bool], shocks: list[str] | None = None,
    responders: list[str] | None = None, transforms: dict[str, str] | None = None,
) -> go.Figure:  # fmt: skip
    """The responses of `responders` to one-s.d. shocks in `shocks` (default: all), with the 95% band.

    Several of each: a grid, row = responding variable, column = shocked variable. One of either: the panels wrap
    in two columns, so eight responses to one shock stay readable.
    """
    shocks = list(shocks or variables)
    responders = list(responders or variables)
    panels = [(variables.index(r), variables.index(s)) for r in responders for s in shocks]
    if len(shocks) > 1 and len(responders) > 1:
        rows, cols = len(responders), len(shocks)
    else:
        rows, cols = _grid(len(panels))
    titles = [f"{variables[i]} ← shock to {variables[j]}" for i, j in panels]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08,
                        vertical_spacing=min(0.12, 0.5 / rows))  # fmt: skip
    steps = np.arange(responses.shape[0])
    for n, (i, j) in enumerate(panels):
        at = {"row": n // cols + 1, "col": n % cols + 1}
        band = {"x": steps, "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip", "mode": "lines"}
        fig.add_trace(go.Scatter(y=upper[:, i, j], **band), **at)
        fig.add_trace(go.Scatter(y=lower[:, i, j], fill="tonexty", fillcolor=BAND_COLOR, **band), **at)
        fig.add_trace(go.Scatter(x=steps, y=responses[:, i, j], line={"color": FORECAST_COLOR}, showlegend=False,
                                 mode="lines", name=f"{variables[i]} ← {variables[j]}"), **at)  # fmt: skip

    def unit(n: int) -> str:
        i = panels[n][0]
        if cumulative[i]:  # a cumulated response of a differenced variable is an effect on its (log) level
            return "log points" if (transforms or {}).get(variables[i]) == "logdiff" else "level units"
        return transformed_unit((transforms or {}).get(variables[i]))

    _panel_titles(fig, len(panels), cols, unit, "periods after the shock", zeroline=True,
                  zerolinecolor=HISTORY_COLOR, zerolinewidth=1, tickformat=",.2~g")  # fmt: skip
    fig.update_annotations(font_size=12)
    fig.update_layout(height=max(340, 240 * rows + 60), margin={"t": 40, "b": 20, "l": 20, "r": 20})
    return fig


@_text_safe
def plot_fevd(variables: list[str], decomposition) -> go.Figure:
    """One panel per variable: stacked shares of its forecast error variance by shock, against the horizon."""
    k = len(variables)
    rows, cols = _grid(k)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"FEVD of {v}" for v in variables])
    palette = ["#1f6feb", "#d08770", "#a3be8c", "#b48ead", "#ebcb8b", "#88c0d0", "#bf616a", "#5e81ac"]
    horizons = np.arange(1, decomposition.shape[1] + 1)
    for i in range(k):
        for j in range(k):
            fig.add_trace(
                go.Bar(
                    x=horizons,
                    y=100 * np.asarray(decomposition[i, :, j]),
                    name=variables[j],
                    legendgroup=variables[j],
                    showlegend=i == 0,
                    marker_color=palette[j % len(palette)],
                ),
                row=i // cols + 1,
                col=i % cols + 1,
            )
    _panel_titles(fig, k, cols, lambda i: "% of variance", "periods ahead", range=[0, 100], ticksuffix="%")
    fig.update_layout(
        barmode="stack",
        height=260 * rows + 40,
        margin={"t": 60, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
    )
    return fig


@_text_safe
def plot_errors_by_horizon(by_horizon: pd.DataFrame) -> go.Figure:
    variables = list(dict.fromkeys(by_horizon["variable"]))
    rows, cols = _grid(len(variables))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables)
    for i, name in enumerate(variables):
        part = by_horizon[by_horizon["variable"] == name]
        at = {"row": i // cols + 1, "col": i % cols + 1}
        fig.add_trace(
            go.Scatter(
                x=part["horizon"],
                y=part["rmse"],
                name="RMSE",
                mode="lines+markers",
                line={"color": FORECAST_COLOR},
                showlegend=i == 0,
            ),
            **at,
        )
        fig.add_trace(
            go.Scatter(
                x=part["horizon"],
                y=part["mae"],
                name="MAE",
                mode="lines+markers",
                line={"color": ACTUAL_COLOR},
                showlegend=i == 0,
            ),
            **at,
        )
    horizons = sorted(set(by_horizon["horizon"]))
    _panel_titles(fig, len(variables), cols, lambda i: "error (level units)", "periods ahead", tickformat=",~g")
    fig.update_xaxes(tickmode="array", tickvals=horizons, range=[min(horizons) - 0.5, max(horizons) + 0.5])
    fig.update_layout(
        height=260 * rows + 40,
        margin={"t": 60, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
    )
    return fig


@_text_safe
def plot_versions(forecasts: dict[str, Forecast], actual: pd.DataFrame, units: dict[str, str] | None = None
                  ) -> go.Figure:  # fmt: skip
    """Several versions' forecasts overlaid on the actual data, one panel per variable."""
    variables = list(actual.columns)
    rows, cols = _grid(len(variables))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables)
    palette = ["#1f6feb", "#a3be8c", "#b48ead", "#ebcb8b", "#88c0d0", "#bf616a"]
    for i, name in enumerate(variables):
        at = {"row": i // cols + 1, "col": i % cols + 1}
        fig.add_trace(
            go.Scatter(
                x=actual.index,
                y=actual[name],
                name="actual",
                line={"color": HISTORY_COLOR},
                showlegend=i == 0,
                legendgroup="actual",
            ),
            **at,
        )
        for n, (label, forecast) in enumerate(forecasts.items()):
            if name in forecast.variables:
                fig.add_trace(
                    go.Scatter(
                        x=forecast.point.index,
                        y=forecast.point[name],
                        name=label,
                        mode="lines+markers",
                        line={"color": palette[n % len(palette)]},
                        showlegend=i == 0,
                        legendgroup=label,
                    ),
                    **at,
                )
    _panel_titles(fig, len(variables), cols, lambda i: level_title(variables[i], units), "date", tickformat=",~g")
    fig.update_layout(
        height=320 * rows + 40,
        margin={"t": 80, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0},
    )
    return fig


@_text_safe
def plot_forecast_revision(revision: pd.DataFrame, history: pd.DataFrame, parent_label: str, new_label: str,
                           history_rows: int = 40, units: dict[str, str] | None = None) -> go.Figure:  # fmt: skip
    """Per variable: recent data, the parent version's forecast and the refreshed one, over the same dates.

    `revision` has columns date (ISO), variable, parent, new (varlib.refresh)."""
    variables = list(dict.fromkeys(revision["variable"]))
    rows, cols = _grid(len(variables))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables)
    shown = history.iloc[-history_rows:]
    for i, name in enumerate(variables):
        at = {"row": i // cols + 1, "col": i % cols + 1}
        part = revision[revision["variable"] == name]
        dates = pd.to_datetime(part["date"])
        fig.add_trace(go.Scatter(x=shown.index, y=shown[name], name="data", line={"color": HISTORY_COLOR},
                                 showlegend=i == 0, legendgroup="data"), **at)  # fmt: skip
        fig.add_trace(go.Scatter(x=dates, y=part["parent"], name=parent_label, mode="lines+markers",
                                 line={"color": ACTUAL_COLOR, "dash": "dash"}, showlegend=i == 0,
                                 legendgroup="parent"), **at)  # fmt: skip
        fig.add_trace(go.Scatter(x=dates, y=part["new"], name=new_label, mode="lines+markers",
                                 line={"color": FORECAST_COLOR}, showlegend=i == 0,
                                 legendgroup="new"), **at)  # fmt: skip
    if len(shown):
        for i in range(len(variables)):  # where the data end
            fig.add_vline(x=shown.index[-1], line={"dash": "dot", "width": 1, "color": HISTORY_COLOR},
                          row=i // cols + 1, col=i % cols + 1)  # fmt: skip
    _panel_titles(fig, len(variables), cols, lambda i: level_title(variables[i], units), "date", tickformat=",~g")
    fig.update_layout(
        height=320 * rows + 40,
        margin={"t": 80, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
        hovermode="x unified",
    )
    return fig
