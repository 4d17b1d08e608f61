"""What an analyst checks before trusting a VAR: stationarity, diagnostics, causality, impulse responses,
backtests and baselines. For a fresh fit and for any stored version: a version is refitted from its stored
train.csv and the refit's parameters are compared with the stored ones (no pickle is involved).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.stattools import acf, adfuller, kpss

from varlib import diagnostic_tests
from varlib.artifact import stores_estimation
from varlib.data import Dataset
from varlib.deterministic import Deterministic
from varlib.diagnostic_tests import TestResult
from varlib.errors import InvalidInput
from varlib.estimation import EstimationOutput
from varlib.estimation import to_document as estimation_fit_document
from varlib.kinds import REFIT_TOLERANCE, Refit, kind_of  # noqa: F401  (Refit: re-exported)
from varlib.model import VarModel, iso_timestamp, spreadsheet_safe
from varlib.training import TrainSpec, fit_var, train
from varlib.transforms import (
    TRANSFORMS,
    apply_transforms,
    is_differenced,
    is_log,
    to_working_scale,
    working_to_levels,
)

SIGNIFICANCE = 0.05
# Among transforms that pass both tests, the least intrusive first; growth rates before differences for
# positive series, as macro analysts usually prefer them.
TRANSFORM_PREFERENCE = ("none", "log", "logdiff", "diff")
Progress = Callable[[float, str], None]


# ----- stationarity -------------------------------------------------------------------------------


@dataclass
class StationarityRow:
    variable: str
    transform: str
    adf_statistic: float
    adf_pvalue: float
    adf_lags: int
    kpss_statistic: float
    kpss_pvalue: float  # statsmodels clips it to [0.01, 0.10] (the table's range)
    kpss_lags: int
    verdict: str  # stationary | non-stationary | inconclusive


def stationarity_verdict(adf_pvalue: float, kpss_pvalue: float) -> str:
    """ADF's null is a unit root, KPSS's null is stationarity: they agree, or the evidence is mixed."""
    if adf_pvalue < SIGNIFICANCE and kpss_pvalue > SIGNIFICANCE:
        return "stationary"
    if adf_pvalue >= SIGNIFICANCE and kpss_pvalue <= SIGNIFICANCE:
        return "non-stationary"
    return "inconclusive"


def stationarity_tests(levels: pd.DataFrame) -> pd.DataFrame:
    """ADF (lag by AIC, constant) and KPSS (constant, automatic lags) per variable and candidate transform."""
    rows = []
    for name in levels.columns:
        series = levels[name]
        for transform in TRANSFORMS:
            if is_log(transform) and (series <= 0).any():
                continue  # no log of non-positive values
            values = apply_transforms(series.to_frame(), {name: transform})[name].to_numpy()
            if np.ptp(values) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # KPSS warns when its p-value is clipped to the table
                adf = adfuller(values, regression="c", autolag="AIC", result_object=False)
                kpss_result = kpss(values, regression="c", nlags="auto", result_object=False)
            rows.append(
                StationarityRow(
                    variable=name,
                    transform=transform,
                    adf_statistic=float(adf[0]),
                    adf_pvalue=float(adf[1]),
                    adf_lags=int(adf[2]),
                    kpss_statistic=float(kpss_result[0]),
                    kpss_pvalue=float(kpss_result[1]),
                    kpss_lags=int(kpss_result[2]),
                    verdict=stationarity_verdict(float(adf[1]), float(kpss_result[1])),
                )
            )
    return pd.DataFrame([vars(row) for row in rows])


def suggest_transforms(table: pd.DataFrame) -> dict[str, str]:
    """Per variable: the preferred transform both tests call stationary, else the one ADF rejects hardest."""
    suggestions = {}
    for name, group in table.groupby("variable", sort=False):
        passing = group[group["verdict"] == "stationary"]
        if len(passing):
            suggestions[name] = min(passing["transform"], key=TRANSFORM_PREFERENCE.index)
        else:
            suggestions[name] = group.sort_values("adf_pvalue")["transform"].iloc[0]
    return suggestions


# ----- refitting a fit or a stored version --------------------------------------------------------


def refit(model: VarModel, train_levels: pd.DataFrame) -> Refit:
    """Refit the model's specification on its training levels (its kind's way) and compare with its parameters."""
    return kind_of(model.kind).refit(model, train_levels)


# ----- estimation output of a stored version ------------------------------------------------------


@dataclass
class VersionEstimation:
    """A stored version's estimation output per fit ("train", "data"), and where it came from."""

    fits: dict[str, EstimationOutput]
    stored: bool  # False: recomputed from the version's stored data (stored before versions held it, or too large)
    reproduces: bool = True  # of a recomputation: every refit reproduced the stored parameters

    @property
    def source(self) -> str:
        return "stored" if self.stored else "recomputed"

    def describe(self) -> str:
        if self.stored:
            return "Stored with the version when it was published."
        said = ("Recomputed from the version's stored data: it was stored without its estimation output (published "
                "before versions held it, or too large to hold it).")  # fmt: skip
        if not self.reproduces:
            said += " The refit does NOT reproduce the stored parameters, so this describes the data, not the model."
        return said

    def to_document(self) -> dict:
        """For `show --json` and the REST version detail: model.json's form of each fit, with where it came from."""
        equations = next(iter(self.fits.values())).equations.index.tolist() if self.fits else []
        return {
            "source": self.source,
            "reproduces": self.reproduces,
            "equations": equations,
            "fits": {origin: estimation_fit_document(output) for origin, output in self.fits.items()},
        }


