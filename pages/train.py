"""Train: choose data and variables, inspect the lag criteria, fit a VAR and judge it on the test data."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import (
    criteria_table,
    data_source,
    failed_key,
    plain,
    show_error,
    show_estimation,
    show_metrics,
    show_notes,
    show_reading,
    stationarity_verdicts,
)
from varlib import InvalidInput, TrainSpec, VarlibError, vecm
from varlib.deterministic import split_dates
from varlib.formats import format_pvalue, format_statistic, stationarity_table
from varlib.plots import plot_criteria, plot_forecast, plot_series
from varlib.training import CRITERIA
from varlib.transforms import TRANSFORMS
from varlib.vecm import DETERMINISTIC_TERMS

st.title("Train a VAR")

# 1. Data -----------------------------------------------------------------------------------------
st.header("1. Data")
choice = data_source("train", "CSV or Excel file with a date column and numeric columns",
                     "refuse: stop at an empty cell; drop: rows with one at the start or end; interpolate: linearly "
                     "in time")  # fmt: skip
try:
    data = session.dataset(*choice)
except InvalidInput as exc:
    if not st.session_state.get(failed_key("train")):
        st.session_state[failed_key("train")] = True
        st.rerun()  # once: the reading options open, as the message may name one of them
    reading = session.inspection(*choice) if choice[1] is not None else None
    if reading is not None:
        show_reading(reading)
    show_error(exc)
    st.stop()
st.session_state[failed_key("train")] = False
identity = session.data_identity(choice)
kept_for = st.session_state.get(session.RESULTS_DATA)
if kept_for is not None and kept_for != identity and session.SELECTION in st.session_state:
    # A lag table or fit is never shown under other data than its own.
    st.session_state.pop(session.SELECTION, None)
    st.session_state.pop(session.RESULT, None)
    st.info("The lag criteria and the fit shown before were computed on other data; they were cleared. Compute "
            "them again for these data.")  # fmt: skip
st.session_state[session.DATASET_CHOICE] = choice
st.session_state[session.RESULTS_DATA] = identity
show_notes(data.notes)
if data.reading is not None:
    show_reading(data.reading)

units = {name: info.axis_unit for name, info in data.info.items()}
previous = st.session_state.get(session.SPEC)
default_vars = [v for v in (previous.variables if previous else ["realgdp", "realcons"]) if v in data.variables]
variables = st.multiselect("Variables", data.variables, default=default_vars or data.variables[:2])
exog_choices = [v for v in data.variables if v not in variables]
exog = st.multiselect("Exogenous variables", exog_choices,
                      default=[v for v in (previous.exog if previous else []) if v in exog_choices],
                      help="Regressors of every equation at time t, not explained by the VAR (R vars' exogen=): an "
                      "oil price, a foreign interest rate. Forecasting ahead needs their future values, which the "
                      "Forecast page asks for.")  # fmt: skip
with st.expander("Preview", expanded=True):
    if variables:
        st.plotly_chart(session.figure(("series", identity, tuple(variables)),
                                       lambda: plot_series(data.frame, variables, units)), width="stretch")  # fmt: skip
    preview = data.frame[variables or data.variables].tail(8)
    st.dataframe(preview.set_axis(preview.index.strftime("%Y-%m-%d")), width="stretch")

# Collapsed boxes run only when opened (a collapsed expander still runs its body): reruns stay cheap.
stationarity_box = st.expander(
    "Stationarity of the training data (ADF and KPSS, per transform)", key="train_stationarity_open", on_change="rerun"
)
if stationarity_box.open:
    with stationarity_box:
        held_out = previous.test_size if previous else 12
        if len(variables) and len(data.frame) > held_out + 20:
            found = session.stationarity(f"{identity}:{variables}:{held_out}", data.frame[variables].iloc[:-held_out])
            tests, suggested = found.tests, found.suggested
            st.dataframe(stationarity_verdicts(found.verdicts), width="stretch")
            st.caption(
                f"On the first {len(data.frame) - held_out} rows (the test rows excluded). Stationary: ADF rejects a "
                "unit root and KPSS does not reject stationarity, both at 5%. Suggested: the simplest transform both "
                "tests call stationary (none, log, logdiff, diff), else the one ADF rejects hardest."
            )
            if st.toggle("Show the test statistics"):  # full width (a popover was 300 px); expanders cannot nest
                st.dataframe(stationarity_table(tests), width="stretch", hide_index=True)
                st.caption("KPSS p-values come from a table: '< 0.01' and '> 0.1' are its ends.")

            def use_suggestions() -> None:
                for name, transform in suggested.items():
                    st.session_state[f"transform_{name}"] = transform

            st.button("Use the suggested transforms", on_click=use_suggestions)
        else:
            st.caption("Choose variables (and enough rows) to test.")


# 2. Lag selection --------------------------------------------------------------------------------
st.header("2. Lag selection")
with st.form("train_parameters"):
    st.write("Transform per variable" + (" (exogenous ones too)" if exog else ""))
    transform_columns = st.columns(max(len(variables) + len(exog), 1))
    transforms = {}
    for column, name in zip(transform_columns, [*variables, *exog], strict=False):
        key = f"transform_{name}"
        if key not in st.session_state:  # a default once; afterwards the widget keeps the analyst's choice
            st.session_state[key] = previous.transforms.get(name, "logdiff") if previous else "logdiff"
        transforms[name] = column.selectbox(plain(name), TRANSFORMS, key=key)
    left, middle, right = st.columns(3)
    test_size = left.number_input("Test size (rows held out)", 1, 500, previous.test_size if previous else 12)
    max_lags = middle.number_input("Max lags", 1, 48, previous.max_lags if previous else 12)
    trend = right.selectbox("Trend", ["c", "ct", "n"], format_func={"c": "constant", "ct": "constant + trend",
                                                                      "n": "none"}.get)  # fmt: skip
    left, middle, right = st.columns(3)
    seasonal = left.checkbox("Seasonal dummies", previous.seasonal if previous else False,
                             help="Centred seasonal dummies for monthly or quarterly data (as R vars' season=): "
                             "one per season but the last, summing to zero over a year.")  # fmt: skip
    impulse = middle.text_input("Impulse dummies", ", ".join(previous.impulse_dummies) if previous else "",
                                placeholder="e.g. 2008Q4, 2020Q2",
                                help="1 in each of these periods, 0 elsewhere: an outlier, a strike.")  # fmt: skip
    step = right.text_input("Step dummies", ", ".join(previous.step_dummies) if previous else "",
                            placeholder="e.g. 2008Q4",
                            help="0 before each of these periods, 1 from it on: a level shift, a break.")  # fmt: skip
    left, middle, right = st.columns(3)
    kinds = {"var": "VAR", "vecm": "VECM (cointegrated levels)"}
    kind = left.selectbox("Model kind", list(kinds), format_func=kinds.get,
                          index=list(kinds).index(previous.kind) if previous else 0,
                          help="A VECM models the (log) levels of cointegrated series (transforms none or log): p is "
                          "chosen on the levels VAR, with p − 1 lagged differences.")  # fmt: skip
    rank = middle.number_input("Cointegration rank (VECM)", 0, max(len(variables) - 1, 0),
                               (previous.coint_rank or 0) if previous else 0,
                               help="0: chosen by Johansen's trace test at 5%.")  # fmt: skip
    vecm_terms = right.selectbox("VECM deterministic terms", list(DETERMINISTIC_TERMS),
                                 index=list(DETERMINISTIC_TERMS).index(previous.vecm_deterministic) if previous else 2,
                                 format_func=lambda t: f"{t}: {DETERMINISTIC_TERMS[t]}")  # fmt: skip
    submitted = st.form_submit_button("Compute lag criteria", type="primary")

if submitted:
    spec = TrainSpec.build(variables, transforms, test_size=int(test_size), max_lags=int(max_lags), trend=trend,
                           seasonal=seasonal, impulse_dummies=split_dates(impulse),
                           step_dummies=split_dates(step), exog=list(exog), kind=kind,
                           coint_rank=int(rank) or None, vecm_deterministic=vecm_terms)  # fmt: skip
    try:
        with st.spinner("Computing information criteria for each lag order…"):
            selection = session.lag_selection(data, spec)
    except VarlibError as exc:
        show_error(exc)
        st.stop()
    st.session_state[session.SPEC] = spec
    st.session_state[session.SELECTION] = selection
    st.session_state.pop(session.RESULT, None)

spec = st.session_state.get(session.SPEC)
selection = st.session_state.get(session.SELECTION)
if spec is None or selection is None:
    st.info("Choose the parameters and compute the lag criteria.")
    st.stop()

table, chart = st.columns([2, 3])
table.dataframe(
    criteria_table(selection.table.rename(columns=str.upper)),
    width="stretch",
    height=min(38 + 35 * len(selection.table), 600),
)
table.caption("Minimum of each criterion highlighted. Selected: "
              + ", ".join(f"{c.upper()} p={p}" for c, p in selection.selected.items()))  # fmt: skip
chart.plotly_chart(session.figure(("criteria", identity, repr(spec)), lambda: plot_criteria(selection)),
                   width="stretch")  # fmt: skip

# 3. Fit ------------------------------------------------------------------------------------------
st.header("3. Fit")
by = st.radio("Choose the lag order", ["by criterion", "fixed p"], horizontal=True)
if by == "by criterion":
    criterion = st.selectbox("Criterion", CRITERIA, format_func=lambda c: f"{c.upper()} (p = {selection.selected[c]})")
    fit_spec = TrainSpec(**{**asdict(spec), "criterion": criterion, "lags": None})
else:
    p = st.number_input("Lag order p", 0, int(spec.max_lags), selection.selected["aic"])
    fit_spec = TrainSpec(**{**asdict(spec), "lags": int(p)})

if st.button("Fit VECM" if spec.kind == "vecm" else "Fit VAR", type="primary"):
    try:
        with st.spinner("Fitting the VAR and forecasting the test data…"):
            st.session_state[session.RESULT] = session.fit(data, fit_spec)
    except VarlibError as exc:
        show_error(exc)
        st.stop()

result = st.session_state.get(session.RESULT)
if result is None:
    st.stop()

# 4. Results --------------------------------------------------------------------------------------
st.header("4. Result")
by_text = "fixed by you" if result.chosen_by == "fixed" else f"chosen by {result.chosen_by.upper()}"
cols = st.columns(4)
# A label, not a change: no arrow and no colour.
cols[0].metric("Lag order p", result.model.lag_order, by_text, delta_color="off", delta_arrow="off")
cols[1].metric("Stable", "yes" if result.stability.stable else "NO")
cols[2].metric("Training rows", len(result.train_levels))
cols[3].metric("Test rows", len(result.test_levels))
if not result.stability.stable:
    st.warning(f"The fitted VAR is not stable (largest companion eigenvalue modulus "
               f"{result.stability.max_modulus:.4f} ≥ 1): forecasts may explode.")  # fmt: skip
show_notes([note for note in result.notes if "not stable" not in note])
st.subheader("Test metrics (levels)")
show_metrics(pd.DataFrame({v: asdict(m) for v, m in result.metrics.items()}).T,
             "Theil's U below 1 beats the no-change forecast from the same origin.")  # fmt: skip
st.plotly_chart(session.figure(("test forecast", session.fit_key(result.model)), lambda: plot_forecast(
    result.test_forecast, result.train_levels, result.test_levels, units=units)), width="stretch")  # fmt: skip

st.subheader("Two fits, one specification")
evaluation, production = st.columns(2)
evaluation.markdown(
    f"**Evaluation fit** on the {len(result.train_levels)} training rows, {result.train_levels.index[0].date()} to "
    f"{result.train_levels.index[-1].date()}: scored on the test rows above. Stable: "
    f"{'yes' if result.stability.stable else 'NO'} (largest modulus {result.stability.max_modulus:.4f})."
)
production_stability = result.production_stability
production.markdown(
    f"**Production fit**: {result.model.label} re-estimated on all {len(result.levels)} rows, to "
    f"{result.levels.index[-1].date()}; it forecasts ahead from "
    f"{result.production.forecast_dates(1)[0].date()}. Stable: {'yes' if production_stability.stable else 'NO'} "
    f"(largest modulus {production_stability.max_modulus:.4f})."
)
if result.vecm:
    johansen = result.vecm["johansen"]
    with st.expander(f"Johansen's rank tests and the cointegration relations ({result.model.regressors_words()})",
                     expanded=True):  # fmt: skip
        st.dataframe(johansen.table.map(format_statistic), width="stretch")
        st.caption(f"On the training rows, H0: rank ≤ r0. At 5% the trace test chooses rank {johansen.rank_by_trace}, "
                   f"the maximum-eigenvalue test {johansen.rank_by_max_eigenvalue}.")  # fmt: skip
        relation = vecm.cointegration_table(result.vecm["data"])
        for column in ("estimate", "std_error", "t_statistic"):
            relation[column] = relation[column].map(format_statistic)
        relation["p_value"] = relation["p_value"].map(format_pvalue)
        st.dataframe(relation.rename(columns={"equation": "relation", "std_error": "std. error",
                                              "t_statistic": "t-statistic", "p_value": "p-value"}),
                     width="stretch", hide_index=True)  # fmt: skip
        st.caption("β of the production fit, normalised (the first variable's coefficient is 1).")
if result.estimation:  # results rebuilt from versions stored before it have none
    estimation_box = st.expander("Estimation output (coefficients, standard errors, t and p; R², log-likelihood, "
                                 "criteria)", key="train_estimation_open", on_change="rerun")  # fmt: skip
    if estimation_box.open:
        with estimation_box:
            show_estimation(result.estimation, "train_estimation", "current-fit")
st.page_link("pages/publish.py", label="Publish this model as a version", icon=":material/cloud_upload:")
