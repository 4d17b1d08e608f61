"""A fitted VAR as plain parameters: everything needed to forecast in levels, nothing pickled.

`VarModel` is what a stored version's model.json holds. Its forecasts are rebuilt from the
coefficient matrices with statsmodels' own `var_model.forecast`, so a loaded version forecasts
exactly as the in-memory statsmodels results did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd
from statsmodels.tsa.vector_ar import var_model

from varlib.deterministic import Deterministic
from varlib.errors import InvalidInput
from varlib.exog import align_path
from varlib.kinds import kind_of
from varlib.limits import DEFAULT_LIMITS, Limits
from varlib.transforms import is_differenced, is_log, to_working_scale, working_to_levels

TRENDS = ("n", "c", "ct")
ORIGIN_DATA = "data"  # the production fit, forecasting from the last row of the data
ORIGIN_TRAIN = "train"  # the evaluation fit, forecasting from the last training row, over the test data
ORIGINS = (ORIGIN_DATA, ORIGIN_TRAIN)
MAX_FORECAST_STEPS = 1000
MIN_ALPHA = 1e-6  # a 99.9999% interval; smaller alphas round 1 - alpha/2 to 1.0 and give infinite bounds


@dataclass(frozen=True)
class VecmSpec:
    """What makes a VarModel a VECM's VAR representation: its lagged differences, rank and deterministic terms."""

    k_ar_diff: int
    rank: int
    deterministic: str  # n, co, ci, lo, li, colo, cili (statsmodels' names)

    def to_document(self) -> dict:
        return {"k_ar_diff": self.k_ar_diff, "rank": self.rank, "deterministic": self.deterministic}


