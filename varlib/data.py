"""Input data: the built-in macrodata set and analysts' CSV files, validated.

A `Dataset` is a frame of float columns on an evenly spaced DatetimeIndex named `date`, plus the
frequency (needed to date forecasts) and notes on anything changed while reading (dropped rows...).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from varlib.errors import InvalidInput

MISSING_POLICIES = ("error", "drop", "interpolate")
MACRODATA = "macrodata"
STORED_DATE_COLUMN = "date"  # the dates' column in stored CSVs: no variable may have this name
DATE_COLUMN_HINTS = ("date", "time", "period", "quarter", "month", "year", "timestamp")
MAX_CSV_BYTES = 200 * 1024 * 1024


@dataclass
class Dataset:
    """Level data: float columns indexed by evenly spaced dates."""

    frame: pd.DataFrame
    freq: str
    source: str  # for messages: what the user gave (a CSV's path as typed)
    notes: list[str] = field(default_factory=list)
    stored_source: str | None = None  # for stored metadata, when it differs: a file's name, never a local path

    @property
    def variables(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def source_to_store(self) -> str:
        """What a published version records as its data source: never a publisher's local path."""
        return self.stored_source or self.source


def load_macrodata() -> Dataset:
    """US quarterly macro data 1959Q1-2009Q3 (203 rows) shipped with statsmodels: no network."""
    from statsmodels.datasets import macrodata

    raw = macrodata.load_pandas().data
    dates = pd.date_range("1959-01-01", periods=len(raw), freq="QS")
    frame = raw.drop(columns=["year", "quarter"]).astype(float)
    frame.index = pd.DatetimeIndex(dates, name="date")
    return Dataset(frame=frame, freq=dates.freqstr, source="statsmodels macrodata (US, quarterly)")


def load_dataset(name: str) -> Dataset:
    if name != MACRODATA:
        raise InvalidInput(f"Unknown dataset {name!r}: the built-in dataset is {MACRODATA!r}.")
    return load_macrodata()


