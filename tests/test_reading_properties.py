"""Issue 12, property-based: the same table written in every supported dialect and date format reads back to the
same data; a file whose only valid reading is ambiguous is refused (or, where a convention decides, said in a note),
never silently misread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varlib import InvalidInput
from varlib.data import ReadOptions, read_csv

FREQUENCIES = {"QS-JAN": pd.offsets.QuarterBegin(startingMonth=1), "MS": pd.offsets.MonthBegin(),
               "W-MON": pd.offsets.Week(weekday=0), "B": pd.offsets.BDay(), "YS-JAN": pd.offsets.YearBegin()}  # fmt: skip
DATE_FORMATS = {
    "iso": lambda t: f"{t:%Y-%m-%d}",
    "day-first": lambda t: f"{t:%d/%m/%Y}",
    "month-first": lambda t: f"{t:%m/%d/%Y}",
    "dotted day-first": lambda t: f"{t:%d.%m.%Y}",
    "quarter label": lambda t: f"{t.year}Q{t.quarter}",
    "dashed quarter label": lambda t: f"{t.year}-Q{t.quarter}",
    "lower quarter label": lambda t: f"{t.year}q{t.quarter}",
    "month label": lambda t: f"{t.year}M{t.month:02d}",
    "year-month": lambda t: f"{t:%Y-%m}",
    "year": lambda t: f"{t.year}",
}
LABELS_FOR = {"QS-JAN": {"quarter label", "dashed quarter label", "lower quarter label"},
              "MS": {"month label", "year-month"}, "YS-JAN": {"year"}}  # fmt: skip
LABELS = set().union(*LABELS_FOR.values())


def number(x: float, decimal: str, thousands: str | None, decimals: int) -> str:
    text = f"{x:,.{decimals}f}" if thousands else f"{x:.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands or "")


@st.composite
def written_tables(draw):
    freq = draw(st.sampled_from(list(FREQUENCIES)))
    formats = [f for f in DATE_FORMATS if f not in LABELS or f in LABELS_FOR.get(freq, set())]
    date_format = draw(st.sampled_from(formats))
    periods = draw(st.integers(3, 40))
    start = pd.Timestamp(draw(st.dates(min_value=pd.Timestamp("1960-01-01").date(),
                                       max_value=pd.Timestamp("2030-01-01").date())))  # fmt: skip
    index = pd.date_range(FREQUENCIES[freq].rollforward(start), periods=periods, freq=freq)
    decimals = draw(st.sampled_from([0, 1, 2, 4]))
    scale = draw(st.sampled_from([1.0, 1000.0, 1e6]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = np.round(rng.uniform(0.01, 9.99, size=(periods, 2)) * scale, decimals)
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    decimal = draw(st.sampled_from([".", ","]))
    thousands = draw(st.sampled_from([None, ",", ".", " ", "'", "\u202f"]).filter(lambda t: t != decimal))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    if encoding == "cp1252" and thousands == "\u202f":
        thousands = " "
    quote = lambda cell: f'"{cell}"' if delimiter in cell else cell  # noqa: E731
    lines = [delimiter.join(["date", "gdp", "cons"])]
    for t, row in zip(index, values, strict=True):
        lines.append(delimiter.join([quote(DATE_FORMATS[date_format](t)),
                                     *(quote(number(x, decimal, thousands, decimals)) for x in row)]))  # fmt: skip
    raw = ("\r\n" if draw(st.booleans()) else "\n").join(lines).encode(encoding)
    frame = pd.DataFrame(values, index=pd.DatetimeIndex(index, name="date"), columns=["gdp", "cons"])
    return raw, frame, {"decimal": decimal, "thousands": thousands, "date_format": date_format}


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(written_tables())
def test_every_dialect_reads_back_the_same_data_or_is_refused_as_ambiguous(case) -> None:
    raw, frame, written = case
    try:
        dataset = read_csv(raw, name="t.csv")
    except InvalidInput as exc:
        message = str(exc)
        assert ("read evenly spaced both day-first" in message or "no other number in the file tells which" in message
                or "as the decimal mark" in message), message  # fmt: skip
        options = ReadOptions(decimal=written["decimal"], thousands=written["thousands"],
                              date_order="month-first" if written["date_format"] == "month-first"
                              else "day-first" if "day-first" in written["date_format"] else None)  # fmt: skip
        dataset = read_csv(raw, name="t.csv", options=options)
    else:
        if not np.allclose(dataset.frame.to_numpy(), frame.to_numpy(), rtol=1e-12, atol=0):
            # Read by a convention, not by evidence: allowed only when a note says so.
            assert any("which no number in the file contradicts" in note for note in dataset.notes), dataset.notes
            return
    assert dataset.frame.index.equals(frame.index), (dataset.frame.index[:3], frame.index[:3])
    np.testing.assert_allclose(dataset.frame.to_numpy(), frame.to_numpy(), rtol=1e-12, atol=0)


CORPUS = sorted(p for p in (Path(__file__).parent / "data").iterdir() if p.suffix != ".py" and p.is_file())
option_values = st.fixed_dictionaries(
    {},
    optional={
        "delimiter": st.sampled_from([",", ";", "\t", "|", "comma", "semicolon", "tab", "pipe", "x"]),
        "decimal": st.sampled_from([".", ",", "x"]),
        "thousands": st.sampled_from([",", ".", " ", "'", "x"]),
        "encoding": st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1", "nope"]),
        "date_order": st.sampled_from(["day-first", "month-first"]),
        "date_format": st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%q", "nonsense"]),
        "date_column": st.sampled_from(["date", "Date", "Quartal", "nope"]),
        "missing": st.sampled_from(["error", "drop", "interpolate"]),
        "gaps": st.sampled_from(["error", "carry-forward", "interpolate"]),
        "aggregate": st.sampled_from(["monthly", "quarterly", "yearly"]),
        "aggregate_by": st.sampled_from(["mean", "last", "sum"]),
        "start": st.sampled_from(["2000Q1", "2015-06-01", "2018M03", "1900", "soon", "2100-01-01"]),
        "end": st.sampled_from(["2005Q4", "2016-01-01", "2018M10", "1800", "later"]),
    },
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(CORPUS), options=option_values, cut=st.integers(0, 400), damage=st.binary(max_size=3))
def test_any_options_on_any_file_give_data_or_one_sentence(path, options, cut, damage) -> None:
    """Whatever the options and however a file is cut or damaged: a dataset on a regular calendar, or varlib's own
    error; never another exception."""
    raw = path.read_bytes()
    raw = raw[: len(raw) - cut] + damage if cut else raw
    try:
        dataset = read_csv(raw, name=path.name, options=ReadOptions(**options))
    except InvalidInput as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert dataset.frame.index.is_monotonic_increasing and len(dataset.frame) >= 3
    assert not dataset.frame.isna().to_numpy().any()
    assert dataset.frame.index.freq is not None  # evenly spaced: the VAR takes neighbouring rows as adjacent
