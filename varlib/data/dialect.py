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


def detect_delimiter(text: str) -> str:
    """The separator that splits the header and the first lines into the same number (two or more) of fields;
    among those, the one splitting most lines alike, then the one giving most fields. Quotes are respected, so a
    quoted `1,5` does not count as two fields."""
    lines = [line for line in text[:200_000].splitlines()[:_SAMPLE_LINES] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1.0, 0)
    sample = "\n".join(lines)
    for delimiter in DELIMITERS:
        if delimiter not in lines[0]:
            continue
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
        except csv.Error:
            continue
        header = counts[0]
        if header < 2:
            continue
        agreeing = sum(count == header for count in counts) / len(counts)
        score = (agreeing, header)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse_table(text: str, label: str, delimiter: str) -> pd.DataFrame:
    """Every cell as text, with the header's names checked."""
    try:
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skipinitialspace=True,
                            skip_blank_lines=True)  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InvalidInput(f"{label}: not a valid CSV table ({_first_line(str(exc))}).") from None
    return checked_header(table, label)


def checked_header(table: pd.DataFrame, label: str) -> pd.DataFrame:
    table.columns = [str(c).strip() for c in table.columns]
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
