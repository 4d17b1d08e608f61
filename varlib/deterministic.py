"""Deterministic terms beyond the trend: centred seasonal dummies and impulse or step dummies at given dates.

They extend themselves into the future, so a model with them forecasts without any input from the analyst.

Seasonal dummies follow R `vars` (`VAR(season = s)`): s - 1 columns, column j equal to 1 - 1/s in season j and
-1/s otherwise; the last season is the base. Centred, they sum to zero over a year, so the constant stays the mean
level instead of the base season's. R counts seasons from the first observation of the estimation sample; varlib
counts them from the calendar (season 1 is January or the first quarter), so that the same quarter always has the
same dummy, in every fit and forecast. The two coincide when the estimation sample starts in the first season.

An impulse dummy is 1 at its date and 0 elsewhere (an outlier, a strike); a step dummy is 0 before its date and 1
from it on (a level shift, a break in a series' definition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

from varlib.data.calendar import describe_frequency, period_label
from varlib.errors import InvalidInput

IMPULSE, STEP = "impulse", "step"
DUMMY_KINDS = (IMPULSE, STEP)
SEASONS = (4, 12)
MAX_DUMMIES = 50  # dates an analyst marks by hand; more is a data problem, not a model
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INPUTS = {IMPULSE: "{input:dummy}", STEP: "{input:step_dummy}"}


def seasons_of(freq: str | None) -> int:
    """4 for quarterly and 12 for monthly data; 0 for a frequency without a seasonal cycle varlib models."""
    try:
        offset = to_offset(freq) if freq else None
    except (ValueError, TypeError):
        return 0
    if offset is None or offset.n != 1:
        return 0
    if isinstance(offset, (offsets.QuarterBegin, offsets.QuarterEnd)):
        return 4
    if isinstance(offset, (offsets.MonthBegin, offsets.MonthEnd, offsets.BusinessMonthBegin,
                           offsets.BusinessMonthEnd)):  # fmt: skip
        return 12
    return 0


def season_index(dates: pd.DatetimeIndex, seasons: int) -> np.ndarray:
    """0-based season of each date by the calendar: quarter 0..3 or month 0..11."""
    months = np.asarray(dates.month) - 1
    return months // 3 if seasons == 4 else months


def seasonal_names(seasons: int) -> list[str]:
    if seasons == 4:
        return [f"season Q{q}" for q in range(1, 4)]
    return [f"season {month}" for month in _MONTHS[:11]]


@dataclass(frozen=True)
class DateDummy:
    kind: str  # impulse or step
    date: pd.Timestamp  # the data row it is anchored to

    def name(self, freq: str | None) -> str:
        return f"{self.kind} {period_label(self.date, freq)}"

    def values(self, dates: pd.DatetimeIndex) -> np.ndarray:
        stamps = np.asarray(dates.asi8)
        anchor = pd.DatetimeIndex([self.date]).as_unit(dates.unit).asi8[0]
        return (stamps == anchor if self.kind == IMPULSE else stamps >= anchor).astype(float)


@dataclass(frozen=True)
class Deterministic:
    """Seasonal dummies (seasons = 0, 4 or 12) and date dummies, in this column order."""

    seasons: int = 0
    dummies: tuple[DateDummy, ...] = ()

    @property
    def count(self) -> int:
        return (self.seasons - 1 if self.seasons else 0) + len(self.dummies)

    def __bool__(self) -> bool:
        return self.count > 0

    def names(self, freq: str | None) -> list[str]:
        """Each column's name as estimation output prints it: season Q1, impulse 2008Q4, step 2008Q4."""
        return (seasonal_names(self.seasons) if self.seasons else []) + [d.name(freq) for d in self.dummies]

    def columns(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """The terms' values at these dates (in the sample or ahead of it), rows x count."""
        out = np.empty((len(dates), self.count))
        if self.seasons:
            s = self.seasons
            season = season_index(dates, s)
            out[:, : s - 1] = (season[:, None] == np.arange(s - 1)[None, :]) - 1.0 / s
        for j, dummy in enumerate(self.dummies, start=self.count - len(self.dummies)):
            out[:, j] = dummy.values(dates)
        return out

    def describe(self, freq: str | None) -> str:
        """In words, for metadata lines: 'seasonal dummies (quarterly, centred), impulse dummy 2008Q4'."""
        parts = (
            [f"seasonal dummies ({'quarterly' if self.seasons == 4 else 'monthly'}, centred)"] if self.seasons else []
        )
        parts += [f"{d.kind} dummy {period_label(d.date, freq)}" for d in self.dummies]
        return ", ".join(parts)

    def to_document(self) -> dict:
        return {"seasons": self.seasons,
                "dummies": [{"kind": d.kind, "date": d.date.isoformat()} for d in self.dummies]}  # fmt: skip

    @classmethod
    def from_document(cls, document: dict | None) -> Deterministic:
        """From a document already checked (artifact.check_model_document); none for versions stored before."""
        if not document:
            return cls()
        return cls(
            seasons=int(document["seasons"]),
            dummies=tuple(DateDummy(d["kind"], pd.Timestamp(d["date"])) for d in document["dummies"]),
        )


def split_dates(text: str) -> list[str]:
    """Dates typed in one field or flag, separated by commas, semicolons or spaces: '2008Q4, 2020Q2'."""
    return [part for part in re.split(r"[,;\s]+", str(text or "").strip()) if part]


def resolve(
    seasonal: bool,
    dummy_dates: dict[str, list[str]],
    dates: pd.DatetimeIndex,
    freq: str | None,
    sample_start: int,
    source: str,
    strict: bool = True,
) -> Deterministic:
    """The terms the analyst asked for, anchored to rows of the training data.

    `dummy_dates` maps impulse/step to the dates as typed ("2008Q4", "2008-12", "2008-10-01"); `dates` are the
    transformed training rows, of which the estimation sample (of the largest lag order tried) starts at
    `sample_start`. A date dummy must fall in that sample, and a step dummy after its first row (else it is the
    constant), so that every lag order tried can estimate it. Not `strict` (a backtest's shorter windows), a dummy
    outside the sample is left out instead, since it would be a column of zeros there.
    """
    seasons = 0
    if seasonal:
        seasons = seasons_of(freq)
        if not seasons:
            raise InvalidInput(f"{source}: seasonal dummies ({{input:seasonal}}) need monthly or quarterly data; "
                               f"these data are {describe_frequency(freq)}.")  # fmt: skip
    dummies: list[DateDummy] = []
    sample = dates[sample_start:]
    first = sample[0] if len(sample) else None
    for kind in DUMMY_KINDS:
        for text in dummy_dates.get(kind, []):
            where = f"{_INPUTS[kind]} {text}"
            try:
                dummy = DateDummy(kind, _row_of(text, dates, freq, _INPUTS[kind]))
            except InvalidInput:
                if strict:
                    raise
                continue
            outside = first is None or dummy.date < first or (kind == STEP and dummy.date == first)
            if outside and not strict:
                continue
            if outside:
                start = period_label(first, freq) if first is not None else "none"
                raise InvalidInput(
                    f"{where}: the date must fall {'after the start of' if kind == STEP else 'in'} the estimation "
                    f"sample, which starts at {start} (after the lags); choose a later date or fewer lags."
                )
            if any(d.date == dummy.date and d.kind == kind for d in dummies):
                raise InvalidInput(f"{where}: the date is given twice.")
            dummies.append(dummy)
    if len(dummies) > MAX_DUMMIES:
        raise InvalidInput(f"{source}: {len(dummies)} impulse and step dummies are more than the {MAX_DUMMIES} "
                           "allowed.")  # fmt: skip
    return Deterministic(seasons=seasons, dummies=tuple(dummies))


def _row_of(text: str, dates: pd.DatetimeIndex, freq: str | None, flag: str) -> pd.Timestamp:
    """The one training row whose date falls in the period `text` names (2008Q4 names the row dated 2008-10-01
    of quarterly data as well as the row dated 2008-12-31)."""
    cleaned = str(text).strip()
    try:
        period = pd.Period(cleaned)
    except (ValueError, TypeError, OverflowError):
        period = None
    if period is None or not cleaned:
        raise InvalidInput(f"{flag} {text!r}: not a date; write it as the data are dated, e.g. "
                           f"{period_label(dates[-1], freq)}.")  # fmt: skip
    inside = dates[(dates >= period.start_time) & (dates <= period.end_time)]
    span = f"{period_label(dates[0], freq)} to {period_label(dates[-1], freq)}"
    if len(inside) == 0:
        raise InvalidInput(f"{flag} {cleaned}: no row of the training data ({span}) is dated in it; the dummy "
                           "must fall in the training data.")  # fmt: skip
    if len(inside) > 1:
        raise InvalidInput(f"{flag} {cleaned}: {len(inside)} rows of the training data are dated in it; give one "
                           f"period, e.g. {period_label(inside[-1], freq)}.")  # fmt: skip
    return inside[0]
