"""Dates as files write them: ISO dates, day-first and month-first dates, period labels (1979Q1, 1979M01,
1979-01, 1979), separate year and quarter (or month) columns, and a format given by the analyst.

Each reader returns the dates and, in words, how they were read (for the `Reading`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from varlib.data.calendar import infer_freq
from varlib.data.numbers import looks_numeric
from varlib.data.wording import quoted_names
from varlib.errors import InvalidInput

DATE_ORDERS = ("day-first", "month-first")
DATE_COLUMN_HINTS = ("date", "dates", "time", "period", "time_period", "quarter", "month", "year", "timestamp",
                     "datetime", "obs", "observation", "observation_date", "week", "day")  # fmt: skip
EARLIEST_DATE = pd.Timestamp("1700-01-01")
LATEST_DATE = pd.Timestamp("2199-12-31")  # pandas' timestamps end in 2262: leave room for long forecasts

_TIME_ZONE = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})$")  # no look-behind: pyarrow's regex engine runs it in C
# a zone follows a time of day: in "Jan-1-1995", "-1995" is a year, not an offset
# A space, not \s: pandas runs a pattern with \s in Python, cell by cell (2 s for a million dates), not in pyarrow.
_ZONED = r"\d:\d\d(?::\d\d(?:\.\d+)?)? ?(?:[Zz]|[+-]\d{2}:?\d{2})$"
_DETECTION_SAMPLE = 50  # cells tried per column when looking for the date column
# Period labels as statistical offices and EViews write them; pandas is dropping them from to_datetime.
_QUARTER_LABEL = re.compile(r"^(\d{4})\s*[-:]?\s*[Qq]([1-4])$|^[Qq]([1-4])\s*[-/ ]\s*(\d{4})$")
_MONTH_LABEL = re.compile(r"^(\d{4})\s*[-:]?\s*[Mm](0[1-9]|1[0-2]|[1-9])$")
_YEAR = re.compile(r"^\d{4}$")
# 01/02/2018, 1.2.2018, 01-02-2018: day and month in an order the text alone does not tell.
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _line(values: pd.Series | pd.DataFrame, row: int) -> int:
    """The file line of row `row` (0-based) of a column: tables are indexed by their rows' lines."""
    return int(values.index[row])


def find_date_column(table: pd.DataFrame, date_column: str | None, label: str) -> str:
    if date_column is not None:
        if date_column not in table.columns:
            raise InvalidInput(f"{label}: no date column {date_column!r} (columns: {quoted_names(table.columns)}); "
                               "check {input:date_column}.")  # fmt: skip
        return date_column
    named = [c for c in table.columns if c.lower() in DATE_COLUMN_HINTS]
    candidates = named + [c for c in table.columns if c not in named]
    for col in candidates:
        # A sample first: parsing every cell of every column of a large file as dates costs minutes.
        sample = table[col].iloc[:_DETECTION_SAMPLE]
        if col in named and _is_years(sample):
            return col  # a column named year (or date) of four-digit years: yearly data
        if looks_numeric(sample):
            continue  # plain numbers such as 1.5 or 2001 (or 1,5) parse as dates too; they are values
        parsed, out_of_range, _, _ = _to_datetime(sample)
        if not (parsed.notna().to_numpy() | out_of_range).all():
            continue
        parsed, out_of_range, _, _ = _to_datetime(table[col])
        if (parsed.notna().to_numpy() | out_of_range).all():  # and, by the sample, not all numbers
            return col
    if named:
        return named[0]  # its bad cells get a precise message from parse_dates
    raise InvalidInput(
        f"{label}: found no date column (columns: {quoted_names(table.columns)}); "
        "give its name in {input:date_column}."
    )


def _is_years(values: pd.Series) -> bool:
    text = values.str.strip()
    if not len(text) or not text.str.match(_YEAR).all():
        return False
    years = text.astype(int)
    return bool(years.between(EARLIEST_DATE.year, LATEST_DATE.year).all())


_YEAR_NAMES = ("year", "yr")
_PERIOD_NAMES = {"quarter": 4, "qtr": 4, "q": 4, "month": 12, "mon": 12, "m": 12}


