"""Estimation output of a fitted VAR, as EViews' "Estimation Output" and R's `summary(varest)` give it.

Per equation: each coefficient with its standard error, t-statistic and p-value; R² and adjusted R². For the
system: the log-likelihood, the information criteria of the fitted model, the determinant of Σ_u, and the residual
covariance and correlation. Standard errors are statsmodels' (OLS with the degrees-of-freedom correction); p-values
come from the normal distribution, as in statsmodels and JMulTi (R's `lm` uses Student's t, which differs in the
third decimal only for short samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from varlib.model import spreadsheet_safe

TREND_TERMS = {"n": [], "c": ["const"], "ct": ["const", "trend"]}
COEFFICIENT_COLUMNS = ["equation", "term", "estimate", "std_error", "t_statistic", "p_value"]


def lag_term(variable: str, lag: int) -> str:
    """A lagged regressor's name as JMulTi and Lütkepohl print it: realgdp(t-1)."""
    return f"{variable}(t-{lag})"


@dataclass
class EstimationOutput:
    """What a fit estimated and how well, per equation and for the system."""

    coefficients: pd.DataFrame  # COEFFICIENT_COLUMNS, one row per equation and term (terms in the design's order)
    equations: pd.DataFrame  # index equation: r_squared, adj_r_squared, residual_se
    nobs: int  # observations used in each equation (after the lags)
    log_likelihood: float
    aic: float
    bic: float
    hqic: float
    fpe: float
    det_sigma_u: float  # of the maximum-likelihood residual covariance, as in the criteria
    sigma_u: pd.DataFrame  # residual covariance (degrees-of-freedom corrected, as the standard errors use)
    centered: bool  # whether R² is centred (a constant is in the model) or, without one, uncentred

    @property
    def correlation(self) -> pd.DataFrame:
        sd = np.sqrt(np.diag(self.sigma_u.to_numpy()))
        return self.sigma_u / np.outer(sd, sd)

    def table(self, equation: str) -> pd.DataFrame:
        """One equation's coefficients, indexed by term."""
        rows = self.coefficients[self.coefficients["equation"] == equation]
        return rows.drop(columns="equation").set_index("term")

    def to_csv(self) -> str:
        """Coefficients with standard errors, t and p (one row per equation and term); names made spreadsheet-safe."""
        out = self.coefficients.assign(equation=self.coefficients["equation"].map(spreadsheet_safe),
                                       term=self.coefficients["term"].map(spreadsheet_safe))  # fmt: skip
        return out.to_csv(index=False, lineterminator="\n", float_format=lambda x: repr(float(x)))