def version_estimation(version) -> VersionEstimation:
    """The estimation output stored with `version` (a ModelVersion loaded with its data), or, for a version stored
    without it, recomputed by refitting each fit on the rows it was fitted on."""
    stored = version.estimation
    if stored:
        return VersionEstimation(stored, stored=True)
    if version.train_levels is None:
        raise InvalidInput(f"{version.name} {version.version} was loaded without its data, so its estimation output "
                           "cannot be recomputed.")  # fmt: skip
    fits, reproduces = {}, True
    for origin, model, levels in (("train", version.model, version.train_levels),
                                  ("data", version.production, version.levels)):  # fmt: skip
        if model is None:  # stored before production fits
            continue
        rebuilt = refit(model, levels)
        fits[origin] = kind_of(model.kind).estimation(rebuilt, model)
        reproduces = reproduces and rebuilt.matches
    return VersionEstimation(fits, stored=False, reproduces=reproduces)


def estimation_document(version) -> dict | None:
    """The version's estimation output as a document; None for a model too large to hold it (K²·p above the
    bound model.json keeps it under), which shows its output one equation at a time on the dashboard only."""
    if not version.estimation and not stores_estimation(version.model.k, version.model.lag_order):
        return None
    return version_estimation(version).to_document()


# ----- diagnostics --------------------------------------------------------------------------------


@dataclass
class Diagnostics:
    roots: pd.DataFrame  # companion eigenvalues: real, imag, modulus (inside the unit circle = stable)
    stable: bool
    whiteness_lags: int
    whiteness_rule: str
    whiteness_statistic: float
    whiteness_pvalue: float
    normality_statistic: float
    normality_pvalue: float
    residuals: pd.DataFrame
    residual_acf: dict[str, np.ndarray]  # lags 0..acf_lags
    acf_band: float  # ±1.96/√T


