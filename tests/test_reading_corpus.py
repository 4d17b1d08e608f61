"""Issue 12: the files analysts actually have. Each file of the corpus under tests/data/ (written by
tests/data/make_corpus.py) is read to its expected frequency, dates and values, or refused with its message,
asserted whole; `inspect` reports each file's reading."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.datasets import elec_equip

from tests.data.make_corpus import MISSING_WEEKS, NYSE_2018_HOLIDAYS, dates, value
from varlib import InvalidInput, read_csv
from varlib.cli import main
from varlib.data import ReadOptions, inspect_file, read_excel, read_file
from varlib.errors import CLI_INPUTS, DASHBOARD_INPUTS

DATA = Path(__file__).parent / "data"


def read(name: str, **options: object):
    return read_file(DATA / name, name=name, options=ReadOptions(**options))


def refused(name: str, **options: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        read(name, **options)
    return info.value


def expected(kind: str, scale: tuple[float, float] = (1, 1)) -> pd.DataFrame:
    index = dates(kind)
    return pd.DataFrame({k: [value(i, k) / scale[k] for i in range(len(index))] for k in (0, 1)}, index=index)


def assert_values(frame: pd.DataFrame, kind: str, scale: tuple[float, float] = (1, 1)) -> None:
    want = expected(kind, scale)
    assert frame.index.equals(pd.DatetimeIndex(want.index, name="date"))
    np.testing.assert_allclose(frame.to_numpy(), want.to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "kind", "freq", "words", "scale", "variables"),
    [
        ("destatis_quarterly.csv", "quarterly", "QS-JAN", "quarterly", (1, 1),
         ["Bruttoinlandsprodukt", "Ausrüstungsinvestitionen"]),
        ("insee_monthly.csv", "monthly", "MS", "monthly", (1, 100), ["Production", "Prix à la consommation"]),
        ("us_monthly_mdy.csv", "month-end", "ME", "monthly, dated at month end", (1, 100), ["Payrolls", "Hours"]),
        ("ons_year_quarter.csv", "quarterly", "QS-JAN", "quarterly", (1, 1), ["gdp", "cons"]),
        ("eviews_monthly.csv", None, "MS", "monthly", (1, 1), ["M1", "IP"]),
        ("imf_quarterly.csv", "quarterly", "QS-JAN", "quarterly", (1, 1), ["Exports", "Imports"]),
        ("annual.csv", "yearly", "YS-JAN", "yearly", (1, 1), ["Population", "Output"]),
        ("excel_unicode_text.txt", "quarterly", "QS-JAN", "quarterly", (1, 1), ["realgdp", "realcons"]),
        ("snb_swiss.csv", "monthly", "MS", "monthly", (0.01, 0.01), ["M2", "M3"]),
        ("rats_quarterly.csv", "quarterly", "QS-JAN", "quarterly", (1, 1), ["gnp", "m2"]),
    ],
    ids=lambda v: v if isinstance(v, str) and "." in v else None,
)  # fmt: skip
def test_each_dialect_reads_to_its_dates_and_values(name, kind, freq, words, scale, variables) -> None:
    dataset = read(name)
    assert dataset.freq == freq and dataset.reading.frequency_words == words
    assert dataset.variables == variables
    if kind is None:  # EViews: 1979M01 ... 1981M12
        assert dataset.frame.index[0] == pd.Timestamp("1979-01-01") and len(dataset.frame) == 36
        assert dataset.frame.iloc[-1].tolist() == [value(35, 0), value(35, 1)]
    else:
        assert_values(dataset.frame.set_axis([0, 1], axis=1), kind, scale)


def test_the_reading_says_what_was_detected() -> None:
    assert read("destatis_quarterly.csv").reading.lines() == [
        "CSV destatis_quarterly.csv",
        "Read as: Windows-1252, separator semicolon, decimal mark ',', thousands separator point.",
        "Dates: column 'Quartal', day first (DD.MM.YYYY).",
        "Frequency: quarterly; 40 rows, 2000Q1 to 2009Q4.",
        "Variables (2): Bruttoinlandsprodukt; Ausrüstungsinvestitionen.",
        "Note: dates read day-first (DD.MM.YYYY).",
    ]
    reading = read("insee_monthly.csv").reading
    assert (reading.encoding, reading.delimiter, reading.decimal, reading.thousands) == ("UTF-8 with BOM", ";", ",",
                                                                                         "\u202f")  # fmt: skip
    assert read("excel_unicode_text.txt").reading.encoding == "UTF-16 (BOM)"
    assert read("eviews_monthly.csv").reading.date_format == "month labels (YYYYMmm)"
    assert read("imf_quarterly.csv").reading.date_format == "quarter labels (YYYYQn)"


def test_a_bls_download_with_its_preamble_series_id_and_periods() -> None:
    """A preamble above the header, an identifier column, Year with Period M01-M12, a separator ending each line."""
    dataset = read("bls_monthly.csv")
    assert dataset.freq == "MS" and dataset.variables == ["Value"] and len(dataset.frame) == 48
    assert dataset.frame.index[0] == pd.Timestamp("2010-01-01")
    assert dataset.frame["Value"].iloc[-1] == pytest.approx(value(47, 0) / 10)
    assert dataset.notes == [
        "the header is on line 7; the 6 lines above it were skipped",
        "dates combined from the 'Year' and 'Period' columns",
        "left out column 'Series ID', which holds text, not numbers",
        # BLS prints the CPI with three decimals: 100.000 could be a thousands point, which no other cell refutes.
        "numbers such as '100.000' (column 'Value', line 8) were read with a decimal point, which no number in the "
        "file contradicts; choose the decimal mark if that is wrong",
    ]
    assert dataset.reading.date_format == "year and month columns ('Year', 'Period')"
    # Lines keep their numbers in the file: the first data row is line 8.
    text = (DATA / "bls_monthly.csv").read_text().replace("2010,M03,", "2010,M13,")
    with pytest.raises(InvalidInput) as info:
        read_csv(text.encode(), name="bls.csv")
    assert str(info.value) == "CSV bls.csv: month 'M13' in column 'Period', line 10, is not a month from 1 to 12."


def test_colon_labels_too_few_to_tell_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        read_csv(b"dates,x\n1960:1,1\n1960:2,2\n1960:3,3\n", name="short.csv")
    assert str(info.value) == (
        "CSV short.csv: cannot read '1960:1' as a date in column 'dates', line 2; give its format in date_format "
        "(e.g. '%d.%m.%Y')."
    )


def test_a_european_export_read_as_comma_separated_names_the_separator() -> None:
    """Issue 12: a `;` file with decimal commas was refused with "found no date column ... --date-column"."""
    error = refused("destatis_quarterly.csv", delimiter=",")
    assert str(error) == (
        "CSV destatis_quarterly.csv: the header 'Quartal;Bruttoinlandsprodukt;Ausrüstungsinvestitionen' is one column "
        "when separated by comma; choose semicolon in delimiter."
    )
    assert error.worded(DASHBOARD_INPUTS).endswith("choose semicolon in the Separator field.")
    assert error.worded(CLI_INPUTS).endswith("choose semicolon in --delimiter.")


def test_business_days_with_holidays_are_named_and_filled_or_aggregated_on_request() -> None:
    """Issue 12: business-day prices with market holidays were refused with "expected 2018-01-06" (a Saturday)."""
    error = refused("nyse_business_days.tsv")
    assert str(error) == (
        "CSV nyse_business_days.tsv: the dates in column 'Date' are business days, with 9 missing from the calendar, "
        "the first 2018-01-15 (between lines 10 and 11); choose gaps='carry-forward' or 'interpolate', or "
        "aggregate='monthly', 'quarterly' or 'yearly'."
    )
    assert error.worded(DASHBOARD_INPUTS).endswith(
        "choose carry forward or interpolate in the Calendar gaps field, or a frequency in the Aggregate to field."
    )
    filled = read("nyse_business_days.tsv", gaps="carry-forward")
    assert filled.freq == "B" and len(filled.frame) == len(dates("business")) + len(NYSE_2018_HOLIDAYS)
    assert filled.frame.index.freqstr == "B"
    # A holiday carries the previous trading day's close.
    holiday = pd.Timestamp("2018-07-04")
    assert filled.frame.loc[holiday].tolist() == filled.frame.loc[pd.Timestamp("2018-07-03")].tolist()
    interpolated = read("nyse_business_days.tsv", gaps="interpolate")
    before, after = interpolated.frame.loc["2018-07-03", "GOOG"], interpolated.frame.loc["2018-07-05", "GOOG"]
    assert interpolated.frame.loc[holiday, "GOOG"] == pytest.approx((before + after) / 2)
    assert filled.notes == ["filled 9 missing business days (carried forward), the first 2018-01-15"]

    monthly = read("nyse_business_days.tsv", aggregate="monthly", aggregate_by="mean")
    assert monthly.freq == "MS" and len(monthly.frame) == 12  # January lacks only New Year's Day: kept
    january = [value(i, 0) / 10 for i, t in enumerate(dates("business")) if t.month == 1]
    assert monthly.frame["GOOG"].iloc[0] == pytest.approx(np.mean(january))
    assert monthly.notes == ["aggregated from business days to monthly by the mean",
                             "9 missing business days left out of the aggregates"]  # fmt: skip
    last = read("nyse_business_days.tsv", aggregate="quarterly", aggregate_by="last")
    assert last.freq == "QS-JAN" and last.frame["MSFT"].iloc[-1] == value(len(dates("business")) - 1, 1) / 10


def test_weekly_data_with_missing_weeks() -> None:
    error = refused("weekly_claims.txt")
    assert str(error).startswith(
        "CSV weekly_claims.txt: the dates in column 'week_ending' are weekly, Saturdays, with 2 missing from the "
        "calendar, the first 2019-03-16 (between lines 11 and 12); choose "
    )
    filled = read("weekly_claims.txt", gaps="interpolate")
    assert filled.freq == "W-SAT" and len(filled.frame) == 52
    assert set(pd.DatetimeIndex(MISSING_WEEKS)) <= set(filled.frame.index)


def test_drop_inside_weekly_data_is_refused() -> None:
    """Issue 12: `missing = drop` removed two weeks from weekly data and kept calling the result weekly."""
    text = (DATA / "weekly_claims.txt").read_text().replace("2019-06-01|", "2019-06-01|\n#", 0)
    rows = text.splitlines()
    row = next(i for i, line in enumerate(rows) if line.startswith("2019-06-01"))
    rows[row] = "2019-06-01||" + rows[row].rsplit("|", 1)[1]
    with pytest.raises(InvalidInput) as info:
        read_csv("\n".join(rows).encode(), name="weekly.csv", options=ReadOptions(missing="drop",
                                                                                 gaps="interpolate"))  # fmt: skip
    assert str(info.value) == (
        f"CSV weekly.csv: dropping the row of 2019-06-01 (line {row + 1}), which has a missing value, would leave a "
        "gap inside the data (1 such row); choose missing='interpolate' or fill the gap in the file (rows missing at "
        "the start or end can be dropped)."
    )


def test_a_one_year_monthly_day_first_file_is_refused_naming_both_readings() -> None:
    assert str(refused("uk_one_year_dmy.csv")) == (
        "CSV uk_one_year_dmy.csv: the dates in column 'date' read evenly spaced both day-first ('01/02/2018' on line "
        "3 as 2018-02-01) and month-first (as 2018-01-02); choose the date order (date_order='day-first' or "
        "'month-first')."
    )
    assert read("uk_one_year_dmy.csv", date_order="day-first").freq == "MS"
    assert read("uk_one_year_dmy.csv", date_format="%d/%m/%Y").freq == "MS"


def test_numbers_that_read_two_ways_are_refused() -> None:
    assert str(refused("ambiguous_decimal.csv")) == (
        "CSV ambiguous_decimal.csv: '1,250' in column 'a', line 2, reads as 1.250 with a decimal comma and as 1250 "
        "with a thousands comma, and no other number in the file tells which; choose the decimal mark (decimal='.' "
        "or ',')."
    )
    assert read("ambiguous_decimal.csv", decimal=",").frame["a"].iloc[0] == 1.25
    assert read("ambiguous_decimal.csv", decimal=".", thousands=",").frame["a"].iloc[0] == 1250
    assert str(refused("mixed_decimal_marks.csv")) == (
        "CSV mixed_decimal_marks.csv: numbers use both '.' ('1000.0' in column 'a', line 2) and ',' ('2.000,00' in "
        "column 'b', line 2) as the decimal mark; choose the decimal mark (decimal='.' or ',')."
    )


def test_a_number_that_fails_names_the_reading_used() -> None:
    text = (DATA / "destatis_quarterly.csv").read_bytes().replace(b"1.025,50", b"1.025.50")
    with pytest.raises(InvalidInput) as info:
        read_csv(text, name="de.csv")
    assert str(info.value) == (
        "CSV de.csv: non-numeric value '1.025.50' in column 'Bruttoinlandsprodukt', line 4 (read with semicolon as the "
        "separator, decimal mark ',', thousands separator '.')."
    )


def test_a_date_range_keeps_the_rows_asked_for() -> None:
    dataset = read("imf_quarterly.csv", start="2002Q1", end="2004-10-01")
    assert dataset.frame.index[0] == pd.Timestamp("2002-01-01") and dataset.frame.index[-1] == pd.Timestamp(
        "2004-10-01")  # fmt: skip
    assert dataset.notes[-1] == "kept the 12 rows from 2002Q1 and to 2004-10-01 (28 left out)"
    with pytest.raises(InvalidInput) as info:
        read("imf_quarterly.csv", start="2030Q1")
    assert str(info.value) == (
        "CSV imf_quarterly.csv: no rows from 2030Q1 to the end (the data run from 2000-01-01 to 2009-10-01); check "
        "start and end."
    )
    with pytest.raises(InvalidInput) as info:
        read("imf_quarterly.csv", start="soon")
    assert info.value.worded(DASHBOARD_INPUTS) == (
        "Cannot read the start date 'soon': write it as 2018-01-01, 2018Q1 or 2018M01 in the From field."
    )


def test_aggregating_monthly_to_quarterly_and_refusing_a_higher_frequency() -> None:
    quarterly = read("insee_monthly.csv", aggregate="quarterly", aggregate_by="sum")
    assert quarterly.freq == "QS-JAN" and len(quarterly.frame) == 12
    assert quarterly.frame["Production"].iloc[0] == pytest.approx(sum(value(i, 0) for i in range(3)))
    with pytest.raises(InvalidInput) as info:
        read("annual.csv", aggregate="quarterly")
    assert str(info.value) == (
        "CSV annual.csv: the data are yearly, so they cannot be aggregated to quarterly; choose a lower frequency in "
        "aggregate='monthly', 'quarterly' or 'yearly'."
    )


def test_a_partial_quarter_at_the_end_is_dropped_when_aggregating() -> None:
    text = "\n".join((DATA / "insee_monthly.csv").read_text(encoding="utf-8-sig").splitlines()[:36])  # to 2017-11
    dataset = read_csv(text.encode(), name="m.csv", options=ReadOptions(aggregate="quarterly"))
    assert dataset.frame.index[-1] == pd.Timestamp("2017-07-01")
    assert dataset.notes[-1] == "dropped 2017Q4, of which the data cover 2 of 3 monthly"


def test_excel_workbooks_read_by_the_same_rules(tmp_path) -> None:
    path = tmp_path / "export.xlsx"
    frame = expected("quarterly")
    frame.columns = ["gdp", "cons"]
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.rename_axis("date").to_excel(writer, sheet_name="Data")
        pd.DataFrame({"about": ["Quarterly national accounts", "Source: statistical office"]}).to_excel(
            writer, sheet_name="Notes", index=False)  # fmt: skip
    dataset = read_excel(path)
    assert (
        dataset.freq == "QS-JAN" and dataset.reading.sheet == "Data" and dataset.source == f"Excel {path} sheet 'Data'"
    )
    assert_values(dataset.frame.set_axis([0, 1], axis=1), "quarterly")
    assert read_file(path).frame.equals(dataset.frame)
    with pytest.raises(InvalidInput) as info:
        read_excel(path, options=ReadOptions(sheet="Tabelle1"))
    assert (
        info.value.worded(CLI_INPUTS)
        == f"Excel {path}: no sheet 'Tabelle1' (sheets: 'Data' and 'Notes'); check --sheet."
    )
    with pytest.raises(InvalidInput) as info:
        read_excel(b"PK\x03\x04 not really a zip", name="broken.xlsx")
    assert str(info.value).startswith("Excel broken.xlsx: not an Excel workbook (.xlsx)")
    with pytest.raises(InvalidInput) as info:
        read_file(b"whatever", name="old.xls")
    assert str(info.value) == "old.xls: old Excel files (.xls) are not read; save the sheet as .xlsx or CSV."


def test_excel_on_the_command_line(tmp_path, capsys, macrodata) -> None:
    path = tmp_path / "export.xlsx"
    macrodata.frame[["realgdp", "realcons"]].to_excel(path, sheet_name="Daten")
    store = f"file://{tmp_path / 'store'}"
    assert main(["--store", store, "train", "--xlsx", str(path), "--sheet", "Daten", "--lags", "1", "--test-size",
                 "4", "--max-lags", "2", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["lag_order"] == 1
    assert main(["--store", store, "train", "--xlsx", str(path), "--sheet", "Data"]) == 2
    assert capsys.readouterr().err == f"error: Excel {path}: no sheet 'Data' (sheets: 'Daten'); check --sheet.\n"


def test_elec_equip_from_statsmodels_reads_its_month_names() -> None:
    """A file nobody on the team wrote: 'Jan-1-1995' was reported as outside the supported range."""
    path = Path(elec_equip.__file__).parent / "elec_equip.csv"
    dataset = read_csv(path)
    assert dataset.freq == "MS" and dataset.frame.index[0] == pd.Timestamp("1995-01-01")
    assert dataset.reading.date_format == "dates as written (e.g. 'Jan-1-1995')"


def test_inspect_reports_each_files_reading(capsys) -> None:
    assert main(["inspect", str(DATA / "nyse_business_days.tsv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:4] == [
        "Read as: UTF-8, separator tab, decimal mark '.', no thousands separator.",
        "Dates: column 'Date', ISO dates (YYYY-MM-DD).",
        "Frequency: business days; 251 rows, 2018-01-02 to 2018-12-31.",
    ]
    assert (
        out[4] == "Gaps in the calendar: 9 missing (2018-01-15, 2018-02-19, 2018-03-30, 2018-05-28, 2018-07-04, ...)."
    )
    assert out[-1].endswith("choose --fill-gaps carry-forward or interpolate, or --aggregate monthly, quarterly or "
                            "yearly.")  # fmt: skip
    assert main(["inspect", str(DATA / "weekly_claims.txt"), "--fill-gaps", "interpolate", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frequency"] == "W-SAT" and report["frequency_words"] == "weekly, Saturdays"
    assert report["rows"] == 52 and report["gaps"] == 2 and report["first_gaps"] == ["2019-03-16", "2019-08-31"]
    assert report["problems"] == [] and report["delimiter"] == "|"
    assert [v["name"] for v in report["variables"]] == ["initial", "continued"]
    assert main(["inspect", str(DATA / "ambiguous_decimal.csv")]) == 2
    assert capsys.readouterr().err.endswith("choose --decimal . or --decimal ,.\n")


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir() if p.suffix != ".py" and p.is_file()))
def test_inspect_and_read_agree_on_every_file(name) -> None:
    try:
        dataset = read(name, gaps="interpolate")
    except InvalidInput as exc:
        with pytest.raises(InvalidInput) as info:
            inspect_file(DATA / name, options=ReadOptions(gaps="interpolate"))
        assert str(info.value).split(": ", 1)[1] == str(exc).split(": ", 1)[1]
        return
    reading = inspect_file(DATA / name, name=name, options=ReadOptions(gaps="interpolate"))
    assert reading == dataset.reading


def test_a_file_object_and_bytes_read_alike() -> None:
    raw = (DATA / "snb_swiss.csv").read_bytes()
    assert read_csv(io.BytesIO(raw)).frame.equals(read_csv(raw).frame)


def _workbook(tmp_path) -> bytes:
    path = tmp_path / "w.xlsx"
    expected("quarterly").rename_axis("date").to_excel(path, sheet_name="Data")
    return path.read_bytes()


def test_a_workbook_that_unpacks_too_far_is_refused_before_it_is_parsed(tmp_path, monkeypatch) -> None:
    from varlib.data import reader

    monkeypatch.setattr(reader, "MAX_UNPACKED_EXCEL_BYTES", 1_000_000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 2_000_000)
    with pytest.raises(InvalidInput) as info:
        read_excel(buffer.getvalue(), name="bomb.xlsx")
    assert str(info.value) == (
        "Excel bomb.xlsx: the workbook unpacks to 2000001 bytes, more than the 1000000 allowed; save the sheet as CSV."
    )


def test_a_workbook_with_xml_entities_is_refused(tmp_path) -> None:
    """openpyxl parses with defusedxml: an entity-expansion ("billion laughs") sheet is an error, not a hang."""
    original = zipfile.ZipFile(io.BytesIO(_workbook(tmp_path)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as crafted:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                                    b"<worksheet", 1).replace(b"<v>1000</v>", b"<v>&b;</v>", 1)  # fmt: skip
                assert b"&b;" in data
            crafted.writestr(member, data)
    with pytest.raises(InvalidInput) as info:
        read_excel(buffer.getvalue(), name="laughs.xlsx")
    # Refused before expansion: without defusedxml, openpyxl expands the entity into the cell (40 a's).
    assert str(info.value).startswith("Excel laughs.xlsx: not an Excel workbook") and "aaaa" not in str(info.value)


def parent_and_monthly_workbook(tmp_path: Path) -> tuple[str, Path]:
    """A store with gdp 1.0.0 (the built-in data to 2008Q3) and monthly.xlsx, a monthly export to 2009Q3 whose
    months each hold their quarter's value: its quarterly means are the built-in data."""
    from varlib import ModelRegistry, TrainSpec, load_macrodata, open_store, train
    from varlib.data import Dataset

    store = f"file://{tmp_path / 'store'}"
    quarterly = load_macrodata().frame[["realgdp", "realcons"]]
    parent = Dataset(quarterly.loc[:"2008-07-01"], "QS-JAN", "macro to 2008Q3")
    ModelRegistry(open_store(store)).publish(
        train(parent, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2, test_size=8)), "gdp", "1.0.0"
    )
    monthly = quarterly.loc["2007-01-01":].resample("MS").ffill().reindex(
        pd.date_range("2007-01-01", "2009-09-01", freq="MS"), method="ffill")  # fmt: skip
    path = tmp_path / "monthly.xlsx"
    monthly.rename_axis("Month").to_excel(path, sheet_name="Export")
    return store, path


