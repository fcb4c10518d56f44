"""Regenerate ``src/critmin/data/reference/baci_countries.csv`` from BACI's country-code files.

Usage: ``.venv/bin/python scripts/make_baci_countries.py [RAW_DATA_DIR]`` (default ``../shared/data``).

The table merges ``country_codes_V202401b.csv`` and ``country_codes_V202601.csv`` (CEPII BACI,
columns ``country_code, country_name, country_iso2, country_iso3``). Names that were saved as
UTF-8 read as Latin-1 (``CÃ´te d'Ivoire``) are repaired. A name ending ``(...1998)`` gives the
code's last year; another code with the same ISO3 then starts the year after (58 Belgium-Luxembourg
ends in 1998, so 56 Belgium starts in 1999).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "src" / "critmin" / "data" / "reference" / "baci_countries.csv"
FILES = ("baci/country_codes_V202401b.csv", "baci/country_codes_V202601.csv")
_UNTIL = re.compile(r"\(\.\.\.(\d{4})\)\s*$")


def repair(name: str) -> str:
    """Undo UTF-8 text decoded as Latin-1; leave correct text alone."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def build(raw: Path) -> pd.DataFrame:
    """The merged code table, one row per BACI numeric code."""
    frames = []
    for rank, name in enumerate(FILES):
        frame = pd.read_csv(raw / name, dtype=str, keep_default_na=False, encoding="utf-8")
        frames.append(frame.assign(rank=rank))
    codes = pd.concat(frames).sort_values("rank").drop_duplicates("country_code", keep="last")
    table = pd.DataFrame(
        {
            "code": codes["country_code"].astype(int),
            "iso3": codes["country_iso3"].str.strip(),
            "name": codes["country_name"].map(repair).str.strip(),
        }
    )
    last = table["name"].str.extract(_UNTIL)[0]
    table["last_year"] = pd.to_numeric(last).astype("Int64")
    ended = table.dropna(subset=["last_year"]).groupby("iso3")["last_year"].max()
    open_ended = table["last_year"].isna() & table["iso3"].isin(ended.index)
    table["first_year"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    table.loc[open_ended, "first_year"] = table.loc[open_ended, "iso3"].map(ended) + 1
    table = table.sort_values("code")[["code", "iso3", "name", "first_year", "last_year"]]
    return table


def main() -> None:
    raw = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    table = build(raw)
    table.to_csv(TARGET, index=False)
    print(f"wrote {len(table)} codes to {TARGET}")


if __name__ == "__main__":
    main()