def estimation_output(
    results, variables: list[str], trend: str, extra_terms: list[str] | tuple[str, ...] = ()
) -> EstimationOutput:
    """From statsmodels' VARResults of the fit on the transformed data; `extra_terms` name its exog columns (the
    seasonal and date dummies), which statsmodels places after the trend."""
    k, p = len(variables), int(results.k_ar)
    terms = expected_terms(variables, p, trend, extra_terms)
    params = np.asarray(results.params, dtype=float)  # (terms, equations)
    stderr = np.asarray(results.stderr, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tvalues = params / stderr
    pvalues = 2 * stats.norm.sf(np.abs(tvalues))
    rows = [
        {"equation": eq, "term": term, "estimate": params[t, e], "std_error": stderr[t, e],
         "t_statistic": tvalues[t, e], "p_value": pvalues[t, e]}
        for e, eq in enumerate(variables)
        for t, term in enumerate(terms)
    ]  # fmt: skip
    y = np.asarray(results.endog, dtype=float)[p:]
    resid = np.asarray(results.resid, dtype=float)
    nobs, n_params = y.shape[0], len(terms)
    centered = "c" in trend
    equations = []
    for e in range(k):
        ssr = float(resid[:, e] @ resid[:, e])
        total = y[:, e] - y[:, e].mean() if centered else y[:, e]
        sst = float(total @ total)
        r2 = 1.0 - ssr / sst if sst > 0 else math.nan
        df_total = nobs - 1 if centered else nobs
        adj = 1.0 - (1.0 - r2) * df_total / (nobs - n_params) if nobs > n_params else math.nan
        equations.append(
            {
                "r_squared": r2,
                "adj_r_squared": adj,
                "residual_se": math.sqrt(ssr / (nobs - n_params)) if nobs > n_params else math.nan,
            }
        )
    sigma_u = pd.DataFrame(np.asarray(results.sigma_u, dtype=float), index=variables, columns=variables)
    return EstimationOutput(
        coefficients=pd.DataFrame(rows, columns=COEFFICIENT_COLUMNS),
        equations=pd.DataFrame(equations, index=pd.Index(variables, name="equation")),
        nobs=int(nobs),
        log_likelihood=float(results.llf),
        aic=float(results.aic),
        bic=float(results.bic),
        hqic=float(results.hqic),
        fpe=float(results.fpe),
        det_sigma_u=float(results.detomega),
        sigma_u=sigma_u,
        centered=centered,
    )


# ----- model.json's `estimation`: one document per fit ----------------------------------------------

MATRICES = ("estimate", "std_error", "t_statistic", "p_value")
EQUATION_STATISTICS = ("r_squared", "adj_r_squared", "residual_se")
SYSTEM_STATISTICS = ("log_likelihood", "aic", "bic", "hqic", "fpe", "det_sigma_u")


def expected_terms(
    variables: list[str], lag_order: int, trend: str, extra_terms: list[str] | tuple[str, ...] = ()
) -> list[str]:
    """The regressors in the design's order: trend, dummies, then each lag of every variable."""
    return (TREND_TERMS[trend] + list(extra_terms)
            + [lag_term(v, lag) for lag in range(1, lag_order + 1) for v in variables])  # fmt: skip


def _stored(value: float) -> float | None:
    """JSON holds no NaN or infinity: an undefined statistic (a t of a zero standard error) is stored as null."""
    return float(value) if math.isfinite(value) else None


def _restored(value: float | None) -> float:
    return math.nan if value is None else float(value)


def to_document(output: EstimationOutput) -> dict:
    """Terms by equations matrices (equations in the variables' order), per-equation and system statistics."""
    variables = list(output.equations.index)
    terms = list(dict.fromkeys(output.coefficients["term"]))
    document: dict = {"terms": terms, "nobs": output.nobs, "centered": output.centered}
    for column in MATRICES:
        wide = output.coefficients.pivot(index="term", columns="equation", values=column).loc[terms, variables]
        document[column] = [[_stored(v) for v in row] for row in wide.to_numpy()]
    document["equations"] = {s: [_stored(v) for v in output.equations[s]] for s in EQUATION_STATISTICS}
    document |= {s: _stored(getattr(output, s)) for s in SYSTEM_STATISTICS}
    document["sigma_u"] = output.sigma_u.to_numpy().tolist()
    return document


def from_document(document: dict, variables: list[str]) -> EstimationOutput:
    """From a document that check_estimation_document has accepted."""
    terms = document["terms"]
    rows = [
        {"equation": eq, "term": term, **{c: _restored(document[c][t][e]) for c in MATRICES}}
        for e, eq in enumerate(variables)
        for t, term in enumerate(terms)
    ]
    coefficients = pd.DataFrame(rows, columns=COEFFICIENT_COLUMNS)
    equations = pd.DataFrame({s: [_restored(v) for v in document["equations"][s]] for s in EQUATION_STATISTICS},
                             index=pd.Index(variables, name="equation"))  # fmt: skip
    return EstimationOutput(
        coefficients=coefficients,
        equations=equations,
        nobs=int(document["nobs"]),
        **{s: _restored(document[s]) for s in SYSTEM_STATISTICS},
        sigma_u=pd.DataFrame(np.asarray(document["sigma_u"], dtype=float), index=variables, columns=variables),
        centered=bool(document["centered"]),
    )