def whiteness_lag_choice(lag_order: int, nobs: int) -> tuple[int, str]:
    """Portmanteau lags h: at least 10 and more than p (the test needs h > p), at most a quarter of the sample."""
    h = max(10, lag_order + 5)
    h = min(h, max(lag_order + 1, nobs // 4))
    return h, f"h = max(10, p + 5) capped at T/4 = {h} (p = {lag_order}, T = {nobs})"


def diagnostics(fit: Refit, acf_lags: int = 20) -> Diagnostics:
    results = fit.results
    own = kind_of(fit.kind).companion(fit)
    if own is not None:
        companion_eigenvalues, unit_roots = own
    else:
        companion_eigenvalues = 1 / np.asarray(results.roots) if results.k_ar else np.array([])
        unit_roots = 0
    roots = pd.DataFrame(
        {
            "real": companion_eigenvalues.real,
            "imag": companion_eigenvalues.imag,
            "modulus": np.abs(companion_eigenvalues),
        }
    ).sort_values("modulus", ascending=False, ignore_index=True)
    h, rule = whiteness_lag_choice(results.k_ar, results.nobs)
    whiteness = results.test_whiteness(nlags=h, signif=SIGNIFICANCE, adjusted=False)
    normality = results.test_normality(signif=SIGNIFICANCE)
    residual_dates = fit.dates[-results.nobs :] if fit.dates is not None else None
    residuals = pd.DataFrame(np.asarray(results.resid), columns=fit.variables, index=residual_dates)
    lags = min(acf_lags, results.nobs // 2)
    return Diagnostics(
        roots=roots,
        stable=bool((roots["modulus"].iloc[unit_roots:] < 1).all()),
        whiteness_lags=h,
        whiteness_rule=rule,
        whiteness_statistic=float(whiteness.test_statistic),
        whiteness_pvalue=float(whiteness.pvalue),
        normality_statistic=float(normality.test_statistic),
        normality_pvalue=float(normality.pvalue),
        residuals=residuals,
        residual_acf={name: acf(residuals[name], nlags=lags, fft=False) for name in fit.variables},
        acf_band=1.96 / np.sqrt(results.nobs),
    )


# ----- residual and coefficient tests (JMulTi, EViews, R vars) ------------------------------------


@dataclass
class ResidualTests:
    system: list[TestResult]  # LM and its F form, multivariate ARCH-LM
    normality: pd.DataFrame  # Jarque-Bera per equation, with skewness and kurtosis
    arch: pd.DataFrame  # ARCH-LM per equation
    lm_lags: int
    arch_lags: int
    not_computed: list[str]  # tests the sample cannot support, each in one sentence


def residual_tests(fit: Refit, lm_lags: int = 5, arch_lags: int = 5) -> ResidualTests:
    """The LM autocorrelation test (and F form) at `lm_lags`, Jarque-Bera per equation, ARCH-LM per equation and
    multivariate at `arch_lags`; a test needing more observations than the sample has says so instead."""
    for what, lags in (("LM test", lm_lags), ("ARCH-LM test", arch_lags)):
        if isinstance(lags, bool) or not isinstance(lags, (int, np.integer)) or not 1 <= lags <= 48:
            raise InvalidInput(f"The {what}'s lags must be a whole number from 1 to 48, got {lags!r}.")
    results = fit.results
    t, k = np.asarray(results.resid).shape
    system: list[TestResult] = []
    missing: list[str] = []
    regressors = 0 if "lm test" in kind_of(fit.kind).not_applicable else np.asarray(results.endog_lagged).shape[1]
    if "lm test" in kind_of(fit.kind).not_applicable:  # it regresses on the model's regressors
        missing.append(kind_of(fit.kind).not_applicable["lm test"])
    elif t > regressors + k * lm_lags + k:
        system.extend(diagnostic_tests.lm_autocorrelation(results, lm_lags))
    else:
        missing.append(f"The LM test at {lm_lags} lags needs more than {regressors + k * lm_lags + k} residuals "
                       f"(the model's {regressors} regressors and {k * lm_lags} lagged residuals); there are {t}: "
                       "choose fewer lags.")  # fmt: skip
    width = k * (k + 1) // 2
    if t - arch_lags > 1 + arch_lags * width + width:
        system.append(diagnostic_tests.multivariate_arch(results, arch_lags))
    else:
        missing.append(f"The multivariate ARCH-LM test at {arch_lags} lags regresses {width} squares and "
                       f"cross-products on {1 + arch_lags * width} regressors, which needs more than "
                       f"{1 + arch_lags * width + width} observations; there are {t - arch_lags}: choose fewer "
                       "lags.")  # fmt: skip
    arch = pd.DataFrame()
    if t - arch_lags > 2 * arch_lags + 2:
        arch = diagnostic_tests.arch_lm(results, arch_lags, fit.variables)
    else:
        missing.append(f"The ARCH-LM test per equation at {arch_lags} lags needs more than {3 * arch_lags + 2} "
                       f"residuals; there are {t}: choose fewer lags.")  # fmt: skip
    return ResidualTests(system, diagnostic_tests.jarque_bera(results, fit.variables), arch, lm_lags, arch_lags,
                         missing)  # fmt: skip


@dataclass
class CoefficientTests:
    lag_exclusion: pd.DataFrame | None  # None for a VAR(0)
    block_exogeneity: pd.DataFrame | None
    integrated: list[str]  # variables in levels whose unit root ADF does not reject at 5%
    toda_yamamoto: pd.DataFrame | None  # rows caused, columns causing: p-values; None when not applicable
    toda_yamamoto_statistics: pd.DataFrame | None
    extra_lags: int


def integrated_levels(model: VarModel, train_levels: pd.DataFrame) -> list[str]:
    """The variables modelled in (log) levels whose unit root the ADF test does not reject at 5% on the training data:
    a levels VAR of integrated series, whose Granger tests and response bands have non-standard asymptotics."""
    found = []
    for name, transform in zip(model.variables, model.transforms, strict=True):
        if is_differenced(transform):
            continue
        series = apply_transforms(train_levels[[name]], {name: transform})[name].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if np.ptp(series) > 0 and adfuller(series, autolag="AIC")[1] >= SIGNIFICANCE:
                found.append(name)
    return found


def coefficient_tests(fit: Refit, model: VarModel, train_levels: pd.DataFrame, extra_lags: int = 1) -> CoefficientTests:
    """Lag-exclusion and block-exogeneity Wald tests; for a levels VAR of integrated series, Toda-Yamamoto
    causality: a VAR(p + extra_lags) on the same data and terms, the first p lags of each causing variable tested."""
    results = fit.results
    p = results.k_ar
    if "coefficient tests" in kind_of(fit.kind).not_applicable:  # lag exclusion, Toda-Yamamoto: a VAR's
        return CoefficientTests(None, None, [], None, None, extra_lags)
    integrated = integrated_levels(model, train_levels) if p else []
    if not p:
        return CoefficientTests(None, None, integrated, None, None, extra_lags)
    ty_pvalues = ty_statistics = None
    if integrated:
        transforms = dict(zip(model.columns, [*model.transforms, *model.exog_transforms], strict=True))
        everything = apply_transforms(train_levels[model.columns], transforms)
        exog = everything[model.exog_variables] if model.exog_variables else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            augmented = fit_var(everything[model.variables], p + extra_lags, model.trend, model.deterministic, exog)
        names = list(model.variables)
        ty_pvalues = pd.DataFrame(np.nan, index=pd.Index(names, name="caused"),
                                  columns=pd.Index(names, name="causing"))  # fmt: skip
        ty_statistics = ty_pvalues.copy()
        for i in range(len(names)):
            for j in range(len(names)):
                if i != j:
                    statistic, pvalue = diagnostic_tests.granger_wald(augmented, i, j, p)
                    ty_statistics.iloc[i, j], ty_pvalues.iloc[i, j] = statistic, pvalue
    return CoefficientTests(
        lag_exclusion=diagnostic_tests.lag_exclusion(results, fit.variables),
        block_exogeneity=diagnostic_tests.block_exogeneity(results, fit.variables),
        integrated=integrated,
        toda_yamamoto=ty_pvalues,
        toda_yamamoto_statistics=ty_statistics,
        extra_lags=extra_lags,
    )


# ----- causality ----------------------------------------------------------------------------------


@dataclass
class Causality:
    granger_pvalues: pd.DataFrame  # rows: caused, columns: causing; diagonal NaN
    instantaneous_pvalues: pd.Series  # per variable: H0 no instantaneous causality with the others
    test: str


def causality(fit: Refit) -> Causality:
    names = fit.variables
    results = fit.results
    matrix = pd.DataFrame(np.nan, index=pd.Index(names, name="caused"), columns=pd.Index(names, name="causing"))
    own = kind_of(fit.kind).causality(fit)
    if own is not None:
        return Causality(*own)
    if results.k_ar > 0:  # a VAR(0) has no lags whose effect could be tested (statsmodels raises)
        for i in range(len(names)):
            for j in range(len(names)):
                if i != j:
                    matrix.iloc[i, j] = results.test_causality(caused=i, causing=[j], kind="f").pvalue
        granger = f"Granger causality: F test (H0: the causing variable's {results.k_ar} lags have no effect)"
    else:
        granger = "Granger causality: not defined for a VAR(0), which has no lags"
    instantaneous = pd.Series({name: results.test_inst_causality(causing=[k]).pvalue for k, name in enumerate(names)})
    return Causality(
        granger_pvalues=matrix,
        instantaneous_pvalues=instantaneous.astype(float),
        test=f"{granger}; instantaneous causality: Wald test on the residual covariance",
    )


# ----- impulse responses and variance decomposition -----------------------------------------------


@dataclass
class ImpulseResponses:
    """responses[h, i, j]: response of variable i to a one-s.d. orthogonalised shock in j, h periods on."""

    variables: list[str]
    periods: int
    responses: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cumulative: list[bool]  # per response variable: cumulated (its transform differences it)
    fevd: np.ndarray  # fevd[i, h, j]: share of i's h-step forecast error variance due to shocks in j


def impulse_responses(fit: Refit, periods: int = 10, progress: Progress | None = None) -> ImpulseResponses:
    """Orthogonalised responses with asymptotic 95% bands; cumulative for differenced responses (levels)."""
    if progress:
        progress(0.05, "Computing impulse responses")
    own = kind_of(fit.kind).impulse_responses(fit, periods)
    if own is not None:
        responses, lower, upper, fevd, cumulative = own
        return ImpulseResponses(list(fit.variables), periods, responses, lower, upper, cumulative, fevd)
    if fit.results.k_ar == 0:
        return _impact_only(fit, periods)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = fit.results.irf(periods)
        if progress:
            progress(0.3, "Computing standard errors (the slow part for many variables)")
        stderr = analysis.stderr(orth=True)
        if progress:
            progress(0.6, "Computing cumulative standard errors")
        cum_stderr = analysis.cum_effect_stderr(orth=True)
        if progress:
            progress(0.85, "Decomposing forecast error variance")
        decomposition = fit.results.fevd(periods).decomp
    cumulative = [is_differenced(t) for t in fit.transforms]
    responses = analysis.orth_irfs.copy()
    errors = stderr.copy()
    for i, cumulate in enumerate(cumulative):
        if cumulate:
            responses[:, i, :] = analysis.orth_cum_effects[:, i, :]
            errors[:, i, :] = cum_stderr[:, i, :]
    if progress:
        progress(1.0, "Done")
    return ImpulseResponses(
        variables=list(fit.variables),
        periods=periods,
        responses=responses,
        lower=responses - 1.96 * errors,
        upper=responses + 1.96 * errors,
        cumulative=cumulative,
        fevd=np.asarray(decomposition),
    )


def _impact_only(fit: Refit, periods: int) -> ImpulseResponses:
    """A VAR(0) has no dynamics (statsmodels' irf needs lags): a shock moves each variable on impact by the Cholesky
    factor P of the residual covariance and nothing after, so every horizon's variance shares are P[i, j]^2 / Σ[i, i].
    There are no asymptotic bands here (NaN): they would need the covariance of P, which statsmodels only gives
    with lags."""
    sigma = np.asarray(fit.results.sigma_u, dtype=float)
    impact = np.linalg.cholesky(sigma)
    k = impact.shape[0]
    cumulative = [is_differenced(t) for t in fit.transforms]
    responses = np.zeros((periods + 1, k, k))
    responses[0] = impact
    for i, cumulate in enumerate(cumulative):
        if cumulate:  # the level stays where the impact moved it
            responses[:, i, :] = impact[i, :]
    shares = impact**2 / np.diag(sigma)[:, None]
    nan = np.full_like(responses, np.nan)
    return ImpulseResponses(
        variables=list(fit.variables),
        periods=periods,
        responses=responses,
        lower=nan,
        upper=nan.copy(),
        cumulative=cumulative,
        fevd=np.repeat(shares[:, None, :], periods, axis=1),
    )


# ----- rolling-origin backtest --------------------------------------------------------------------


@dataclass
class Backtest:
    errors: pd.DataFrame  # one row per origin, horizon and variable: forecast, actual, error
    by_horizon: pd.DataFrame  # horizon x variable: RMSE and MAE
    origins: int
    horizon: int
    reselect: bool
    lag_orders: list[int] = field(default_factory=list)

    def to_csv(self) -> str:
        """The errors as CSV; variable names (text from the data) are made spreadsheet-safe."""
        out = self.errors.assign(variable=self.errors["variable"].map(spreadsheet_safe))
        return out.to_csv(index=False, lineterminator="\n", float_format=lambda x: repr(float(x)))


def backtest(
    levels: pd.DataFrame,
    freq: str,
    spec: TrainSpec,
    lag_order: int,
    origins: int,
    horizon: int,
    reselect: bool = False,
    progress: Progress | None = None,
) -> Backtest:
    """Expanding window: refit at each origin (the same p, or p re-selected), forecast `horizon` steps in levels.

    The last origin leaves exactly `horizon` rows after it, so every forecast is scored on all its steps.
    """
    if origins < 1 or horizon < 1:
        raise InvalidInput(
            f"A backtest needs at least 1 origin and a horizon of at least 1, got {origins} and {horizon}."
        )
    last_origin = len(levels) - horizon  # rows in the window of the last origin
    first_origin = last_origin - origins + 1
    records = []
    lag_orders = []
    for n, end in enumerate(range(first_origin, last_origin + 1)):
        window = levels.iloc[: end + horizon]
        spec_here = dataclasses.replace(
            spec,
            test_size=horizon,
            criterion=spec.criterion if reselect else None,
            lags=None if reselect else lag_order,
        )
        if reselect and spec_here.criterion is None:
            spec_here.criterion = "aic"
        origin = window.index[end - 1]
        if progress:  # before the refit, so the first origin shows from the click
            progress(n / origins, f"Refitting at origin {n + 1} of {origins} ({iso_timestamp(origin)})")
        # A date dummy after this window's training rows is left out (it would be a column of zeros).
        result = train(Dataset(frame=window, freq=freq, source=f"backtest origin {origin.date()}"), spec_here,
                       strict_dummies=False)  # fmt: skip
        lag_orders.append(result.model.lag_order)
        for h in range(horizon):
            for name in spec.variables:
                forecast = float(result.test_forecast.point[name].iloc[h])
                actual = float(result.test_levels[name].iloc[h])
                records.append({"origin": iso_timestamp(origin), "horizon": h + 1,
                                "variable": name, "forecast": forecast, "actual": actual,
                                "error": forecast - actual})  # fmt: skip
    if progress:
        progress(1.0, f"Done: {origins} origins")
    errors = pd.DataFrame(records)
    grouped = errors.groupby(["horizon", "variable"])["error"]
    by_horizon = pd.DataFrame({"rmse": grouped.apply(lambda e: float(np.sqrt(np.mean(e**2)))),
                               "mae": grouped.apply(lambda e: float(np.mean(np.abs(e))))}).reset_index()  # fmt: skip
    return Backtest(errors=errors, by_horizon=by_horizon, origins=origins, horizon=horizon, reselect=reselect,
                    lag_orders=lag_orders)  # fmt: skip


# ----- baselines ----------------------------------------------------------------------------------


def baseline_forecasts(
    train_levels: pd.DataFrame,
    transforms: dict[str, str],
    trend: str,
    steps: int,
    lag_order: int,
    deterministic: Deterministic | None = None,
    freq: str | None = None,
    exog_levels: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Level point forecasts of the random walk (no change) and of a per-series AR(p) with the same transform and
    the same regressors as the VAR (its seasonal and date dummies, and its exogenous variables: `exog_levels`, their
    levels over the training and forecast rows, transformed by `transforms`), so that the comparison is fair."""
    exog_names = list(exog_levels.columns) if exog_levels is not None else []
    names = [c for c in train_levels.columns if c not in exog_names]
    last = train_levels.iloc[-1]
    index = pd.RangeIndex(steps)
    random_walk = pd.DataFrame({name: np.full(steps, last[name]) for name in names}, index=index)
    exog_transformed = apply_transforms(exog_levels, transforms) if exog_names else None
    ar = {}
    for name in names:
        transformed = apply_transforms(train_levels[[name]], {name: transforms[name]})[name]
        if exog_transformed is not None:  # the dates both have (a differenced regressor starts a row later)
            transformed = transformed[transformed.index.isin(exog_transformed.index)]
        series = transformed.to_numpy()
        p = max(lag_order, 1)
        dates = pd.DatetimeIndex(transformed.index)
        offset = pd.tseries.frequencies.to_offset(freq) if freq else None
        ahead = pd.date_range(dates[-1] + offset, periods=steps, freq=offset) if offset is not None else None
        blocks = [deterministic.columns(dates)] if deterministic else []
        future_blocks = [deterministic.columns(ahead)] if deterministic else []
        if exog_transformed is not None:
            blocks.append(exog_transformed.reindex(dates).to_numpy(dtype=float))
            future_blocks.append(exog_transformed.reindex(ahead).to_numpy(dtype=float))
        exog = np.column_stack(blocks) if blocks else None
        future = np.column_stack(future_blocks) if future_blocks else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = AutoReg(series, lags=p, trend=trend, exog=exog).fit()
            path = fitted.predict(start=len(series), end=len(series) + steps - 1, exog_oos=future)
        working = to_working_scale(np.asarray(path).reshape(-1, 1), [transforms[name]], np.array([last[name]]))
        ar[name] = working_to_levels(working, [transforms[name]])[:, 0]
    return {"random walk": random_walk, f"AR({max(lag_order, 1)}) per series": pd.DataFrame(ar, index=index)}


def compare_with_baselines(
    var_forecast: pd.DataFrame, test_levels: pd.DataFrame, baselines: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Per variable and model: RMSE over the test rows, Theil's U (vs the random walk) and the VAR's skill."""
    steps = len(test_levels)
    models = {"VAR": var_forecast.iloc[:steps].reset_index(drop=True), **baselines}
    rows = []
    for name in test_levels.columns:
        actual = test_levels[name].to_numpy()
        rmse = {m: float(np.sqrt(np.mean((f[name].to_numpy()[:steps] - actual) ** 2))) for m, f in models.items()}
        for model, value in rmse.items():
            rows.append({
                "variable": name,
                "model": model,
                "rmse": value,
                "theil_u": value / rmse["random walk"] if rmse["random walk"] > 0 else np.nan,
                "var_skill": 1 - rmse["VAR"] / value if model != "VAR" and value > 0 else np.nan,
            })  # fmt: skip
    return pd.DataFrame(rows)
