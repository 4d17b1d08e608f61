"""Analyze: diagnostics, causality, impulse responses, backtests and baselines, for the current fit or any
stored version (refitted from its stored training data and checked against its stored parameters)."""

import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import VersionChoices, keep_choice, plain, show_error, stored_models_or_stop
from varlib import VarlibError
from varlib.analysis import suggest_transforms
from varlib.formats import format_pvalue, format_statistic, stationarity_table
from varlib.plots import (
    plot_acf,
    plot_errors_by_horizon,
    plot_fevd,
    plot_impulse_responses,
    plot_inverse_roots,
    plot_pvalue_heatmap,
    plot_residuals,
)

st.title("Analyze a model")

# 1. Which model --------------------------------------------------------------------------------------
source = st.radio("Model", ["Current fit (Train page)", "Stored version"], horizontal=True)
if source.startswith("Current"):
    result = st.session_state.get(session.RESULT)
    if result is None:
        st.info("Fit a model on the Train page first, or pick a stored version.")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    model, train_levels, test_levels, spec = result.model, result.train_levels, result.test_levels, result.spec
    key = session.fit_key(model)
    label = f"the current fit, VAR({model.lag_order}) on {plain(', '.join(model.variables))}"
else:
    models = stored_models_or_stop()
    url = session.store_url()
    try:
        left, right = st.columns([1, 3])
        keep_choice("analyze_model_input", session.FORECAST_MODEL, models)  # the model chosen on Forecast, too
        name = left.selectbox("Stored model", models, key="analyze_model_input")
        summaries = session.versions(url, name, session.generation())
        if not summaries:
            st.info(f"Model {name!r} has no versions.")
            st.stop()
        choices = VersionChoices(summaries)
        keep_choice("analyze_version_input", session.FORECAST_VERSION, choices.options)
        choice = right.selectbox("Version", choices.options, format_func=choices.label, key="analyze_version_input")
        st.session_state[session.FORECAST_MODEL], st.session_state[session.FORECAST_VERSION] = name, choice
        summary = choices.summary(choice)
        version = session.load_version(url, name, summary.version, summary.created)
    except VarlibError as exc:
        show_error(exc)
        st.stop()
    model, train_levels, test_levels, spec = version.model, version.train_levels, version.test_levels, version.spec
    key = session.version_key(url, name, summary.version, summary.created)
    label = f"{name} {summary.version}, VAR({model.lag_order}) on {plain(', '.join(model.variables))}"

fit = session.refit(key, model, train_levels)
if source.startswith("Current"):
    st.info(f"Analyzing {label}, not published yet.", icon=":material/science:")  # nothing stored to reproduce
elif fit.matches:
    st.success(f"Analyzing {label}. {fit.message()}", icon=":material/verified:")
else:
    st.error(f"{label}: {fit.message()}", icon=":material/gpp_bad:")

stationarity_tab, diagnostics_tab, causality_tab, irf_tab, backtest_tab, baselines_tab = st.tabs(
    ["Stationarity", "Diagnostics", "Causality", "Impulse responses", "Backtest", "Baselines"]
)

# 2. Stationarity -------------------------------------------------------------------------------------
with stationarity_tab:
    tests = session.stationarity(train_levels)
    suggested = suggest_transforms(tests)
    verdicts = tests.pivot(index="variable", columns="transform", values="verdict").reindex(index=model.variables)
    verdicts["used"] = model.transforms
    verdicts["suggested"] = [suggested[v] for v in verdicts.index]
    st.dataframe(verdicts, width="stretch")
    st.caption("ADF (lag by AIC) and KPSS on the training data, per candidate transform; stationary when ADF "
               "rejects a unit root and KPSS does not reject stationarity, both at 5%.")  # fmt: skip
    st.dataframe(stationarity_table(tests), width="stretch", hide_index=True)

# 3. Diagnostics --------------------------------------------------------------------------------------
with diagnostics_tab:
    d = session.diagnostics(key, fit)
    left, right = st.columns([2, 3])
    left.subheader("Stability")
    left.write("Stable: all companion eigenvalues inside the unit circle." if d.stable
               else "NOT stable: an eigenvalue lies on or outside the unit circle.")  # fmt: skip
    left.dataframe(d.roots.round(4), width="stretch", height=240)
    right.plotly_chart(plot_inverse_roots(d.roots), width="content")
    st.subheader("Residual tests")
    tests = pd.DataFrame(
        [
            {"test": f"Portmanteau (whiteness), h = {d.whiteness_lags}", "statistic": d.whiteness_statistic,
             "p-value": d.whiteness_pvalue, "H0": "no residual autocorrelation up to lag h"},
            {"test": "Jarque-Bera (multivariate normality)", "statistic": d.normality_statistic,
             "p-value": d.normality_pvalue, "H0": "residuals are normal"},
        ]
    )  # fmt: skip
    tests["at 5%"] = ["rejected" if p < 0.05 else "not rejected" for p in tests["p-value"]]
    tests["statistic"] = tests["statistic"].map(format_statistic)
    tests["p-value"] = tests["p-value"].map(format_pvalue)
    st.dataframe(tests, width="stretch", hide_index=True)
    st.caption(f"Portmanteau lag choice: {d.whiteness_rule}.")
    st.subheader("Residuals")
    st.plotly_chart(plot_residuals(d.residuals, dict(zip(model.variables, model.transforms, strict=True))),
                    width="stretch")  # fmt: skip
    st.plotly_chart(plot_acf(d.residual_acf, d.acf_band), width="stretch")