def combine_period_columns(
    table: pd.DataFrame, label: str
) -> tuple[pd.DataFrame, str, pd.DatetimeIndex, str, list[str]] | None:
    """Dates from a `year` column and a `quarter` (1-4, or Q1-Q4) or `month` (1-12) column, or a `period` column of
    Q01-Q04 or M01-M12 as the US Bureau of Labor Statistics writes them; None if there are none."""
    lower = {c.strip().lower(): c for c in table.columns}
    year_col = next((lower[n] for n in _YEAR_NAMES if n in lower), None)
    period_col = next((lower[n] for n in _PERIOD_NAMES if n in lower), None)
    periods = _PERIOD_NAMES[period_col.strip().lower()] if period_col else None
    if year_col is not None and period_col is None and "period" in lower:
        codes = table[lower["period"]].str.strip().str.upper()
        if codes.str.match(r"^[QM]\d{1,2}$").all() and codes.str[0].nunique() == 1:
            period_col, periods = lower["period"], 4 if codes.iloc[0].startswith("Q") else 12
    elif any(name in lower for name in ("date", "time", "timestamp", "period")):
        return None  # a file with its own date column keeps it; year and month are then just columns
    if year_col is None or period_col is None:
        return None
    kind = "quarter" if periods == 4 else "month"
    years = pd.to_numeric(table[year_col].str.strip(), errors="coerce")
    numbers = pd.to_numeric(table[period_col].str.strip().str.upper().str.removeprefix("Q").str.removeprefix("M"),
                            errors="coerce")  # fmt: skip
    bad_year = np.flatnonzero(~years.between(EARLIEST_DATE.year, LATEST_DATE.year).to_numpy() | (years % 1 != 0))
    if len(bad_year):
        row = int(bad_year[0])
        raise InvalidInput(f"{label}: year {table[year_col].iloc[row]!r} in column {year_col!r}, line "
                           f"{_line(table, row)}, is not a year from {EARLIEST_DATE.year} to "
                           f"{LATEST_DATE.year}.")  # fmt: skip
    bad_period = np.flatnonzero(~numbers.between(1, periods).to_numpy() | (numbers % 1 != 0))
    if len(bad_period):
        row = int(bad_period[0])
        raise InvalidInput(f"{label}: {kind} {table[period_col].iloc[row]!r} in column {period_col!r}, line "
                           f"{_line(table, row)}, is not a {kind} from 1 to {periods}.")  # fmt: skip
    months = numbers.astype(int) * 3 - 2 if periods == 4 else numbers.astype(int)
    dates = pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": years.astype(int), "month": months, "day": 1})))
    name = f"{year_col}+{period_col}"
    rest = table.drop(columns=[year_col, period_col])
    note = f"dates combined from the {year_col!r} and {period_col!r} columns"
    return rest, name, dates, f"year and {kind} columns ({year_col!r}, {period_col!r})", [note]


def _labels_to_iso(text: pd.Series) -> tuple[pd.Series, str | None]:
    """Period labels written as ISO dates (their first day), and what kind of labels they were."""
    normalised = text.copy()
    kinds = []
    if len(text) and _COLON_LABEL.match(text.iloc[0]) and text.str.match(_COLON_LABEL.pattern).all():
        return _colon_labels(text)
    # Cheap test first: extracting from a million ISO timestamps costs seconds.
    if not len(text) or not text.str.contains(r"[QqMm]", regex=True).any():
        return normalised, None
    quarter = text.str.extract(_QUARTER_LABEL)
    is_quarter = quarter[0].notna().to_numpy() | quarter[2].notna().to_numpy()
    if is_quarter.any():
        year = quarter[0].fillna(quarter[3])[is_quarter]
        number = quarter[1].fillna(quarter[2])[is_quarter]
        normalised[is_quarter] = [f"{y}-{3 * int(q) - 2:02d}-01" for y, q in zip(year, number, strict=True)]
        kinds.append("quarter labels (YYYYQn)")
    month = text.str.extract(_MONTH_LABEL)
    is_month = month[0].notna().to_numpy()
    if is_month.any():
        normalised[is_month] = [f"{y}-{int(m):02d}-01" for y, m in month[is_month].itertuples(index=False)]
        kinds.append("month labels (YYYYMmm)")
    return normalised, kinds[0] if len(kinds) == 1 and (is_quarter | is_month).all() else None


_COLON_LABEL = re.compile(r"^(\d{4}):(\d{1,2})$")


