"""Reading analysts' files: CSV (any common dialect) and Excel, into a validated `Dataset` and its `Reading`.

The steps, each in its own module: bytes to text and a table (`dialect`), the date column and its format
(`dates`), numbers in the file's convention (`numbers`), then the calendar: a frequency that fits the whole file,
or a known calendar with gaps that the analyst chooses to fill or aggregate (`calendar`), missing values, and an
optional aggregation to a lower frequency and date range.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from varlib.data import calendar, dates, dialect, numbers
from varlib.data.calendar import AGGREGATIONS, GAP_POLICIES, TARGET_FREQUENCIES, describe_frequency, period_label
from varlib.data.dataset import STORED_DATE_COLUMN, Dataset, Reading, VariableReading
from varlib.data.dates import DATE_ORDERS
from varlib.data.wording import quoted_names
from varlib.errors import InvalidInput

MISSING_POLICIES = ("error", "drop", "interpolate")
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_CSV_BYTES = MAX_FILE_BYTES
MAX_UNPACKED_EXCEL_BYTES = 400 * 1024 * 1024
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_SHOWN_GAPS = 5


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file. None means: detect it from the file (and say what was detected)."""

    date_column: str | None = None
    date_order: str | None = None  # 'day-first' or 'month-first', for dates such as 01/02/2018
    date_format: str | None = None  # strftime codes, e.g. '%d.%m.%Y'
    delimiter: str | None = None  # ',', ';', '\t' or '|'
    decimal: str | None = None  # '.' or ','
    thousands: str | None = None
    encoding: str | None = None
    sheet: str | None = None  # an Excel workbook's sheet (default: the first)
    missing: str = "error"  # 'error', 'drop' (at the start or end only) or 'interpolate'
    gaps: str = "error"  # dates absent from a calendar: 'error', 'carry-forward' or 'interpolate'
    aggregate: str | None = None  # 'monthly', 'quarterly' or 'yearly'
    aggregate_by: str = "mean"  # 'mean', 'last' or 'sum'
    start: str | None = None  # keep rows from this date (ISO date or period label) ...
    end: str | None = None  # ... to this one

    def checked(self) -> ReadOptions:
        if self.missing not in MISSING_POLICIES:
            raise InvalidInput(f"Unknown missing-value policy {self.missing!r}: use one of "
                               f"{', '.join(MISSING_POLICIES)}.")  # fmt: skip
        if self.date_order not in (None, *DATE_ORDERS):
            raise InvalidInput(f"Unknown date order {self.date_order!r}: use {' or '.join(DATE_ORDERS)}.")
        if self.gaps not in GAP_POLICIES:
            raise InvalidInput(f"Unknown gap policy {self.gaps!r}: use one of {', '.join(GAP_POLICIES)}.")
        if self.aggregate not in (None, *TARGET_FREQUENCIES):
            raise InvalidInput(f"Unknown frequency {self.aggregate!r} to aggregate to: use one of "
                               f"{', '.join(TARGET_FREQUENCIES)}.")  # fmt: skip
        if self.aggregate_by not in AGGREGATIONS:
            raise InvalidInput(f"Unknown aggregation {self.aggregate_by!r}: use one of {', '.join(AGGREGATIONS)}.")
        named = dialect.DELIMITER_NAMES.get(self.delimiter or "", self.delimiter)
        if named is not None and named not in dialect.DELIMITERS:
            raise InvalidInput(f"Unknown separator {self.delimiter!r}: use comma, semicolon, tab or pipe in "
                               "{input:delimiter}.")  # fmt: skip
        return replace(self, delimiter=named)


def read_csv(
    source: str | Path | bytes | BinaryIO,
    *,
    date_column: str | None = None,
    columns: list[str] | None = None,
    missing: str = "error",
    name: str | None = None,
    date_order: str | None = None,
    options: ReadOptions | None = None,
) -> Dataset:
    """Read and validate a CSV: one date column (or year and quarter columns) plus numeric columns.

    `columns` limits validation and the result to those variables. The keyword options are shorthands for
    `ReadOptions` fields (`options` wins where both are given). Every problem raises `InvalidInput` naming the
    file, column and line, and what was detected when that matters.
    """
    options = options or ReadOptions(date_column=date_column, missing=missing, date_order=date_order)
    label, raw = _read_bytes(source, name, "CSV")
    return _finish(*_csv_table(raw, label, options.checked()), source, name, columns, "CSV")


