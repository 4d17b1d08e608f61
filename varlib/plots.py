"""Plotly figures for the dashboard: pure functions of varlib results, testable without a UI."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from varlib.model import Forecast
from varlib.training import CRITERIA, LagSelection

HISTORY_COLOR = "#4c566a"
ACTUAL_COLOR = "#d08770"
FORECAST_COLOR = "#1f6feb"
BAND_COLOR = "rgba(31, 111, 235, 0.18)"


def _grid(count: int) -> tuple[int, int]:
    cols = 1 if count == 1 else 2
    return math.ceil(count / cols), cols


def plot_series(frame: pd.DataFrame, variables: list[str]) -> go.Figure:
    """The chosen level series, one panel each (their scales differ too much to share an axis)."""
    rows, cols = _grid(max(len(variables), 1))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables, shared_xaxes=False)
    for i, name in enumerate(variables):
        fig.add_trace(
            go.Scatter(x=frame.index, y=frame[name], name=name, line={"color": HISTORY_COLOR}, showlegend=False),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_layout(height=260 * rows, margin={"t": 40, "b": 20, "l": 20, "r": 20})
    return fig


def plot_criteria(selection: LagSelection) -> go.Figure:
    """Information criteria against p, the minimum of each marked; FPE on its own axis."""
    table = selection.table
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for criterion in CRITERIA:
        on_right = criterion == "fpe"
        fig.add_trace(
            go.Scatter(x=table.index, y=table[criterion], name=criterion.upper(), mode="lines+markers",
                       line={"dash": "dot"} if on_right else {}),
            secondary_y=on_right,
        )  # fmt: skip
        best = selection.selected[criterion]
        fig.add_trace(
            go.Scatter(
                x=[best], y=[table.at[best, criterion]], mode="markers", showlegend=False,
                marker={"size": 14, "symbol": "star", "color": "black"},
                hovertemplate=f"{criterion.upper()} minimum at p={best}<extra></extra>",
            ),
            secondary_y=on_right,
        )  # fmt: skip
    fig.update_xaxes(title_text="lag order p", dtick=1)
    fig.update_yaxes(title_text="AIC / BIC / HQIC", secondary_y=False)
    fig.update_yaxes(title_text="FPE", secondary_y=True, showgrid=False)
    fig.update_layout(
        height=380,
        margin={"t": 50, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def plot_forecast(
    forecast: Forecast,
    history: pd.DataFrame,
    actual: pd.DataFrame | None = None,
    history_rows: int | None = 60,
) -> go.Figure:
    """Per variable: training history, test actuals, forecast and its interval band, in levels."""
    variables = forecast.variables
    rows, cols = _grid(len(variables))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=variables)
    level = round((1 - forecast.alpha) * 100, 1)
    shown = history if history_rows is None else history.iloc[-history_rows:]
    for i, name in enumerate(variables):
        at = {"row": i // cols + 1, "col": i % cols + 1}
        first = i == 0
        fig.add_trace(
            go.Scatter(x=forecast.upper.index, y=forecast.upper[name], mode="lines", line={"width": 0},
                       showlegend=False, name="upper", legendgroup="band", marker={"color": BAND_COLOR}),
            **at,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=forecast.lower.index, y=forecast.lower[name], mode="lines", line={"width": 0},
                       fill="tonexty", fillcolor=BAND_COLOR, name=f"{level:g}% interval", showlegend=first,
                       legendgroup="band", marker={"color": BAND_COLOR}),
            **at,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=shown.index, y=shown[name], name="training data", line={"color": HISTORY_COLOR},
                       showlegend=first, legendgroup="history"),
            **at,
        )  # fmt: skip
        if actual is not None and len(actual):
            fig.add_trace(
                go.Scatter(x=actual.index, y=actual[name], name="test data", mode="lines+markers",
                           line={"color": ACTUAL_COLOR}, showlegend=first, legendgroup="actual"),
                **at,
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=forecast.point.index, y=forecast.point[name], name="forecast", mode="lines+markers",
                       line={"color": FORECAST_COLOR}, showlegend=first, legendgroup="forecast"),
            **at,
        )  # fmt: skip
    fig.update_layout(
        height=320 * rows + 40,
        margin={"t": 80, "b": 20, "l": 20, "r": 20},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
        hovermode="x unified",
    )
    return fig