def _colon_labels(text: pd.Series) -> tuple[pd.Series, str | None]:
    """1960:1 (EViews, JMulTi, RATS): quarters when the periods wrap after 4, months when they reach 5 to 12. Too few
    rows to tell (four or fewer, all at most 4) are left unread, and so refused as dates."""
    parts = text.str.extract(_COLON_LABEL)
    periods = parts[1].astype(int)
    if periods.max() > 12 or periods.min() < 1 or (periods.max() <= 4 and len(text) <= 4):
        return text, None
    quarterly = periods.max() <= 4
    months = periods * 3 - 2 if quarterly else periods
    iso = parts[0] + "-" + months.map("{:02d}".format) + "-01"
    return iso, "quarter labels (YYYY:q)" if quarterly else "month labels (YYYY:mm)"


def _to_datetime(values: pd.Series) -> tuple[pd.Series, np.ndarray, str | None, str]:
    """Parsed dates (NaT where unreadable), a mask of dates outside EARLIEST_DATE..LATEST_DATE, a note, and how
    the dates were written, in words.

    Dates with a time zone become plain dates: calendar dates (all at local midnight) keep their date; times of
    day are converted to UTC. The note says which, or is None when there was no time zone.
    """
    text = values.str.strip()
    normalised, label_kind = _labels_to_iso(text)
    zoned = normalised.str.contains(_ZONED, na=False, regex=True).to_numpy()
    note = None
    if zoned.any():
        unzoned = normalised.where(~zoned, normalised.str.replace(_TIME_ZONE.pattern, "", regex=True))
        wall_clock = _parse_mixed(unzoned)
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
    if label_kind is None:  # words for the Reading: a sample tells
        sample = text.iloc[:_DETECTION_SAMPLE]
        if sample.str.match(_ISO_DATE).all():
            label_kind = "ISO dates (YYYY-MM-DD)"
        elif sample.str.match(r"^\d{4}-\d{2}$").all():
            label_kind = "year and month (YYYY-MM)"
        elif sample.str.match(_YEAR).all():
            label_kind = "years (YYYY)"
        else:
            label_kind = f"dates as written (e.g. {text.iloc[0]!r})" if len(text) else "dates"
    return parsed.astype("datetime64[ns]"), out_of_range, note, label_kind


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


def _numeric_dates(values: pd.Series, col: str, label: str, date_order: str | None) -> tuple[pd.Series, str] | None:
    """Dates written D/M/Y or M/D/Y, read in the order that fits the whole column; None for other dates.

    With no order given, a reading must parse every cell and give evenly spaced dates; when only one reading
    does, it is used (and said); when both do (01/01/2018 ... 01/12/2018 is monthly day-first and daily
    month-first), the file is refused, naming both readings: guessing would give wrong data without an error.
    """
    if len(values) == 0 or not _NUMERIC_DATE.match(values.iloc[0].strip()):
        return None
    parts = values.str.strip().str.extract(_NUMERIC_DATE)
    if parts[0].isna().any():
        return None
    first, second, year = (parts[i].astype(int) for i in (0, 2, 3))
    readings = {
        "day-first": pd.to_datetime(pd.DataFrame({"year": year, "month": second, "day": first}), errors="coerce"),
        "month-first": pd.to_datetime(pd.DataFrame({"year": year, "month": first, "day": second}), errors="coerce"),
    }
    if date_order is not None:
        return readings[date_order], f"dates read {date_order} as asked"

    def regular(parsed: pd.Series) -> bool:
        from varlib.data.calendar import calendar_with_gaps

        index = pd.DatetimeIndex(parsed)
        return bool(parsed.notna().all() and index.is_monotonic_increasing and index.is_unique and len(index) >= 3
                    and (infer_freq(index) is not None or calendar_with_gaps(index) is not None))  # fmt: skip

    fits = [order for order, parsed in readings.items() if regular(parsed)]
    if len(fits) == 2:
        example = values.iloc[1 if len(values) > 1 else 0].strip()
        row = 1 if len(values) > 1 else 0
        day_first, month_first = (readings[o].iloc[row].date() for o in DATE_ORDERS)
        raise InvalidInput(
            f"{label}: the dates in column {col!r} read evenly spaced both day-first ({example!r} on line "
            f"{_line(values, row)} as {day_first}) and month-first (as {month_first}); choose {{input:date_order}}."
        )
    if len(fits) == 1:
        return readings[fits[0]], f"dates read {fits[0]} ({_pattern(fits[0], values)})"
    # Neither reading is evenly spaced: take the one that reads every cell (its spacing is reported later).
    complete = [order for order, parsed in readings.items() if parsed.notna().all()]
    if len(complete) == 1:
        return readings[complete[0]], f"dates read {complete[0]}"
    return None


