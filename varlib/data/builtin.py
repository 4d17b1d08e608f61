"""The built-in data: statsmodels' US macrodata, with each variable's description and unit."""

from __future__ import annotations

import pandas as pd

from varlib.data.calendar import describe_frequency
from varlib.data.dataset import Dataset, Reading, VariableInfo, VariableReading
from varlib.errors import InvalidInput

MACRODATA = "macrodata"
MACRODATA_SOURCE = "statsmodels macrodata (US, quarterly)"

_SAAR = "billions of chained 2005 US$, seasonally adjusted annual rate"
_SAAR_SHORT = "bn 2005 US$, SAAR"
# From statsmodels.datasets.macrodata's NOTE (FRED and BLS series, accessed 2009-12-15); units of m1 and pop as
# FRED publishes them (M1SL in billions of dollars, POP in thousands).
MACRODATA_INFO = {
    "realgdp": VariableInfo("Real gross domestic product", _SAAR, _SAAR_SHORT),
    "realcons": VariableInfo("Real personal consumption expenditures", _SAAR, _SAAR_SHORT),
    "realinv": VariableInfo("Real gross private domestic investment", _SAAR, _SAAR_SHORT),
    "realgovt": VariableInfo("Real federal consumption expenditures and gross investment", _SAAR, _SAAR_SHORT),
    "realdpi": VariableInfo("Real private disposable income", _SAAR, _SAAR_SHORT),
    "cpi": VariableInfo(
        "Consumer price index for all urban consumers, all items, end of quarter",
        "index 1982-84 = 100, seasonally adjusted",
        "index 1982-84 = 100",
    ),
    "m1": VariableInfo("M1 nominal money stock, end of quarter", "billions of US$, seasonally adjusted", "bn US$"),
    "tbilrate": VariableInfo(
        "3-month treasury bill rate, secondary market, quarterly average of monthly values", "% per year"
    ),
    "unemp": VariableInfo("Unemployment rate", "%, seasonally adjusted", "%"),
    "pop": VariableInfo("Total population, all ages, including armed forces overseas, end of quarter", "thousands"),
    "infl": VariableInfo("Inflation rate, 400 × ln(cpi / previous cpi)", "% per year"),
    "realint": VariableInfo("Real interest rate, tbilrate − infl", "% per year"),
}


def known_units(source: str | None, variables: list[str]) -> dict[str, str]:
    """Units of variables whose data came from the built-in set (a stored version's `data.source` says so)."""
    if not source or not source.startswith(MACRODATA_SOURCE):
        return {}
    return {v: MACRODATA_INFO[v].axis_unit for v in variables if v in MACRODATA_INFO}


def load_macrodata() -> Dataset:
    """US quarterly macro data 1959Q1-2009Q3 (203 rows) shipped with statsmodels: no network."""
    from statsmodels.datasets import macrodata

    raw = macrodata.load_pandas().data
    dates = pd.date_range("1959-01-01", periods=len(raw), freq="QS")
    frame = raw.drop(columns=["year", "quarter"]).astype(float)
    frame.index = pd.DatetimeIndex(dates, name="date")
    info = {name: MACRODATA_INFO[name] for name in frame.columns if name in MACRODATA_INFO}
    reading = Reading(
        source=MACRODATA_SOURCE, file_format="built-in", date_column="year + quarter",
        date_format="year and quarter columns", frequency=dates.freqstr,
        frequency_words=describe_frequency(dates.freqstr), rows=len(frame), first="1959Q1", last="2009Q3",
        variables=[VariableReading(n, 0, info[n].description, info[n].unit) for n in frame.columns],
    )  # fmt: skip
    return Dataset(frame=frame, freq=dates.freqstr, source=MACRODATA_SOURCE, reading=reading, info=info)


def load_dataset(name: str) -> Dataset:
    if name != MACRODATA:
        raise InvalidInput(f"Unknown dataset {name!r}: the built-in dataset is {MACRODATA!r}.")
    return load_macrodata()
