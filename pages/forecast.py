"""Forecast: pick any stored version; forecast ahead from the latest data, judge it against its test data, download."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import (
    VersionChoices,
    keep_choice,
    number_format,
    plain,
    show_error,
    show_lineage,
    show_metrics,
    stored_models_or_stop,
)
from varlib import VarlibError
from varlib.data import known_units
from varlib.exog import assumed_path
from varlib.formats import chosen_by_words, stability_words, terms_words
from varlib.model import ORIGIN_DATA, ORIGIN_TRAIN, forecast_file_name, iso_timestamp, iso_timestamps
from varlib.plots import plot_forecast

st.title("Forecast")
models = stored_models_or_stop()
url = session.store_url()


left, right = st.columns([1, 3])
keep_choice("forecast_model_input", session.FORECAST_MODEL, models)
name = left.selectbox("Model", models, key="forecast_model_input")
try:
    versions = session.versions(url, name, session.generation())
except VarlibError as exc:
    show_error(exc)
    st.stop()
if not versions:
    st.info(f"Model {name!r} has no versions.")
    st.stop()

choices = VersionChoices(versions)
keep_choice("forecast_version_input", session.FORECAST_VERSION, choices.options)
choice = right.selectbox("Version (newest first)", choices.options, key="forecast_version_input",
                         format_func=choices.label)  # fmt: skip
summary = choices.summary(choice)
# Remember the choice so it survives page switches (widget keys do not).
st.session_state[session.FORECAST_MODEL] = name
st.session_state[session.FORECAST_VERSION] = choice

try:
    version = session.load_version(url, name, summary.version, summary.created)
except VarlibError as exc:
    show_error(exc)
    st.stop()

if summary.deprecated:
    st.warning(f"{plain(name)} {summary.version} is deprecated: {plain(summary.deprecated)}.",
               icon=":material/block:")  # fmt: skip
if version.evaluation_only:
    st.warning(f"{plain(name)} {summary.version} has the evaluation fit only: it was stored before versions had a "
               "production fit, so its forecasts start after its training rows, not after the latest data. Refresh "
               "or retrain it to forecast ahead.", icon=":material/history:")  # fmt: skip

test_rows = len(version.test_levels)
most_steps = min(400, version.limits.max_steps(version.model.k))  # within VARLIB_MAX_FORECAST_CELLS
data_end = iso_timestamp(version.test_levels.index[-1])
train_end = iso_timestamp(version.train_levels.index[-1])
ORIGIN_LABELS = {
    ORIGIN_DATA: f"the latest data ({data_end}), fitted on all rows",
    ORIGIN_TRAIN: f"the end of training ({train_end}), against the test data",
}

st.header("Forecast ahead")
origins = [ORIGIN_TRAIN] if version.evaluation_only else [ORIGIN_DATA, ORIGIN_TRAIN]
wanted_origin = st.session_state.get(session.FORECAST_ORIGIN, ORIGIN_DATA)
left, middle, right = st.columns([2, 1, 1])
origin = left.radio("Forecast from", origins, index=origins.index(wanted_origin) if wanted_origin in origins else 0,
                    format_func=ORIGIN_LABELS.get, horizontal=True)  # fmt: skip
st.session_state[session.FORECAST_ORIGIN] = origin
steps = middle.number_input("Horizon (steps)", 1, most_steps, min(max(test_rows, 1), most_steps))
level = right.select_slider("Interval level", [50, 68, 80, 90, 95, 99], value=95, format_func=lambda v: f"{v}%")
alpha = round(1 - level / 100, 4)

fit = version.fit_for(origin)
exog_path = None
if fit.exog_variables:  # the forecast is conditioned on their path: shown, editable, said
    dates = fit.forecast_dates(int(steps))
    assumed = assumed_path(version.levels[fit.exog_variables], dates)
    with st.expander(f"Path of the exogenous variables ({plain(', '.join(fit.exog_variables))}): the forecast's "
                     "assumption", expanded=True):  # fmt: skip
        st.caption(
            "The forecast is conditioned on these values (levels): the data where the dates have them, then "
            "the last value held. Edit them to your assumptions; the intervals take the path as known."
        )
        shown_path = assumed.set_axis(iso_timestamps(dates))
        edited = st.data_editor(shown_path, key=f"exog_path:{name}:{summary.version}:{origin}:{int(steps)}",
                                width="content", height=min(38 + 35 * len(dates), 320), num_rows="fixed")  # fmt: skip
    exog_path = pd.DataFrame(edited.to_numpy(dtype=float), index=dates, columns=fit.exog_variables)

try:
    forecast = session.forecast(url, name, summary.version, summary.created, int(steps), alpha, origin, exog_path)
except VarlibError as exc:  # e.g. an explosive model that overflows that far ahead
    show_error(exc)
    st.stop()
units = known_units(version.metadata["data"].get("source"), version.model.variables)
path_key = None if exog_path is None else exog_path.to_numpy().tobytes()
shown = (url, name, summary.version, summary.created, int(steps), alpha, path_key)  # names the forecast, its figure
if origin == ORIGIN_DATA:
    figure = session.figure(("forecast", *shown, origin), lambda: plot_forecast(
        forecast, version.levels, None, history_label="data", origin_label="end of data", units=units))  # fmt: skip
else:
    figure = session.figure(("forecast", *shown, origin), lambda: plot_forecast(
        forecast, version.train_levels, version.test_levels, units=units))  # fmt: skip
st.plotly_chart(figure, width="stretch")
st.caption(
    f"{forecast.interval_level:g}% intervals. {fit.label} "
    + (f"re-estimated on all {len(version.levels)} rows to {data_end}" if origin == ORIGIN_DATA
       else f"estimated on the {len(version.train_levels)} training rows to {train_end}")
    + f"; first forecast {iso_timestamp(forecast.point.index[0])}."
)  # fmt: skip

values = forecast.to_frame().drop(columns=["origin", "interval_level"])
values.index = iso_timestamps(values.index)
values.columns = pd.MultiIndex.from_tuples(
    [(variable, part) for variable in forecast.variables for part in ("forecast", "lower", "upper")]
)
st.dataframe(values, width="stretch", column_config=number_format(values))

csv_text = session.forecast_csv(url, name, summary.version, summary.created, int(steps), alpha, origin, exog_path)
st.download_button(
    "Download forecast CSV",
    data=csv_text.encode(),
    file_name=forecast_file_name(name, summary.version, forecast.origin, alpha),
    mime="text/csv",
    on_click="ignore",
    type="primary",
    icon=":material/download:",
)

if version.metadata.get("lineage"):
    parent = version.metadata["lineage"]["parent"]
    with st.expander(f"Refreshed from {plain(parent['name'])} {plain(parent['version'])}: how the forecast moved",
                     expanded=True):  # fmt: skip
        show_lineage(version.metadata, version.levels, summary.version)

st.header("Evaluation against the test data")
test = version.metadata["data"]["test"]
if origin == ORIGIN_DATA:
    try:
        evaluation = session.forecast(url, name, summary.version, summary.created, test_rows, alpha, ORIGIN_TRAIN)
    except VarlibError as exc:
        show_error(exc)
        st.stop()
    evaluation_key = ("forecast", url, name, summary.version, summary.created, test_rows, alpha, ORIGIN_TRAIN)
    st.plotly_chart(session.figure(evaluation_key, lambda: plot_forecast(
        evaluation, version.train_levels, version.test_levels, units=units)), width="stretch")  # fmt: skip
show_metrics(pd.DataFrame(version.metadata["test"]["metrics"]).T)
st.caption(
    f"The evaluation fit, estimated on the training rows, forecasting the version's {test['rows']} test rows "
    f"({test['start']} to {test['end']}) in levels. Theil's U below 1 beats the no-change forecast."
)

with st.expander(f"Version {summary.version} metadata"):
    meta = version.metadata
    st.write(
        f"Created {plain(meta['created'])} · {version.model.label}, p "
        f"{chosen_by_words(meta['model']['chosen_by'])} · deterministic terms: "
        f"{terms_words(meta['model']['trend'], summary.terms)} · "
        f"evaluation fit {stability_words(meta['stability']['stable'])}"
    )
    st.write("Transforms: " + ", ".join(f"{plain(v)} ({t})" for v, t in meta["transforms"].items()))
    st.write(f"Training data {meta['data']['train']['start']} to {meta['data']['train']['end']} "
             f"({meta['data']['train']['rows']} rows) from {plain(meta['data']['source'])}.")  # fmt: skip
    if meta.get("note"):
        st.write(f"Note: {plain(meta['note'])}")
    st.json({k: v for k, v in meta.items() if k != "model"} | {"summary": asdict(summary)}, expanded=False)