def _pattern(order: str, values: pd.Series) -> str:
    """DD/MM/YYYY, MM.DD.YYYY...: the order in the file's own separator."""
    separator = _NUMERIC_DATE.match(values.iloc[0].strip()).group(2)
    return separator.join(["DD", "MM", "YYYY"] if order == "day-first" else ["MM", "DD", "YYYY"])


def _refuse_unread(parsed: pd.Series, values: pd.Series, col: str, label: str, reading: str, option: str) -> None:
    """The first cell the reading asked for could not read, named with the option to check."""
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise InvalidInput(f"{label}: cannot read {values.iloc[row]!r} as a {reading} in column {col!r}, line "
                           f"{_line(values, row)}; check {{input:{option}}}.")  # fmt: skip


def _check_range(parsed: pd.Series, values: pd.Series, col: str, label: str) -> None:
    years = parsed.dt.year.to_numpy(dtype=float, na_value=np.nan)
    outside = (years < EARLIEST_DATE.year) | (years > LATEST_DATE.year)
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise InvalidInput(
            f"{label}: date {values.iloc[row]!r} in column {col!r}, line {_line(values, row)}, is outside the "
            f"supported range {EARLIEST_DATE.date()} to {LATEST_DATE.date()}."
        )


def parse_dates(
    values: pd.Series, col: str, label: str, date_order: str | None = None, date_format: str | None = None
) -> tuple[pd.DatetimeIndex, str, list[str]]:
    """The dates of column `col`, how they were written (in words), and notes."""
    if date_format is not None:
        try:
            parsed = pd.to_datetime(values.str.strip(), format=date_format, errors="coerce")
        except ValueError:
            raise InvalidInput(f"Cannot use the date format {date_format!r}: write it with strftime codes such as "
                               "%d.%m.%Y in {input:date_format}.") from None  # fmt: skip
        _refuse_unread(parsed, values, col, label, f"date in the format {date_format!r}", "date_format")
        _check_range(parsed, values, col, label)
        return pd.DatetimeIndex(parsed.astype("datetime64[ns]")), f"the format {date_format!r}", []
    numeric = _numeric_dates(values, col, label, date_order)
    if numeric is not None:
        parsed, note = numeric
        _refuse_unread(parsed, values, col, label, f"{date_order} date", "date_order")
        _check_range(parsed, values, col, label)
        order = "day-first" if "day-first" in note else "month-first"
        words = f"{order.replace('-', ' ')} ({_pattern(order, values)})"
        return pd.DatetimeIndex(parsed.astype("datetime64[ns]")), words, [note]
    parsed, out_of_range, note, kind = _to_datetime(values)
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        raise InvalidInput(
            f"{label}: date {values.iloc[row]!r} in column {col!r}, line {_line(values, row)}, is outside the "
            f"supported range {EARLIEST_DATE.date()} to {LATEST_DATE.date()}."
        )
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise InvalidInput(f"{label}: cannot read {values.iloc[row]!r} as a date in column {col!r}, line "
                           f"{_line(values, row)}; give its format in {{input:date_format}}.")  # fmt: skip
    return pd.DatetimeIndex(parsed), kind, [note] if note else []


def parse_bound(text: str, which: str) -> pd.Timestamp:
    """A start or end of the date range filter: an ISO date or a period label."""
    normalised, _ = _labels_to_iso(pd.Series([text.strip()]))
    try:
        moment = pd.Timestamp(normalised.iloc[0])
    except (ValueError, TypeError):
        moment = pd.NaT
    if pd.isna(moment) or not EARLIEST_DATE <= moment <= LATEST_DATE:
        raise InvalidInput(f"Cannot read the {which} date {text!r}: write it as 2018-01-01, 2018Q1 or 2018M01 in "
                           f"{{input:{which}}}.")  # fmt: skip
    return moment
