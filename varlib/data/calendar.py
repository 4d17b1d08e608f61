"""Calendars: the frequency of a date index (whole file, never its first rows only), calendars with gaps
(business days with holidays, weekly data with missing weeks), filling them, aggregating to a lower frequency,
and frequencies in words."""

from __future__ import annotations

import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

GAP_POLICIES = ("error", "carry-forward", "interpolate")
AGGREGATIONS = ("mean", "last", "sum")
_HOW_WORDS = {"mean": "mean", "last": "last value", "sum": "sum"}
TARGET_FREQUENCIES = {"monthly": "MS", "quarterly": "QS-JAN", "yearly": "YS-JAN"}
MIN_PERIOD_COVERAGE = 0.9  # a first or last period aggregated from less than this share of its dates is dropped
MAX_GAP_SHARE = 0.2  # beyond a fifth of the calendar missing, the dates are irregular, not a calendar with gaps

_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def describe_frequency(freq: str | None) -> str:
    """A frequency in words: 'quarterly', 'weekly, Mondays', 'business days' (pandas codes are for code)."""
    if not freq:
        return "no regular frequency"
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError):  # e.g. from stored metadata: said as it is
        return f"frequency {freq}"
    n = offset.n
    every = lambda unit, plural: unit if n == 1 else f"every {n} {plural}"  # noqa: E731

    if isinstance(offset, offsets.BusinessDay):
        return every("business days", "business days")
    if isinstance(offset, offsets.Day):
        return every("daily", "days")
    if isinstance(offset, offsets.Week):
        day = f", {_WEEKDAYS[offset.weekday]}" if offset.weekday is not None else ""
        return every("weekly", "weeks") + day
    if isinstance(offset, offsets.BusinessMonthEnd):
        return every("monthly", "months") + ", last business day"
    if isinstance(offset, offsets.BusinessMonthBegin):
        return every("monthly", "months") + ", first business day"
    if isinstance(offset, offsets.MonthBegin):
        return every("monthly", "months")
    if isinstance(offset, offsets.MonthEnd):
        return every("monthly", "months") + ", dated at month end"
    if isinstance(offset, offsets.QuarterBegin):
        cycle = (
            "" if offset.startingMonth in (1, 4, 7, 10) else f", quarters starting in {_cycle(offset.startingMonth)}"
        )
        return every("quarterly", "quarters") + cycle
    if isinstance(offset, offsets.QuarterEnd):
        cycle = ("dated at quarter end" if offset.startingMonth in (3, 6, 9, 12)
                 else f"quarters ending in {_cycle(offset.startingMonth)}")  # fmt: skip
        return every("quarterly", "quarters") + ", " + cycle
    if isinstance(offset, offsets.YearBegin):
        start = "" if offset.month == 1 else f", years starting in {_MONTHS[offset.month - 1]}"
        return every("yearly", "years") + start
    if isinstance(offset, offsets.YearEnd):
        end = "dated at year end" if offset.month == 12 else f"years ending in {_MONTHS[offset.month - 1]}"
        return every("yearly", "years") + ", " + end
    if isinstance(offset, offsets.Hour):
        return every("hourly", "hours")
    if isinstance(offset, offsets.Minute):
        return every("every minute", "minutes")
    return f"frequency {offset.freqstr}"


def _cycle(month: int) -> str:
    names = [_MONTHS[(month - 1 + 3 * k) % 12] for k in range(4)]
    return f"{', '.join(names[:3])} and {names[3]}"


