"""Compare versions: forecasts overlaid against the test data, metadata and metrics side by side."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import VersionChoices, keep_choice, show_error, stored_models_or_stop
from varlib import VarlibError
from varlib.data import known_units
from varlib.formats import chosen_by_words, stability_words, terms_words
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

accuracy: dict[str, dict[str, float | None]] = {}
specification: dict[str, dict[str, str]] = {}
for version, item in loaded.items():
    meta = item.metadata
    p = meta["model"]["lag_order"]
    lag_rows = {row["p"]: row for row in meta["lag_selection"]["table"]}
    scores: dict[str, float | None] = {}
    for variable, metrics in meta["test"]["metrics"].items():
        scores[f"RMSE {variable}"] = metrics["rmse"]
    for variable, metrics in meta["test"]["metrics"].items():
        scores[f"Theil's U {variable}"] = metrics["theil_u"]
    accuracy[version] = scores
    column = {
        "lag order p": str(p),
        "p chosen": chosen_by_words(meta["model"]["chosen_by"]),
        "stability": stability_words(meta["stability"]["stable"]),
        "variables (transform)": ", ".join(f"{v} ({t})" for v, t in meta["transforms"].items()),
        "deterministic terms": terms_words(meta["model"]["trend"], item.summary.terms),
        "training data": f"{meta['data']['train']['start']} to {meta['data']['train']['end']} "
        f"({meta['data']['train']['rows']} rows)",
        "test data": f"{meta['data']['test']['start']} to {meta['data']['test']['end']} "
        f"({meta['data']['test']['rows']} rows)",
    }
    for criterion in ("aic", "bic", "hqic", "fpe"):
        value = lag_rows.get(p, {}).get(criterion)
        column[f"{criterion.upper()} at the chosen p"] = "–" if value is None else f"{value:.6g}"
    column["created"] = meta["created"][:19].replace("T", " ")
    column["note"] = meta.get("note") or ""
    specification[version] = column

st.subheader("Test accuracy")
scores = pd.DataFrame(accuracy)
best = scores.apply(lambda row: row == row.min(), axis=1) & scores.notna()  # lower is better for both
text = scores.map(lambda v: "–" if pd.isna(v) else f"{v:.4g}")
text.loc[[label for label in text.index if label.startswith("Theil")]] = scores.loc[
    [label for label in scores.index if label.startswith("Theil")]
].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
st.table(text.style.apply(lambda _: best.map(lambda b: "background-color: #c8e6c9; font-weight: bold" if b else "")
                          .to_numpy(), axis=None).set_properties(**{"text-align": "right"}))  # fmt: skip
st.caption("Each version on its own test rows, in levels; the lowest of each row in green. Theil's U below 1 beats "
           "the no-change forecast. Versions tested on different rows are not strictly comparable.")  # fmt: skip

st.subheader("Specification and data")
spec_table = pd.DataFrame(specification)
differs = spec_table.nunique(axis=1) > 1
st.table(spec_table.style.apply(lambda row: ["background-color: #fff3cd" if differs[row.name] else ""] * len(row),
                                axis=1))  # fmt: skip
st.caption("Rows that differ between the versions are highlighted.")
