"""Input data: the built-in macrodata set and analysts' CSV and Excel files, read and validated.

A `Dataset` is a frame of float columns on an evenly spaced DatetimeIndex named `date`, plus the frequency
(needed to date forecasts), notes on anything changed while reading, and the `Reading`: what was detected
(dialect, dates, calendar) and done. `ReadOptions` overrides any detection.
"""

from varlib.data.builtin import MACRODATA, MACRODATA_INFO, known_units, load_dataset, load_macrodata
from varlib.data.calendar import AGGREGATIONS, GAP_POLICIES, TARGET_FREQUENCIES, describe_frequency, period_label
from varlib.data.dataset import STORED_DATE_COLUMN, Dataset, Reading, VariableInfo, VariableReading
from varlib.data.dates import DATE_ORDERS, EARLIEST_DATE, LATEST_DATE
from varlib.data.reader import (
    EXCEL_SUFFIXES,
    MAX_CSV_BYTES,
    MAX_FILE_BYTES,
    MISSING_POLICIES,
    ReadOptions,
    inspect_file,
    read_csv,
    read_excel,
    read_file,
)

__all__ = [
    "AGGREGATIONS",
    "DATE_ORDERS",
    "EARLIEST_DATE",
    "EXCEL_SUFFIXES",
    "GAP_POLICIES",
    "LATEST_DATE",
    "MACRODATA",
    "MACRODATA_INFO",
    "MAX_CSV_BYTES",
    "MAX_FILE_BYTES",
    "MISSING_POLICIES",
    "STORED_DATE_COLUMN",
    "TARGET_FREQUENCIES",
    "Dataset",
    "ReadOptions",
    "Reading",
    "VariableInfo",
    "VariableReading",
    "describe_frequency",
    "inspect_file",
    "known_units",
    "load_dataset",
    "load_macrodata",
    "period_label",
    "read_csv",
    "read_excel",
    "read_file",
]
