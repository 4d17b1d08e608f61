"""Numbers as statisticians print them: p-values bounded by their test's table, statistics to a few figures.

Pure functions for the pages, the CLI and reports; no UI here."""

from __future__ import annotations

import math

import pandas as pd

PVALUE_FLOOR = 0.001  # below it, '< 0.001': more digits claim a precision the asymptotics do not have
KPSS_TABLE = (0.01, 0.10)  # statsmodels' KPSS p-value is interpolated in this range and clipped at its ends


def format_pvalue(p: float | None, table: tuple[float, float] | None = None) -> str:
    """'0.042', '< 0.001', or for a test whose p-value comes from a table (KPSS) '< 0.01' / '> 0.1' at its ends."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    if table is not None:
        low, high = table
        if p <= low:
            return f"< {low:g}"
        if p >= high:
            return f"> {high:g}"
    if p < PVALUE_FLOOR:
        return f"< {PVALUE_FLOOR:g}"
    return f"{p:.3f}"


def format_statistic(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def stationarity_table(tests: pd.DataFrame) -> pd.DataFrame:
    """The ADF and KPSS results with headers in words and p-values as printed in a report."""
    return pd.DataFrame(
        {
            "variable": tests["variable"],
            "transform": tests["transform"],
            "ADF statistic": tests["adf_statistic"].map(format_statistic),
            "ADF p-value": tests["adf_pvalue"].map(format_pvalue),
            "ADF lags": tests["adf_lags"],
            "KPSS statistic": tests["kpss_statistic"].map(format_statistic),
            "KPSS p-value": tests["kpss_pvalue"].map(lambda p: format_pvalue(p, KPSS_TABLE)),
            "KPSS lags": tests["kpss_lags"],
            "verdict": tests["verdict"],
        }
    )


TREND_WORDS = {"c": "constant", "ct": "constant and trend", "n": "no constant"}


def chosen_by_words(chosen_by: str) -> str:
    """How the lag order was chosen: 'by AIC', or 'fixed' (p given by the analyst)."""
    return "fixed" if chosen_by == "fixed" else f"by {chosen_by.upper()}"


def trend_words(trend: str) -> str:
    return TREND_WORDS.get(trend, trend)


def terms_words(trend: str, dummies: str = "") -> str:
    """The deterministic terms in words: 'constant, seasonal dummies (quarterly, centred), step dummy 2008Q4', from
    the trend and the dummies' own words (Deterministic.describe, VersionSummary.terms)."""
    if dummies.startswith("VECM"):  # a VECM's words say where its constant and trend are
        return dummies
    return f"{trend_words(trend)}, {dummies}" if dummies else trend_words(trend)


def stability_words(stable: bool) -> str:
    return "stable" if stable else "NOT stable"


FIT_WORDS = {"train": "evaluation fit (training rows)", "data": "production fit (all rows)"}


def estimation_text(output, fit: str) -> str:
    """An EstimationOutput as R's summary(varest) prints it: an equation at a time, then the system."""
    lines = [f"Estimation output of the {FIT_WORDS.get(fit, fit)}: {output.nobs} observations per equation"]
    for equation, row in output.equations.iterrows():
        lines += ["", f"Equation {equation}: R² {row['r_squared']:.4f}, adjusted R² {row['adj_r_squared']:.4f}"
                  f"{'' if output.centered else ' (uncentred: no constant)'}, residual s.e. "
                  f"{format_statistic(row['residual_se'])}"]  # fmt: skip
        table = output.table(equation)
        shown = pd.DataFrame(
            {
                "estimate": table["estimate"].map(format_statistic),
                "std. error": table["std_error"].map(format_statistic),
                "t-statistic": table["t_statistic"].map(lambda v: "–" if math.isnan(v) else f"{v:.3f}"),
                "p-value": table["p_value"].map(format_pvalue),
            }
        )
        lines.append(shown.to_string())
    criteria = ", ".join(f"{name} {format_statistic(getattr(output, name.lower()))}"
                         for name in ("AIC", "BIC", "HQIC", "FPE"))  # fmt: skip
    system = (f"log-likelihood {output.log_likelihood:,.3f}, {criteria}, det Σu (ML) "
              f"{format_statistic(output.det_sigma_u)}")  # fmt: skip
    lines += ["", f"System: {system}", "Residual correlation:", output.correlation.round(3).to_string()]
    return "\n".join(lines)
