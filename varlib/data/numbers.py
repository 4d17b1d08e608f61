"""Numbers as files write them: a decimal point or comma, thousands separators either way, missing markers.

One file uses one convention; it is read from the cells themselves, and a file whose cells allow two readings
(`1,234` is 1.234 with a decimal comma and 1234 with a thousands comma) is refused unless the separator settles
it, never silently misread."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from varlib.data.dialect import separator_name
from varlib.errors import InvalidInput

DECIMAL_MARKS = (".", ",")
THOUSANDS_SEPARATORS = (",", ".", " ", "\u00a0", "\u202f", "'")
MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", ".", "..", "-", ":", "#N/A", "n.a.")

# Any number in any convention: for telling value columns from date columns, before the convention is known.
_ANY_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:[,. '\u00a0\u202f]\d{3})+)(?:[.,]\d+)?(?:[eE][+-]?\d+)?$")
_BOTH_MARKS = re.compile(r"^[+-]?\d{1,3}(?:([,. '\u00a0\u202f])\d{3})*([.,])\d+$")
_ONE_MARK = re.compile(r"^[+-]?(\d+)([.,])(\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([,. '\u00a0\u202f])\d{3})+$")


@dataclass(frozen=True)
class NumberFormat:
    decimal: str = "."
    thousands: str | None = None
    assumed: str | None = None  # a note when cells such as 1,250 were read by convention, not by evidence

    def words(self) -> str:
        mark = self.thousands or ""
        sep = separator_name(mark) if mark.isspace() else repr(mark)  # a space in words; '.' shown as it is
        return f"decimal mark {self.decimal!r}, " + (f"thousands separator {sep}" if self.thousands
                                                     else "no thousands separator")  # fmt: skip


def looks_numeric(values: pd.Series) -> bool:
    """Whether every cell is a number in some convention (or a missing marker): values, not dates."""
    text = values.str.strip()
    present = text[~text.isin(MISSING_MARKERS)]
    if not len(present):
        return False
    unplain = present[pd.to_numeric(present, errors="coerce").isna().to_numpy()]  # fast in C; regex the rest only
    return bool(unplain.str.match(_ANY_NUMBER).all())


def holds_no_number(values: pd.Series) -> bool:
    """Whether no cell is a number in any convention: an identifier or label column."""
    head = values.iloc[:_EVIDENCE_SAMPLE].str.strip()
    if pd.to_numeric(head, errors="coerce").notna().any():  # a number among the first cells: decided, and cheaply
        return False
    text = values.str.strip()
    present = text[~text.isin(MISSING_MARKERS)]
    if not len(present) or pd.to_numeric(present, errors="coerce").notna().any():  # fast in C for number columns
        return False
    return not present.str.match(_ANY_NUMBER.pattern).any()


@dataclass
class _Evidence:
    decimal: dict[str, tuple[str, str, int]]  # mark -> (cell, column, row) that shows it is the decimal mark
    thousands: dict[str, tuple[str, str, int]]
    ambiguous: dict[str, tuple[str, str, int]]  # mark -> a cell like 1,234 that reads either way


_EVIDENCE_SAMPLE = 5000  # cells per column: enough to tell the convention; a cell that disagrees fails to parse


def _gather(columns: dict[str, pd.Series]) -> _Evidence:
    evidence = _Evidence({}, {}, {})
    for col, values in columns.items():
        text = values.iloc[:_EVIDENCE_SAMPLE].str.strip()
        marked = text.str.contains(r"[.,' \u00a0\u202f]", regex=True).to_numpy()
        for row, cell in zip(np.flatnonzero(marked), text[marked], strict=True):
            found = (cell, col, int(text.index[row]))  # the cell, its column and its line in the file
            if "e" in cell.lower() and "." in cell:
                evidence.decimal.setdefault(".", found)
                continue
            both = _BOTH_MARKS.match(cell)
            if both and both.group(1) and both.group(1) != both.group(2):
                evidence.decimal.setdefault(both.group(2), found)
                evidence.thousands.setdefault(both.group(1), found)
                continue
            grouped = _GROUPED.match(cell)
            if grouped and (cell.count(grouped.group(1)) > 1 or grouped.group(1) in " '\u00a0\u202f"):
                evidence.thousands.setdefault(grouped.group(1), found)
                continue
            one = _ONE_MARK.match(cell)
            if one:
                whole, mark, fraction = one.groups()
                if len(fraction) != 3 or whole.lstrip("+-") == "0" or len(whole.lstrip("+-")) > 3:
                    evidence.decimal.setdefault(mark, found)
                else:
                    evidence.ambiguous.setdefault(mark, found)
    return evidence


def detect_number_format(
    columns: dict[str, pd.Series], label: str, delimiter: str | None, decimal: str | None = None,
    thousands: str | None = None,
) -> NumberFormat:  # fmt: skip
    """The decimal mark and thousands separator of these value columns (those given are taken as they are)."""
    if decimal is not None and decimal not in DECIMAL_MARKS:
        raise InvalidInput(f"Unknown decimal mark {decimal!r}: use '.' or ',' in {{input:decimal}}.")
    if thousands is not None and thousands not in THOUSANDS_SEPARATORS:
        raise InvalidInput(f"Unknown thousands separator {thousands!r}: use ',', '.', ' ' or \"'\" in "
                           "{input:thousands}.")  # fmt: skip
    if decimal is not None and decimal == thousands:
        raise InvalidInput(f"The decimal mark and the thousands separator are both {decimal!r}; choose different "
                           "ones in {input:decimal} and {input:thousands}.")  # fmt: skip
    evidence = _gather(columns)
    assumed = None
    if decimal is None:
        marks = sorted(evidence.decimal)
        if len(marks) == 2:
            (a_cell, a_col, a_row), (b_cell, b_col, b_row) = evidence.decimal["."], evidence.decimal[","]
            raise InvalidInput(
                f"{label}: numbers use both '.' ({a_cell!r} in column {a_col!r}, line {a_row}) and ',' "
                f"({b_cell!r} in column {b_col!r}, line {b_row}) as the decimal mark; choose {{input:decimal}}."
            )
        if marks:
            decimal = marks[0]
        elif "." in evidence.thousands:  # 1.234.567: points separate thousands, so a comma is the decimal mark
            decimal = ","
        elif ("," in evidence.ambiguous and delimiter != ",") or ("." in evidence.ambiguous and delimiter == ";"):
            # 1,234 outside a comma-separated file, or 1.234 in a semicolon-separated (European) one: either reading
            # is common there, and guessing would misread every number without an error.
            mark = "," if "," in evidence.ambiguous and delimiter != "," else "."
            cell, col, row = evidence.ambiguous[mark]
            other = "." if mark == "," else ","
            whole, _, fraction = cell.partition(mark)
            raise InvalidInput(
                f"{label}: {cell!r} in column {col!r}, line {row}, reads as {whole}{other}{fraction} with a "
                f"decimal {_mark_name(mark)} and as {whole}{fraction} with a thousands {_mark_name(mark)}, and no "
                f"other number in the file tells which; choose {{input:decimal}}."
            )
        else:
            decimal = "."
            if evidence.ambiguous:  # the English convention, said: 1.250 is 1.25, a quoted 1,250 is 1250
                mark = "." if "." in evidence.ambiguous else ","
                cell, col, row = evidence.ambiguous[mark]
                reading = "a decimal point" if mark == "." else "a thousands comma"
                assumed = (
                    f"numbers such as {cell!r} (column {col!r}, line {row}) were read with {reading}, "
                    "which no number in the file contradicts; choose the decimal mark if that is wrong"
                )
    if thousands is None:
        candidates = [t for t in evidence.thousands if t != decimal]
        if not candidates and evidence.ambiguous:
            candidates = [t for t in evidence.ambiguous if t != decimal]
        thousands = candidates[0] if candidates else None
    return NumberFormat(decimal, thousands, assumed)


def _mark_name(mark: str) -> str:
    return "comma" if mark == "," else "point"


def parse_numbers(values: pd.Series, col: str, label: str, number_format: NumberFormat, dialect: str) -> np.ndarray:
    """Floats (NaN where a missing marker is); a cell that is not a number is named with the reading used."""
    text = values.str.strip()
    missing = text.isin(MISSING_MARKERS)
    plain = text.where(~missing)
    if number_format.thousands:
        grouped = plain.str.match(_grouping(number_format), na=False)
        plain = plain.where(~grouped, plain.str.replace(number_format.thousands, "", regex=False))
    if number_format.decimal == ",":
        plain = plain.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(plain, errors="coerce")
    bad = np.flatnonzero((numbers.isna() & ~missing).to_numpy())
    if len(bad):
        row = int(bad[0])
        cell = values.iloc[row]
        read_as = f" (read with {dialect})" if re.search(r"[.,;'\s\t|]", cell.strip()) else ""
        raise InvalidInput(f"{label}: non-numeric value {cell!r} in column {col!r}, line {values.index[row]}{read_as}.")
    infinite = np.flatnonzero(np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)))
    if len(infinite):
        row = int(infinite[0])
        raise InvalidInput(f"{label}: infinite value in column {col!r}, line {values.index[row]}.")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _grouping(number_format: NumberFormat) -> re.Pattern:
    sep, dec = re.escape(number_format.thousands or ""), re.escape(number_format.decimal)
    return re.compile(rf"^[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d+)?$")
