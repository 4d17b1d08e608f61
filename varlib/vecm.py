"""The VECM kind: Johansen's rank tests, a VECM fit (statsmodels' `VECM`, maximum likelihood), its estimation output
(α, β normalised, Γ and deterministic terms with standard errors), and its VAR representation in (log) levels.

A VECM of K variables with k_ar_diff lagged differences is a VAR(k_ar_diff + 1) in levels with reduced-rank
long-run matrix Π = αβᵀ. varlib forecasts a VECM through that representation, as statsmodels'
`VECMResults.predict` does: the same point forecasts and intervals (from the levels VAR's MA coefficients and Σu),
so a VECM is a `VarModel` wherever a forecast is made, and its own parameters are what estimation output shows.

Deterministic terms as statsmodels names them: `n` none; `co` a constant outside the cointegration relation, `ci`
inside it; `lo` a linear trend outside, `li` inside; and their combinations `colo`, `cili`. Seasonal dummies are
centred (as for a VAR) and counted from the calendar.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.vector_ar.vecm import VECM, coint_johansen

from varlib.deterministic import Deterministic, season_index
from varlib.documents import Fields, is_number, nested_numbers
from varlib.errors import InvalidInput
from varlib.estimation import COEFFICIENT_COLUMNS, EstimationOutput
from varlib.kinds import REFIT_TOLERANCE, ModelKind, Refit
from varlib.model import ORIGIN_DATA, ORIGIN_TRAIN, VarModel, VecmSpec
from varlib.training import FitContext, TrainResult, TrainSpec, _check_finite, score_forecast
from varlib.transforms import apply_transforms

DETERMINISTIC_TERMS = {
    "n": "none",
    "co": "constant",
    "ci": "constant in the cointegration relation",
    "lo": "linear trend",
    "li": "linear trend in the cointegration relation",
    "colo": "constant and linear trend",
    "cili": "constant and linear trend in the cointegration relation",
}
# Johansen's test in statsmodels knows three cases: no deterministic term, a constant, a linear trend.
JOHANSEN_DET_ORDER = {"n": -1, "co": 0, "ci": 0, "lo": 1, "li": 1, "colo": 1, "cili": 1}
LEVEL_TRANSFORMS = ("none", "log")  # a VECM models the (log) levels; differencing would throw the long run away


def vecm_trend(deterministic: str) -> str:
    """The trend of the VAR a VECM with these terms is (and its lag order is chosen on): n, c or ct."""
    return "n" if deterministic == "n" else ("ct" if "l" in deterministic else "c")


def vecm_words(spec) -> str:
    """A VECM's specification in words: 'VECM, rank 1, 2 lagged differences, constant in the cointegration
    relation'."""
    return (f"VECM, rank {spec.rank}, {spec.k_ar_diff} lagged difference{'s' if spec.k_ar_diff != 1 else ''}, "
            f"{DETERMINISTIC_TERMS[spec.deterministic]}")  # fmt: skip


def validate_deterministic(deterministic: str) -> str:
    if deterministic not in DETERMINISTIC_TERMS:
        raise InvalidInput(f"Unknown deterministic terms {deterministic!r} for a VECM ({{input:deterministic}}): use "
                           f"one of {', '.join(DETERMINISTIC_TERMS)}.")  # fmt: skip
    return deterministic


# ----- Johansen's tests -------------------------------------------------------------------------------------------


@dataclass
class JohansenTests:
    """The trace and maximum-eigenvalue tests of H0: rank ≤ r0, for r0 = 0..K−1, and the rank each chooses at 5%."""

    table: pd.DataFrame  # index r0: eigenvalue, trace, trace 90/95/99%, max-eigenvalue, max 90/95/99%
    rank_by_trace: int
    rank_by_max_eigenvalue: int
    deterministic: str
    k_ar_diff: int
    nobs: int


