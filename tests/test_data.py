"""Input data: macrodata, and every CSV validation rule with its message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varlib import InvalidInput, ModelRegistry, TrainSpec, load_macrodata, open_store, read_csv, train
from varlib.cli import main
from varlib.data import load_dataset
from varlib.errors import DASHBOARD_INPUTS

GOOD = "date,gdp,cons\n2000-01-01,1.0,2.0\n2000-04-01,1.5,2.5\n2000-07-01,1.7,2.4\n2000-10-01,1.9,2.9\n"


def csv(text: str, **options: object):
    return read_csv(text.encode(), name="data.csv", **options)


def rejects(text: str | bytes, message: str, **options: object) -> None:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidInput) as info:
        read_csv(raw, name="data.csv", **options)
    assert str(info.value) == message


def test_macrodata_has_a_quarterly_index_with_frequency() -> None:
    data = load_macrodata()
    assert data.frame.shape == (203, 12)
    assert data.frame.index[0] == pd.Timestamp("1959-01-01")
    assert data.frame.index[-1] == pd.Timestamp("2009-07-01")
    assert data.frame.index.freqstr == data.freq == "QS-JAN"
    assert {"realgdp", "realcons", "realinv"} <= set(data.variables)
    assert load_dataset("macrodata").frame.equals(data.frame)


def test_unknown_dataset() -> None:
    with pytest.raises(InvalidInput, match=r"Unknown dataset 'gdp': the built-in dataset is 'macrodata'\."):
        load_dataset("gdp")


def test_good_csv_reads_with_frequency() -> None:
    data = csv(GOOD)
    assert data.variables == ["gdp", "cons"]
    assert data.freq == "QS-JAN" and data.frame.index.freqstr == "QS-JAN"
    assert data.frame["gdp"].dtype == np.float64
    assert data.source == "CSV data.csv"


def test_date_column_is_detected_by_content_and_quarter_labels_parse() -> None:
    data = csv("gdp,when,cons\n1.0,1959Q1,2\n1.1,1959Q2,3\n1.2,1959Q3,4\n")
    assert data.variables == ["gdp", "cons"]
    assert list(data.frame.index) == list(pd.date_range("1959-01-01", periods=3, freq="QS"))


def test_named_date_column_and_column_subset(tmp_path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("obs,gdp,cons,label\n2000-01-31,1,2,x\n2000-02-29,2,3,y\n2000-03-31,3,4,z\n")
    data = read_csv(path, date_column="obs", columns=["gdp", "cons"])
    assert data.freq == "ME"
    assert data.source == f"CSV {path}"


def test_utf8_bom_and_windows_1252_are_read() -> None:
    assert read_csv(b"\xef\xbb\xbf" + GOOD.encode()).variables == ["gdp", "cons"]
    latin = "date,d\xe9bit,cons\n2000-01-01,1,2\n2000-02-01,2,3\n2000-03-01,3,5\n".encode("cp1252")
    assert read_csv(latin).variables == ["débit", "cons"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "CSV data.csv: the file is empty."),
        ("date,gdp,cons\n", "CSV data.csv: has a header but no data rows."),
        (b"\x00\x01\x02binary", "CSV data.csv: contains NUL bytes, so it is not a text CSV file."),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-13-45,2,3\n2000-03-01,3,4\n",
            "CSV data.csv: cannot read '2000-13-45' as a date in column 'date', line 3; give its format in date_format "
            "(e.g. '%d.%m.%Y').",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-01-01,2,3\n2000-03-01,3,4\n",
            "CSV data.csv: duplicate date 2000-01-01 in column 'date', lines 2 and 3.",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-03-01,2,3\n2000-02-01,3,4\n",
            "CSV data.csv: dates in column 'date' are not in increasing order: 2000-02-01 on line 4 comes after "
            "2000-03-01.",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-02-01,2,3\n2000-03-01,3,4\n2000-03-15,3,4\n",
            "CSV data.csv: dates in column 'date' are not evenly spaced: line 5 has 2000-03-15 where 2000-04-01 "
            "was expected (monthly, as the first rows are).",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-02-01,abc,3\n2000-03-01,3,4\n",
            "CSV data.csv: non-numeric value 'abc' in column 'gdp', line 3.",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-02-01,2,\n2000-03-01,3,4\n",
            "CSV data.csv: missing value in column 'cons', line 3 (2000-02-01); choose missing='interpolate' to proceed.",
        ),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-02-01,inf,3\n2000-03-01,3,4\n",
            "CSV data.csv: infinite value in column 'gdp', line 3.",
        ),
        (
            "date\n2000-01-01\n2000-02-01\n2000-03-01\n",
            "CSV data.csv: no numeric columns besides the date column 'date'.",
        ),
        (
            "gdp,cons\n1,2\n2,3\n",
            "CSV data.csv: found no date column (columns: 'gdp' and 'cons'); give its name in date_column.",
        ),
        (
            "date,gdp,gdp\n2000-01-01,1,2\n2000-02-01,2,3\n2000-03-01,3,4\n",
            "CSV data.csv: column 'gdp' appears more than once in the header.",
        ),
        ("date,,cons\n2000-01-01,1,2\n2000-02-01,2,3\n", "CSV data.csv: column 2 has no name in the header line."),
        (
            "date,gdp,cons\n2000-01-01,1,2\n2000-02-01,2,3\n",
            "CSV data.csv: only 2 rows; a time series needs many more.",
        ),
        (
            'date,gdp\n2000-01-01,"1\n',
            "CSV data.csv: not a valid CSV table (Error tokenizing data. C error: EOF inside string starting at row 1).",
        ),
    ],
)
def test_csv_validation_messages(text, message) -> None:
    rejects(text, message)


def test_named_date_column_must_exist() -> None:
    rejects(
        GOOD,
        "CSV data.csv: no date column 'when' (columns: 'date', 'gdp' and 'cons'); check date_column.",
        date_column="when",
    )


def test_a_header_with_line_breaks_is_named_on_one_line() -> None:
    """Hypothesis found a header whose names hold line breaks: the message listing them spanned lines."""
    rejects(
        '"a\nb","c\nd"\n1,2\n2,3\n3,4\n',
        "CSV data.csv: found no date column (columns: 'a\\nb' and 'c\\nd'); give its name in date_column.",
    )


def test_chosen_columns_must_exist() -> None:
    rejects(GOOD, "CSV data.csv: no column 'inv' (columns: 'gdp' and 'cons').", columns=["gdp", "inv"])


def test_unknown_missing_policy() -> None:
    rejects(GOOD, "Unknown missing-value policy 'fill': use one of error, drop, interpolate.", missing="fill")


def test_file_not_found(tmp_path) -> None:
    with pytest.raises(InvalidInput) as info:
        read_csv(tmp_path / "nope.csv")
    assert str(info.value) == f"CSV {tmp_path / 'nope.csv'}: file not found."


MISSING = "date,gdp,cons\n2000-01-01,,2\n2000-02-01,2,3\n2000-03-01,,5\n2000-04-01,4,6\n2000-05-01,5,7\n"


def test_missing_values_dropped_at_the_ends_only() -> None:
    """Issue 12: `drop` removed rows inside weekly data and kept calling the result weekly."""
    rejects(
        MISSING,
        "CSV data.csv: dropping the row of 2000-03-01 (line 4), which has a missing value, would leave a gap inside "
        "the data (1 such row); choose missing='interpolate' or fill the gap in the file (rows missing at the start "
        "or end can be dropped).",
        missing="drop",
    )
    at_the_ends = "date,gdp,cons\n2000-01-01,,2\n2000-02-01,2,3\n2000-03-01,3,5\n2000-04-01,4,6\n2000-05-01,5,\n"
    data = csv(at_the_ends, missing="drop")
    assert list(data.frame.index.strftime("%m")) == ["02", "03", "04"] and data.freq == "MS"
    assert data.notes == ["dropped 2 rows with missing values at the start or end"]


def test_the_cli_and_the_dashboard_name_their_own_missing_values_input(tmp_path, capsys) -> None:
    path = tmp_path / "data.csv"
    path.write_text(MISSING)
    assert main(["--store", f"file://{tmp_path / 'store'}", "train", "--csv", str(path), "--missing", "drop"]) == 2
    assert "choose --missing interpolate or fill the gap in the file" in capsys.readouterr().err
    with pytest.raises(InvalidInput) as info:
        read_csv(MISSING.encode(), name="data.csv", missing="drop")
    assert "choose interpolate in the Missing values field or fill the gap" in info.value.worded(DASHBOARD_INPUTS)


def test_missing_values_interpolated_when_asked() -> None:
    data = csv(MISSING, missing="interpolate")
    assert len(data.frame) == 4  # the leading gap cannot be interpolated and is dropped
    assert data.frame["gdp"].iloc[1] == pytest.approx(2 + (4 - 2) * 29 / 60)  # linear in time (Feb 29 days)
    assert data.notes == ["interpolated 1 missing values", "dropped 1 rows at the ends that could not be interpolated"]


def test_dates_outside_the_supported_range_are_named() -> None:
    rejects(
        "date,a,b\n2000-01-01,1,2\n9999-12-01,1,1\n2000-03-01,1,2\n",
        "CSV data.csv: date '9999-12-01' in column 'date', line 3, is outside the supported range 1700-01-01 to "
        "2199-12-31.",
    )


def test_stored_metadata_names_the_file_never_a_local_path(tmp_path) -> None:
    """Issue 11: version metadata revealed publishers' local file paths (the CSV's path as `source`)."""
    folder = tmp_path / "home" / "ana" / "private"
    folder.mkdir(parents=True)
    frame = load_macrodata().frame[["realgdp", "realcons"]]
    frame.to_csv(folder / "macro.csv", index_label="date")
    dataset = read_csv(folder / "macro.csv")
    assert dataset.source == f"CSV {folder / 'macro.csv'}"  # messages still say which file was read
    registry = ModelRegistry(open_store(f"file://{tmp_path / 'store'}"))
    registry.publish(train(dataset, TrainSpec.build(["realgdp", "realcons"], "logdiff", lags=2)), "gdp", "1.0.0")
    stored = registry.load("gdp", "1.0.0").metadata["data"]["source"]
    assert stored == "CSV macro.csv"
    assert read_csv(b"date,a\n2000-01-01,1\n2000-02-01,2\n2000-03-01,3\n",
                    name="C:\\Users\\ana\\x.csv").source_to_store == "CSV x.csv"  # fmt: skip


def test_year_and_quarter_or_month_columns_make_the_dates() -> None:
    """Issue 12: a file with `year` and `quarter` columns, as statistical offices publish, was refused as
    'duplicate date'."""
    rows = "".join(f"{1990 + i // 4},Q{i % 4 + 1},{100 + i}.5,{50 + i * 0.5}\n" for i in range(40))
    data = csv("year,quarter,gdp,cons\n" + rows)
    assert data.freq == "QS-JAN" and data.frame.index[0] == pd.Timestamp("1990-01-01")
    assert data.frame.index[-1] == pd.Timestamp("1999-10-01") and list(data.frame.columns) == ["gdp", "cons"]
    assert data.notes == ["dates combined from the 'year' and 'quarter' columns"]
    monthly = "".join(f"{2000 + i // 12},{i % 12 + 1},{i}.25,{i * 2}.5\n" for i in range(30))
    assert csv("Year,Month,x,y\n" + monthly).freq == "MS"
    rejects("year,quarter,gdp,cons\n1990,5,1,2\n1990,2,1,2\n1990,3,2,3\n",
            "CSV data.csv: quarter '5' in column 'quarter', line 2, is not a quarter from 1 to 4.")  # fmt: skip
    rejects("year,month,gdp,cons\n19x0,1,1,2\n1990,2,1,2\n1990,3,2,3\n",
            "CSV data.csv: year '19x0' in column 'year', line 2, is not a year from 1700 to 2199.")  # fmt: skip
    # A file with its own date column keeps it: year and month are then ordinary columns.
    own = "date,year,month,x\n" + "".join(f"2000-{m:02d}-01,2000,{m},{m}.5\n" for m in range(1, 13))
    assert list(csv(own, columns=["x"]).frame.columns) == ["x"]


def test_no_date_column_names_the_input_in_each_front_end(tmp_path, capsys) -> None:
    path = tmp_path / "nodate.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6\n")
    assert main(["--store", f"file://{tmp_path / 'store'}", "train", "--csv", str(path)]) == 2
    assert capsys.readouterr().err.endswith("; give its name in --date-column.\n")
    with pytest.raises(InvalidInput) as info:
        read_csv(path)
    assert info.value.worded(DASHBOARD_INPUTS).endswith("; give its name in the Date column field.")
