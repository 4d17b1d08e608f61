"""Future values of a model's exogenous variables: the path a forecast is conditioned on.

The analyst gives them in levels, one row per forecast date, from a CSV (`forecast --exog-path FILE`), the REST
body (`"exog": [{"date": "2009-10-01", "oil": 71.2}, ...]`) or the Forecast page's table. A row is matched to a
forecast date by the period both fall in (2009Q4 matches a quarterly model's 2009-10-01 as well as its
2009-12-31), so the path may be dated as the analyst writes dates. Nothing here trusts its input: sizes are bounded
and every cell is checked.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from varlib.data.calendar import period_label
from varlib.data.dates import parse_dates
from varlib.errors import InvalidInput

MAX_PATH_ROWS = 1000  # a forecast has at most MAX_FORECAST_STEPS steps
MAX_PATH_BYTES = 1_000_000
PATH_INPUT = "{input:exog_path}"


def read_path_csv(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """A CSV of a date column (the first) and one column per exogenous variable, in levels, indexed by date."""
    label = name or (Path(source).name if isinstance(source, (str, Path)) else "the path")
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as handle:
                raw = handle.read(MAX_PATH_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"{PATH_INPUT} {label}: cannot read the file ({exc.strerror or exc}).") from None
    else:
        raw = bytes(source)
    if len(raw) > MAX_PATH_BYTES:
        raise InvalidInput(f"{PATH_INPUT} {label}: more than {MAX_PATH_BYTES:,} bytes; a path has a row per "
                           "forecast date.")  # fmt: skip
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise InvalidInput(f"{PATH_INPUT} {label}: not a readable CSV (UTF-8, comma-separated, a header row "
                           "naming the date column and the exogenous variables).") from None  # fmt: skip
    if table.shape[1] < 2 or table.empty:
        raise InvalidInput(f"{PATH_INPUT} {label}: needs a date column and a column per exogenous variable, with a "
                           "row per forecast date.")  # fmt: skip
    date_column = table.columns[0]
    rows = [{"date": table[date_column].iloc[i], **{c: table[c].iloc[i] for c in table.columns[1:]}}
            for i in range(len(table))]  # fmt: skip
    return path_from_rows(rows, label, first_line=2)


def path_from_rows(rows: object, label: str = "the path", first_line: int | None = None) -> pd.DataFrame:
    """Rows of {"date": ..., VARIABLE: value} as a frame indexed by date; cells must be finite numbers."""
    if not isinstance(rows, list) or not rows:
        raise InvalidInput(f"{PATH_INPUT}: give a row per forecast date, each with its date and a value per "
                           "exogenous variable.")  # fmt: skip
    if len(rows) > MAX_PATH_ROWS:
        raise InvalidInput(f"{PATH_INPUT}: {len(rows):,} rows, more than the {MAX_PATH_ROWS:,} a forecast can use.")

    def where(i: int) -> str:
        return f"{label}, line {first_line + i}" if first_line is not None else f"{label}, row {i + 1}"

    names: list[str] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or "date" not in row:
            raise InvalidInput(f"{PATH_INPUT} ({where(i)}): each row needs a date and a value per exogenous variable.")
        for name in row:
            if name != "date" and name not in names:
                names.append(str(name))
    dates_text = pd.Series([str(row["date"]).strip() for row in rows], index=range(len(rows)))
    try:
        index, _, _ = parse_dates(dates_text, "date", label)
    except InvalidInput:
        first = next((i for i, text in enumerate(dates_text) if not _reads_as_date(text)), 0)
        raise InvalidInput(f"{PATH_INPUT} ({where(first)}): {dates_text.iloc[first][:40]!r} is not a date; write the "
                           "dates as the data are dated, e.g. 2009-10-01 or 2009Q4.") from None  # fmt: skip
    values = np.full((len(rows), len(names)), np.nan)
    for i, row in enumerate(rows):
        for j, name in enumerate(names):
            cell = row.get(name)
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                continue  # a gap: refused where a forecast date needs it, with the variable and date named
            try:
                number = float(cell) if not isinstance(cell, bool) else float("nan")
            except (TypeError, ValueError):
                number = float("nan")
            if not np.isfinite(number):
                raise InvalidInput(f"{PATH_INPUT} ({where(i)}): {str(cell)[:40]!r} for {name!r} is not a number.")
            values[i, j] = number
    return pd.DataFrame(values, index=pd.DatetimeIndex(index, name="date"), columns=names)


def _reads_as_date(text: str) -> bool:
    try:
        pd.Period(text)
        return bool(text)
    except (ValueError, TypeError, OverflowError):
        return False


def align_path(path: pd.DataFrame, dates: pd.DatetimeIndex, freq: str | None) -> pd.DataFrame:
    """The path's rows at the forecast dates, matched by the period each falls in; absent ones are NaN."""
    labels = [period_label(d, freq) for d in path.index]
    if len(set(labels)) != len(labels):
        twice = next(label for label in labels if labels.count(label) > 1)
        raise InvalidInput(f"{PATH_INPUT}: {twice} is given twice.")
    by_label = pd.DataFrame(path.to_numpy(dtype=float), index=labels, columns=path.columns)
    wanted = [period_label(d, freq) for d in dates]
    return pd.DataFrame(by_label.reindex(wanted).to_numpy(), index=dates, columns=path.columns)


def assumed_path(known: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """A starting path over the forecast `dates`: the known values where the data have them (over test rows), then
    the last known value held. The Forecast page shows it for the analyst to edit; it is an assumption, said so."""
    last = known.iloc[-1].to_numpy(dtype=float)
    inside = known.reindex(dates)
    held = pd.DataFrame([last] * len(dates), index=dates, columns=known.columns)
    return inside.where(inside.notna() & (dates <= known.index[-1])[:, None], held)