def read_excel(
    source: str | Path | bytes | BinaryIO, *, columns: list[str] | None = None, name: str | None = None,
    options: ReadOptions | None = None,
) -> Dataset:  # fmt: skip
    """Read and validate a sheet of an Excel workbook (.xlsx), by the same rules as a CSV."""
    options = (options or ReadOptions()).checked()
    label, raw = _read_bytes(source, name, "Excel")
    return _finish(*_excel_table(raw, label, options), source, name, columns, "Excel")


def read_file(
    source: str | Path | bytes | BinaryIO, *, columns: list[str] | None = None, name: str | None = None,
    options: ReadOptions | None = None,
) -> Dataset:  # fmt: skip
    """A CSV or an Excel workbook, told apart by the file name's suffix (.xlsx) or the bytes (a zip)."""
    if _is_excel(source, name):
        return read_excel(source, columns=columns, name=name, options=options)
    return read_csv(source, columns=columns, name=name, options=options)


def inspect_file(
    source: str | Path | bytes | BinaryIO, *, name: str | None = None, options: ReadOptions | None = None
) -> Reading:
    """What reading the file would give: its `Reading`, with gaps and missing values that need a choice listed in
    `problems` instead of refused. A file that cannot be read at all still raises `InvalidInput`."""
    options = (options or ReadOptions()).checked()
    kind = "Excel" if _is_excel(source, name) else "CSV"
    label, raw = _read_bytes(source, name, kind)
    table, context = _excel_table(raw, label, options) if kind == "Excel" else _csv_table(raw, label, options)
    return _build(table, context, None, kind, inspect=True)[1]


def _is_excel(source: object, name: str | None) -> bool:
    given = name or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", None)) or ""
    if given.lower().endswith(EXCEL_SUFFIXES):
        return True
    if given.lower().endswith(".xls"):
        raise InvalidInput(f"{given}: old Excel files (.xls) are not read; save the sheet as .xlsx or CSV.")
    return isinstance(source, bytes) and not given and source[:4] == b"PK\x03\x04"


@dataclass
class _Context:
    label: str
    options: ReadOptions
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    typed_numbers: bool = False  # Excel cells hold numbers, not text in a convention
    notes: list[str] = field(default_factory=list)


def _csv_table(raw: bytes, label: str, options: ReadOptions) -> tuple[pd.DataFrame, _Context]:
    if not raw.strip():
        raise InvalidInput(f"{label}: the file is empty.")
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"{label}: file is larger than the {MAX_FILE_BYTES} bytes allowed.")
    decoded = dialect.decode(raw, label, options.encoding)
    if not decoded.text.strip():
        raise InvalidInput(f"{label}: the file is empty.")
    layout = dialect.detect_layout(decoded.text, options.delimiter)
    delimiter = layout.delimiter
    table = dialect.parse_table(decoded.text, label, layout)
    if len(table.columns) == 1:
        others = [d for d in dialect.DELIMITERS if d != delimiter and d in table.columns[0]]
        if others:
            raise InvalidInput(
                f"{label}: the header {table.columns[0]!r} is one column when separated by "
                f"{dialect.separator_name(delimiter)}; choose {dialect.separator_name(others[0])} in "
                "{input:delimiter}."
            )
    context = _Context(label, options, encoding=decoded.encoding, delimiter=delimiter)
    if layout.header_line:
        context.notes.append(f"the header is on line {layout.header_line + 1}; the {layout.header_line} lines above it "
                             "were skipped")  # fmt: skip
    return table, context


