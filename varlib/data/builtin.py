"""The built-in data: statsmodels' US macrodata, with each variable's description and unit."""

from __future__ import annotations

import pandas as pd

from varlib.data.calendar import describe_frequency
from varlib.data.dataset import Dataset, Reading, VariableInfo, VariableReading
from varlib.errors import InvalidInput

MACRODATA = "macrodata"
MACRODATA_SOURCE = "statsmodels macrodata (US, quarterly)"

_SAAR = "billions of chained 2005 US$, seasonally adjusted annual rate"
# From statsmodels.datasets.macrodata's NOTE (FRED and BLS series, accessed 2009-12-15); units of m1 and pop as
# FRED publishes them (M1SL in billions of dollars, POP in thousands).
MACRODATA_INFO = {
    "realgdp": VariableInfo("Real gross domestic product", _SAAR),
    "realcons": VariableInfo("Real personal consumption expenditures", _SAAR),
    "realinv": VariableInfo("Real gross private domestic investment", _SAAR),
    "realgovt": VariableInfo("Real federal consumption expenditures and gross investment", _SAAR),
    "realdpi": VariableInfo("Real private disposable income", _SAAR),
    "cpi": VariableInfo(
        "Consumer price index for all urban consumers, all items, end of quarter",
        "index 1982-84 = 100, seasonally adjusted",
    ),
    "m1": VariableInfo("M1 nominal money stock, end of quarter", "billions of US$, seasonally adjusted"),
    "tbilrate": VariableInfo(
        "3-month treasury bill rate, secondary market, quarterly average of monthly values", "% per year"
    ),
    "unemp": VariableInfo("Unemployment rate", "%, seasonally adjusted"),
    "pop": VariableInfo("Total population, all ages, including armed forces overseas, end of quarter", "thousands"),
    "infl": VariableInfo("Inflation rate, 400 × ln(cpi / previous cpi)", "% per year"),
    "realint": VariableInfo("Real interest rate, tbilrate − infl", "% per year"),
}


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
