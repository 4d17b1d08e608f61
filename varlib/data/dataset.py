"""The result of reading data: a `Dataset`, and the `Reading` that says what was detected and done."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from varlib.data.dialect import separator_name
from varlib.errors import InvalidInput

STORED_DATE_COLUMN = "date"  # the dates' column in stored CSVs: no variable may have this name


@dataclass(frozen=True)
class VariableInfo:
    """What a variable measures, for labels and axis titles."""

    description: str
    unit: str
    short_unit: str = ""  # for an axis title, where the full unit does not fit

    @property
    def axis_unit(self) -> str:
        return self.short_unit or self.unit


@dataclass(frozen=True)
class VariableReading:
    name: str
    missing: int  # empty cells as read, before any missing-value policy
    description: str | None = None
    unit: str | None = None


@dataclass
class Reading:
    """What was read and how: the dialect, the dates, the calendar and what was changed. Shared by the CLI's
    `inspect`, the Train page's summary and every reader, so each front end reports the same facts."""

    source: str
    file_format: str  # "CSV", "Excel" or "built-in"
    date_column: str
    date_format: str  # in words: "ISO dates (YYYY-MM-DD)", "day first (DD/MM/YYYY)", "quarter labels (YYYYQn)"...
    frequency: str | None  # the pandas code, for code; `frequency_words` for people
    frequency_words: str | None
    rows: int
    first: str | None
    last: str | None
    variables: list[VariableReading]
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    gaps: int = 0  # dates missing from the calendar, as read (before any filling)
    first_gaps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what reading refuses until an option is chosen (templates)

    def worded_problems(self, inputs: dict[str, str] | None = None) -> list[str]:
        """The problems with each input named as a front end calls it (see `InvalidInput.worded`)."""
        return [InvalidInput(problem).worded(inputs or {}) for problem in self.problems]

    def to_json(self, inputs: dict[str, str] | None = None) -> dict:
        return {**asdict(self), "problems": self.worded_problems(inputs)}

    def dialect_words(self) -> str | None:
        if self.file_format != "CSV":
            return f"sheet {self.sheet!r}" if self.sheet else None
        parts = [self.encoding or "", f"separator {separator_name(self.delimiter or '')}"]
        parts.append(f"decimal mark {self.decimal!r}")
        parts.append(f"thousands separator {separator_name(self.thousands)}" if self.thousands
                     else "no thousands separator")  # fmt: skip
        return ", ".join(p for p in parts if p)

    def lines(self, inputs: dict[str, str] | None = None) -> list[str]:
        """The summary as sentences, for a terminal or a page (no markup); inputs named as `inputs` says."""
        lines = [f"{self.source}"]
        dialect = self.dialect_words()
        if dialect:
            lines.append(f"Read as: {dialect}.")
        lines.append(f"Dates: column {self.date_column!r}, {self.date_format}.")
        if self.frequency_words:
            span = f", {self.first} to {self.last}" if self.first else ""
            lines.append(f"Frequency: {self.frequency_words}; {self.rows} rows{span}.")
        if self.gaps:
            shown = ", ".join(self.first_gaps)
            more = ", ..." if self.gaps > len(self.first_gaps) else ""
            lines.append(f"Gaps in the calendar: {self.gaps} missing ({shown}{more}).")
        described = []
        for v in self.variables:
            about = f" ({v.description}; {v.unit})" if v.description else ""
            missing = f", {v.missing} missing" if v.missing else ""
            described.append(f"{v.name}{about}{missing}")
        lines.append(f"Variables ({len(self.variables)}): {'; '.join(described)}.")
        lines += [f"Note: {note}." for note in self.notes]
        lines += [f"To choose: {problem}" for problem in self.worded_problems(inputs)]
        return lines


@dataclass
class Dataset:
    """Level data: float columns indexed by evenly spaced dates."""

    frame: pd.DataFrame
    freq: str
    source: str  # for messages: what the user gave (a CSV's path as typed)
    notes: list[str] = field(default_factory=list)
    stored_source: str | None = None  # for stored metadata, when it differs: a file's name, never a local path
    reading: Reading | None = None
    info: dict[str, VariableInfo] = field(default_factory=dict)  # descriptions and units, where known

    @property
    def variables(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def source_to_store(self) -> str:
        """What a published version records as its data source: never a publisher's local path."""
        return self.stored_source or self.source