def johansen_tests(levels: pd.DataFrame, deterministic: str, k_ar_diff: int) -> JohansenTests:
    """Johansen's tests on the (log) levels, with `k_ar_diff` lagged differences (statsmodels' coint_johansen,
    whose critical values are Osterwald-Lenum's); the chosen rank is the first r0 not rejected at 5%."""
    validate_deterministic(deterministic)
    y = np.asarray(levels, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = coint_johansen(y, JOHANSEN_DET_ORDER[deterministic], k_ar_diff)
    k = y.shape[1]
    table = pd.DataFrame(
        {
            "eigenvalue": found.eig,
            "trace": found.lr1,
            "trace 90%": found.cvt[:, 0], "trace 95%": found.cvt[:, 1], "trace 99%": found.cvt[:, 2],
            "max-eigenvalue": found.lr2,
            "max 90%": found.cvm[:, 0], "max 95%": found.cvm[:, 1], "max 99%": found.cvm[:, 2],
        },
        index=pd.Index(range(k), name="r0"),
    )  # fmt: skip

    def chosen(statistic: str, critical: str) -> int:
        rejected = table[statistic].to_numpy() > table[critical].to_numpy()
        return int(np.argmin(rejected)) if not rejected.all() else k

    return JohansenTests(table, chosen("trace", "trace 95%"), chosen("max-eigenvalue", "max 95%"), deterministic,
                         k_ar_diff, y.shape[0] - k_ar_diff - 1)  # fmt: skip


# ----- the fit ----------------------------------------------------------------------------------------------------


@dataclass
class VecmParameters:
    """A fitted VECM's parameters, each with its standard errors (None where statsmodels gives none)."""

    alpha: np.ndarray  # (K, r) loadings
    beta: np.ndarray  # (K, r) cointegration vectors, normalised (the first r rows the identity)
    gamma: np.ndarray  # (K, K·k_ar_diff) short-run coefficients: Γ1, Γ2, ... side by side
    det: np.ndarray  # (K, d) deterministic terms outside the relation: constant, seasonal, linear trend
    det_coint: np.ndarray  # (m, r) inside the relation: constant, linear trend
    stderr_alpha: np.ndarray
    stderr_beta: np.ndarray
    stderr_gamma: np.ndarray
    stderr_det: np.ndarray
    stderr_det_coint: np.ndarray
    sigma_u: np.ndarray  # (K, K), the maximum-likelihood residual covariance
    log_likelihood: float
    nobs: int
    r_squared: np.ndarray  # (K,) of each differenced equation (centred when it has a constant)
    adj_r_squared: np.ndarray
    residual_se: np.ndarray


@dataclass
class VecmFit:
    """A VECM fitted on the (log) levels of `variables`: its parameters, and its VAR representation for forecasts."""

    variables: list[str]
    transforms: list[str]
    deterministic: str
    k_ar_diff: int
    rank: int
    seasons: int
    parameters: VecmParameters
    var: VarModel  # the VAR(k_ar_diff + 1) in levels it is: what forecasts
    results: object = field(default=None, repr=False, compare=False)  # statsmodels' VECMResults, in memory only

    @property
    def det_terms(self) -> list[str]:
        """Names of the deterministic terms outside the relation, in the columns of `det`."""
        names = ["const"] if "co" in self.deterministic else []
        names += [f"season {i + 1}" for i in range(self.seasons - 1)] if self.seasons else []
        return names + (["lin_trend"] if "lo" in self.deterministic else [])

    @property
    def det_coint_terms(self) -> list[str]:
        return (["const"] if "ci" in self.deterministic else []) + (["lin_trend"] if "li" in self.deterministic
                                                                  else [])  # fmt: skip


def fit_vecm(
    levels: pd.DataFrame,
    transforms: list[str],
    k_ar_diff: int,
    rank: int,
    deterministic: str,
    freq: str,
    seasons: int = 0,
    origin: str = "train",
    level_values: pd.DataFrame | None = None,
) -> VecmFit:
    """Fit statsmodels' VECM on `levels` (already on the working scale: levels or log levels, one column per
    variable) and express it as a VAR in levels. `level_values` are the untransformed levels (for log variables)."""
    validate_deterministic(deterministic)
    y = np.asarray(levels, dtype=float)
    k = y.shape[1]
    if not 1 <= rank < k:
        raise InvalidInput(f"The cointegration rank ({{input:coint_rank}}) must be from 1 to {k - 1} for {k} "
                           f"variables, got {rank}.")  # fmt: skip
    dates = pd.DatetimeIndex(levels.index)
    first_season = int(season_index(dates[:1], seasons)[0]) if seasons else 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = VECM(y, k_ar_diff=k_ar_diff, coint_rank=rank, deterministic=deterministic, seasons=seasons,
                       first_season=first_season).fit(method="ml")  # fmt: skip
    resid = np.asarray(results.resid, dtype=float)
    delta = np.diff(y, axis=0)[k_ar_diff:]
    centred = "c" in deterministic or "l" in deterministic or bool(seasons)
    total = delta - delta.mean(axis=0) if centred else delta
    ssr, sst = (resid**2).sum(axis=0), (total**2).sum(axis=0)
    regressors = rank + k * k_ar_diff + np.asarray(results.det_coef).shape[1]
    nobs = resid.shape[0]
    r2 = 1 - ssr / sst
    adj = 1 - (1 - r2) * ((nobs - 1) if centred else nobs) / (nobs - regressors)
    parameters = VecmParameters(
        alpha=np.asarray(results.alpha), beta=np.asarray(results.beta), gamma=np.asarray(results.gamma),
        det=np.asarray(results.det_coef), det_coint=np.asarray(results.det_coef_coint),
        stderr_alpha=np.asarray(results.stderr_alpha), stderr_beta=np.asarray(results.stderr_beta),
        stderr_gamma=np.asarray(results.stderr_gamma), stderr_det=np.asarray(results.stderr_det_coef),
        stderr_det_coint=np.asarray(results.stderr_det_coef_coint), sigma_u=np.asarray(results.sigma_u),
        log_likelihood=float(results.llf), nobs=int(results.nobs), r_squared=r2, adj_r_squared=adj,
        residual_se=np.sqrt(ssr / (nobs - regressors)),
    )  # fmt: skip
    var = _as_var(results, list(levels.columns), transforms, deterministic, seasons, dates, freq, origin,
                  level_values if level_values is not None else levels)  # fmt: skip
    var.vecm = VecmSpec(k_ar_diff=k_ar_diff, rank=rank, deterministic=deterministic)
    return VecmFit(list(levels.columns), list(transforms), deterministic, k_ar_diff, rank, seasons, parameters, var,
                   results)  # fmt: skip


def _as_var(results, variables: list[str], transforms: list[str], deterministic: str, seasons: int,
            dates: pd.DatetimeIndex, freq: str, origin: str, level_values: pd.DataFrame) -> VarModel:  # fmt: skip
    """The VAR representation in (log) levels with the deterministic terms statsmodels' VECMResults.predict uses:
    one constant (outside + α·inside), one linear trend (outside + α·inside; the inside trend counts from one row
    earlier, which moves the constant), and the centred seasonal dummies."""
    k = len(variables)
    alpha = np.asarray(results.alpha)
    constant = np.zeros(k)
    trend = np.zeros(k)
    if "co" in deterministic:
        constant += np.asarray(results.const).ravel()
    if "ci" in deterministic:
        constant += (alpha @ np.asarray(results.const_coint).T).ravel()
    if "lo" in deterministic:
        trend += np.asarray(results.lin_trend).ravel()
    if "li" in deterministic:
        inside = (alpha @ np.asarray(results.lin_trend_coint).T).ravel()
        trend += inside
        constant -= inside  # statsmodels' inside trend is t − 1 where the outside one (and varlib's) is t
    trend_name = vecm_trend(deterministic)
    has_trend, has_constant = trend_name == "ct", trend_name != "n"
    trend_coefs = np.vstack([constant, trend]) if has_trend else (constant[None, :] if has_constant
                                                                  else np.zeros((0, k)))  # fmt: skip
    p = int(results.k_ar)
    y = np.asarray(results.y_all).T  # every row, presample included
    return VarModel(
        variables=variables,
        transforms=transforms,
        trend=trend_name,
        coefs=np.asarray(results.var_rep),
        trend_coefs=trend_coefs,
        sigma_u=np.asarray(results.sigma_u),
        n_totobs=len(y),
        last_observations=y[len(y) - p :],
        last_levels=np.asarray(level_values, dtype=float)[-1],
        last_date=dates[-1],
        freq=freq,
        origin=origin,
        deterministic=Deterministic(seasons=seasons),
        dummy_coefs=np.asarray(results.seasonal).reshape(k, -1).T if seasons else np.zeros((0, k)),
    )


def loadings_table(fit: VecmFit) -> pd.DataFrame:
    """α, Γ and the deterministic terms outside the relation, per equation: estimate, standard error, t and
    p-value (normal, as JMulTi prints them); equations are the differences, d(NAME)."""
    p = fit.parameters
    k = len(fit.variables)
    blocks = [(f"ec{j + 1}(t-1)", p.alpha[:, j], p.stderr_alpha[:, j]) for j in range(fit.rank)]
    for lag in range(fit.k_ar_diff):
        for v, name in enumerate(fit.variables):
            column = lag * k + v
            blocks.append((f"d({name})(t-{lag + 1})", p.gamma[:, column], p.stderr_gamma[:, column]))
    for j, term in enumerate(fit.det_terms):
        blocks.append((term, p.det[:, j], p.stderr_det[:, j]))
    rows = []
    for e, name in enumerate(fit.variables):
        for term, estimates, errors in blocks:
            rows.append(_row(f"d({name})", term, estimates[e], errors[e]))
    return pd.DataFrame(rows)


def cointegration_table(fit: VecmFit) -> pd.DataFrame:
    """β (normalised: the first r variables' rows are the identity, with no standard error) and the deterministic
    terms inside the relation, per relation ec1, ec2, ..."""
    p = fit.parameters
    rows = []
    for j in range(fit.rank):
        for v, name in enumerate(fit.variables):
            rows.append(_row(f"ec{j + 1}", f"{name}(t-1)", p.beta[v, j], p.stderr_beta[v, j]))
        for i, term in enumerate(fit.det_coint_terms):
            rows.append(_row(f"ec{j + 1}", term, p.det_coint[i, j], p.stderr_det_coint[i, j]))
    return pd.DataFrame(rows)


def estimation_output(fit: VecmFit) -> EstimationOutput:
    """The VECM's estimation output in the form every page and store reads: per equation (the variable whose
    difference it explains), α, Γ and the outside deterministic terms with standard errors; R² of the differenced
    equation; the log-likelihood and det Σu. Criteria are not defined for a reduced-rank fit here: left empty."""
    table = loadings_table(fit)
    table["equation"] = table["equation"].str.slice(2, -1)  # d(Dp) -> Dp
    p = fit.parameters
    equations = pd.DataFrame(
        {"r_squared": p.r_squared, "adj_r_squared": p.adj_r_squared, "residual_se": p.residual_se},
        index=pd.Index(fit.variables, name="equation"),
    )
    nan = float("nan")
    return EstimationOutput(
        coefficients=table[COEFFICIENT_COLUMNS],
        equations=equations,
        nobs=p.nobs,
        log_likelihood=p.log_likelihood,
        aic=nan, bic=nan, hqic=nan, fpe=nan,
        det_sigma_u=float(np.linalg.det(p.sigma_u)),
        sigma_u=pd.DataFrame(p.sigma_u, index=fit.variables, columns=fit.variables),
        centered="c" in fit.deterministic or "l" in fit.deterministic or bool(fit.seasons),
    )  # fmt: skip


def vecm_terms(variables: list[str], k_ar_diff: int, rank: int, deterministic: str, seasons: int) -> list[str]:
    """The estimation output's terms of a VECM, in loadings_table's order."""
    k = len(variables)
    terms = [f"ec{j + 1}(t-1)" for j in range(rank)]
    terms += [f"d({variables[v]})(t-{lag + 1})" for lag in range(k_ar_diff) for v in range(k)]
    terms += ["const"] if "co" in deterministic else []
    terms += [f"season {i + 1}" for i in range(seasons - 1)] if seasons else []
    return terms + (["lin_trend"] if "lo" in deterministic else [])


def cointegration_document(fit: VecmFit) -> dict:
    """β and the deterministic terms inside the relation, with standard errors, as model.json stores them."""
    p = fit.parameters
    clean = np.where(np.isfinite(p.stderr_beta) & (p.stderr_beta > 0), p.stderr_beta, 0.0)
    return {"beta": p.beta.tolist(), "stderr_beta": clean.tolist(), "det_coint": p.det_coint.tolist(),
            "stderr_det_coint": p.stderr_det_coint.tolist()}  # fmt: skip


def _row(equation: str, term: str, estimate: float, error: float) -> dict:
    estimate, error = float(estimate), float(error)
    defined = error > 0 and np.isfinite(error)
    t = estimate / error if defined else np.nan
    return {"equation": equation, "term": term, "estimate": estimate, "std_error": error if defined else np.nan,
            "t_statistic": t, "p_value": float(2 * stats.norm.sf(abs(t))) if defined else np.nan}  # fmt: skip


# ----- the VECM kind ----------------------------------------------------------------------------------------------


class VecmKind(ModelKind):
    """The VECM: statsmodels' VECM of the (log) levels, stored as its VAR representation beside its own section."""

    name = "vecm"
    title = "VECM"
    not_applicable = {  # noqa: RUF012  (read only)
        "lm test": "The LM autocorrelation test is not computed for a VECM here; the portmanteau test above is.",
        "coefficient tests": "Lag exclusion, block exogeneity and Toda-Yamamoto are tests of a VAR's coefficients; "
        "a VECM's long run is in its loadings and cointegration relations (the Estimation panel), and its Granger "
        "tests above need no Toda-Yamamoto correction.",
        "response bands": "No bands: their asymptotic form for a VECM is not computed here.",
    }

    def validate(self, spec: TrainSpec) -> None:
        validate_deterministic(spec.vecm_deterministic)
        for name in spec.variables:
            if spec.transforms.get(name) not in LEVEL_TRANSFORMS:
                raise InvalidInput(f"A VECM models the (log) levels, so {name!r} takes the transform none or log, not "
                                   f"{spec.transforms.get(name)} ({{input:transform}}).")  # fmt: skip
        if spec.exog or spec.impulse_dummies or spec.step_dummies:
            raise InvalidInput("A VECM here takes seasonal dummies but not exogenous variables or date dummies "
                               "({input:exog}); fit a VAR for those.")  # fmt: skip
        if spec.coint_rank is not None:
            if isinstance(spec.coint_rank, bool) or not isinstance(spec.coint_rank, (int, np.integer)) or (
                    spec.coint_rank < 1):  # fmt: skip
                raise InvalidInput(f"The cointegration rank ({{input:coint_rank}}) must be a whole number of at least "
                                   f"1, got {spec.coint_rank!r}.")  # fmt: skip
            if spec.coint_rank >= len(spec.variables):
                raise InvalidInput(f"The cointegration rank ({{input:coint_rank}}) must be below the "
                                   f"{len(spec.variables)} variables, got {spec.coint_rank}.")  # fmt: skip

    def selection_trend(self, spec: TrainSpec) -> str:
        return vecm_trend(spec.vecm_deterministic)

    def fit(self, context: FitContext) -> TrainResult:
        """p − 1 lagged differences (p chosen on the levels VAR), the rank given or Johansen's (trace, 5%), fitted on
        the training rows and on all rows, and scored like a VAR through its VAR representation."""
        dataset, spec, data, selection = context.dataset, context.spec, context.data, context.selection
        deterministic, p, notes = context.deterministic, context.p, context.notes
        if p < 1:
            notes.append(f"a VECM needs at least one lag in levels; p = 1 is used, not the {p} the lag table chose")
            p = 1
        k_ar_diff = p - 1
        johansen = johansen_tests(data.train_transformed, spec.vecm_deterministic, k_ar_diff)
        rank = spec.coint_rank
        if rank is None:
            rank = johansen.rank_by_trace
            k = len(spec.variables)
            if rank in (0, k):
                found = "no cointegration (rank 0)" if rank == 0 else f"full rank {k} (the levels are stationary)"
                raise InvalidInput(f"{dataset.source}: Johansen's trace test finds {found} at 5%, so a VECM does not "
                                   f"apply: fit a VAR {'in differences' if rank == 0 else 'in levels'}, or give a rank "
                                   "({input:coint_rank}).")  # fmt: skip
            notes.append(f"cointegration rank {rank}, chosen by Johansen's trace test at 5%")
        transforms = [spec.transforms[v] for v in spec.variables]
        all_levels = pd.concat([data.train_levels, data.test_levels])
        seasons = deterministic.seasons
        fitted = fit_vecm(data.train_transformed, transforms, k_ar_diff, rank, spec.vecm_deterministic, dataset.freq,
                               seasons, "train", data.train_levels)  # fmt: skip
        production_fit = fit_vecm(data.all_transformed, transforms, k_ar_diff, rank, spec.vecm_deterministic,
                                       dataset.freq, seasons, "data", all_levels)  # fmt: skip
        model, production = fitted.var, production_fit.var
        _check_finite(dataset.source, [model.coefs, model.trend_coefs, model.sigma_u, production.coefs,
                                       production.trend_coefs, production.sigma_u])  # fmt: skip
        test_forecast = model.forecast(spec.test_size, spec.alpha)
        metrics = score_forecast(test_forecast, data.test_levels, data.train_levels.iloc[-1])
        stability, production_stability = model.stability(), production.stability()
        if not stability.stable:
            notes.append(f"beside its {model.k - rank} unit roots, the VECM is not stable (next modulus "
                         f"{stability.max_modulus:.4f} ≥ 1): forecasts may explode")  # fmt: skip
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
            nobs=fitted.parameters.nobs,
            notes=notes,
            production=production,
            production_stability=production_stability,
            production_nobs=production_fit.parameters.nobs,
            estimation={"train": estimation_output(fitted), "data": estimation_output(production_fit)},
            vecm={"johansen": johansen, "train": fitted, "data": production_fit},
        )

    def document(self, result: TrainResult) -> dict[str, Any]:
        """The specification, Johansen's tests on the training rows, and each fit's cointegration vectors with
        standard errors (α, Γ and the rest are in its estimation output)."""
        johansen = result.vecm["johansen"]
        return {"kind": "vecm", "vecm": result.model.vecm.to_document() | {
            "seasons": result.model.deterministic.seasons,
            "johansen": [{"r0": int(r0), **{c: (float(v) if np.isfinite(v) else None) for c, v in row.items()}}
                         for r0, row in johansen.table.iterrows()],
            "fits": {origin: cointegration_document(result.vecm[origin]) for origin in (ORIGIN_TRAIN, ORIGIN_DATA)},
        }}  # fmt: skip

    def check(self, top: Fields, variables: list[str], p: int, trend: str, deterministic: Deterministic,
              transforms: dict[str, str]) -> VecmSpec:  # fmt: skip
        """Its specification agrees with the VAR representation stored beside it, Johansen's table has a row per
        rank, each fit's cointegration vectors have shape (K, r)."""
        section = top.sub("vecm")
        k = len(variables)
        k_ar_diff = section.integer("k_ar_diff", 0, max(p - 1, 0))
        if k_ar_diff != p - 1:
            section.fail("does not match the lag order of the VAR representation", "k_ar_diff")
        rank = section.integer("rank", 1, max(k - 1, 1))
        terms = section.choice("deterministic", tuple(DETERMINISTIC_TERMS))
        if vecm_trend(terms) != trend:
            section.fail("does not match the trend of the VAR representation", "deterministic")
        if section.integer("seasons", 0, 12) != deterministic.seasons:
            section.fail("does not match the seasonal dummies", "seasons")
        if not all(t in LEVEL_TRANSFORMS for t in transforms.values()):
            top.fail("must be none or log for a VECM, which models the (log) levels", "transforms")
        for row in section.items("johansen", k, lambda r: isinstance(r, dict), "rows"):
            if not all(v is None or is_number(v) for v in row.values()) or len(row) > 12:
                section.fail("holds a row that is not numbers", "johansen")
        inside = ("ci" in terms) + ("li" in terms)
        fits = section.sub("fits")
        for origin in (ORIGIN_TRAIN, ORIGIN_DATA):
            fit = fits.sub(origin)
            for name, shape in (("beta", (k, rank)), ("stderr_beta", (k, rank)), ("det_coint", (inside, rank)),
                                ("stderr_det_coint", (inside, rank))):  # fmt: skip
                if not nested_numbers(fit.get(name), shape):
                    fit.fail(f"does not have shape {shape} of finite numbers", name)
        return VecmSpec(k_ar_diff=k_ar_diff, rank=rank, deterministic=terms)

    def spec_of(self, document: dict[str, Any]) -> VecmSpec:
        section = document["vecm"]
        return VecmSpec(k_ar_diff=section["k_ar_diff"], rank=section["rank"], deterministic=section["deterministic"])

    def estimation_terms(self, variables: list[str], p: int, trend: str, extra: list[str], spec: VecmSpec,
                         seasons: int) -> list[str]:  # fmt: skip
        return vecm_terms(variables, spec.k_ar_diff, spec.rank, spec.deterministic, seasons)

    def refit(self, model: VarModel, levels: pd.DataFrame) -> Refit:
        """A VECM refitted on its (log) levels; its VAR representation compared with the stored one. `results` are
        statsmodels' VECMResults (the analyses that apply to a VECM read them), `kind_fit` the VecmFit."""
        transforms = dict(zip(model.variables, model.transforms, strict=True))
        transformed = apply_transforms(levels[model.variables], transforms)
        spec = model.vecm
        rebuilt = fit_vecm(transformed, model.transforms, spec.k_ar_diff, spec.rank, spec.deterministic, model.freq,
                           model.deterministic.seasons, model.origin, levels[model.variables])  # fmt: skip
        pairs = [(rebuilt.var.coefs, model.coefs), (rebuilt.var.trend_coefs, model.trend_coefs),
                 (rebuilt.var.dummy_coefs, model.dummy_coefs), (rebuilt.var.sigma_u, model.sigma_u)]  # fmt: skip
        if any(a.shape != b.shape for a, b in pairs):
            return Refit(rebuilt.results, model.variables, model.transforms, False, float("inf"), transformed.index,
                         kind="vecm", kind_fit=rebuilt)  # fmt: skip
        difference = max((float(np.max(np.abs(a - b))) if a.size else 0.0) for a, b in pairs)
        scale = max((float(np.max(np.abs(b))) if b.size else 0.0) for _, b in pairs)
        return Refit(rebuilt.results, list(model.variables), list(model.transforms),
                     difference <= REFIT_TOLERANCE * max(1.0, scale), difference,
                     pd.DatetimeIndex(transformed.index), kind="vecm", kind_fit=rebuilt)  # fmt: skip

    def estimation(self, refit: Refit, model: VarModel) -> EstimationOutput:
        return estimation_output(refit.kind_fit)

    def companion(self, refit: Refit) -> tuple[np.ndarray, int]:
        """Of its VAR representation, whose K − r unit roots are there by construction."""
        coefs = refit.kind_fit.var.coefs
        k, p = coefs.shape[1], coefs.shape[0]
        companion = np.zeros((k * p, k * p))
        companion[:k, :] = np.concatenate(list(coefs), axis=1)
        companion[k:, :-k] = np.eye(k * (p - 1))
        return np.linalg.eigvals(companion), k - refit.kind_fit.rank

    def causality(self, refit: Refit) -> tuple[pd.DataFrame, pd.Series, str]:
        """statsmodels' VECM tests: Granger through the VAR representation's lags, instantaneous by Wald."""
        names, results = refit.variables, refit.results
        matrix = pd.DataFrame(np.nan, index=pd.Index(names, name="caused"), columns=pd.Index(names, name="causing"))
        for i in range(len(names)):
            for j in range(len(names)):
                if i != j:
                    matrix.iloc[i, j] = results.test_granger_causality(caused=i, causing=j).pvalue
        instantaneous = pd.Series({name: results.test_inst_causality(causing=k).pvalue
                                   for k, name in enumerate(names)}).astype(float)  # fmt: skip
        return (
            matrix,
            instantaneous,
            (
                "Granger causality in the VECM: F test on the lags of its VAR representation "
                "(statsmodels); instantaneous causality: Wald test on the residual covariance"
            ),
        )

    def impulse_responses(self, refit: Refit, periods: int) -> tuple:
        """Orthogonalised responses of the (log) levels from the VAR representation (as statsmodels'
        VECMResults.irf), and the FEVD from the same; no bands (see not_applicable)."""
        model = refit.kind_fit.var
        responses = np.einsum("hij,jk->hik", model.ma_coefficients(periods + 1), np.linalg.cholesky(model.sigma_u))
        squares = np.cumsum(responses**2, axis=0)  # h, response, shock
        decomposition = (squares / squares.sum(axis=2, keepdims=True)).transpose(1, 0, 2)
        nan = np.full_like(responses, np.nan)
        return responses, nan, nan.copy(), decomposition[:, :periods, :], [False] * len(refit.variables)

    def words(self, spec: VecmSpec | None) -> str:
        return vecm_words(spec) if spec is not None else ""


KIND = VecmKind()