def _columns(names: list[str], shown: int = 5) -> str:
    """'column 'a'', 'columns 'a' and 'b'', or the first few and how many more (notes are stored: keep them short)."""
    return f"{'column' if len(names) == 1 else 'columns'} {quoted_names(names, shown)}"


def _excel_table(raw: bytes, label: str, options: ReadOptions) -> tuple[pd.DataFrame, _Context]:
    if not raw:
        raise InvalidInput(f"{label}: the file is empty.")
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"{label}: file is larger than the {MAX_FILE_BYTES} bytes allowed.")
    try:
        # A workbook is a zip: bound what it unpacks to before openpyxl reads it (a zip bomb is a few kB).
        unpacked = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidInput(f"{label}: not an Excel workbook (.xlsx) ({_first_line(exc)}).") from None
    if unpacked > MAX_UNPACKED_EXCEL_BYTES:
        raise InvalidInput(f"{label}: the workbook unpacks to {unpacked} bytes, more than the "
                           f"{MAX_UNPACKED_EXCEL_BYTES} allowed; save the sheet as CSV.")  # fmt: skip
    try:
        workbook = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput(f"{label}: not an Excel workbook (.xlsx) ({_first_line(exc)}).") from None
    sheets = [str(s) for s in workbook.sheet_names]
    sheet = options.sheet if options.sheet is not None else (sheets[0] if sheets else None)
    if sheet not in sheets:
        raise InvalidInput(f"{label}: no sheet {sheet!r} (sheets: {quoted_names(sheets)}); check "
                           "{input:sheet}.")  # fmt: skip
    try:
        cells = pd.read_excel(workbook, sheet_name=sheet, header=None, dtype=object)
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as exc:
        raise InvalidInput(f"{label}: sheet {sheet!r} cannot be read ({_first_line(exc)}).") from None
    cells = cells.dropna(how="all").dropna(axis=1, how="all")
    if cells.empty:
        raise InvalidInput(f"{label}: sheet {sheet!r} is empty.")
    # The header: the first row with two or more cells and at least as many as the rows below have (titles and
    # notes above a table fill one cell each).
    filled = cells.notna().sum(axis=1).to_numpy()
    below = [int(np.median(filled[i + 1 :])) if i + 1 < len(filled) else 0 for i in range(len(filled))]
    header = next((i for i in range(min(len(filled), 40)) if filled[i] >= 2 and filled[i] >= below[i]), 0)
    text = cells.map(_cell_text)
    table = pd.DataFrame(text.iloc[header + 1 :].to_numpy(), columns=list(text.iloc[header]),
                         index=pd.Index(cells.index[header + 1 :] + 1))  # each row's number in the sheet  # fmt: skip
    name = f"{label} sheet {sheet!r}" if len(sheets) > 1 else label
    table = dialect.checked_header(table, name)
    context = _Context(name, options, sheet=sheet, typed_numbers=True)
    if header:
        context.notes.append(f"the header is on row {cells.index[header] + 1} of sheet {sheet!r}; the rows above it "
                             "were skipped")  # fmt: skip
    return table, context


