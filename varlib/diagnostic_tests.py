"""The residual and coefficient tests analysts read in JMulTi, EViews and R `vars`, each with its statistic, degrees
of freedom and p-value.

- LM (Breusch-Godfrey) test for residual autocorrelation, and its F form (Edgerton-Shukur), as JMulTi prints them
  (Doornik 1996; R vars' `serial.test(type = "BG" / "ES")`).
- Jarque-Bera per equation, with skewness and kurtosis (JMulTi).
- ARCH-LM per equation (T·R², and F) and the multivariate ARCH-LM test (VARCHLM, Lütkepohl 2005, 16.5).
- Lag-exclusion Wald tests (EViews): each lag's coefficients zero, jointly and per equation.
- Block exogeneity (EViews' "all" row): in each equation, every other variable's lags zero.
- Toda-Yamamoto (1995): Granger causality in a levels VAR of integrated series, from a VAR(p + d) whose extra d lags
  are not tested, so that the Wald statistic is χ²(p) whatever the integration (up to d) and cointegration.

The auxiliary regressions follow JMulTi: pre-sample lagged residuals are zero, and the ARCH regressions drop the
first q residuals. Every statistic agrees with JMulTi's output for macrodata shipped with statsmodels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.vector_ar.var_model import VARResults

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class TestResult:
    """One test: what it tests, its statistic, degrees of freedom and p-value."""

    test: str
    null: str
    statistic: float
    df: str  # "45", or "45, 502" for an F test
    pvalue: float

    def row(self) -> dict[str, object]:
        return {"test": self.test, "statistic": self.statistic, "df": self.df, "p-value": self.pvalue,
                "H0": self.null}  # fmt: skip


def _design(results: VARResults) -> np.ndarray:
    return np.asarray(results.endog_lagged, dtype=float)  # trend, exogenous terms, lags: what the fit regressed on


def lm_autocorrelation(results: VARResults, lags: int) -> tuple[TestResult, TestResult]:
    """The LM test for residual autocorrelation up to `lags` (χ²(lags·K²)) and its F form (Edgerton-Shukur).

    Regress the residuals on the model's regressors and their own lags 1..h (zero before the sample):
    LM = T (K − tr(Σ̃_u⁻¹ Σ̃_e)); LMF from the R² of the determinants, with Edgerton and Shukur's degrees of freedom.
    """
    u = np.asarray(results.resid, dtype=float)
    t, k = u.shape
    z = _design(results)
    lagged = np.zeros((t, k * lags))
    for j in range(1, lags + 1):
        lagged[j:, (j - 1) * k : j * k] = u[:-j]
    x = np.column_stack([z, lagged])
    e = u - x @ np.linalg.lstsq(x, u, rcond=None)[0]
    sigma_e, sigma_u = e.T @ e / t, u.T @ u / t
    lm = float(t * (k - np.trace(np.linalg.solve(sigma_u, sigma_e))))
    df = lags * k * k
    m, n = k * lags, z.shape[1]
    r2 = 1.0 - np.linalg.det(sigma_e) / np.linalg.det(sigma_u)
    s = np.sqrt((k * k * m * m - 4) / (k * k + m * m - 5)) if k * k + m * m > 5 else 1.0
    q = k * m / 2 - 1
    df2 = (t - n - m - (k - m + 1) / 2) * s - q
    ratio = (1 - r2) ** (1 / s)
    lmf = float((1 - ratio) / ratio * df2 / (k * m))
    null = f"no residual autocorrelation at lags 1 to {lags}"
    return (
        TestResult(f"LM (Breusch-Godfrey), {lags} lags", null, lm, str(df), float(stats.chi2.sf(lm, df))),
        TestResult(f"LM, F form (Edgerton-Shukur), {lags} lags", null, lmf, f"{df}, {df2:.1f}",
                   float(stats.f.sf(lmf, df, df2)) if df2 > 0 else float("nan")),
    )  # fmt: skip


def jarque_bera(results: VARResults, names: list[str] | None = None) -> pd.DataFrame:
    """Per equation: Jarque-Bera (χ²(2)), its p-value, skewness and kurtosis of the residuals."""
    u = np.asarray(results.resid, dtype=float)
    t = u.shape[0]
    centred = u - u.mean(axis=0)
    variance = (centred**2).mean(axis=0)
    skewness = (centred**3).mean(axis=0) / variance**1.5
    kurtosis = (centred**4).mean(axis=0) / variance**2
    statistic = t / 6 * (skewness**2 + (kurtosis - 3) ** 2 / 4)
    return pd.DataFrame(
        {"statistic": statistic, "df": 2, "p-value": stats.chi2.sf(statistic, 2), "skewness": skewness,
         "kurtosis": kurtosis},
        index=pd.Index(names or list(results.names), name="equation"),
    )  # fmt: skip


def _lagged_design(values: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows q.. of `values`, and a constant with their lags 1..q (the first q rows dropped, as JMulTi does)."""
    t = values.shape[0]
    y = values[lags:]
    x = np.column_stack([np.ones(t - lags)] + [values[lags - j : t - j] for j in range(1, lags + 1)])
    return y, x


