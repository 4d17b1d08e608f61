"""Training: split, transform, select the lag order, fit a VAR, and score it on the test data."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.api import VAR

from varlib.data import STORED_DATE_COLUMN, Dataset
from varlib.deterministic import IMPULSE, MAX_DUMMIES, STEP, Deterministic, resolve, seasons_of
from varlib.errors import InvalidInput
from varlib.estimation import EstimationOutput, estimation_output
from varlib.kinds import ModelKind, Refit, kind_of
from varlib.limits import Limits
from varlib.model import TRENDS, Forecast, Stability, VarModel, validate_forecast_args
from varlib.transforms import apply_transforms, is_log, validate_transform

CRITERIA = ("aic", "bic", "hqic", "fpe")
MAX_EXOG = 20  # exogenous variables per model: regressors of every equation, each needing a path to forecast
MAX_ABS_LEVEL = 1e100  # squares and cross-products of larger values overflow a float


@dataclass
class TrainSpec:
    """What to fit: variables, a transform each, the test split and how to choose p."""

    variables: list[str]
    transforms: dict[str, str]
    test_size: int = 12
    max_lags: int = 12
    criterion: str | None = "aic"  # used when lags is None
    lags: int | None = None
    trend: str = "c"
    alpha: float = 0.05
    seasonal: bool = False  # centred seasonal dummies for the data's frequency (monthly or quarterly)
    impulse_dummies: list[str] = field(default_factory=list)  # dates as typed: 1 there, 0 elsewhere
    step_dummies: list[str] = field(default_factory=list)  # dates as typed: 0 before, 1 from there on
    # Exogenous variables from the data (R vars' exogen=): regressors at time t, transformed as `transforms` says;
    # forecasts need their future values.
    exog: list[str] = field(default_factory=list)
    kind: str = "var"  # or "vecm": a VECM of the (log) levels, p chosen on the levels VAR
    coint_rank: int | None = None  # VECM: None chooses it by Johansen's trace test at 5%
    vecm_deterministic: str = "ci"  # VECM: statsmodels' n, co, ci, lo, li, colo, cili

    @property
    def selection_trend(self) -> str:
        """The trend of the VAR the lag order is chosen on: for a VECM, the one its deterministic terms imply."""
        return kind_of(self.kind).selection_trend(self)

    @property
    def columns(self) -> list[str]:
        """Every column of the data the model uses: the variables, then the exogenous ones."""
        return [*self.variables, *self.exog]

    @property
    def dummy_dates(self) -> dict[str, list[str]]:
        return {IMPULSE: list(self.impulse_dummies), STEP: list(self.step_dummies)}

    @classmethod
    def build(
        cls,
        variables: list[str],
        transform: str | dict[str, str] = "none",
        **options: object,
    ) -> TrainSpec:
        """A spec with one transform for all variables (exogenous ones too), or a dict of them (missing ones: none)."""
        columns = [*variables, *options.get("exog", [])]  # type: ignore[misc]
        if isinstance(transform, str):
            transforms = dict.fromkeys(columns, transform)
        else:
            transforms = {v: transform.get(v, "none") for v in columns}
        return cls(variables=list(variables), transforms=transforms, **options)

    def validate(self) -> None:
        if len(self.variables) < 2:
            raise InvalidInput(f"A VAR needs at least 2 variables, got {len(self.variables)}.")
        if len(set(self.variables)) != len(self.variables):
            raise InvalidInput("Each variable may be chosen only once.")
        if not isinstance(self.exog, (list, tuple)) or not all(isinstance(x, str) for x in self.exog):
            raise InvalidInput("Exogenous variables are a list of column names.")
        both = [x for x in self.exog if x in self.variables]
        if both:
            raise InvalidInput(f"{both[0]!r} is chosen as a variable and as an exogenous variable ({{input:exog}}); "
                               "a column is one or the other.")  # fmt: skip
        if len(set(self.exog)) != len(self.exog):
            raise InvalidInput("Each exogenous variable ({input:exog}) may be chosen only once.")
        if len(self.exog) > MAX_EXOG:
            raise InvalidInput(f"{len(self.exog)} exogenous variables ({{input:exog}}) are more than the {MAX_EXOG} "
                               "allowed.")  # fmt: skip
        for name in self.columns:
            validate_transform(self.transforms.get(name, ""), name)
        _check_int("test size", self.test_size, 1)
        _check_int("max lags", self.max_lags, 1)
        if self.lags is not None:
            _check_int("lag order p", self.lags, 0)
        elif self.criterion not in CRITERIA:
            raise InvalidInput(
                f"Unknown criterion {self.criterion!r}: use one of {', '.join(CRITERIA)}, or a lag order."
            )
        if self.trend not in TRENDS:
            raise InvalidInput(f"Unknown trend {self.trend!r}: use n (none), c (constant) or ct (constant and trend).")
        validate_forecast_args(1, self.alpha)
        if not isinstance(self.seasonal, (bool, np.bool_)):
            raise InvalidInput(f"Seasonal dummies are on or off (True or False), got {self.seasonal!r}.")
        for dates in (self.impulse_dummies, self.step_dummies):
            if not isinstance(dates, (list, tuple)) or not all(isinstance(d, str) for d in dates):
                raise InvalidInput("Impulse and step dummies are lists of dates, such as ['2008Q4'].")
        kind_of(self.kind).validate(self)
        if len(self.impulse_dummies) + len(self.step_dummies) > MAX_DUMMIES:
            raise InvalidInput(f"At most {MAX_DUMMIES} impulse and step dummies can be given, got "
                               f"{len(self.impulse_dummies) + len(self.step_dummies)}.")  # fmt: skip


def _check_int(what: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInput(f"The {what} must be a whole number of at least {minimum}, got {value!r}.")


@dataclass
class PreparedData:
    train_levels: pd.DataFrame  # the variables, then the exogenous variables
    test_levels: pd.DataFrame
    train_transformed: pd.DataFrame  # the variables only
    all_transformed: pd.DataFrame  # every row (training + test), transformed: what the production fit uses
    extra_columns: int = 0  # at most this many dummy and exogenous columns (some dummies may be left out)
    train_exog: pd.DataFrame | None = None  # the exogenous variables, transformed, on train_transformed's rows
    all_exog: pd.DataFrame | None = None  # and on all_transformed's


def prepare(dataset: Dataset, spec: TrainSpec) -> PreparedData:
    """Validate the spec against the data; split levels (test = last rows) and transform training only."""
    spec.validate()
    frame = dataset.frame
    unknown = [v for v in spec.columns if v not in frame.columns]
    if unknown:
        what = "exogenous variable ({input:exog})" if unknown[0] in spec.exog else "variable"
        raise InvalidInput(f"{dataset.source}: no {what} {unknown[0]!r} (available: {', '.join(frame.columns)}).")
    if STORED_DATE_COLUMN in spec.columns:
        raise InvalidInput(f"{dataset.source}: a variable may not be named {STORED_DATE_COLUMN!r}, the name of the "
                           "stored dates; rename it.")  # fmt: skip
    levels = frame[spec.columns]
    for name in spec.columns:
        huge = np.flatnonzero(np.abs(levels[name].to_numpy(dtype=float)) > MAX_ABS_LEVEL)
        if len(huge):
            raise InvalidInput(
                f"{dataset.source}: variable {name!r} has the value {levels[name].iloc[huge[0]]:.6g} at "
                f"{levels.index[huge[0]].date()}, beyond the ±{MAX_ABS_LEVEL:g} that can be fitted reliably; "
                "rescale it (e.g. to billions)."
            )
        missing = np.flatnonzero(levels[name].isna().to_numpy())
        if len(missing):
            raise InvalidInput(
                f"{dataset.source}: variable {name!r} has a missing value at {levels.index[missing[0]].date()}."
            )
    if spec.test_size >= len(levels):
        raise InvalidInput(
            f"{dataset.source}: test size {spec.test_size} leaves no training rows out of {len(levels)}."
        )
    train = levels.iloc[: -spec.test_size]
    test = levels.iloc[-spec.test_size :]
    for name in spec.columns:  # all rows: the production fit uses the test rows too
        if is_log(spec.transforms[name]) and (levels[name] <= 0).any():
            bad = levels.index[np.flatnonzero((levels[name] <= 0).to_numpy())[0]]
            raise InvalidInput(
                f"{dataset.source}: variable {name!r} has a non-positive value at {bad.date()}, "
                f"so the {spec.transforms[name]} transform cannot be used."
            )
    transformed = apply_transforms(train, spec.transforms)
    for name in spec.columns:
        if np.ptp(transformed[name].to_numpy()) == 0:
            state = "after the " + spec.transforms[name] + " transform" if spec.transforms[name] != "none" else ""
            raise InvalidInput(
                f"{dataset.source}: variable {name!r} is constant in the training data {state}".rstrip() + "."
            )
    extra = deterministic_count_bound(spec, dataset.freq) + len(spec.exog)
    _check_enough_rows(dataset.source, spec, len(transformed), extra)
    limits = Limits.from_settings()  # what could not be loaded back is refused before any fitting
    limits.check_shape(len(spec.variables), spec.lags if spec.lags is not None else spec.max_lags, dataset.source)
    everything = apply_transforms(levels, spec.transforms)
    return PreparedData(
        train_levels=train,
        test_levels=test,
        train_transformed=transformed[spec.variables],
        all_transformed=everything[spec.variables],
        extra_columns=extra,
        train_exog=transformed[spec.exog] if spec.exog else None,
        all_exog=everything[spec.exog] if spec.exog else None,
    )


def deterministic_count_bound(spec: TrainSpec, freq: str | None) -> int:
    """The seasonal and date dummy columns the spec asks for (before checking each date)."""
    seasons = seasons_of(freq) if spec.seasonal else 0
    return max(seasons - 1, 0) + len(spec.impulse_dummies) + len(spec.step_dummies)


def estimable_lags(rows: int, k: int, trend: str, extra: int = 0) -> int:
    """The most lags of k variables that `rows` transformed rows can estimate on a common sample, with `extra`
    regressors beyond the trend (dummies): the largest model must leave at least k residual degrees of freedom,
    else its residual covariance is singular by construction (the same bound statsmodels applies)."""
    n_trend = len(trend) if trend.startswith("c") else 0
    return max((rows - k - n_trend - extra) // (1 + k), 0)


def _check_enough_rows(source: str, spec: TrainSpec, rows: int, extra: int = 0) -> None:
    k = len(spec.variables)
    n_trend = (len(spec.selection_trend) if spec.selection_trend.startswith("c") else 0) + extra
    max_estimable = estimable_lags(rows, k, spec.selection_trend, extra)
    needed = spec.max_lags if spec.lags is None else spec.lags
    if needed > max_estimable:
        fewest = needed * (1 + k) + k + n_trend
        raise InvalidInput(
            f"{source}: {rows} training rows (after transforms) are too few for {needed} lags of {k} variables; "
            f"use at most {max(max_estimable, 0)} lags, a smaller test size, "
            f"or data with at least {fewest} training rows."
        )


def _check_finite(source: str, arrays: list) -> None:
    if not all(np.isfinite(np.asarray(a, dtype=float)).all() for a in arrays):
        raise InvalidInput(
            f"{source}: the fit gives numbers too large or too small to store (values of extreme magnitude?); "
            "rescale the data (e.g. to billions) and fit again."
        )


@dataclass
class LagSelection:
    """Information criteria for p = p_min..max_lags on a common sample, and the p each selects."""

    table: pd.DataFrame  # index p, columns aic, bic, hqic, fpe
    selected: dict[str, int]
    max_lags: int
    trend: str


def select_lag_order(
    train_transformed: pd.DataFrame | np.ndarray, max_lags: int, trend: str, extra: np.ndarray | None = None
) -> LagSelection:
    """The lag-selection table of statsmodels' VAR.select_order (with `extra` as its exog), from one QR factorisation.

    Every p is fitted on the same sample (the rows after the first max_lags), as statsmodels does. The design
    matrix of p lags is the leading columns of the max-lag one ([trend | y_t-1 | ... | y_t-max]), so one QR of
    [X | Y] gives every nested residual sum of squares: SSE_p = R_yyᵀR_yy + C[m_p:]ᵀC[m_p:], where C = Q₁ᵀY and
    m_p is the number of columns of the p-lag model. Instead of max_lags + 1 regressions, one. `extra` (rows x m,
    aligned with the data: dummies) follows the trend, as statsmodels places exog.
    """
    y = np.asarray(train_transformed, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    rows, k = y.shape
    extra = np.zeros((rows, 0)) if extra is None else np.asarray(extra, dtype=float).reshape(rows, -1)
    n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
    sample = rows - max_lags
    design = np.empty((sample, n_trend + extra.shape[1] + k * max_lags + k))
    if n_trend:
        design[:, 0] = 1.0
    if n_trend == 2:
        design[:, 1] = np.arange(1, sample + 1)  # statsmodels shifts this by p; with a constant the fit is the same
    design[:, n_trend : n_trend + extra.shape[1]] = extra[max_lags:]
    n_trend += extra.shape[1]  # from here on, every regressor that is not a lag
    for lag in range(1, max_lags + 1):
        first = n_trend + (lag - 1) * k
        design[:, first : first + k] = y[max_lags - lag : rows - lag]
    design[:, -k:] = y[max_lags:]
    r = np.linalg.qr(design, mode="r")
    columns = n_trend + k * max_lags
    projections = r[:columns, columns:]  # C = Q₁ᵀY
    r_yy = r[columns:, columns:]
    sse = r_yy.T @ r_yy  # the max-lag model's residual sum of squares

    p_min = 0 if n_trend else 1
    criteria: dict[str, list[float]] = {name: [] for name in CRITERIA}
    for p in range(max_lags, p_min - 1, -1):  # from the largest model down, adding back the dropped columns
        if p < max_lags:
            block = projections[n_trend + k * p : n_trend + k * (p + 1)]
            sse = sse + block.T @ block
        df_model = k * p + n_trend
        df_resid = sample - df_model
        free_params = p * k * k + k * n_trend
        if df_resid >= k:  # fewer residual degrees of freedom than variables: singular whatever the data
            try:
                log_det = 2.0 * np.sum(np.log(np.diagonal(np.linalg.cholesky(sse / sample))))
            except np.linalg.LinAlgError:
                raise InvalidInput(
                    f"Lag selection failed at p = {p}: the residual covariance is singular "
                    "(are some variables exact combinations of others?)."
                ) from None
            fpe = ((sample + df_model) / df_resid) ** k * np.exp(log_det)
        else:  # not estimable on this sample: never the minimum (a log det of -inf would be)
            log_det, fpe = np.inf, np.inf
        criteria["aic"].append(log_det + 2.0 / sample * free_params)
        criteria["bic"].append(log_det + np.log(sample) / sample * free_params)
        criteria["hqic"].append(log_det + 2.0 * np.log(np.log(sample)) / sample * free_params)
        criteria["fpe"].append(fpe)
    table = pd.DataFrame(
        {name: values[::-1] for name, values in criteria.items()},
        index=pd.RangeIndex(p_min, max_lags + 1, name="p"),
    )
    selected = {name: int(np.argmin(table[name].to_numpy())) + p_min for name in CRITERIA}
    return LagSelection(table=table, selected=selected, max_lags=max_lags, trend=trend)


@dataclass
class VariableMetrics:
    rmse: float
    mae: float
    mape: float | None  # percent; None when every actual value is zero
    mape_skipped_zeros: int
    theil_u: float | None  # RMSE over the no-change forecast's RMSE; None if that is zero


def score_forecast(forecast: Forecast, test_levels: pd.DataFrame, last_levels: pd.Series) -> dict[str, VariableMetrics]:
    """Per-variable accuracy of the level forecast over the test horizon."""
    metrics = {}
    for name in forecast.variables:
        actual = test_levels[name].to_numpy()
        predicted = forecast.point[name].to_numpy()[: len(actual)]
        errors = predicted - actual
        nonzero = actual != 0
        naive_rmse = float(np.sqrt(np.mean((last_levels[name] - actual) ** 2)))
        rmse = float(np.sqrt(np.mean(errors**2)))
        metrics[name] = VariableMetrics(
            rmse=rmse,
            mae=float(np.mean(np.abs(errors))),
            mape=float(np.mean(np.abs(errors[nonzero] / actual[nonzero])) * 100) if nonzero.any() else None,
            mape_skipped_zeros=int((~nonzero).sum()),
            theil_u=rmse / naive_rmse if naive_rmse > 0 else None,
        )
    return metrics


@dataclass
class TrainResult:
    """A fitted VAR with its lag table, test forecast and metrics; `model` is what gets stored."""

    spec: TrainSpec
    dataset_source: str
    model: VarModel
    selection: LagSelection
    chosen_by: str  # 'aic'... or 'fixed'
    train_levels: pd.DataFrame
    test_levels: pd.DataFrame
    test_forecast: Forecast
    metrics: dict[str, VariableMetrics]
    stability: Stability
    nobs: int  # rows used in estimation (transformed rows minus p)
    notes: list[str] = field(default_factory=list)
    statsmodels_results: object | None = field(default=None, repr=False)  # in memory only, never stored
    # The production fit: the same specification and p, re-estimated on every row (training + test); it forecasts
    # ahead from the end of the data. None only for results rebuilt from versions stored before it existed.
    production: VarModel | None = None
    production_stability: Stability | None = None
    production_nobs: int = 0
    lineage: dict | None = None  # set by a refresh: the parent version and what the refresh changed
    # Estimation output per fit: "train" (the evaluation fit) and "data" (the production fit).
    estimation: dict[str, EstimationOutput] = field(default_factory=dict, repr=False)
    # A VECM's: its Johansen tests ("johansen") and each fit's VecmFit ("train", "data"); None for a VAR.
    vecm: dict | None = field(default=None, repr=False)

    @property
    def levels(self) -> pd.DataFrame:
        """Every row the version was given: training, then test."""
        return pd.concat([self.train_levels, self.test_levels])


def lag_table(dataset: Dataset, spec: TrainSpec) -> LagSelection:
    """The lag-selection table that `train` would compute for this spec (dummies included), without fitting."""
    return _lag_table(prepare(dataset, spec), spec, dataset, True, [])[0]


def _lag_table(
    data: PreparedData, spec: TrainSpec, dataset: Dataset, strict_dummies: bool, notes: list[str]
) -> tuple[LagSelection, Deterministic]:
    table_lags = spec.max_lags
    rows, k = len(data.train_transformed), len(spec.variables)
    if spec.lags is not None:  # a fixed p is fitted whatever max_lags is; the lag table shows what the data allow
        table_lags = max(min(spec.max_lags, estimable_lags(rows, k, spec.selection_trend, data.extra_columns)),
                         spec.lags)  # fmt: skip
        if table_lags < spec.max_lags:
            notes.append(f"the lag table goes up to p = {table_lags}, not {spec.max_lags}: {rows} training rows "
                         f"(after transforms) cannot estimate more lags of {k} variables")  # fmt: skip
    train_dates = pd.DatetimeIndex(data.train_transformed.index)
    deterministic = resolve(spec.seasonal, spec.dummy_dates, train_dates, dataset.freq, table_lags, dataset.source,
                            strict=strict_dummies)  # fmt: skip
    extra = regressors(train_dates, deterministic, data.train_exog)
    return select_lag_order(data.train_transformed, table_lags, spec.selection_trend, extra), deterministic


def regressors(dates: pd.DatetimeIndex, deterministic: Deterministic, exog: pd.DataFrame | None) -> np.ndarray | None:
    """The columns after the trend, rows x m: the seasonal and date dummies, then the transformed exogenous
    variables (statsmodels' exog, in that order); None when there are none."""
    columns = []
    if deterministic:
        columns.append(deterministic.columns(dates))
    if exog is not None and exog.shape[1]:
        columns.append(exog.to_numpy(dtype=float))
    return np.column_stack(columns) if columns else None


def fit_var(transformed: pd.DataFrame, p: int, trend: str, deterministic: Deterministic,
            exog: pd.DataFrame | None = None):  # fmt: skip
    """statsmodels' VAR fit of p lags with the trend; the dummies and exogenous variables are its exog."""
    extra = regressors(pd.DatetimeIndex(transformed.index), deterministic, exog)
    return VAR(transformed.to_numpy(), exog=extra).fit(p, trend=trend)


def train(dataset: Dataset, spec: TrainSpec, *, strict_dummies: bool = True) -> TrainResult:
    """Fit a VAR as statsmodels' VAR.fit(maxlags=..., ic=...) or VAR.fit(p) does, and score it.

    Not `strict_dummies` (a backtest's windows), date dummies outside the estimation sample are left out.
    """
    data = prepare(dataset, spec)
    notes = list(dataset.notes)
    selection, deterministic = _lag_table(data, spec, dataset, strict_dummies, notes)
    p = spec.lags if spec.lags is not None else selection.selected[spec.criterion]
    return kind_of(spec.kind).fit(FitContext(dataset, spec, data, selection, deterministic, p, notes))


@dataclass
class FitContext:
    """What a kind's fit starts from: the data prepared for the spec, the lag table and the p it gives."""

    dataset: Dataset
    spec: TrainSpec
    data: PreparedData
    selection: LagSelection
    deterministic: Deterministic
    p: int
    notes: list[str]


def _train_var(context: FitContext) -> TrainResult:
    """The VAR kind's fit: statsmodels' VAR on the training rows and on all rows, scored on the test rows."""
    dataset, spec, data, selection = context.dataset, context.spec, context.data, context.selection
    deterministic, p, notes = context.deterministic, context.p, context.notes
    all_levels = pd.concat([data.train_levels, data.test_levels])
    results = fit_var(data.train_transformed, p, spec.trend, deterministic, data.train_exog)
    model = _fitted_model(results, spec, p, data.train_transformed, data.train_levels, dataset.freq, "train",
                          deterministic)  # fmt: skip
    production_results = fit_var(data.all_transformed, p, spec.trend, deterministic, data.all_exog)
    production = _fitted_model(production_results, spec, p, data.all_transformed, all_levels, dataset.freq, "data",
                               deterministic)  # fmt: skip
    _check_finite(dataset.source, [model.coefs, model.trend_coefs, model.dummy_coefs, model.exog_coefs, model.sigma_u,
                                   production.coefs, production.trend_coefs, production.dummy_coefs,
                                   production.exog_coefs, production.sigma_u])  # fmt: skip
    # Over the test rows, the exogenous variables' actual values: what the analyst would have assumed, at best.
    test_forecast = model.forecast(spec.test_size, spec.alpha, exog_path=data.test_levels[spec.exog])
    metrics = score_forecast(test_forecast, data.test_levels, data.train_levels.iloc[-1])
    _check_finite(dataset.source, [[v for m in metrics.values() for v in (m.rmse, m.mae, m.mape, m.theil_u)
                                    if v is not None]])  # fmt: skip
    stability = model.stability()
    if not stability.stable:
        notes.append(
            f"the fitted VAR is not stable (largest companion eigenvalue modulus {stability.max_modulus:.4f} ≥ 1): "
            "forecasts may explode; consider differencing"
        )
    production_stability = production.stability()
    if stability.stable and not production_stability.stable:
        notes.append(
            f"the production fit (on all rows) is not stable (largest companion eigenvalue modulus "
            f"{production_stability.max_modulus:.4f} ≥ 1): forecasts ahead may explode"
        )
    if p == 0:  # true for each deterministic term: the forecast is what they alone give
        terms = (
            ([{"c": "constant", "ct": "constant and trend"}[spec.trend]] if spec.trend != "n" else [])
            + (["seasonal dummies"] if deterministic.seasons else [])
            + (["date dummies"] if deterministic.dummies else [])
            + (["exogenous variables"] if spec.exog else [])
        )
        if len(terms) > 1 or (terms and terms != ["constant"] and terms != ["constant and trend"]):
            said = (
                f"it forecasts what its {', '.join(terms[:-1])} and {terms[-1]} give"
                if len(terms) > 1
                else (f"it forecasts what its {terms[0]} give")
            )
            notes.append(f"lag order 0: the model has no dynamics; {said} for the transformed data")
        else:
            notes.append(
                "lag order 0: the model has no dynamics; "
                + {
                    "c": "it forecasts the mean of the transformed data",
                    "ct": "it forecasts the fitted linear trend of the transformed data",
                    "n": "with no constant either, it forecasts zero for the transformed data",
                }[spec.trend]
            )
    return TrainResult(
        spec=spec,
        dataset_source=dataset.source_to_store,
        model=model,
        selection=selection,
        chosen_by=spec.criterion if spec.lags is None else "fixed",
        train_levels=data.train_levels,
        test_levels=data.test_levels,
        test_forecast=test_forecast,
        metrics=metrics,
        stability=stability,
        nobs=int(results.nobs),
        notes=notes,
        statsmodels_results=results,
        production=production,
        production_stability=production_stability,
        production_nobs=int(production_results.nobs),
        estimation={
            origin: estimation_output(
                fitted, spec.variables, spec.trend, [*deterministic.names(dataset.freq), *spec.exog]
            )
            for origin, fitted in (("train", results), ("data", production_results))
        },
    )


def _fitted_model(
    results: object,
    spec: TrainSpec,
    p: int,
    transformed: pd.DataFrame,
    levels: pd.DataFrame,
    freq: str,
    origin: str,
    deterministic: Deterministic,
) -> VarModel:
    """The stored parameters of a statsmodels fit on `transformed` (the transform of `levels`)."""
    k = len(spec.variables)
    n_trend = {"n": 0, "c": 1, "ct": 2}[spec.trend]
    exog_coefs = np.asarray(results.coefs_exog, dtype=float).T.reshape(-1, k)  # trend, dummies, exogenous rows
    n_dummies = deterministic.count
    return VarModel(
        variables=list(spec.variables),
        transforms=[spec.transforms[v] for v in spec.variables],
        trend=spec.trend,
        coefs=np.asarray(results.coefs, dtype=float).reshape(p, k, k),
        trend_coefs=exog_coefs[:n_trend],
        deterministic=deterministic,
        dummy_coefs=exog_coefs[n_trend : n_trend + n_dummies],
        exog_variables=list(spec.exog),
        exog_transforms=[spec.transforms[x] for x in spec.exog],
        exog_coefs=exog_coefs[n_trend + n_dummies :],
        last_exog_levels=levels[spec.exog].iloc[-1].to_numpy(dtype=float),
        sigma_u=np.asarray(results.sigma_u, dtype=float),
        n_totobs=len(transformed),
        last_observations=transformed.to_numpy()[len(transformed) - p :],
        last_levels=levels[spec.variables].iloc[-1].to_numpy(dtype=float),
        last_date=levels.index[-1],
        freq=freq,
        origin=origin,
    )


class VarKind(ModelKind):
    """The VAR: statsmodels' VAR fitted by OLS; every analysis applies."""

    name = "var"
    title = "VAR"

    def fit(self, context: FitContext) -> TrainResult:
        return _train_var(context)

    def refit(self, model: VarModel, levels: pd.DataFrame) -> Refit:
        """statsmodels' VAR on the stored levels, with the stored trend, dummies and exogenous variables."""
        import warnings

        from varlib.kinds import REFIT_TOLERANCE

        transforms = dict(zip(model.columns, [*model.transforms, *model.exog_transforms], strict=True))
        everything = apply_transforms(levels[model.columns], transforms)
        transformed = everything[model.variables]
        exog = everything[model.exog_variables] if model.exog_variables else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = fit_var(transformed, model.lag_order, model.trend, model.deterministic, exog)
        k = len(model.variables)
        # statsmodels' exog: trend, dummies, exogenous variables
        stacked = np.vstack([model.trend_coefs.reshape(-1, k), model.dummy_coefs, model.exog_coefs])
        pairs = [
            (np.asarray(results.coefs).reshape(model.coefs.shape), model.coefs),
            (np.asarray(results.coefs_exog).T.reshape(-1, k), stacked),
            (np.asarray(results.sigma_u), model.sigma_u),
        ]
        if any(a.shape != b.shape for a, b in pairs):
            return Refit(results, model.variables, model.transforms, False, float("inf"), transformed.index)
        difference = max((float(np.max(np.abs(a - b))) if a.size else 0.0) for a, b in pairs)
        scale = max((float(np.max(np.abs(b))) if b.size else 0.0) for _, b in pairs)
        return Refit(results, list(model.variables), list(model.transforms),
                     difference <= REFIT_TOLERANCE * max(1.0, scale), difference,
                     pd.DatetimeIndex(transformed.index))  # fmt: skip

    def estimation(self, refit: Refit, model: VarModel) -> EstimationOutput:
        return estimation_output(refit.results, list(model.variables), model.trend,
                                 [*model.deterministic.names(model.freq), *model.exog_variables])  # fmt: skip


KIND = VarKind()
