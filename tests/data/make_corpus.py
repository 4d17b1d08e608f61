"""Writes the reading corpus: files shaped like the exports analysts get from statistical offices, central banks,
market-data terminals, EViews and Excel, one per dialect and calendar that varlib reads (or refuses).

Values follow simple formulas (`value(i, k)`) so the tests can check every cell; run this file to rewrite them:
    python tests/data/make_corpus.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
# NYSE holidays in 2018 (New Year's Day falls before the first row).
NYSE_2018_HOLIDAYS = ["2018-01-15", "2018-02-19", "2018-03-30", "2018-05-28", "2018-07-04", "2018-09-03",
                      "2018-11-22", "2018-12-05", "2018-12-25"]  # fmt: skip
MISSING_WEEKS = ["2019-03-16", "2019-08-31"]


def value(i: int, k: int) -> float:
    """Row i, variable k: a level with a trend, two decimals."""
    return round(1000 * (k + 1) + 12.25 * i + 0.5 * (i % 4), 2)


def european(x: float) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def write(name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes((newline.join(lines) + newline).encode(encoding))


def dates(kind: str) -> pd.DatetimeIndex:
    return {
        "quarterly": pd.date_range("2000-01-01", periods=40, freq="QS"),
        "monthly": pd.date_range("2015-01-01", periods=36, freq="MS"),
        "month-end": pd.date_range("2015-01-31", periods=36, freq="ME"),
        "business": pd.bdate_range("2018-01-02", "2018-12-31").difference(pd.DatetimeIndex(NYSE_2018_HOLIDAYS)),
        "weekly": pd.date_range("2019-01-05", periods=52, freq="W-SAT").difference(pd.DatetimeIndex(MISSING_WEEKS)),
        "yearly": pd.date_range("1950-01-01", periods=71, freq="YS"),
    }[kind]


def main() -> None:
    q = dates("quarterly")
    # Destatis-style: Windows-1252, semicolons, decimal commas, thousands points, DD.MM.YYYY, CRLF.
    write("destatis_quarterly.csv", ["Quartal;Bruttoinlandsprodukt;Ausrüstungsinvestitionen"]
          + [f"{t:%d.%m.%Y};{european(value(i, 0))};{european(value(i, 1))}" for i, t in enumerate(q)],
          "cp1252", "\r\n")  # fmt: skip
    m = dates("monthly")
    # INSEE-style: UTF-8 with BOM, semicolons, narrow no-break space thousands, decimal comma, YYYY-MM periods.
    write("insee_monthly.csv", ["Période;Production;Prix à la consommation"]
          + [f"{t:%Y-%m};{european(value(i, 0)).replace('.', chr(0x202F))};{value(i, 1) / 100:.4f}".replace(".", ",")
             for i, t in enumerate(m)], "utf-8-sig")  # fmt: skip
    me = dates("month-end")
    # A US export: month-first dates, quoted thousands commas.
    write("us_monthly_mdy.csv", ["DATE,Payrolls,Hours"]
          + [f'{t:%m/%d/%Y},"{value(i, 0):,.2f}",{value(i, 1) / 100:.4f}' for i, t in enumerate(me)])  # fmt: skip
    # A UK export of one year of months, day-first: also twelve consecutive days month-first.
    one_year = pd.date_range("2018-01-01", periods=12, freq="MS")
    write("uk_one_year_dmy.csv", ["date,retail,services"]
          + [f"{t:%d/%m/%Y},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(one_year)])  # fmt: skip
    b = dates("business")
    # A market-data terminal: tab-separated closing prices on NYSE trading days.
    write("nyse_business_days.tsv", ["Date\tGOOG\tMSFT"]
          + [f"{t:%Y-%m-%d}\t{value(i, 0) / 10:.4f}\t{value(i, 1) / 10:.4f}" for i, t in enumerate(b)])  # fmt: skip
    w = dates("weekly")
    # Weekly claims (weeks ending Saturday), pipe-separated, two weeks missing.
    write("weekly_claims.txt", ["week_ending|initial|continued"]
          + [f"{t:%Y-%m-%d}|{value(i, 0):.0f}|{value(i, 1):.0f}" for i, t in enumerate(w)])  # fmt: skip
    # ONS-style: separate year and quarter columns.
    write("ons_year_quarter.csv", ["year,quarter,gdp,cons"]
          + [f"{t.year},Q{t.quarter},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(q)])  # fmt: skip
    # EViews export: an 'obs' column of 1979M01 labels.
    eviews = pd.date_range("1979-01-01", periods=36, freq="MS")
    write("eviews_monthly.csv", ["obs,M1,IP"]
          + [f"{t.year}M{t.month:02d},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(eviews)])  # fmt: skip
    # IMF-style quarter labels with a dash.
    write("imf_quarterly.csv", ["Period,Exports,Imports"]
          + [f"{t.year}-Q{t.quarter},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(q)])  # fmt: skip
    y = dates("yearly")
    write("annual.csv", ["Year,Population,Output"] + [f"{t.year},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(y)])
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated.
    write("excel_unicode_text.txt", ["date\trealgdp\trealcons"]
          + [f"{t:%Y-%m-%d}\t{value(i, 0)}\t{value(i, 1)}" for i, t in enumerate(q)], "utf-16")  # fmt: skip
    # SNB-style: semicolons, apostrophe thousands, decimal point.
    write("snb_swiss.csv", ["Date;M2;M3"]
          + [f"{t:%Y-%m};{value(i, 0) * 100:,.2f};{value(i, 1) * 100:,.2f}".replace(",", "'")
             for i, t in enumerate(m)])  # fmt: skip
    # Semicolons and numbers such as 1,250 only: 1.25 or 1250? No number in the file tells.
    write(
        "ambiguous_decimal.csv",
        ["date;a;b"]
        + [f"{t:%Y-%m-%d};{1 + (i % 9)},{250 + i:03d};{2 + (i % 7)},{125 + i:03d}" for i, t in enumerate(m)],
    )
    # A comma-separated file where one column has decimal points and another quoted decimal commas.
    write("mixed_decimal_marks.csv", ["date,a,b"]
          + [f'{t:%Y-%m-%d},{value(i, 0)},"{european(value(i, 1))}"' for i, t in enumerate(m)])  # fmt: skip

    # A BLS download: a preamble above the header, a series id column, Year and Period (M01-M12), a trailing comma.
    bls = pd.date_range("2010-01-01", periods=48, freq="MS")
    write("bls_monthly.csv", ["Series Id:           CUUR0000SA0", "Seasonally Adjusted", "Series Title:        All "
          "items in U.S. city average, all urban consumers", "Area:                U.S. city average", "", "",
          "Series ID,Year,Period,Value,"]
          + [f"CUUR0000SA0,{t.year},M{t.month:02d},{value(i, 0) / 10:.3f}," for i, t in enumerate(bls)])  # fmt: skip
    # RATS, JMulTi and old EViews write quarters as 1960:1.
    write("rats_quarterly.csv", ["dates,gnp,m2"]
          + [f"{t.year}:{t.quarter},{value(i, 0)},{value(i, 1)}" for i, t in enumerate(q)])  # fmt: skip


if __name__ == "__main__":
    main()
