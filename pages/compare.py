"""Compare versions: forecasts overlaid against the test data, metadata and metrics side by side."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import VersionChoices, keep_choice, show_error, stored_models_or_stop
from varlib import VarlibError
from varlib.data import known_units
from varlib.formats import chosen_by_words, stability_words, trend_words
from varlib.plots import plot_versions

st.title("Compare versions")
models = stored_models_or_stop()
url = session.store_url()

keep_choice("compare_model_input", session.FORECAST_MODEL, models)  # the model chosen on Forecast or Analyze
name = st.selectbox("Model", models, key="compare_model_input")
st.session_state[session.FORECAST_MODEL] = name
summaries = session.versions(url, name, session.generation())
choices = VersionChoices(summaries)
by_version = choices.by_version
# By default the version chosen elsewhere (else the latest release) and the release before it: releases first,
# a SNAPSHOT only when there are too few releases.
remembered = st.session_state.get(session.FORECAST_VERSION)
first = choices.summary(remembered).version if remembered in choices.options else (
    choices.latest.version if choices.latest else next(iter(by_version), None))  # fmt: skip
releases = [v for v, s in by_version.items() if not s.is_snapshot and v != first]
others = [v for v in by_version if v != first and v not in releases]
default = [v for v in [first, *releases, *others] if v is not None][:2]
chosen = st.multiselect("Versions (two or more)", list(by_version), default=default, format_func=choices.label)
if len(chosen) < 2:
    st.info("Pick at least two versions to compare.")
    st.stop()

loaded = {}
try:
    for version in chosen:
        summary = by_version[version]
        loaded[version] = session.load_version(url, name, version, summary.created)
except VarlibError as exc:
    show_error(exc)
    st.stop()

# Each version forecasts its own test rows from the end of its own training data.
forecasts = {
    v: session.forecast(url, name, v, by_version[v].created, len(m.test_levels), 0.05, "train")
    for v, m in loaded.items()
}
newest = loaded[chosen[0]]
actual = pd.concat([newest.train_levels.iloc[-40:], newest.test_levels])
for version in loaded.values():
    actual = actual.combine_first(pd.concat([version.train_levels.iloc[-40:], version.test_levels]))
units = known_units(newest.metadata["data"].get("source"), list(actual.columns))
st.plotly_chart(plot_versions({f"{name} {v}": f for v, f in forecasts.items()}, actual, units), width="stretch")

rows = {}
for version, item in loaded.items():
    meta = item.metadata
    p = meta["model"]["lag_order"]
    table = {row["p"]: row for row in meta["lag_selection"]["table"]}
    column = {
        "created": meta["created"],
        "variables": ", ".join(f"{v} ({t})" for v, t in meta["transforms"].items()),
        "lag order p": p,
        "p chosen": chosen_by_words(meta["model"]["chosen_by"]),
        "deterministic terms": trend_words(meta["model"]["trend"]),
        "train": f"{meta['data']['train']['start']} – {meta['data']['train']['end']} ({meta['data']['train']['rows']})",
        "test": f"{meta['data']['test']['start']} – {meta['data']['test']['end']} ({meta['data']['test']['rows']})",
        "stability": stability_words(meta["stability"]["stable"]),
    }
    for criterion in ("aic", "bic", "hqic", "fpe"):
        value = table.get(p, {}).get(criterion)
        column[f"{criterion.upper()} at p"] = "–" if value is None else f"{value:.6g}"
    for variable, metrics in meta["test"]["metrics"].items():
        column[f"RMSE {variable}"] = f"{metrics['rmse']:.4g}"
        column[f"Theil's U {variable}"] = "–" if metrics["theil_u"] is None else f"{metrics['theil_u']:.3f}"
    column["note"] = meta.get("note") or ""
    rows[version] = column
st.subheader("Side by side")
st.dataframe(pd.DataFrame(rows).astype(str), width="stretch")