def arch_lm(results: VARResults, lags: int, names: list[str] | None = None) -> pd.DataFrame:
    """Per equation: ARCH-LM, (T − q)·R² of û²_t on a constant and û²_{t-1..t-q}: χ²(q); and its F form."""
    u = np.asarray(results.resid, dtype=float)
    u = u - u.mean(axis=0)  # as JMulTi (see multivariate_arch)
    rows = []
    for e in range(u.shape[1]):
        y, x = _lagged_design(u[:, e] ** 2, lags)
        residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
        centred = y - y.mean()
        r2 = 1 - (residual @ residual) / (centred @ centred)
        nobs = len(y)
        df2 = nobs - lags - 1
        f = (r2 / lags) / ((1 - r2) / df2)
        rows.append({"statistic": nobs * r2, "df": lags, "p-value": stats.chi2.sf(nobs * r2, lags),
                     "F": f, "F df": f"{lags}, {df2}", "F p-value": stats.f.sf(f, lags, df2)})  # fmt: skip
    return pd.DataFrame(rows, index=pd.Index(names or list(results.names), name="equation"))


def multivariate_arch(results: VARResults, lags: int) -> TestResult:
    """VARCHLM: ½ T K(K+1) R²_m from the regression of vech(û_t û_tᵀ) on a constant and its lags 1..q; χ² with
    q K²(K+1)²/4 degrees of freedom."""
    u = np.asarray(results.resid, dtype=float)
    u = u - u.mean(axis=0)  # as JMulTi: it matters only without a constant, whose residuals need not average zero
    k = u.shape[1]
    below = np.tril_indices(k)
    vech = np.array([np.outer(row, row)[below] for row in u])
    y, x = _lagged_design(vech, lags)
    residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    nobs = len(y)
    omega = residual.T @ residual / nobs
    centred = y - y.mean(axis=0)
    omega0 = centred.T @ centred / nobs
    r2 = 1 - 2 / (k * (k + 1)) * np.trace(omega @ np.linalg.pinv(omega0))
    statistic = float(0.5 * nobs * k * (k + 1) * r2)
    df = lags * k * k * (k + 1) ** 2 // 4
    return TestResult(f"Multivariate ARCH-LM, {lags} lags", f"no conditional heteroskedasticity up to lag {lags}",
                      statistic, str(df), float(stats.chi2.sf(statistic, df)))  # fmt: skip


def _wald(estimates: np.ndarray, covariance: np.ndarray) -> float:
    return float(estimates @ np.linalg.solve(covariance, estimates))


def _lag_rows(results: VARResults, lag: int) -> slice:
    """The rows of results.params holding lag `lag` (1-based): after the trend and exogenous terms."""
    k = results.neqs
    first = results.k_exog + (lag - 1) * k
    return slice(first, first + k)


def lag_exclusion(results: VARResults, names: list[str] | None = None) -> pd.DataFrame:
    """EViews' lag-exclusion Wald tests: for each lag, all its coefficients zero in each equation (χ²(K)) and in the
    system (χ²(K²)). Rows: lags; columns: statistic and p-value per equation and joint."""
    params = np.asarray(results.params, dtype=float)
    sigma = np.asarray(results.sigma_u, dtype=float)
    inverse = np.linalg.inv(_design(results).T @ _design(results))
    names, k = names or list(results.names), results.neqs
    rows = []
    for lag in range(1, results.k_ar + 1):
        where = _lag_rows(results, lag)
        block = params[where]  # K regressors x K equations
        q = inverse[where, where]
        row: dict[str, object] = {"lag": lag}
        for e, name in enumerate(names):
            statistic = _wald(block[:, e], sigma[e, e] * q)
            row[f"{name} statistic"] = statistic
            row[f"{name} p-value"] = float(stats.chi2.sf(statistic, k))
        joint = _wald(block.ravel(), np.kron(q, sigma))  # row-major: regressor-major, equations inner
        row["joint statistic"] = joint
        row["joint p-value"] = float(stats.chi2.sf(joint, k * k))
        rows.append(row)
    return pd.DataFrame(rows).set_index("lag")


def block_exogeneity(results: VARResults, names: list[str] | None = None) -> pd.DataFrame:
    """EViews' block exogeneity Wald test: in each equation, all other variables' lags zero, χ²((K − 1) p)."""
    rows = []
    names = names or list(results.names)
    for e, name in enumerate(names):
        others = [j for j in range(len(names)) if j != e]
        found = results.test_causality(caused=e, causing=others, kind="wald", signif=SIGNIFICANCE)
        rows.append(
            {
                "equation": name,
                "excluded": ", ".join(names[j] for j in others),
                "statistic": float(found.test_statistic),
                "df": int(found.df),
                "p-value": float(found.pvalue),
            }
        )
    return pd.DataFrame(rows).set_index("equation")


def granger_wald(results: VARResults, caused: int, causing: int, lags: int) -> tuple[float, float]:
    """The Wald statistic (χ²(lags)) that the first `lags` lags of `causing` are zero in `caused`'s equation, and its
    p-value; with lags below the fitted order, the Toda-Yamamoto test (the extra lags are not tested)."""
    params = np.asarray(results.params, dtype=float)
    rows = [_lag_rows(results, lag).start + causing for lag in range(1, lags + 1)]
    inverse = np.linalg.inv(_design(results).T @ _design(results))
    covariance = float(results.sigma_u[caused, caused]) * inverse[np.ix_(rows, rows)]
    statistic = _wald(params[rows, caused], covariance)
    return statistic, float(stats.chi2.sf(statistic, lags))