def _cell_text(value: object) -> str:
    """An Excel cell as the text a CSV would hold: dates in ISO form, numbers exactly."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_bytes(source: str | Path | bytes | BinaryIO, name: str | None, kind: str) -> tuple[str, bytes]:
    if isinstance(source, bytes):
        return f"{kind} {name}" if name else kind, source
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = f"{kind} {name or path}"
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise InvalidInput(f"{label}: file is {size} bytes, more than the {MAX_FILE_BYTES} allowed.")
            return label, path.read_bytes()
        except FileNotFoundError:
            raise InvalidInput(f"{label}: file not found.") from None
        except IsADirectoryError:
            raise InvalidInput(f"{label}: is a directory, not a file.") from None
        except PermissionError:
            raise InvalidInput(f"{label}: permission denied reading the file.") from None
    label = f"{kind} {name or getattr(source, 'name', '')}".rstrip()
    return label, source.read(MAX_FILE_BYTES + 1)


def _finish(
    table: pd.DataFrame, context: _Context, source: object, name: str | None, columns: list[str] | None, kind: str
) -> Dataset:
    dataset, _ = _build(table, context, columns, kind, inspect=False)
    given = name or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", None))
    dataset.stored_source = f"{kind} {_file_name(str(given))}" if given else None
    return dataset


def _file_name(given: str) -> str:
    """The last component of a path, whichever the separator (a browser may send C:\\Users\\ana\\x.csv)."""
    return given.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _build(
    table: pd.DataFrame, context: _Context, columns: list[str] | None, kind: str, inspect: bool
) -> tuple[Dataset | None, Reading]:
    label, options = context.label, context.options
    combined = dates.combine_period_columns(table, label) if options.date_column is None else None
    if combined is not None:  # separate year and quarter (or month) columns, as statistical offices publish
        table, date_col, index, date_words, notes = combined
    else:
        date_col = dates.find_date_column(table, options.date_column, label)
        index, date_words, notes = dates.parse_dates(table[date_col], date_col, label, options.date_order,
                                                     options.date_format)  # fmt: skip
    notes = context.notes + notes
    value_columns = [c for c in table.columns if c != date_col]
    if STORED_DATE_COLUMN in value_columns and (columns is None or STORED_DATE_COLUMN in columns):
        raise InvalidInput(
            f"{label}: a value column is named {STORED_DATE_COLUMN!r}, the name varlib gives the dates when it "
            f"stores them ({date_col!r} holds the dates here); rename that column."
        )
    if columns is not None:
        unknown = [c for c in columns if c not in value_columns]
        if unknown:
            raise InvalidInput(f"{label}: no column {unknown[0]!r} (columns: {quoted_names(value_columns)}).")
        value_columns = list(columns)
    else:
        # Identifier and label columns (a series id, a unit, a country) hold no number at all: left out, and said.
        # A column with some numbers and some text is refused at its first text cell instead.
        text_only = [c for c in value_columns if numbers.holds_no_number(table[c])]
        if text_only and len(text_only) < len(value_columns):
            value_columns = [c for c in value_columns if c not in text_only]
            notes.append(f"left out {_columns(text_only)}, which hold{'s' if len(text_only) == 1 else ''} "
                         "text, not numbers")  # fmt: skip
    if not value_columns:
        raise InvalidInput(f"{label}: no numeric columns besides the date column {date_col!r}.")

    cells = {col: table[col] for col in value_columns}
    if context.typed_numbers and options.decimal is None:
        number_format = numbers.NumberFormat(".", options.thousands)
    else:
        number_format = numbers.detect_number_format(cells, label, context.delimiter, options.decimal,
                                                     options.thousands)  # fmt: skip
    read_with = _dialect_words(context, number_format)
    if number_format.assumed:
        notes.append(number_format.assumed)
    values = pd.DataFrame(
        {col: numbers.parse_numbers(cells[col], col, label, number_format, read_with) for col in value_columns},
        index=pd.DatetimeIndex(index, name="date"),
    )
    file_lines = table.index.to_numpy()
    _check_dates_ordered(values.index, date_col, label, file_lines)
    lines = pd.Series(file_lines, index=values.index)  # each date's line in the file
    values, range_notes = _date_range(values, options, label)
    notes += range_notes
    missing_cells = {col: int(values[col].isna().sum()) for col in value_columns}

    problems: list[str] = []
    freq = calendar.infer_freq(values.index)
    gaps = pd.DatetimeIndex([])
    if len(values.index) < 3:
        raise InvalidInput(f"{label}: only {len(values.index)} rows; a time series needs many more.")
    if freq is None:
        found = calendar.calendar_with_gaps(values.index)
        if found is None:
            _raise_irregular(values.index, date_col, label, lines.to_numpy())
        freq, gaps = found
        if options.gaps != "error":
            values = calendar.fill_gaps(values, freq, options.gaps)
            verb = "carried forward" if options.gaps == "carry-forward" else "interpolated"
            notes.append(f"filled {len(gaps)} missing {describe_frequency(freq)} ({verb}), the first "
                         f"{period_label(gaps[0], freq)}")  # fmt: skip
        elif options.aggregate is None:
            problem = _gap_message(values.index, gaps, freq, date_col, label, lines.to_numpy())
            if not inspect:
                raise InvalidInput(problem)
            problems.append(problem)
    source_freq = freq
    if options.aggregate is not None:
        if calendar.offset_length(TARGET_FREQUENCIES[options.aggregate]) <= calendar.offset_length(freq):
            raise InvalidInput(f"{label}: the data are {describe_frequency(freq)}, so they cannot be aggregated to "
                               f"{options.aggregate}; choose a lower frequency in {{input:aggregate}}.")  # fmt: skip
        values, freq, aggregate_notes = calendar.aggregate(values, freq, options.aggregate, options.aggregate_by)
        if len(gaps) and options.gaps == "error":
            aggregate_notes.append(f"{len(gaps)} missing {describe_frequency(source_freq)} left out of the aggregates")
        notes += aggregate_notes
        if len(values) < 3:
            raise InvalidInput(f"{label}: only {len(values)} {options.aggregate} periods after aggregating; a time "
                               "series needs many more.")  # fmt: skip
    try:
        values, missing_notes = _handle_missing(values, options.missing, label, None if options.aggregate else lines)
    except InvalidInput as exc:
        if not inspect:
            raise
        problems.append(exc.template)
        missing_notes = []
    notes += missing_notes
    if len(values) == 0:
        raise InvalidInput(f"{label}: no rows left after dropping rows with missing values.")
    values.index.freq = freq if calendar.is_regular(values.index, freq) else None

    reading = Reading(
        source=label, file_format=kind, date_column=date_col, date_format=date_words, frequency=freq,
        frequency_words=describe_frequency(freq), rows=len(values),
        first=period_label(values.index[0], freq), last=period_label(values.index[-1], freq),
        variables=[VariableReading(col, missing_cells[col]) for col in value_columns],
        encoding=context.encoding, delimiter=context.delimiter, decimal=number_format.decimal,
        thousands=number_format.thousands, sheet=context.sheet, gaps=len(gaps),
        first_gaps=[period_label(g, freq if not options.aggregate else None) for g in gaps[:_SHOWN_GAPS]],
        notes=list(notes), problems=problems,
    )  # fmt: skip
    if inspect:
        return None, reading
    return Dataset(frame=values, freq=freq, source=label, notes=notes, reading=reading), reading


def _dialect_words(context: _Context, number_format: numbers.NumberFormat) -> str:
    if context.delimiter is None:
        return number_format.words()
    return f"{dialect.separator_name(context.delimiter)} as the separator, {number_format.words()}"


def _date_range(values: pd.DataFrame, options: ReadOptions, label: str) -> tuple[pd.DataFrame, list[str]]:
    if options.start is None and options.end is None:
        return values, []
    start = dates.parse_bound(options.start, "start") if options.start else None
    end = dates.parse_bound(options.end, "end") if options.end else None
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"The start date {options.start!r} comes after the end date {options.end!r}; check "
                           "{input:start} and {input:end}.")  # fmt: skip
    kept = values.loc[start:end]
    if len(kept) == 0:
        raise InvalidInput(f"{label}: no rows from {options.start or 'the start'} to {options.end or 'the end'} (the "
                           f"data run from {values.index[0].date()} to {values.index[-1].date()}); check "
                           "{input:start} and {input:end}.")  # fmt: skip
    dropped = len(values) - len(kept)
    span = " and ".join(part for part in (f"from {options.start}" if options.start else "",
                                          f"to {options.end}" if options.end else "") if part)  # fmt: skip
    return kept, [f"kept the {len(kept)} rows {span} ({dropped} left out)"]


def _gap_message(
    index: pd.DatetimeIndex, gaps: pd.DatetimeIndex, freq: str, col: str, label: str, lines: np.ndarray
) -> str:
    first = gaps[0]
    before = int(np.searchsorted(index.asi8, first.value))  # rows before the first absent date
    words = describe_frequency(freq)
    return (
        f"{label}: the dates in column {col!r} are {words}, with {len(gaps)} missing from the calendar, the first "
        f"{period_label(first, freq)} (between lines {lines[before - 1]} and {lines[before]}); choose "
        "{input:gaps}, or {input:aggregate}."
    )


def _raise_irregular(index: pd.DatetimeIndex, col: str, label: str, lines: np.ndarray) -> None:
    start_freq = calendar.infer_freq(index[:3])
    if start_freq is not None:
        expected = pd.date_range(index[0], periods=len(index), freq=start_freq)
        row = int(np.flatnonzero(expected != index)[0])
        raise InvalidInput(
            f"{label}: dates in column {col!r} are not evenly spaced: line {lines[row]} has "
            f"{index[row].date()} where {expected[row].date()} was expected ({describe_frequency(start_freq)}, as "
            f"the first rows are)."
        )
    raise InvalidInput(f"{label}: dates in column {col!r} are not evenly spaced (no frequency found).")


def _check_dates_ordered(index: pd.DatetimeIndex, col: str, label: str, lines: np.ndarray) -> None:
    steps = np.diff(index.asi8)
    problems = np.flatnonzero(steps <= 0)  # vectorised: a Python loop over a million rows takes seconds
    if not len(problems):
        return
    row = int(problems[0]) + 1
    if index[row] == index[row - 1]:
        raise InvalidInput(
            f"{label}: duplicate date {index[row].date()} in column {col!r}, lines {lines[row - 1]} and {lines[row]}."
        )
    raise InvalidInput(
        f"{label}: dates in column {col!r} are not in increasing order: "
        f"{index[row].date()} on line {lines[row]} comes after {index[row - 1].date()}."
    )


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _handle_missing(
    values: pd.DataFrame, missing: str, label: str, lines: pd.Series | None
) -> tuple[pd.DataFrame, list[str]]:
    """`lines` gives each date's line in the file (None after aggregating: the rows are not the file's)."""
    gaps = values.isna()
    if not gaps.to_numpy().any():
        return values, []
    incomplete = gaps.any(axis=1).to_numpy()
    complete = np.flatnonzero(~incomplete)
    inside = np.flatnonzero(incomplete[complete[0] : complete[-1] + 1]) + complete[0] if len(complete) else []

    def line(row: int) -> str:
        found = lines.get(values.index[row]) if lines is not None else None
        return f"line {found}" if found is not None else "after aggregating"

    if missing == "error":
        col = next(c for c in values.columns if gaps[c].any())
        row = int(np.flatnonzero(gaps[col].to_numpy())[0])
        # Drop removes rows at the start or end only: offer it only where it would help.
        choice = "{input:missing_interpolate}" if len(inside) else "{input:missing}"
        raise InvalidInput(
            f"{label}: missing value in column {col!r}, {line(row)} "
            f"({period_label(values.index[row], None)}); choose {choice} to proceed."
        )
    if missing == "drop":
        if len(inside):
            # A dropped row inside the data would make its neighbours look adjacent: the VAR would be fitted on a
            # series that skips a period while its dates say it does not.
            row = int(inside[0])
            raise InvalidInput(
                f"{label}: dropping the row of {values.index[row].date()} ({line(row)}), which has a missing value, "
                f"would leave a gap inside the data ({len(inside)} such {_rows(len(inside))}); choose "
                "{input:missing_interpolate} or fill the gap in the file (rows missing at the start or end can be "
                "dropped)."
            )
        kept = values.dropna()
        return kept, [f"dropped {len(values) - len(kept)} rows with missing values at the start or end"]
    filled = values.interpolate(method="time", limit_area="inside")
    kept = filled.dropna()
    notes = [f"interpolated {int(gaps.to_numpy().sum() - filled.isna().to_numpy().sum())} missing values"]
    if len(kept) < len(values):
        notes.append(f"dropped {len(values) - len(kept)} rows at the ends that could not be interpolated")
    return kept, notes
