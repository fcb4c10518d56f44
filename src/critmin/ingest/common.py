"""Reading helpers shared by the importers: checked CSV reading and value tokens.

Every helper reports problems as :class:`~critmin.errors.IngestError` with the file, the
line (1-based, as an editor shows it) and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError

LINE = "_line"
"""Name of the column that carries each record's line number in the file."""

FLAG_TOKENS: dict[str, str] = {
    "W": "W",
    "NA": "NA",
    "XX": "XX",
    "—": "—",
    "–": "—",
    "--": "—",
    "-": "—",
    "E": "E",
    "s": "s",
    "Large": "Large",
    "large": "Large",
}
"""Non-numeric tokens of the USGS tables kept as flags: W withheld, NA not available,
XX not applicable, — zero or none, E net exporter, s suppressed, Large."""

_BOUND = re.compile(r"^\s*([<>]=?)\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*$")
_NUMBER = re.compile(r"^\s*\(?-?[0-9][0-9,]*(?:\.[0-9]+)?\)?\s*$|^\s*-?\.[0-9]+\s*$")


def read_text(path: Path, encoding: str) -> str:
    """Read a whole file as text, naming the line of the first byte that does not decode.

    A UTF-8 byte-order mark is removed.
    """
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"bytes {data[exc.start : exc.end]!r} at offset {exc.start} are not valid {encoding}; "
            "is this the right file, or was it saved in another encoding?",
            path=str(path),
            line=line,
        ) from exc
    return text.removeprefix("\ufeff")


def read_csv_records(
    path: Path,
    *,
    encoding: str = "utf-8",
    required: Sequence[str] = (),
    text: str | None = None,
    drop_blank: bool = True,
) -> pd.DataFrame:
    """Read a CSV into a frame of strings with a ``_line`` column, checking its shape.

    Parameters
    ----------
    path
        The file; named in every error.
    encoding
        Text encoding of the file.
    required
        Columns the header must contain; a missing one is an error naming it.
    text
        The decoded text, when the caller has it already.
    drop_blank
        Drop records whose every field is empty (USGS files end with blank rows).

    Raises
    ------
    IngestError
        Undecodable bytes, an unterminated quote, a record with more fields than the header
        (or, when it is the file's last record, fewer: a truncated file).
    """
    if text is None:
        text = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError("file is empty", path=str(path), line=1) from None
    except csv.Error as exc:
        raise IngestError(f"cannot read the header: {exc}", path=str(path), line=1) from exc
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise IngestError(
            f"missing column(s) {missing}; the header has {header}. Wrong file or changed format?",
            path=str(path),
            line=1,
            column=missing[0],
        )
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 2
    last_short = False
    try:
        for record in reader:
            end = reader.line_num
            if drop_blank and all(not field.strip() for field in record):
                start = end + 1
                continue
            if len(record) > width:
                extra = [f for f in record[width:] if f.strip()]
                if extra:
                    raise IngestError(
                        f"{len(record)} fields where the header has {width}; extra value(s) {extra[:3]}",
                        path=str(path),
                        line=start,
                    )
                record = record[:width]
            elif len(record) < width:
                record = record + [""] * (width - len(record))
                short = True
            else:
                short = False
            rows.append(record)
            lines.append(start)
            last_short = short
            start = end + 1
    except csv.Error as exc:
        raise IngestError(f"malformed CSV: {exc}", path=str(path), line=start) from exc
    if rows and last_short and not text.endswith(("\n", "\r")):
        raise IngestError(
            f"the last record has fewer fields than the header's {width} and no line end: "
            "the file looks truncated",
            path=str(path),
            line=lines[-1],
        )
    if rows and not text.endswith(("\n", "\r")):
        tail = "\n".join(re.split(r"\r\n|\r|\n", text)[lines[-1] - 1 :])
        if tail.count('"') % 2:
            raise IngestError(
                "the last record ends inside a quoted field with no closing quote and no line end: "
                "the file looks truncated",
                path=str(path),
                line=lines[-1],
            )
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    frame[LINE] = np.asarray(lines, dtype=np.int64)
    return frame


def _unique(names: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out


def parse_values(
    values: pd.Series,
    *,
    path: Path,
    column: str,
    lines: pd.Series | None = None,
    extra_flags: dict[str, str] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Split published cells into numbers and flags.

    ``"226,000"`` becomes 226000.0 with no flag; ``"W"``, ``"NA"``, ``"—"``, ``"E"`` and
    other known tokens become NaN with the token as flag; ``">50"`` becomes 50.0 with flag
    ``">"`` (a bound, not an exact value); an empty cell becomes NaN with no flag.
    A trailing footnote marker such as ``"1,200e"`` is an error: values are never guessed.

    Returns
    -------
    (values, flags)
        A float Series and an object Series (None where the value is plain).

    Raises
    ------
    IngestError
        Naming the first cell that is neither a number nor a known token, with its line.
    """
    flags_map = {**FLAG_TOKENS, **(extra_flags or {})}
    text = values.fillna("").astype(str).str.strip()
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    flag = pd.Series(None, index=values.index, dtype=object)
    is_number = text.str.match(_NUMBER)
    cleaned = text[is_number].str.replace(",", "", regex=False)
    negative_paren = cleaned.str.startswith("(")
    cleaned = cleaned.str.strip("()")
    nums = pd.to_numeric(cleaned, errors="coerce")
    nums[negative_paren] = -nums[negative_paren]
    out[is_number] = nums
    known = text.isin(list(flags_map))
    flag[known] = text[known].map(flags_map)
    bounds = text.str.extract(_BOUND)
    is_bound = bounds[0].notna()
    out[is_bound] = pd.to_numeric(bounds.loc[is_bound, 1].str.replace(",", "", regex=False))
    flag[is_bound] = bounds.loc[is_bound, 0]
    blank = text == ""
    bad = ~(is_number | known | is_bound | blank)
    if bad.any():
        first = bad.idxmax()
        line = int(lines[first]) if lines is not None else None
        raise IngestError(
            f"value {text[first]!r} is neither a number nor a known flag "
            f"({sorted(set(flags_map))}); {int(bad.sum())} such cell(s)",
            path=str(path),
            line=line,
            column=column,
        )
    return out, flag


_FOOTNOTE = re.compile(r"(?<=[A-Za-z\).])\s*\d{1,2}(?:,\s*\d{1,2})*\s*$")


def strip_footnote(name: str) -> str:
    """Remove footnote digits glued to a name: ``"New Caledonia11"`` -> ``"New Caledonia"``.

    Only one or two trailing digits (or a comma-separated run of them) after a letter, a
    bracket or a full stop are taken as footnote markers; country and commodity names of
    our sources never end in digits of their own.
    """
    return _FOOTNOTE.sub("", name).strip()


def require_non_negative(
    frame: pd.DataFrame, column: str, *, path: Path, allow_negative: bool = False
) -> None:
    """Raise naming the first rows whose ``column`` is negative."""
    if allow_negative:
        return
    bad = frame[frame[column] < 0]
    if len(bad):
        raise IngestError.from_rows(
            f"negative {column}", bad, total=len(frame), path=str(path), column=column
        )