@dataclass
class VarModel:
    """VAR(p) parameters on transformed data, with what is needed to map back to levels."""

    variables: list[str]
    transforms: list[str]  # one per variable, in order
    trend: str
    coefs: np.ndarray  # (p, K, K): coefs[i] multiplies y_{t-i-1}
    trend_coefs: np.ndarray  # (n_trend, K): constant row, then linear-trend row
    sigma_u: np.ndarray  # (K, K) residual covariance (statsmodels' df-adjusted sigma_u)
    n_totobs: int  # transformed training rows: the linear trend continues from here
    last_observations: np.ndarray  # (p, K) last transformed training rows, oldest first
    last_levels: np.ndarray  # (K,) last training levels: the start of differenced paths
    last_date: pd.Timestamp
    freq: str
    origin: str = ORIGIN_TRAIN  # which fit this is: where its forecasts start
    # Seasonal and date dummies after the trend, and their coefficients (count, K); none for most models.
    deterministic: Deterministic = field(default_factory=Deterministic)
    dummy_coefs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # Exogenous variables (regressors at time t, transformed), their coefficients (m, K) and last levels (m,):
    # forecasts need their future values, a path in levels from the analyst.
    exog_variables: list[str] = field(default_factory=list)
    exog_transforms: list[str] = field(default_factory=list)
    exog_coefs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    last_exog_levels: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # A VECM is stored and forecast as its VAR in (log) levels; `vecm` says which VECM it represents.
    vecm: VecmSpec | None = None
    _dates: dict[int, pd.DatetimeIndex] = field(default_factory=dict, repr=False, compare=False)
    _columns: pd.Index | None = field(default=None, repr=False, compare=False)

    @property
    def lag_order(self) -> int:
        return int(self.coefs.shape[0])

    @property
    def k(self) -> int:
        return len(self.variables)

    def regressors_words(self) -> str:
        """The terms beyond the trend in words: 'seasonal dummies (quarterly, centred), exogenous oil (diff)'."""
        words = [self.deterministic.describe(self.freq)] if self.deterministic else []
        kind_words = kind_of(self.kind).words(self.vecm)  # a kind names its own terms ("" for a VAR)
        if kind_words:
            words.insert(0, kind_words)
        if self.exog_variables:
            words.append(
                "exogenous "
                + ", ".join(f"{x} ({t})" for x, t in zip(self.exog_variables, self.exog_transforms, strict=True))
            )
        return ", ".join(words)

    @property
    def columns(self) -> list[str]:
        """The data's columns the model uses (and its stored data hold): the variables, then the exogenous ones."""
        return [*self.variables, *self.exog_variables]

    def forecast_dates(self, steps: int) -> pd.DatetimeIndex:
        # Cached: a served version is asked for the same horizons again and again.
        dates = self._dates.get(steps)
        if dates is None:
            offset = pd.tseries.frequencies.to_offset(self.freq)
            dates = pd.date_range(self.last_date + offset, periods=steps, freq=offset, name="date")
            if len(self._dates) < 64:
                self._dates[steps] = dates
        return dates

    def __post_init__(self) -> None:
        if self.dummy_coefs.size == 0:
            self.dummy_coefs = np.zeros((self.deterministic.count, len(self.variables)))
        if self.exog_coefs.size == 0:
            self.exog_coefs = np.zeros((len(self.exog_variables), len(self.variables)))

    def transformed_forecast(self, steps: int, exog_path: pd.DataFrame | None = None) -> np.ndarray:
        """Point forecasts of the transformed series, steps x K (statsmodels' recursion)."""
        exog = self._future_regressors(steps, exog_path)
        trend_coefs = self.trend_coefs
        if self.dummy_coefs.size or self.exog_coefs.size:  # statsmodels' exog order: trend, dummies, exogenous
            trend_coefs = np.vstack([trend_coefs.reshape(-1, self.k), self.dummy_coefs, self.exog_coefs])
        y = self.last_observations if self.lag_order else np.zeros((0, self.k))
        return var_model.forecast(y, self.coefs, trend_coefs if trend_coefs.size else None, steps, exog)

    def _future_regressors(self, steps: int, exog_path: pd.DataFrame | None) -> np.ndarray | None:
        """The trend, seasonal and date dummy columns over the forecast dates (they extend themselves), then the
        exogenous variables' path, transformed."""
        columns = []
        if self.trend.startswith("c"):
            columns.append(np.ones(steps))
        if "t" in self.trend:
            columns.append(np.arange(self.n_totobs + 1, self.n_totobs + 1 + steps, dtype=float))
        if self.deterministic:
            columns.extend(self.deterministic.columns(self.forecast_dates(steps)).T)
        if self.exog_variables:
            columns.extend(self.exog_future(steps, exog_path).T)
        return np.column_stack(columns) if columns else None

    def exog_future(self, steps: int, exog_path: pd.DataFrame | None) -> np.ndarray:
        """The exogenous variables' path (levels, one column each, indexed by date) over the forecast dates,
        transformed as in the fit, steps x m. Every date must have a value: a missing one is named."""
        dates = self.forecast_dates(steps)
        span = f"{iso_timestamp(dates[0])} to {iso_timestamp(dates[-1])}"
        names = ", ".join(self.exog_variables)
        if exog_path is None:
            raise InvalidInput(f"The model has exogenous variables ({names}): give their values for the forecast "
                               f"dates, {span} ({{input:exog_path}}).")  # fmt: skip
        missing = [x for x in self.exog_variables if x not in exog_path.columns]
        if missing:
            raise InvalidInput(f"{{input:exog_path}}: no values of the exogenous variable {missing[0]!r}; give them "
                               f"for the forecast dates, {span}.")  # fmt: skip
        path = exog_path[self.exog_variables]
        if not isinstance(path.index, pd.DatetimeIndex):
            raise InvalidInput("{input:exog_path}: the exogenous variables' values must be indexed by date.")
        values = align_path(path, dates, self.freq).to_numpy(dtype=float)
        for j, name in enumerate(self.exog_variables):
            absent = np.flatnonzero(~np.isfinite(values[:, j]))
            if len(absent):
                step = int(absent[0])
                raise InvalidInput(
                    f"{{input:exog_path}}: no value of the exogenous variable {name!r} for "
                    f"{iso_timestamp(dates[step])} (forecast step {step + 1} of {steps}); give its values for {span}."
                )
            transform = self.exog_transforms[j]
            if is_log(transform) and (values[:, j] <= 0).any():
                step = int(np.flatnonzero(values[:, j] <= 0)[0])
                raise InvalidInput(
                    f"{{input:exog_path}}: the exogenous variable {name!r} is {values[step, j]:g} at "
                    f"{iso_timestamp(dates[step])}, but its {transform} transform needs positive values."
                )
        return transform_path(values, self.exog_transforms, self.last_exog_levels)

    def ma_coefficients(self, steps: int) -> np.ndarray:
        """Φ_0..Φ_{steps-1} of the MA(∞) form (works for p = 0, unlike statsmodels' ma_rep)."""
        phis = np.zeros((steps, self.k, self.k))
        for i, phi in enumerate(self._ma_iter(steps)):
            phis[i] = phi
        return phis

    def _ma_iter(self, steps: int):
        """Φ_0, Φ_1, ... one at a time, keeping only the last p: memory O(p·K²) whatever the horizon."""
        recent: list[np.ndarray] = []
        for i in range(steps):
            phi = np.eye(self.k) if i == 0 else np.zeros((self.k, self.k))
            for j in range(1, min(i, self.lag_order) + 1):
                phi += recent[-j] @ self.coefs[j - 1]
            recent.append(phi)
            if len(recent) > self.lag_order:
                recent.pop(0)
            yield phi

    def working_scale_variance(self, steps: int) -> np.ndarray:
        """Forecast error variances on the working scale (level or log level), steps x K.

        A differenced variable's level error at h is the sum of its first h transformed errors,
        i.e. Σ_{j<h} C_j u_{T+h-j} with cumulated MA coefficients C_j = Σ_{i≤j} Φ_i; variables that
        are not differenced keep Φ_j. Cumulating per-step bounds instead would ignore correlation.
        Only the diagonal is kept: memory grows with steps × K, not steps × K².
        """
        rows = np.array([is_differenced(t) for t in self.transforms])[:, None]
        variance = np.zeros((steps, self.k))
        running = np.zeros(self.k)
        cumulated = np.zeros((self.k, self.k))
        for h, phi in enumerate(self._ma_iter(steps)):
            cumulated += phi
            weights = np.where(rows, cumulated, phi)
            running = running + np.einsum("ij,jk,ik->i", weights, self.sigma_u, weights)
            variance[h] = running
        return variance

    def working_scale_mse(self, steps: int) -> np.ndarray:
        """The full forecast error covariance on the working scale, steps x K x K (for analyses; small K)."""
        rows = np.array([is_differenced(t) for t in self.transforms])[:, None]
        mse = np.zeros((steps, self.k, self.k))
        running = np.zeros((self.k, self.k))
        cumulated = np.zeros((self.k, self.k))
        for h, phi in enumerate(self._ma_iter(steps)):
            cumulated += phi
            weights = np.where(rows, cumulated, phi)
            running = running + weights @ self.sigma_u @ weights.T
            mse[h] = running
        return mse

    def forecast(
        self, steps: int, alpha: float = 0.05, limits: Limits = DEFAULT_LIMITS, exog_path: pd.DataFrame | None = None
    ) -> Forecast:
        """Forecast in levels with (1 - alpha) intervals from the end of this fit's sample (see `origin`); a model
        with exogenous variables needs their path over the forecast dates (conditional forecasts: the intervals
        take the path as known)."""
        validate_forecast_args(steps, alpha)
        limits.check_forecast(steps, self.k)
        transformed = self.transformed_forecast(steps, exog_path)
        working = to_working_scale(transformed, self.transforms, self.last_levels)
        sd = np.sqrt(self.working_scale_variance(steps))
        z = NormalDist().inv_cdf(1 - alpha / 2)
        dates = self.forecast_dates(steps)

        levels = [
            working_to_levels(values, self.transforms) for values in (working, working - z * sd, working + z * sd)
        ]
        finite = (
            np.isfinite(levels[0]).all(axis=1) & np.isfinite(levels[1]).all(axis=1) & np.isfinite(levels[2]).all(axis=1)
        )
        if not finite.all():
            step = int(np.flatnonzero(~finite)[0]) + 1
            raise InvalidInput(
                f"The forecast overflows at step {step} of {steps} ({dates[step - 1].date()}): "
                "the model explodes that far ahead; ask for fewer steps."
            )
        if self._columns is None:  # built once: making an Index of strings is most of a small frame's cost
            self._columns = pd.Index(self.variables)
        point, lower, upper = (pd.DataFrame(v, index=dates, columns=self._columns, copy=False) for v in levels)
        return Forecast(point=point, lower=lower, upper=upper, alpha=alpha, origin=self.origin)

    @property
    def label(self) -> str:
        """What the model is, short: 'VAR(3)', or 'VECM(rank 1, 2 lagged differences)'."""
        if self.vecm is None:
            return f"VAR({self.lag_order})"
        return f"VECM(rank {self.vecm.rank}, {self.vecm.k_ar_diff} lagged differences)"

    @property
    def kind(self) -> str:
        return "vecm" if self.vecm is not None else "var"

    def stability(self) -> Stability:
        """A VAR's, or for a VECM the stability of what is left beside its K − r unit roots (by construction)."""
        found = stability_of(self.coefs)
        if self.vecm is None:
            return found
        unit = self.k - self.vecm.rank
        rest = found.eigenvalue_moduli[unit:]
        largest = rest[0] if rest else 0.0
        return Stability(stable=bool(largest < 1), max_modulus=largest, eigenvalue_moduli=found.eigenvalue_moduli)