# 4. Causality ----------------------------------------------------------------------------------------
with causality_tab:
    c = session.causality(key, fit)
    st.plotly_chart(plot_pvalue_heatmap(c.granger_pvalues, "Granger causality p-values (row caused by column)"),
                    width="stretch")  # fmt: skip
    st.caption(c.test + ". A small p-value is evidence that the column variable helps predict the row variable.")
    st.subheader("Instantaneous causality")
    instantaneous = c.instantaneous_pvalues.rename("p-value").to_frame()
    instantaneous["at 5%"] = ["rejected" if p < 0.05 else "not rejected" for p in instantaneous["p-value"]]
    instantaneous["p-value"] = instantaneous["p-value"].map(format_pvalue)  # not 0.0000000000000000004
    st.dataframe(instantaneous, width="stretch")
    st.caption("H0: no instantaneous causality between the variable and the others (Wald test).")

# 5. Impulse responses --------------------------------------------------------------------------------
with irf_tab:
    periods = st.number_input("Periods", 2, 40, 10, key="irf_periods")
    st.caption("Orthogonalised (Cholesky, in the variables' order) one-s.d. shocks with asymptotic 95% bands; "
               "responses of differenced variables are cumulated, i.e. effects on their (log) levels.")  # fmt: skip
    wanted = st.session_state.get("irf_requested") == (key, periods)
    if st.button("Compute impulse responses and FEVD", type="primary") or wanted:
        st.session_state["irf_requested"] = (key, periods)
        bar = st.progress(0.0, "Starting…")
        irf = session.impulse_responses(key, int(periods), fit, lambda share, text: bar.progress(share, text))
        bar.empty()
        st.plotly_chart(plot_impulse_responses(irf.variables, irf.responses, irf.lower, irf.upper, irf.cumulative),
                        width="stretch")  # fmt: skip
        st.subheader("Forecast error variance decomposition")
        st.plotly_chart(plot_fevd(irf.variables, irf.fevd), width="stretch")
    else:
        st.info("Computed on demand (seconds for many variables), then kept for this model.")

# 6. Backtest -----------------------------------------------------------------------------------------
with backtest_tab:
    levels = pd.concat([train_levels, test_levels])
    with st.form("backtest"):
        left, middle, right = st.columns(3)
        origins = left.number_input("Origins", 1, 60, 12)
        horizon = middle.number_input("Horizon", 1, 24, 4)
        reselect = right.checkbox("Re-select p at each origin", help=f"by {spec.criterion or 'AIC'} up to "
                                  f"{spec.max_lags} lags; otherwise p = {model.lag_order} throughout")  # fmt: skip
        run = st.form_submit_button("Run backtest", type="primary")
    if run:
        st.session_state["backtest_requested"] = (key, int(origins), int(horizon), bool(reselect))
    requested = st.session_state.get("backtest_requested")
    if requested and requested[0] == key:
        _, origins, horizon, reselect = requested
        bar = st.progress(0.0, "Refitting at each origin…")
        try:
            bt = session.backtest(key, origins, horizon, reselect, levels, model.freq, spec, model.lag_order,
                                  lambda share, text: bar.progress(share, text))  # fmt: skip
        except VarlibError as exc:
            bar.empty()
            show_error(exc)
            st.stop()
        bar.empty()
        st.caption(f"Expanding window, {bt.origins} origins, {bt.horizon} steps each; lag orders used: "
                   f"{sorted(set(bt.lag_orders))}.")  # fmt: skip
        st.plotly_chart(plot_errors_by_horizon(bt.by_horizon), width="stretch")
        table = bt.by_horizon.pivot(index="horizon", columns="variable", values=["rmse", "mae"])
        st.dataframe(table, width="stretch")
        st.download_button("Download backtest errors (CSV)", bt.to_csv().encode(), file_name="backtest.csv",
                           mime="text/csv", on_click="ignore")  # fmt: skip

# 7. Baselines ----------------------------------------------------------------------------------------
with baselines_tab:
    comparison = session.baselines(key, model, train_levels, test_levels)
    shown = comparison.rename(columns={"rmse": "RMSE", "theil_u": "Theil's U", "var_skill": "VAR skill"})
    st.dataframe(shown.style.format({"RMSE": "{:.4g}", "Theil's U": "{:.3f}", "VAR skill": "{:+.1%}"}, na_rep="–"),
                 width="stretch", hide_index=True)  # fmt: skip
    st.caption(f"Over the {len(test_levels)} test rows, in levels. Theil's U is RMSE relative to the random walk "
               "(below 1 beats it); the VAR's skill over a baseline is 1 − RMSE(VAR)/RMSE(baseline).")  # fmt: skip