def read_csv(
    source: str | Path | bytes | BinaryIO,
    *,
    date_column: str | None = None,
    columns: list[str] | None = None,
    missing: str = "error",
    name: str | None = None,
    date_order: str | None = None,
) -> Dataset:
    """Read and validate a CSV: one date column plus numeric columns.

    `columns` limits validation and the result to those variables; `missing` is one of
    'error' (default), 'drop' (drop rows with a missing value) or 'interpolate' (linear in
    time inside the data; rows missing at either end are dropped).
    `date_order` ('day-first' or 'month-first') says how to read dates such as 01/02/2018; by default the order
    that gives evenly spaced dates is chosen, and a file that both orders read as evenly spaced is refused.
    Every problem raises `InvalidInput` naming the file, column and line.
    """
    label, raw = _read_bytes(source, name)
    if missing not in MISSING_POLICIES:
        raise InvalidInput(f"Unknown missing-value policy {missing!r}: use one of {', '.join(MISSING_POLICIES)}.")
    if date_order not in (None, *DATE_ORDERS):
        raise InvalidInput(f"Unknown date order {date_order!r}: use {' or '.join(DATE_ORDERS)}.")
    text = _decode(raw, label)
    table = _parse_table(text, label)

    combined = _combine_period_columns(table, label) if date_column is None else None
    if combined is not None:  # separate year and quarter (or month) columns, as statistical offices publish
        table, date_col, dates, date_notes = combined
    else:
        date_col = _find_date_column(table, date_column, label)
        dates, date_notes = _parse_dates(table[date_col], date_col, label, date_order)
    value_columns = [c for c in table.columns if c != date_col]
    if STORED_DATE_COLUMN in value_columns and (columns is None or STORED_DATE_COLUMN in columns):
        raise InvalidInput(
            f"{label}: a value column is named {STORED_DATE_COLUMN!r}, the name varlib gives the dates when it "
            f"stores them ({date_col!r} holds the dates here); rename that column."
        )
    if columns is not None:
        unknown = [c for c in columns if c not in value_columns]
        if unknown:
            raise InvalidInput(f"{label}: no column {unknown[0]!r} (columns: {', '.join(value_columns) or 'none'}).")
        value_columns = list(columns)
    if not value_columns:
        raise InvalidInput(f"{label}: no numeric columns besides the date column {date_col!r}.")

    values = pd.DataFrame(
        {col: _parse_numbers(table[col], col, label) for col in value_columns},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    _check_dates_ordered(values.index, date_col, label)
    freq = _infer_frequency(values.index, date_col, label)
    values, notes = _handle_missing(values, missing, label)
    notes = date_notes + notes
    if len(values) == 0:
        raise InvalidInput(f"{label}: no rows left after dropping rows with missing values.")
    values.index.freq = freq if _is_regular(values.index, freq) else None
    given = name or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", None))
    stored = f"CSV {_file_name(str(given))}" if given else None
    return Dataset(frame=values, freq=freq, source=label, notes=notes, stored_source=stored)


def _file_name(given: str) -> str:
    """The last component of a path, whichever the separator (a browser may send C:\\Users\\ana\\x.csv)."""
    return given.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _read_bytes(source: str | Path | bytes | BinaryIO, name: str | None) -> tuple[str, bytes]:
    if isinstance(source, bytes):
        return f"CSV {name}" if name else "CSV", source
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = f"CSV {name or path}"
        try:
            size = path.stat().st_size
            if size > MAX_CSV_BYTES:
                raise InvalidInput(f"{label}: file is {size} bytes, more than the {MAX_CSV_BYTES} allowed.")
            return label, path.read_bytes()
        except FileNotFoundError:
            raise InvalidInput(f"{label}: file not found.") from None
        except IsADirectoryError:
            raise InvalidInput(f"{label}: is a directory, not a file.") from None
        except PermissionError:
            raise InvalidInput(f"{label}: permission denied reading the file.") from None
    label = f"CSV {name or getattr(source, 'name', '')}".rstrip()
    return label, source.read(MAX_CSV_BYTES + 1)


def _decode(raw: bytes, label: str) -> str:
    if not raw.strip():
        raise InvalidInput(f"{label}: the file is empty.")
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"{label}: file is larger than the {MAX_CSV_BYTES} bytes allowed.")
    if b"\x00" in raw:
        raise InvalidInput(f"{label}: contains NUL bytes, so it is not a text CSV file.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows often save cp1252; it decodes any byte except a few undefined ones.
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{label}: not UTF-8 or Windows-1252 text (byte {exc.start}).") from None


def _parse_table(text: str, label: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=True
        )
    except pd.errors.ParserError as exc:
        raise InvalidInput(f"{label}: not a valid CSV table ({_first_line(str(exc))}).") from None
    except (pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(f"{label}: not a valid CSV table ({_first_line(str(exc))}).") from None
    table.columns = [str(c).strip() for c in table.columns]
    unnamed = [i for i, c in enumerate(table.columns) if c == "" or c.startswith("Unnamed:")]
    if unnamed:
        raise InvalidInput(f"{label}: column {unnamed[0] + 1} has no name in the header line.")
    if len(set(table.columns)) != len(table.columns) or any(_is_mangled(c, table.columns) for c in table.columns):
        seen: set[str] = set()
        for col in table.columns:
            base = col.rsplit(".", 1)[0]
            if col in seen or (base in seen and _is_mangled(col, table.columns)):
                raise InvalidInput(f"{label}: column {base!r} appears more than once in the header.")
            seen.add(col)
    if len(table) == 0:
        raise InvalidInput(f"{label}: has a header but no data rows.")
    return table


def _is_mangled(col: str, columns: list[str]) -> bool:
    # pandas renames a repeated header 'x' to 'x.1'; real names like 'x.1' without an 'x' stay valid.
    base, _, suffix = col.rpartition(".")
    return bool(base) and suffix.isdigit() and base in columns


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unreadable"


def _line(row: int) -> int:
    """File line of data row `row` (0-based): the header is line 1."""
    return row + 2


def _find_date_column(table: pd.DataFrame, date_column: str | None, label: str) -> str:
    if date_column is not None:
        if date_column not in table.columns:
            raise InvalidInput(f"{label}: no date column {date_column!r} (columns: {', '.join(table.columns)}).")
        return date_column
    named = [c for c in table.columns if c.lower() in DATE_COLUMN_HINTS]
    candidates = named + [c for c in table.columns if c not in named]
    for col in candidates:
        # A sample first: parsing every cell of every column of a large file as dates costs minutes.
        sample = table[col].iloc[:_DETECTION_SAMPLE]
        parsed, out_of_range, _ = _to_datetime(sample)
        if not (parsed.notna().to_numpy() | out_of_range).all() or _looks_numeric(sample):
            continue
        parsed, out_of_range, _ = _to_datetime(table[col])
        if (parsed.notna().to_numpy() | out_of_range).all() and not _looks_numeric(table[col]):
            return col
    if named:
        return named[0]  # its bad cells get a precise message from _parse_dates
    raise InvalidInput(
        f"{label}: found no date column (columns: {', '.join(table.columns)}); give its name in {{input:date_column}}."
    )


_YEAR_NAMES = ("year", "yr")
_PERIOD_NAMES = {"quarter": 4, "qtr": 4, "q": 4, "month": 12, "mon": 12, "m": 12}


def _combine_period_columns(
    table: pd.DataFrame, label: str
) -> tuple[pd.DataFrame, str, pd.DatetimeIndex, list[str]] | None:
    """Dates from a `year` column and a `quarter` (1-4, or Q1-Q4) or `month` (1-12) column; None if there are none."""
    lower = {c.strip().lower(): c for c in table.columns}
    if any(name in lower for name in ("date", "time", "timestamp", "period")):
        return None  # a file with its own date column keeps it; year and month are then just columns
    year_col = next((lower[n] for n in _YEAR_NAMES if n in lower), None)
    period_col = next((lower[n] for n in _PERIOD_NAMES if n in lower), None)
    if year_col is None or period_col is None:
        return None
    periods = _PERIOD_NAMES[period_col.strip().lower()]
    kind = "quarter" if periods == 4 else "month"
    years = pd.to_numeric(table[year_col].str.strip(), errors="coerce")
    numbers = pd.to_numeric(table[period_col].str.strip().str.upper().str.removeprefix("Q").str.removeprefix("M"),
                            errors="coerce")  # fmt: skip
    bad_year = np.flatnonzero(~years.between(EARLIEST_DATE.year, LATEST_DATE.year).to_numpy() | (years % 1 != 0))
    if len(bad_year):
        row = int(bad_year[0])
        raise InvalidInput(f"{label}: year {table[year_col].iloc[row]!r} in column {year_col!r}, line {_line(row)}, "
                           f"is not a year from {EARLIEST_DATE.year} to {LATEST_DATE.year}.")  # fmt: skip
    bad_period = np.flatnonzero(~numbers.between(1, periods).to_numpy() | (numbers % 1 != 0))
    if len(bad_period):
        row = int(bad_period[0])
        raise InvalidInput(f"{label}: {kind} {table[period_col].iloc[row]!r} in column {period_col!r}, line "
                           f"{_line(row)}, is not a {kind} from 1 to {periods}.")  # fmt: skip
    months = numbers.astype(int) * 3 - 2 if periods == 4 else numbers.astype(int)
    dates = pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": years.astype(int), "month": months, "day": 1})))
    name = f"{year_col}+{period_col}"
    rest = table.drop(columns=[year_col, period_col])
    note = f"dates combined from the {year_col!r} and {period_col!r} columns"
    return rest, name, dates, [note]


def _looks_numeric(values: pd.Series) -> bool:
    # Plain numbers such as 1.5 or 2001 parse as dates too; they are values, not dates.
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


EARLIEST_DATE = pd.Timestamp("1700-01-01")
LATEST_DATE = pd.Timestamp("2199-12-31")  # pandas' timestamps end in 2262: leave room for long forecasts


_TIME_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DETECTION_SAMPLE = 50  # cells tried per column when looking for the date column


def _to_datetime(values: pd.Series) -> tuple[pd.Series, np.ndarray, str | None]:
    """Parsed dates (NaT where unreadable), a mask of dates outside EARLIEST_DATE..LATEST_DATE, and a note.

    Dates with a time zone become plain dates: calendar dates (all at local midnight) keep their date; times of
    day are converted to UTC. The note says which, or is None when there was no time zone.
    """
    text = values.str.strip()
    # Quarterly labels such as 1959Q1 or 1959-Q1 are common in macro data; pandas is dropping them from to_datetime.
    quarter = text.str.extract(r"^(\d{4})-?[Qq]([1-4])$")
    quarter_like = quarter[0].notna().to_numpy()
    normalised = text.copy()
    normalised[quarter_like] = [
        f"{y}-{3 * int(q) - 2:02d}-01" for y, q in quarter[quarter_like].itertuples(index=False)
    ]
    zoned = normalised.str.contains(_TIME_ZONE, na=False).to_numpy()
    note = None
    if zoned.any():
        wall_clock = _parse_mixed(normalised.str.replace(_TIME_ZONE, "", regex=True))
        if (wall_clock.dropna() == wall_clock.dropna().dt.normalize()).all():
            parsed, note = wall_clock, "dates with a time zone were read as calendar dates"
        else:
            parsed = pd.to_datetime(normalised, errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
            note = "times with a time zone were converted to UTC"
    else:
        parsed = _parse_mixed(normalised)
    years = parsed.dt.year.to_numpy(dtype=float, na_value=np.nan)
    months = parsed.dt.month.to_numpy(dtype=float, na_value=np.nan)
    # Compare by year (and month) first: the parsed values may be of a resolution that cannot become nanoseconds.
    out_of_range = (years < EARLIEST_DATE.year) | (years > LATEST_DATE.year)
    parsed = parsed.where(~out_of_range & ~np.isnan(months))
    return parsed.astype("datetime64[ns]"), out_of_range, note


def _parse_mixed(text: pd.Series) -> pd.Series:
    # ISO 8601 first: vectorised, and what most files hold; then any format, cell by cell. A zone pandas
    # recognises where _TIME_ZONE does not ("UTC", "GMT+1") is converted to UTC.
    for options in ({"format": "ISO8601"}, {"format": "mixed"}):
        try:
            parsed = pd.to_datetime(text, errors="coerce", **options)
        except (ValueError, TypeError):  # mixed time zones
            parsed = pd.to_datetime(text, errors="coerce", utc=True, **options)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        if parsed.notna().all():
            break
    return parsed


DATE_ORDERS = ("day-first", "month-first")
# 01/02/2018, 1.2.2018, 01-02-2018: day and month in an order the text alone does not tell.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")


def _numeric_dates(values: pd.Series, col: str, label: str, date_order: str | None) -> tuple[pd.Series, str] | None:
    """Dates written D/M/Y or M/D/Y, read in the order that fits the whole column; None for other dates.

    With no order given, a reading must parse every cell and give evenly spaced dates; when only one reading
    does, it is used (and said); when both do (01/01/2018 ... 01/12/2018 is monthly day-first and daily
    month-first), the file is refused, naming both readings: guessing would give wrong data without an error.
    """
    parts = values.str.strip().str.extract(_NUMERIC_DATE)
    if len(values) == 0 or parts[0].isna().any():
        return None
    first, second, year = (parts[i].astype(int) for i in (0, 2, 3))
    readings = {
        "day-first": pd.to_datetime(pd.DataFrame({"year": year, "month": second, "day": first}), errors="coerce"),
        "month-first": pd.to_datetime(pd.DataFrame({"year": year, "month": first, "day": second}), errors="coerce"),
    }
    if date_order is not None:
        return readings[date_order], f"dates read {date_order} as asked"

    def regular(parsed: pd.Series) -> bool:
        index = pd.DatetimeIndex(parsed)
        return bool(parsed.notna().all() and index.is_monotonic_increasing and index.is_unique and len(index) >= 3
                    and _infer_freq(index) is not None)  # fmt: skip

    fits = [order for order, parsed in readings.items() if regular(parsed)]
    if len(fits) == 2:
        example = values.iloc[1 if len(values) > 1 else 0].strip()
        row = 1 if len(values) > 1 else 0
        day_first, month_first = (readings[o].iloc[row].date() for o in DATE_ORDERS)
        raise InvalidInput(
            f"{label}: the dates in column {col!r} read evenly spaced both day-first ({example!r} on line "
            f"{_line(row)} as {day_first}) and month-first (as {month_first}); choose {{input:date_order}}."
        )
    if len(fits) == 1:
        return readings[fits[0]], f"dates read {fits[0]} ({'DD/MM/YYYY' if fits[0] == 'day-first' else 'MM/DD/YYYY'})"
    # Neither reading is evenly spaced: take the one that reads every cell (its spacing is reported later).
    complete = [order for order, parsed in readings.items() if parsed.notna().all()]
    if len(complete) == 1:
        return readings[complete[0]], f"dates read {complete[0]}"
    return None


def _parse_dates(
    values: pd.Series, col: str, label: str, date_order: str | None = None
) -> tuple[pd.DatetimeIndex, list[str]]:
    numeric = _numeric_dates(values, col, label, date_order)
    if numeric is not None:
        parsed, note = numeric
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise InvalidInput(f"{label}: cannot read {values.iloc[row]!r} as a {date_order} date in column "
                               f"{col!r}, line {_line(row)}; check {{input:date_order}}.")  # fmt: skip
        years = parsed.dt.year.to_numpy()
        if ((years < EARLIEST_DATE.year) | (years > LATEST_DATE.year)).any():
            row = int(np.flatnonzero((years < EARLIEST_DATE.year) | (years > LATEST_DATE.year))[0])
            raise InvalidInput(
                f"{label}: date {values.iloc[row]!r} in column {col!r}, line {_line(row)}, is outside the supported "
                f"range {EARLIEST_DATE.date()} to {LATEST_DATE.date()}."
            )
        return pd.DatetimeIndex(parsed.astype("datetime64[ns]")), [note]
    parsed, out_of_range, note = _to_datetime(values)
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        raise InvalidInput(
            f"{label}: date {values.iloc[row]!r} in column {col!r}, line {_line(row)}, is outside the supported "
            f"range {EARLIEST_DATE.date()} to {LATEST_DATE.date()}."
        )
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise InvalidInput(f"{label}: cannot read {values.iloc[row]!r} as a date in column {col!r}, line {_line(row)}.")
    return pd.DatetimeIndex(parsed), [note] if note else []


def _parse_numbers(values: pd.Series, col: str, label: str) -> np.ndarray:
    text = values.str.strip()
    missing = text.isin(["", "NA", "N/A", "NaN", "nan", "null", "NULL", ".", "-"])
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = np.flatnonzero((numbers.isna() & ~missing).to_numpy())
    if len(bad):
        row = int(bad[0])
        raise InvalidInput(f"{label}: non-numeric value {values.iloc[row]!r} in column {col!r}, line {_line(row)}.")
    infinite = np.flatnonzero(np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)))
    if len(infinite):
        row = int(infinite[0])
        raise InvalidInput(f"{label}: infinite value in column {col!r}, line {_line(row)}.")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _check_dates_ordered(index: pd.DatetimeIndex, col: str, label: str) -> None:
    values = index.asi8
    steps = np.diff(values)
    problems = np.flatnonzero(steps <= 0)  # vectorised: a Python loop over a million rows takes seconds
    if not len(problems):
        return
    row = int(problems[0]) + 1
    if index[row] == index[row - 1]:
        raise InvalidInput(
            f"{label}: duplicate date {index[row].date()} in column {col!r}, lines {_line(row - 1)} and {_line(row)}."
        )
    raise InvalidInput(
        f"{label}: dates in column {col!r} are not in increasing order: "
        f"{index[row].date()} on line {_line(row)} comes after {index[row - 1].date()}."
    )


def _infer_frequency(index: pd.DatetimeIndex, col: str, label: str) -> str:
    if len(index) < 3:
        raise InvalidInput(f"{label}: only {len(index)} rows; a time series needs many more.")
    freq = _infer_freq(index)
    if freq is not None:
        return freq
    start_freq = _infer_freq(index[:3])
    if start_freq is not None:
        expected = pd.date_range(index[0], periods=len(index), freq=start_freq)
        row = int(np.flatnonzero(expected != index)[0])
        raise InvalidInput(
            f"{label}: dates in column {col!r} are not evenly spaced: line {_line(row)} has "
            f"{index[row].date()} where {expected[row].date()} was expected."
        )
    raise InvalidInput(f"{label}: dates in column {col!r} are not evenly spaced (no frequency found).")


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    with pd.option_context("future.infer_freq_returns_offset", True):
        offset = pd.infer_freq(index)
    return None if offset is None else offset.freqstr


def _is_regular(index: pd.DatetimeIndex, freq: str) -> bool:
    return len(index) > 0 and index.equals(pd.date_range(index[0], periods=len(index), freq=freq))


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _handle_missing(values: pd.DataFrame, missing: str, label: str) -> tuple[pd.DataFrame, list[str]]:
    gaps = values.isna()
    if not gaps.to_numpy().any():
        return values, []
    if missing == "error":
        col = next(c for c in values.columns if gaps[c].any())
        row = int(np.flatnonzero(gaps[col].to_numpy())[0])
        raise InvalidInput(
            f"{label}: missing value in column {col!r}, line {_line(row)} (choose {{input:missing}} to proceed)."
        )
    if missing == "drop":
        incomplete = gaps.any(axis=1).to_numpy()
        complete = np.flatnonzero(~incomplete)
        inside = np.flatnonzero(incomplete[complete[0] : complete[-1] + 1]) + complete[0] if len(complete) else []
        if len(inside):
            # A dropped row inside the data would make its neighbours look adjacent: the VAR would be fitted on a
            # series that skips a period while its dates say it does not.
            row = int(inside[0])
            raise InvalidInput(
                f"{label}: dropping the row of {values.index[row].date()} (line {_line(row)}), which has a missing "
                f"value, would leave a gap inside the data ({len(inside)} such {_rows(len(inside))}); "
                "choose {input:missing_interpolate} or fill the gap in the file (rows missing at the start or end can "
                "be dropped)."
            )
        kept = values.dropna()
        return kept, [f"dropped {len(values) - len(kept)} rows with missing values at the start or end"]
    filled = values.interpolate(method="time", limit_area="inside")
    kept = filled.dropna()
    notes = [f"interpolated {int(gaps.to_numpy().sum() - filled.isna().to_numpy().sum())} missing values"]
    if len(kept) < len(values):
        notes.append(f"dropped {len(values) - len(kept)} rows at the ends that could not be interpolated")
    return kept, notes