def period_label(moment: pd.Timestamp, freq: str | None) -> str:
    """A date as analysts write it at this frequency: 1979Q1, 2018-01, 2018, or 2018-01-05."""
    try:
        offset = to_offset(freq) if freq else None
    except ValueError:
        offset = None
    if (
        isinstance(offset, (offsets.QuarterBegin, offsets.QuarterEnd))
        and offset.n == 1
        and offset.startingMonth in ((1, 4, 7, 10) if isinstance(offset, offsets.QuarterBegin) else (3, 6, 9, 12))
    ):
        return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"
    if isinstance(offset, (offsets.MonthBegin, offsets.MonthEnd)) and offset.n == 1:
        return f"{moment.year}-{moment.month:02d}"
    if (isinstance(offset, offsets.YearBegin) and offset.month == 1) or (
        isinstance(offset, offsets.YearEnd) and (offset.month == 12)
    ):
        return str(moment.year)
    if moment == moment.normalize():
        return str(moment.date())
    return moment.isoformat()


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The frequency that fits every date of the index, or None."""
    if len(index) < 3:
        return None
    with pd.option_context("future.infer_freq_returns_offset", True):
        offset = pd.infer_freq(index)
    return None if offset is None else offset.freqstr


def is_regular(index: pd.DatetimeIndex, freq: str) -> bool:
    return len(index) > 0 and index.equals(pd.date_range(index[0], periods=len(index), freq=freq))


_GAP_CANDIDATES = ("B", "D", "W-MON", "W-TUE", "W-WED", "W-THU", "W-FRI", "W-SAT", "W-SUN", "MS", "ME", "BMS",
                   "BME", "QS-JAN", "QE-DEC", "YS-JAN", "YE-DEC")  # fmt: skip


def calendar_with_gaps(index: pd.DatetimeIndex) -> tuple[str, pd.DatetimeIndex] | None:
    """The calendar these dates lie on with the fewest dates absent, and those dates; None if the dates lie on no
    known calendar, or miss more than MAX_GAP_SHARE of it (then they are irregular, not a calendar with gaps)."""
    if len(index) < 3 or (index != index.normalize()).any():
        return None
    best: tuple[str, pd.DatetimeIndex] | None = None
    for freq in _GAP_CANDIDATES:
        offset = to_offset(freq)
        if not all(offset.is_on_offset(moment) for moment in (index[0], index[-1])):
            continue
        full = pd.date_range(index[0], index[-1], freq=freq)
        if len(full) > 4 * len(index) or not index.isin(full).all():
            continue  # cheap bounds first: a daily calendar for yearly data is millions of absent days
        missing = full.difference(index)
        if best is None or len(missing) < len(best[1]):
            best = (freq, missing)
    if best is None or not len(best[1]) or len(best[1]) > MAX_GAP_SHARE * (len(index) + len(best[1])):
        return None
    return best


def fill_gaps(frame: pd.DataFrame, freq: str, policy: str) -> pd.DataFrame:
    """The frame on its full calendar, absent dates carried forward or interpolated linearly in time."""
    full = frame.reindex(pd.date_range(frame.index[0], frame.index[-1], freq=freq, name=frame.index.name))
    added = ~full.index.isin(frame.index)
    filled = full.ffill() if policy == "carry-forward" else full.interpolate(method="time", limit_area="inside")
    # Only the absent dates are filled here: a missing cell in a row the file has stays for the missing policy.
    result = full.copy()
    result.loc[added] = filled.loc[added]
    return result


def offset_length(freq: str) -> pd.Timedelta:
    """The typical length of one period, to compare frequencies."""
    start = pd.Timestamp("2001-01-01")
    return (start + 12 * to_offset(freq)) - start


def aggregate(frame: pd.DataFrame, source_freq: str, target: str, how: str) -> tuple[pd.DataFrame, str, list[str]]:
    """`frame` aggregated to `target` ('monthly', 'quarterly' or 'yearly') by `how` over the values present;
    periods the data do not cover in full at either end are dropped (a partial quarter's mean or sum is not that
    quarter's). A period with no value at all stays missing, for the missing-value policy."""
    target_freq = TARGET_FREQUENCIES[target]
    grouped = frame.resample(target_freq)
    result = grouped.sum(min_count=1) if how == "sum" else getattr(grouped, how)()
    source = to_offset(source_freq)
    notes = [f"aggregated from {describe_frequency(source_freq)} to {target} by the {_HOW_WORDS[how]}"]
    for start in dict.fromkeys([result.index[0], result.index[-1]]):
        end = start + to_offset(target_freq) - pd.Timedelta(days=1)
        expected = pd.date_range(source.rollforward(start), end, freq=source)
        covered = int(((expected >= frame.index[0]) & (expected <= frame.index[-1])).sum())
        # A holiday on the first business day of the year is not a partial year; a month of a quarter is.
        if len(expected) and covered < MIN_PERIOD_COVERAGE * len(expected):
            result = result.drop(index=start)
            notes.append(f"dropped {period_label(start, target_freq)}, of which the data cover {covered} of "
                         f"{len(expected)} {describe_frequency(source_freq)}")  # fmt: skip
    result.index = pd.DatetimeIndex(result.index, name=frame.index.name)
    return result, target_freq, notes