def transform_path(values: np.ndarray, transforms: list[str], last_levels: np.ndarray) -> np.ndarray:
    """Future levels (steps x m) on the transformed scale, continuing from `last_levels` (for differences)."""
    out = np.array(values, dtype=float, copy=True)
    for j, transform in enumerate(transforms):
        column = np.log(out[:, j]) if is_log(transform) else out[:, j]
        if is_differenced(transform):
            start = np.log(last_levels[j]) if is_log(transform) else last_levels[j]
            column = np.diff(np.concatenate([[start], column]))
        out[:, j] = column
    return out


def validate_forecast_args(steps: int, alpha: float) -> None:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_FORECAST_STEPS:
        raise InvalidInput(f"Forecast steps must be a whole number from 1 to {MAX_FORECAST_STEPS}, got {steps!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not MIN_ALPHA <= alpha < 1:
        raise InvalidInput(
            f"Interval alpha must be at least {MIN_ALPHA:g} and below 1 (0.05 gives 95% intervals), got {alpha!r}."
        )


@dataclass
class Stability:
    stable: bool
    max_modulus: float  # largest eigenvalue modulus of the companion matrix; < 1 means stable
    eigenvalue_moduli: list[float]


def stability_of(coefs: np.ndarray) -> Stability:
    p, k = coefs.shape[0], coefs.shape[1] if coefs.ndim == 3 else 0
    if p == 0:
        return Stability(stable=True, max_modulus=0.0, eigenvalue_moduli=[])
    companion = np.zeros((k * p, k * p))
    companion[:k, :] = np.concatenate(list(coefs), axis=1)
    companion[k:, :-k] = np.eye(k * (p - 1))
    moduli = sorted((float(m) for m in np.abs(np.linalg.eigvals(companion))), reverse=True)
    return Stability(stable=bool(moduli[0] < 1), max_modulus=moduli[0], eigenvalue_moduli=moduli)


@dataclass
class Forecast:
    """Level forecasts with interval bounds, indexed by forecast date."""

    point: pd.DataFrame
    lower: pd.DataFrame
    upper: pd.DataFrame
    alpha: float
    origin: str = ORIGIN_TRAIN

    @property
    def variables(self) -> list[str]:
        return list(self.point.columns)

    @property
    def interval_level(self) -> float:
        """The intervals' coverage in percent: 95 for alpha 0.05."""
        return interval_level(self.alpha)

    def to_frame(self, actual: pd.DataFrame | None = None) -> pd.DataFrame:
        """date, then per variable VAR, VAR_lower, VAR_upper, VAR_actual (blank outside the test data), then
        `origin` (data or train) and `interval_level` (95 for 95% intervals) on every row."""
        columns: dict[str, pd.Series] = {}
        for name in self.variables:
            columns[name] = self.point[name]
            columns[f"{name}_lower"] = self.lower[name]
            columns[f"{name}_upper"] = self.upper[name]
            if actual is not None:
                columns[f"{name}_actual"] = actual[name].reindex(self.point.index)
        # Last, so that the columns before them stay where they were before forecasts had an origin.
        columns["origin"] = pd.Series(self.origin, index=self.point.index)
        columns["interval_level"] = pd.Series(self.interval_level, index=self.point.index)
        out = pd.DataFrame(columns, index=self.point.index)
        out.index.name = "date"
        return out

    def to_csv(self, actual: pd.DataFrame | None = None) -> str:
        """Deterministic CSV text: ISO dates, full float precision, '\\n' line ends, spreadsheet-safe headers."""
        return output_csv(self.to_frame(actual))

    def to_records(self, actual: pd.DataFrame | None = None) -> list[dict]:
        """JSON-friendly rows: {'date': ISO, VAR: {point, lower, upper[, actual]}}."""
        point, lower, upper = (frame.to_numpy().tolist() for frame in (self.point, self.lower, self.upper))
        observed = None
        if actual is not None:
            observed = actual.reindex(index=self.point.index, columns=self.variables).to_numpy().tolist()
        rows = []
        for i, date in enumerate(iso_timestamps(self.point.index)):
            row: dict = {"date": date}
            for k, name in enumerate(self.variables):
                cell = {"point": point[i][k], "lower": lower[i][k], "upper": upper[i][k]}
                if observed is not None and observed[i][k] == observed[i][k]:  # NaN (outside the test data) != NaN
                    cell["actual"] = observed[i][k]
                row[name] = cell
            rows.append(row)
        return rows


def interval_level(alpha: float) -> float:
    """The coverage in percent of (1 - alpha) intervals: 95 for alpha 0.05."""
    return round((1 - alpha) * 100, 6)


def forecast_file_name(name: str, version: str, origin: str, alpha: float) -> str:
    """e.g. gdp-1.0.0-forecast-from-data-95pct.csv: the file says which origin and interval level it holds."""
    return f"{name}-{version}-forecast-from-{origin}-{interval_level(alpha):g}pct.csv"


_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def iso_timestamps(index: pd.DatetimeIndex) -> pd.Index:
    """ISO dates (2009-07-01), or ISO date-times (2009-07-01T13:00:00) when any entry has a time of day."""
    # On the integer ticks: comparing with index.normalize() costs 25 times more, on every forecast served.
    ticks, per_second = index.asi8, _TICKS_PER_SECOND[index.unit]
    if not (ticks % (86_400 * per_second)).any():
        return pd.Index(index.strftime("%Y-%m-%d"))
    return pd.Index(index.strftime("%Y-%m-%dT%H:%M:%S" if not (ticks % per_second).any() else "%Y-%m-%dT%H:%M:%S.%f"))


def iso_timestamp(moment: pd.Timestamp) -> str:
    return str(iso_timestamps(pd.DatetimeIndex([moment]))[0])


def dated_csv(frame: pd.DataFrame) -> str:
    """CSV text with a `date` column (ISO dates or date-times), shortest round-trip floats and '\\n' line ends."""
    out = frame.copy()
    out.index = pd.Index(iso_timestamps(out.index), name="date")
    return out.to_csv(lineterminator="\n", float_format=lambda x: repr(float(x)))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: prefix a quote to =, +, -, @, tab, CR)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def output_csv(frame: pd.DataFrame) -> str:
    """CSV for people to open (forecasts, backtests): as dated_csv, with every header made spreadsheet-safe.

    The cells are numbers and dates, which spreadsheets never run; headers come from the data's column names.
    """
    return dated_csv(frame.rename(columns=lambda name: spreadsheet_safe(str(name))))
