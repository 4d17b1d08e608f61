"""A text table's dialect: encoding (UTF-8, UTF-16 with a byte-order mark, Windows-1252), separator (`,` `;` tab
`|`) and quoting, detected from the file itself, each overridable."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

import pandas as pd

from varlib.errors import InvalidInput

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
# Separators and thousands separators in words, for messages and the Reading.
SEPARATOR_WORDS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", ".": "point", " ": "space",
                   "\u00a0": "no-break space", "\u202f": "narrow no-break space", "'": "apostrophe"}  # fmt: skip


def separator_name(mark: str) -> str:
    return SEPARATOR_WORDS.get(mark, repr(mark))


_SAMPLE_LINES = 200  # lines looked at to choose the separator


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # in words: "UTF-8", "UTF-8 with BOM", "UTF-16 (BOM)", "Windows-1252", or the codec asked for


def decode(raw: bytes, label: str, encoding: str | None = None) -> Decoded:
    """Text from bytes: the encoding asked for, else by byte-order mark, else UTF-8, else Windows-1252."""
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInput(f"Unknown encoding {encoding!r}: use e.g. utf-8, utf-16 or cp1252 in "
                               "{input:encoding}.") from None  # fmt: skip
        try:
            text = raw.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{label}: not {encoding} text (byte {exc.start}); check {{input:encoding}}.") from None
        return _checked(Decoded(text, encoding), label)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _checked(Decoded(raw.decode("utf-16"), "UTF-16 (BOM)"), label)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{label}: starts with a UTF-16 byte-order mark but is not UTF-16 text "
                               f"(byte {exc.start}).") from None  # fmt: skip
    if b"\x00" in raw:
        if _looks_utf16_without_bom(raw):
            raise InvalidInput(f"{label}: looks like UTF-16 text without a byte-order mark; choose utf-16-le or "
                               "utf-16-be in {input:encoding}.")  # fmt: skip
        raise InvalidInput(f"{label}: contains NUL bytes, so it is not a text CSV file.")
    try:
        bom = raw.startswith(codecs.BOM_UTF8)
        return _checked(Decoded(raw.decode("utf-8-sig"), "UTF-8 with BOM" if bom else "UTF-8"), label)
    except UnicodeDecodeError:
        # Spreadsheets on Windows often save cp1252; it decodes any byte except a few undefined ones.
        try:
            return _checked(Decoded(raw.decode("cp1252"), "Windows-1252"), label)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{label}: not UTF-8 or Windows-1252 text (byte {exc.start}); choose the file's "
                               "encoding in {input:encoding}.") from None  # fmt: skip


def _looks_utf16_without_bom(raw: bytes) -> bool:
    head = raw[:2000]
    return len(head) >= 4 and (head[1::2].count(0) > 0.9 * len(head[1::2]) or head[0::2].count(0) > 0.9 * len(
        head[0::2]))  # fmt: skip


def _checked(decoded: Decoded, label: str) -> Decoded:
    if "\x00" in decoded.text:
        raise InvalidInput(f"{label}: contains NUL characters, so it is not a text CSV file.")
    return decoded


@dataclass(frozen=True)
class Layout:
    delimiter: str
    header_line: int  # 0-based line of the header: lines above it (titles, notes, a series id) are a preamble


_MAX_PREAMBLE = 40  # records looked at for the header
_AGREEING = 0.9  # the share of records below the header that must have its number of fields


def detect_layout(text: str, delimiter: str | None = None) -> Layout:
    """The separator (or the one given) and the header line: the first record from which (nearly) every record
    has the same number (two or more) of fields. Quotes are respected, so a quoted `1,5` is one field; trailing
    empty fields (a separator at the end of each line) do not count. Among separators, the one that splits most
    records alike wins, then the one giving most fields."""
    sample = text[:200_000]
    best, best_score = Layout(delimiter or ",", 0), (-1, 0)
    for candidate in [delimiter] if delimiter else DELIMITERS:
        if candidate not in sample:
            continue
        records = _records(sample, candidate)
        if not records:
            continue
        # The first record is the header unless (nearly) all below disagree with it: then a preamble is looked for.
        start = 0
        first_line = sample.split("\n", 1)[0]
        # A one-field first line that another separator would split is a header read with the wrong separator (its
        # message names the right one), not a title above the table.
        wrong_separator = records[0][2] == 1 and any(d in first_line for d in DELIMITERS if d != candidate)
        if _agreeing(records, 0) < _AGREEING * len(records) and not wrong_separator:
            start = next((i for i in range(1, min(_MAX_PREAMBLE, len(records) - 2))
                          if records[i][2] >= 2 and _agreeing(records, i) >= _AGREEING * (len(records) - i)),
                         0)  # fmt: skip
        if records[start][2] < 2:
            continue
        score = (_agreeing(records, start), records[start][2])
        if score > best_score:
            best, best_score = Layout(candidate, records[start][0]), score
    return best


def _agreeing(records: list[tuple[int, int, int]], start: int) -> int:
    """Records from `start` on with the number of fields of the one at `start` (counted with or without trailing
    empty fields: a header may end with a separator its rows lack, and a row may lack its last, empty value)."""
    _, full, stripped = records[start]
    return sum(f == full or s == stripped for _, f, s in records[start:])


def _records(sample: str, delimiter: str) -> list[tuple[int, int, int]]:
    """(first line, fields, fields without trailing empty ones) of each non-blank record of the sample."""
    reader = csv.reader(io.StringIO(sample, newline="\n"), delimiter=delimiter)
    records, line = [], 0
    try:
        for row in reader:
            fields = len(row)
            while row and not row[-1].strip():
                row = row[:-1]
            if row:
                records.append((line, fields, len(row)))
            line = reader.line_num
            if len(records) >= _SAMPLE_LINES:
                break
    except csv.Error:
        pass  # a quote left open in the sample: what was read so far decides
    return records


def parse_table(text: str, label: str, layout: Layout) -> pd.DataFrame:
    """Every cell as text, from the header line on, indexed by each row's line in the file; the header's names
    checked."""
    body = "\n".join(text.split("\n")[layout.header_line :]) if layout.header_line else text
    try:
        table = pd.read_csv(io.StringIO(body), sep=layout.delimiter, dtype=str, keep_default_na=False,
                            skipinitialspace=True, skip_blank_lines=True)  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(f"{label}: not a valid CSV table ({_first_line(str(exc))}).") from None
    table.index = pd.RangeIndex(layout.header_line + 2, layout.header_line + 2 + len(table))
    return checked_header(table, label)


def checked_header(table: pd.DataFrame, label: str) -> pd.DataFrame:
    table.columns = [str(c).strip() for c in table.columns]
    # A separator at the end of every line (or an empty spreadsheet column) makes an unnamed, empty column.
    empty = [c for c in table.columns if (c == "" or c.startswith("Unnamed:")) and not table[c].str.strip().any()]
    table = table.drop(columns=empty)
    unnamed = [i for i, c in enumerate(table.columns) if c == "" or c.startswith("Unnamed:")]
    if unnamed:
        raise InvalidInput(f"{label}: column {unnamed[0] + 1} has no name in the header line.")
    if len(set(table.columns)) != len(table.columns) or any(_is_mangled(c, table.columns) for c in table.columns):
        seen: set[str] = set()
        for col in table.columns:
            base = col.rsplit(".", 1)[0]
            if col in seen or (base in seen and _is_mangled(col, table.columns)):
                raise InvalidInput(f"{label}: column {base!r} appears more than once in the header.")
            seen.add(col)
    if len(table) == 0:
        raise InvalidInput(f"{label}: has a header but no data rows.")
    return table


def _is_mangled(col: str, columns: list[str]) -> bool:
    # pandas renames a repeated header 'x' to 'x.1'; real names like 'x.1' without an 'x' stay valid.
    base, _, suffix = col.rpartition(".")
    return bool(base) and suffix.isdigit() and base in columns


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unreadable"