def test_a_refresh_from_a_monthly_workbook_aggregated_to_the_models_quarters(tmp_path, capsys) -> None:
    """The quarterly round with the data as they arrive: a monthly Excel export, aggregated by the mean."""
    store, path = parent_and_monthly_workbook(tmp_path)
    assert main(["--store", store, "refresh", "gdp", "1.0.0", "--xlsx", str(path), "--aggregate", "quarterly",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["new_rows"] == 4 and out["data"]["end"].startswith("2009-07-01") and out["data_revisions"] == []
    assert main(["--store", store, "refresh", "gdp", "1.0.0", "--xlsx", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"error: Excel {path}: the data are monthly, but gdp 1.0.0 was fitted on quarterly data; give data of that "
        "frequency, or choose --aggregate monthly, quarterly or yearly.\n"
    )


def test_an_excel_sheet_with_titles_above_its_table(tmp_path) -> None:
    """Statistical offices put a title and a source above the table; messages give the sheet's own row numbers."""
    import datetime

    import openpyxl

    path = tmp_path / "vgr.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tabelle"
    sheet.append(["Volkswirtschaftliche Gesamtrechnungen"])
    sheet.append([])
    sheet.append(["Quelle: Statistisches Bundesamt"])
    sheet.append(["Quartal", "BIP", "Konsum"])
    for i, moment in enumerate(dates("quarterly")[:20]):
        sheet.append([moment.to_pydatetime(), value(i, 0), value(i, 1) + i % 3])
    workbook.save(path)
    dataset = read_excel(path)
    assert dataset.variables == ["BIP", "Konsum"] and dataset.freq == "QS-JAN" and len(dataset.frame) == 20
    assert dataset.notes == ["the header is on row 4 of sheet 'Tabelle'; the rows above it were skipped"]
    sheet.append([datetime.datetime(2005, 1, 1), "n.a.", None])
    workbook.save(path)
    with pytest.raises(InvalidInput) as info:
        read_excel(path)
    assert str(info.value) == (
        f"Excel {path}: missing value in column 'BIP', line 25 (2005-01-01); choose missing='drop' or 'interpolate' "
        "to proceed."
    )
