"""Day-first and month-first dates (issue 12): read in the order that fits the whole file, refused when both
orders fit, never silently misread; the message names the input as each front end calls it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, clean_environment, shown  # noqa: F401
from varlib import InvalidInput, read_csv
from varlib.cli import main


def written(dates: pd.DatetimeIndex, order: str, separator: str = "/") -> bytes:
    """A two-variable CSV with dates written D/M/Y (day-first) or M/D/Y (month-first)."""
    rng = np.random.default_rng(len(dates))
    lines = ["date,a,b"]
    for moment, a, b in zip(dates, rng.normal(size=len(dates)), rng.normal(size=len(dates)), strict=True):
        first, second = (moment.day, moment.month) if order == "day-first" else (moment.month, moment.day)
        lines.append(f"{first:02d}{separator}{second:02d}{separator}{moment.year},{float(a)!r},{float(b)!r}")
    return ("\n".join(lines) + "\n").encode()


ONE_YEAR_MONTHLY = written(pd.date_range("2018-01-01", periods=12, freq="MS"), "day-first")
AMBIGUOUS = (
    "CSV monthly-2018.csv: the dates in column 'date' read evenly spaced both day-first ('01/02/2018' on line 3 as "
    "2018-02-01) and month-first (as 2018-01-02); choose "
)


def test_a_one_year_monthly_day_first_file_is_refused_not_read_as_twelve_days() -> None:
    """Issue 12: 01/01/2018 ... 01/12/2018 was silently accepted as 12 daily rows."""
    with pytest.raises(InvalidInput) as info:
        read_csv(ONE_YEAR_MONTHLY, name="monthly-2018.csv")
    assert str(info.value) == AMBIGUOUS + "the date order (date_order='day-first' or 'month-first')."
    dataset = read_csv(ONE_YEAR_MONTHLY, name="monthly-2018.csv", date_order="day-first")
    assert dataset.freq == "MS" and list(dataset.frame.index[:2]) == [pd.Timestamp("2018-01-01"),
                                                                      pd.Timestamp("2018-02-01")]  # fmt: skip
    assert dataset.notes == ["dates read day-first as asked"]


def test_the_cli_names_its_flag(tmp_path, capsys) -> None:
    path = tmp_path / "monthly-2018.csv"
    path.write_bytes(ONE_YEAR_MONTHLY)
    assert main(["--store", f"file://{tmp_path / 'store'}", "train", "--csv", str(path), "--lags", "1",
                 "--test-size", "2", "--max-lags", "1"]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert error == f"error: CSV {path}" + AMBIGUOUS[len("CSV monthly-2018.csv") :] + (
        "--date-order day-first or --date-order month-first.\n"
    )


def test_the_dashboard_names_its_field(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_STORE", f"file://{tmp_path / 'store'}")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio[0].set_value("Upload a file (CSV or Excel)").run()
    at.file_uploader[0].set_value(("monthly-2018.csv", ONE_YEAR_MONTHLY, "text/csv")).run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.error] == [AMBIGUOUS + "day-first or month-first in the Date order field."]
    at.selectbox[0].set_value("day-first").run()
    assert_no_exception(at)
    assert not at.error and "Frequency: monthly; 12 rows, 2018-01 to 2018-12." in shown(at.caption[0].value)


@pytest.mark.parametrize(
    ("dates", "order", "separator", "freq"),
    [
        (pd.date_range("2015-01-01", periods=40, freq="MS"), "day-first", "/", "MS"),  # a European export
        (pd.date_range("2018-01-25", periods=30, freq="D"), "month-first", "/", "D"),  # a US export
        (pd.date_range("2019-03-20", periods=30, freq="D"), "day-first", ".", "D"),  # 20.03.2019
        (pd.date_range("2010-01-01", periods=24, freq="QS"), "day-first", "-", "QS-JAN"),
    ],
    ids=["monthly DD/MM", "daily MM/DD", "daily DD.MM", "quarterly DD-MM"],
)
def test_the_one_order_that_fits_is_read_and_said(dates, order, separator, freq) -> None:
    dataset = read_csv(written(dates, order, separator), name="export.csv")
    assert dataset.frame.index.equals(pd.DatetimeIndex(dates, name="date")) and dataset.freq == freq
    pattern = separator.join(["DD", "MM", "YYYY"] if order == "day-first" else ["MM", "DD", "YYYY"])
    assert dataset.notes == [f"dates read {order} ({pattern})"]


def test_a_cell_the_chosen_order_cannot_read_is_named() -> None:
    text = written(pd.date_range("2018-01-01", periods=12, freq="MS"), "month-first").replace(b"12/01/2018",
                                                                                              b"13/01/2018")  # fmt: skip
    with pytest.raises(InvalidInput) as info:
        read_csv(text, name="us.csv", date_order="month-first")
    assert str(info.value) == (
        "CSV us.csv: cannot read '13/01/2018' as a month-first date in column 'date', line 13; check the date order "
        "(date_order='day-first' or 'month-first')."
    )


@settings(max_examples=120, deadline=None, database=None)
@given(
    start=st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()),
    periods=st.integers(3, 60),
    freq=st.sampled_from(["D", "W-MON", "MS", "QS"]),
    order=st.sampled_from(["day-first", "month-first"]),
    separator=st.sampled_from(["/", ".", "-"]),
)
def test_slash_dates_are_read_back_exactly_or_refused_never_misread(start, periods, freq, order, separator) -> None:
    dates = pd.date_range(pd.Timestamp(start), periods=periods, freq=freq)
    if freq in ("MS", "QS"):
        dates = pd.date_range(pd.Timestamp(start).replace(day=1), periods=periods, freq=freq)
    text = written(dates, order, separator)
    try:
        dataset = read_csv(text, name="random.csv")
    except InvalidInput as exc:
        assert "read evenly spaced both day-first" in str(exc), str(exc)  # refused only as ambiguous
        assert read_csv(text, name="random.csv", date_order=order).frame.index.equals(pd.DatetimeIndex(dates))
        return
    assert dataset.frame.index.equals(pd.DatetimeIndex(dates, name="date"))
