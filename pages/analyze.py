"""Analyze: diagnostics, causality, impulse responses, backtests and baselines, for the current fit or any
stored version (refitted from its stored training data and checked against its stored parameters).

Only the open panel runs (lazy tabs); long work shows progress from its first step and can be cancelled; figures
of unchanged results come from memory, so a rerun costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from ui import session
from ui.widgets import (
    VersionChoices,
    keep_choice,
    plain,
    run_cancellably,
    show_cancelled,
    show_error,
    show_estimation,
    stationarity_verdicts,
    stored_models_or_stop,
)
from varlib import TrainSpec, VarlibError, vecm
from varlib.analysis import ImpulseResponses, Refit
from varlib.formats import format_pvalue, format_statistic, stationarity_table
from varlib.kinds import kind_of
from varlib.model import VarModel
from varlib.plots import (
    plot_acf,
    plot_errors_by_horizon,
    plot_fevd,
    plot_impulse_responses,
    plot_inverse_roots,
    plot_pvalue_heatmap,
    plot_residuals,
)


@dataclass
class Analyzed:
    """The model on this page and what every panel needs of it."""

    key: str  # names the model's results in the caches
    model: VarModel
    fit: Refit
    train_levels: pd.DataFrame
    test_levels: pd.DataFrame
    spec: TrainSpec
    estimation: Callable[[], tuple[dict, str]]  # each fit's estimation output, and where it comes from
    file_stem: str  # of downloads: current-fit, or the model and version

    @property
    def transforms(self) -> dict[str, str]:
        return dict(zip(self.model.variables, self.model.transforms, strict=True))


def verdict(pvalue: float) -> str:
    return "rejected" if pvalue < 0.05 else "not rejected"


def estimation_panel(m: Analyzed) -> None:
    fits, source = m.estimation()
    st.caption(source)
    if not fits:
        st.info("This fit has no estimation output: it was rebuilt from a version that holds none.")
        return
    if m.model.vecm is not None:
        st.caption(f"{plain(m.model.regressors_words())}. Per equation of the differences: the loadings α "
                   "(ec), the short-run Γ and the deterministic terms outside the relation.")  # fmt: skip
    show_estimation(fits, f"estimation_{m.key}", m.file_stem)
    if m.fit.kind_fit is not None:
        vecm_relations(m)


def vecm_relations(m: Analyzed) -> None:
    relation = vecm.cointegration_table(m.fit.kind_fit)
    shown = relation.rename(columns={"estimate": "coefficient", "std_error": "std. error",
                                     "t_statistic": "t-statistic", "p_value": "p-value"})  # fmt: skip
    for column, render in (("coefficient", format_statistic), ("std. error", format_statistic),
                           ("t-statistic", format_statistic), ("p-value", format_pvalue)):  # fmt: skip
        shown[column] = shown[column].map(render)
    st.subheader("Cointegration relations (β, normalised)")
    st.dataframe(shown.rename(columns={"equation": "relation"}), width="stretch", hide_index=True)
    st.caption("Of the evaluation fit, refitted from the stored training data. The first variable's coefficient is "
               "1 by normalisation (no standard error).")  # fmt: skip
    johansen = session.johansen(m.key, m.fit.kind_fit, m.train_levels)
    st.subheader("Johansen's rank tests")
    table = johansen.table.map(format_statistic)
    st.dataframe(table, width="stretch")
    st.caption(f"H0: rank ≤ r0. At 5% the trace test chooses rank {johansen.rank_by_trace}, the maximum-eigenvalue "
               f"test {johansen.rank_by_max_eigenvalue}; this VECM has rank {m.fit.kind_fit.rank}. Critical values "
               "are Osterwald-Lenum's (statsmodels).")  # fmt: skip


def stationarity_panel(m: Analyzed) -> None:
    found = session.stationarity(m.key, m.train_levels)
    tests = found.tests
    verdicts = found.verdicts.copy()
    verdicts.insert(len(verdicts.columns) - 1, "used", m.model.transforms)
    st.dataframe(stationarity_verdicts(verdicts), width="stretch")
    st.caption("ADF (lag by AIC) and KPSS on the training data, per candidate transform; stationary when ADF "
               "rejects a unit root and KPSS does not reject stationarity, both at 5%.")  # fmt: skip
    st.dataframe(stationarity_table(tests), width="stretch", hide_index=True)


def diagnostics_panel(m: Analyzed) -> None:
    d = session.diagnostics(m.key, m.fit)
    left, right = st.columns([2, 3])
    left.subheader("Stability")
    left.write("Stable: all companion eigenvalues inside the unit circle." if d.stable
               else "NOT stable: an eigenvalue lies on or outside the unit circle.")  # fmt: skip
    left.dataframe(d.roots.round(4), width="stretch", height=240)
    right.plotly_chart(session.figure(("roots", m.key), lambda: plot_inverse_roots(d.roots)), width="content")
    st.subheader("Residual tests")
    tests = pd.DataFrame(
        [
            {"test": f"Portmanteau (whiteness), h = {d.whiteness_lags}", "statistic": d.whiteness_statistic,
             "p-value": d.whiteness_pvalue, "H0": "no residual autocorrelation up to lag h"},
            {"test": "Jarque-Bera (multivariate normality)", "statistic": d.normality_statistic,
             "p-value": d.normality_pvalue, "H0": "residuals are normal"},
        ]
    )  # fmt: skip
    tests["at 5%"] = tests["p-value"].map(verdict)
    tests["statistic"] = tests["statistic"].map(format_statistic)
    tests["p-value"] = tests["p-value"].map(format_pvalue)
    st.dataframe(tests.style.map(lambda v: "color: #bf616a; font-weight: bold" if v == "rejected" else "",
                                 subset=["at 5%"]), width="stretch", hide_index=True)  # fmt: skip
    st.caption(f"Portmanteau lag choice: {d.whiteness_rule}. A rejection (in red) is a failed diagnostic.")
    residual_tests_fragment(m)
    st.subheader("Residuals")
    st.plotly_chart(session.figure(("residuals", m.key), lambda: plot_residuals(d.residuals, m.transforms)),
                    width="stretch")  # fmt: skip
    st.plotly_chart(session.figure(("acf", m.key), lambda: plot_acf(d.residual_acf, d.acf_band)), width="stretch")


def red_when_rejected(frame: pd.DataFrame, column: str = "at 5%"):
    return frame.style.map(lambda v: "color: #bf616a; font-weight: bold" if v == "rejected" else "", subset=[column])


def tested(frame: pd.DataFrame, pvalue: str = "p-value", statistic: str = "statistic") -> pd.DataFrame:
    """A table of tests as printed in a report: statistics to four figures, p-values bounded, a verdict at 5%."""
    out = frame.copy()
    out["at 5%"] = out[pvalue].map(verdict)
    out[pvalue] = out[pvalue].map(format_pvalue)
    out[statistic] = out[statistic].map(format_statistic)
    return out


@st.fragment
def residual_tests_fragment(m: Analyzed) -> None:
    """Its lag fields rerun this part only."""
    st.subheader("Autocorrelation, normality and ARCH effects")
    left, right = st.columns(2)
    lm_lags = int(left.number_input("LM test lags", 1, 48, 5, key=f"lm_lags:{m.key}"))
    arch_lags = int(right.number_input("ARCH-LM lags", 1, 48, 5, key=f"arch_lags:{m.key}"))
    found = session.residual_tests(m.key, m.fit, lm_lags, arch_lags)
    if found.system:
        system = tested(pd.DataFrame([t.row() for t in found.system]))
        st.dataframe(red_when_rejected(system), width="stretch", hide_index=True)
    for sentence in found.not_computed:
        st.info(sentence)
    normality = tested(found.normality.reset_index())
    normality[["skewness", "kurtosis"]] = normality[["skewness", "kurtosis"]].map(format_statistic)
    st.write("Jarque-Bera per equation (H0: the equation's residuals are normal; χ², 2 degrees of freedom)")
    st.dataframe(red_when_rejected(normality), width="stretch", hide_index=True)
    if not found.arch.empty:
        arch = tested(found.arch.reset_index())
        arch["F"] = arch["F"].map(format_statistic)
        arch["F p-value"] = arch["F p-value"].map(format_pvalue)
        st.write(f"ARCH-LM per equation, {arch_lags} lags (H0: no ARCH effects; χ² form and F form)")
        st.dataframe(red_when_rejected(arch), width="stretch", hide_index=True)
    st.caption("As JMulTi computes them: the LM test regresses the residuals on the model's regressors and their own "
               "lags (zero before the sample); the ARCH tests regress squared (and cross-product) residuals on their "
               "lags. A rejection, in red, is a failed diagnostic.")  # fmt: skip


def causality_panel(m: Analyzed) -> None:
    c = session.causality(m.key, m.fit)
    if m.model.lag_order == 0:
        st.info("A VAR(0) has no lags, so no variable's past can help predict another: Granger causality has "
                "nothing to test. Instantaneous causality, below, still does.")  # fmt: skip
    else:
        title = "Granger causality p-values (row caused by column)"
        st.plotly_chart(session.figure(("granger", m.key), lambda: plot_pvalue_heatmap(c.granger_pvalues, title)),
                        width="stretch")  # fmt: skip
    st.caption(c.test + ". A small p-value is evidence that the column variable helps predict the row variable.")
    st.subheader("Instantaneous causality")
    instantaneous = c.instantaneous_pvalues.rename("p-value").to_frame()
    instantaneous["at 5%"] = instantaneous["p-value"].map(verdict)
    instantaneous["p-value"] = instantaneous["p-value"].map(format_pvalue)  # not 0.0000000000000000004
    st.dataframe(instantaneous, width="stretch")
    st.caption("H0: no instantaneous causality between the variable and the others (Wald test).")
    coefficient_tests_section(m)


def coefficient_tests_section(m: Analyzed) -> None:
    if m.model.lag_order == 0:
        return
    found = session.coefficient_tests(m.key, m.fit, m.model, m.train_levels)
    why = kind_of(m.model.kind).not_applicable.get("coefficient tests")
    if why:
        st.info(why)
        return
    if found.integrated:
        names = ", ".join(found.integrated)
        st.warning(f"{plain(names)} {'is' if len(found.integrated) == 1 else 'are'} modelled in levels and look "
                   "integrated (ADF does not reject a unit root at 5%): the Granger tests above and the impulse "
                   "responses' bands have non-standard distributions here. The Toda-Yamamoto test below is valid "
                   "whatever the integration and cointegration.", icon=":material/warning:")  # fmt: skip
        st.subheader("Toda-Yamamoto causality")
        title = f"Toda-Yamamoto p-values (row caused by column), VAR({m.model.lag_order} + {found.extra_lags})"
        st.plotly_chart(session.figure(("toda-yamamoto", m.key),
                                       lambda: plot_pvalue_heatmap(found.toda_yamamoto, title)),
                        width="stretch")  # fmt: skip
        st.caption(f"A VAR({m.model.lag_order + found.extra_lags}) on the same data and terms; the Wald test of the "
                   f"causing variable's first {m.model.lag_order} lags, χ²({m.model.lag_order}); the extra lag is "
                   "not tested (Toda and Yamamoto 1995).")  # fmt: skip
    st.subheader("Block exogeneity")
    block = tested(found.block_exogeneity.reset_index())
    st.dataframe(red_when_rejected(block), width="stretch", hide_index=True)
    st.caption("Per equation, H0: the lags of all the other variables are jointly zero (Wald, χ²).")
    st.subheader("Lag exclusion")
    exclusion = found.lag_exclusion.copy()
    for column in exclusion.columns:
        exclusion[column] = exclusion[column].map(format_pvalue if column.endswith("p-value") else format_statistic)
    st.dataframe(exclusion, width="stretch")
    st.caption(f"Per lag, H0: its coefficients are zero in each equation (χ²({m.model.k})) and in the whole system "
               f"(joint, χ²({m.model.k ** 2})).")  # fmt: skip


def impulse_response_panel(m: Analyzed) -> None:
    periods = int(st.number_input("Periods", 2, 40, 10, key="irf_periods"))
    if m.model.vecm is not None:
        st.caption("Orthogonalised (Cholesky, in the variables' order) one-s.d. shocks to the VECM, responses of the "
                   "(log) levels from its VAR representation, which need not die out (the long run). "
                   + kind_of(m.model.kind).not_applicable["response bands"])  # fmt: skip
    else:
        st.caption("Orthogonalised (Cholesky, in the variables' order) one-s.d. shocks with asymptotic 95% bands; "
                   "responses of differenced variables are cumulated, i.e. effects on their (log) levels.")  # fmt: skip
    integrated = session.integrated_levels(m.key, m.model, m.train_levels) if m.model.lag_order else []
    if integrated:
        st.warning(f"{plain(', '.join(integrated))} {'is' if len(integrated) == 1 else 'are'} modelled in levels and "
                   "look integrated (ADF does not reject a unit root at 5%): the responses are consistent, but their "
                   "asymptotic bands are not reliable here. Difference the variables, or fit a VECM if they are "
                   "cointegrated.", icon=":material/warning:")  # fmt: skip
    if st.button("Compute impulse responses and FEVD", type="primary"):
        st.session_state[session.IRF_REQUEST] = (m.key, periods)
    show_cancelled()
    if st.session_state.get(session.IRF_REQUEST) != (m.key, periods):
        st.info("Computed on demand (seconds for many variables), then kept for this model.")
        return
    irf = run_cancellably(session.IRF_REQUEST, "Impulse responses",
                          lambda progress: session.impulse_responses(m.key, periods, m.fit, progress))  # fmt: skip
    if m.model.lag_order == 0:
        st.info("A VAR(0) has no dynamics: a shock moves each variable on impact (the Cholesky factor of the residual "
                "covariance) and not after. No bands are drawn: they need lags.")  # fmt: skip
    impulse_response_charts(m.key, irf, m.transforms)
    st.subheader("Forecast error variance decomposition")
    st.plotly_chart(session.figure(("fevd", m.key, periods), lambda: plot_fevd(irf.variables, irf.fevd)),
                    width="stretch")  # fmt: skip


@st.fragment
def impulse_response_charts(key: str, irf: ImpulseResponses, transforms: dict[str, str]) -> None:
    """Which shocks and responses to draw: all of a small model; one shock at a time of a large one (64 panels of
    an 8-variable model cannot be read). Picking reruns only this panel."""
    names = irf.variables
    left, right = st.columns(2)
    shocks = left.multiselect("Shocks to", names, default=names if len(names) <= 3 else names[:1],
                              max_selections=4, key=f"irf_shocks_{key}")  # fmt: skip
    responders = right.multiselect("Responses of", names, default=names, key=f"irf_responses_{key}")
    if not shocks or not responders:
        st.info("Pick at least one shock and one response to draw.")
        return
    figure = session.figure(
        ("irf", key, irf.periods, tuple(shocks), tuple(responders)),
        lambda: plot_impulse_responses(names, irf.responses, irf.lower, irf.upper, irf.cumulative, shocks=shocks,
                                       responders=responders, transforms=transforms),
    )  # fmt: skip
    st.plotly_chart(figure, width="stretch")


def backtest_panel(m: Analyzed) -> None:
    with st.form("backtest"):
        left, middle, right = st.columns(3)
        origins = left.number_input("Origins", 1, 60, 12)
        horizon = middle.number_input("Horizon", 1, 24, 4)
        reselect = right.checkbox("Re-select p at each origin", help=f"by {m.spec.criterion or 'AIC'} up to "
                                  f"{m.spec.max_lags} lags; otherwise p = {m.model.lag_order} throughout")  # fmt: skip
        run = st.form_submit_button("Run backtest", type="primary")
    if run:
        st.session_state[session.BACKTEST_REQUEST] = (m.key, int(origins), int(horizon), bool(reselect))
    show_cancelled()
    requested = st.session_state.get(session.BACKTEST_REQUEST)
    if not requested or requested[0] != m.key:
        return
    _, origins, horizon, reselect = requested
    levels = pd.concat([m.train_levels, m.test_levels])
    try:
        bt = run_cancellably(
            session.BACKTEST_REQUEST, "Backtest",
            lambda progress: session.backtest(m.key, origins, horizon, reselect, levels, m.model.freq, m.spec,
                                              m.model.lag_order, progress),
        )  # fmt: skip
    except VarlibError as exc:
        show_error(exc)
        return
    st.caption(f"Expanding window, {bt.origins} origins, {bt.horizon} steps each; lag orders used: "
               f"{sorted(set(bt.lag_orders))}.")  # fmt: skip
    st.plotly_chart(session.figure(("backtest", m.key, origins, horizon, reselect),
                                   lambda: plot_errors_by_horizon(bt.by_horizon)), width="stretch")  # fmt: skip
    table = bt.by_horizon.pivot(index="horizon", columns="variable", values=["rmse", "mae"])
    table.columns = [f"{measure.upper()} {variable}" for measure, variable in table.columns]
    st.dataframe(table.style.format("{:,.4g}"), width="stretch")
    st.download_button("Download backtest errors (CSV)", bt.to_csv().encode(), file_name="backtest.csv",
                       mime="text/csv", on_click="ignore")  # fmt: skip


def baselines_panel(m: Analyzed) -> None:
    comparison = session.baselines(m.key, m.model, m.train_levels, m.test_levels)
    shown = comparison.rename(columns={"rmse": "RMSE", "theil_u": "Theil's U", "var_skill": "VAR skill"})
    st.dataframe(shown.style.format({"RMSE": "{:.4g}", "Theil's U": "{:.3f}", "VAR skill": "{:+.1%}"}, na_rep="–"),
                 width="stretch", hide_index=True)  # fmt: skip
    st.caption(f"Over the {len(m.test_levels)} test rows, in levels. Theil's U is RMSE relative to the random walk "
               "(below 1 beats it); the VAR's skill over a baseline is 1 − RMSE(VAR)/RMSE(baseline). Each AR has "
               "the VAR's lag order (at least 1), transform and deterministic terms.")  # fmt: skip


PANELS = {
    "Estimation": estimation_panel,
    "Stationarity": stationarity_panel,
    "Diagnostics": diagnostics_panel,
    "Causality": causality_panel,
    "Impulse responses": impulse_response_panel,
    "Backtest": backtest_panel,
    "Baselines": baselines_panel,
}

st.title("Analyze a model")

# Which model: the current fit if there is one, else a stored version (the one chosen on Forecast, too).
current = st.session_state.get(session.RESULT)
source = st.radio("Model", ["Current fit (Train page)", "Stored version"], index=0 if current else 1,
                  horizontal=True)  # fmt: skip
if source.startswith("Current"):
    if current is None:
        st.info("Fit a model on the Train page first, or pick a stored version.")
        st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
        st.stop()
    model, train_levels, test_levels, spec = current.model, current.train_levels, current.test_levels, current.spec
    key = session.fit_key(model)
    label = f"the current fit, {model.label} on {plain(', '.join(model.variables))}"
    file_stem = "current-fit"

    def estimation() -> tuple[dict, str]:
        return current.estimation, "The current fit, not published yet."
else:
    models = stored_models_or_stop()
    url = session.store_url()
    try:
        left, right = st.columns([1, 3])
        keep_choice("analyze_model_input", session.FORECAST_MODEL, models)
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
    label = f"{name} {summary.version}, {model.label} on {plain(', '.join(model.variables))}"
    file_stem = f"{name}-{summary.version}"

    def estimation(name: str = name, version: str = summary.version, created: str = summary.created) -> tuple:
        found = session.version_estimation(url, name, version, created)
        return found.fits, found.describe()


fit = session.refit(key, model, train_levels)
if source.startswith("Current"):
    st.info(f"Analyzing {label}, not published yet.", icon=":material/science:")  # nothing stored to reproduce
elif fit.matches:
    st.success(f"Analyzing {label}. {fit.message()}", icon=":material/verified:")
else:
    st.error(f"{label}: {fit.message()}", icon=":material/gpp_bad:")

analyzed = Analyzed(key, model, fit, train_levels, test_levels, spec, estimation, file_stem)
names = list(PANELS)
keep_choice("analyze_panel", session.ANALYZE_PANEL, names)
tabs = st.tabs(names, key="analyze_panel", on_change="rerun")
for panel, tab in zip(names, tabs, strict=True):
    if tab.open:  # the others do not run at all
        st.session_state[session.ANALYZE_PANEL] = panel
        with tab:
            try:
                PANELS[panel](analyzed)
            except VarlibError as exc:
                show_error(exc)
            except (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
                # statsmodels on a model it cannot analyse: one sentence in place, the other tabs still work
                st.error(f"The {panel.lower()} analysis could not be computed for {label}: {plain(exc)}",
                         icon=":material/error:")  # fmt: skip
