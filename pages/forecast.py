"""Forecast: pick any stored version, plot its forecasts against its test data, download them as CSV."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import plain, show_error, stored_models_or_stop
from varlib import VarlibError, VersionSummary
from varlib.naming import LATEST
from varlib.plots import plot_forecast

st.title("Forecast")
models = stored_models_or_stop()
url = session.store_url()

wanted_model = st.session_state.get(session.FORECAST_MODEL)
left, right = st.columns([1, 3])
name = left.selectbox("Model", models, index=models.index(wanted_model) if wanted_model in models else 0)
try:
    versions = session.versions(url, name, session.generation())
except VarlibError as exc:
    show_error(exc)
    st.stop()
if not versions:
    st.info(f"Model {name!r} has no versions.")
    st.stop()

by_version: dict[str, VersionSummary] = {v.version: v for v in versions}
releases = [v for v in versions if not v.is_snapshot]
latest = releases[0] if releases else None
options = ([LATEST] if latest else []) + list(by_version)


def label(option: str) -> str:
    if option == LATEST:
        return f"latest (= {latest.version})"
    v = by_version[option]
    rmse = ", ".join(f"{k} {r:.4g}" for k, r in v.test_rmse.items())
    return f"{v.version} · {v.created[:10]} · p={v.lag_order} · test RMSE {rmse}"


wanted_version = st.session_state.get(session.FORECAST_VERSION)
index = options.index(wanted_version) if wanted_version in options else 0
choice = right.selectbox("Version (newest first)", options, index=index, format_func=label)
summary = latest if choice == LATEST else by_version[choice]
# Remember the choice so it survives page switches (widget keys do not).
st.session_state[session.FORECAST_MODEL] = name
st.session_state[session.FORECAST_VERSION] = choice

try:
    version = session.load_version(url, name, summary.version, summary.created)
except VarlibError as exc:
    show_error(exc)
    st.stop()

test_rows = len(version.test_levels)
most_steps = min(400, version.limits.max_steps(version.model.k))  # within VARLIB_MAX_FORECAST_CELLS
left, right = st.columns(2)
steps = left.number_input("Horizon (steps after the training data)", 1, most_steps, min(max(test_rows, 1), most_steps))
level = right.select_slider("Interval level", [50, 68, 80, 90, 95, 99], value=95, format_func=lambda v: f"{v}%")
alpha = round(1 - level / 100, 4)

try:
    forecast = session.forecast(url, name, summary.version, summary.created, int(steps), alpha)
except VarlibError as exc:  # e.g. an explosive model that overflows that far ahead
    show_error(exc)
    st.stop()
st.plotly_chart(plot_forecast(forecast, version.train_levels, version.test_levels), width="stretch")

st.subheader("Test metrics")
metrics = pd.DataFrame(version.metadata["test"]["metrics"]).T
metrics.columns = ["RMSE", "MAE", "MAPE %", "MAPE zeros skipped", "Theil's U"]
st.dataframe(metrics.style.format("{:.4g}", na_rep="–"), width="stretch")
test = version.metadata["data"]["test"]
st.caption(f"Over the version's {test['rows']} test rows, {test['start']} to {test['end']}, in levels.")

csv_text = session.forecast_csv(url, name, summary.version, summary.created, int(steps), alpha)
st.download_button(
    "Download forecast CSV",
    data=csv_text.encode(),
    file_name=f"{name}-{summary.version}-forecast.csv",
    mime="text/csv",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
)

with st.expander(f"Version {summary.version} metadata"):
    meta = version.metadata
    st.write(
        f"Created {plain(meta['created'])} · VAR({meta['model']['lag_order']}) chosen {meta['model']['chosen_by']} · "
        f"trend {meta['model']['trend']} · stable: {meta['stability']['stable']}"
    )
    st.write("Transforms: " + ", ".join(f"{plain(v)} ({t})" for v, t in meta["transforms"].items()))
    st.write(f"Training data {meta['data']['train']['start']} to {meta['data']['train']['end']} "
             f"({meta['data']['train']['rows']} rows) from {plain(meta['data']['source'])}.")  # fmt: skip
    if meta.get("note"):
        st.write(f"Note: {plain(meta['note'])}")
    st.json({k: v for k, v in meta.items() if k != "model"} | {"summary": asdict(summary)}, expanded=False)
