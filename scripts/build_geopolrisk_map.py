"""Write ``src/critmin/data/reference/geopolrisk_hs_map.csv``: geopolrisk-py's HS92 codes per material.

GeoPolRisk (geopolrisk-py 2.0.1, ``utils.Mapping``) scores each World Mining Data material with
the trade of its ``HS Code`` and ``HS Code - Complementary`` codes, which may be ores,
intermediates or refined forms (cobalt: oxides 282200 and mattes/unwrought 810510), whatever
stage the production figures are. This script takes that mapping from the package's own table
(``CRITMIN_RAW_DATA/geopolrisk/wmd_commodity_hs_map.csv``, exported unchanged from its
``world_mining_data.db``), names each material with critmin's commodity, stage and form through
``names_wmd.csv`` (the stage of the WMD figures), and records the catalog stage of each code
(``hs_stage``, from ``hs_codes.csv``). Materials the package cannot score (``Not Available``, no
symbol) are left out, as the package leaves them out. Run after a change of any of the three::

    .venv/bin/python scripts/build_geopolrisk_map.py --raw ../shared/data
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

from critmin.data import read_reference, reference_path

COLUMNS = ["wmd_commodity", "commodity", "stage", "form", "hs6", "role", "hs_stage", "description"]


def build(raw: Path) -> pd.DataFrame:
    """The map's rows, sorted by commodity, stage, form, role (main first) and code."""
    peer = pd.read_csv(raw / "geopolrisk" / "wmd_commodity_hs_map.csv", dtype=str, keep_default_na=False)
    peer = peer[(peer["hs_code"] != "Not Available") & (peer["hs_code"] != "") & (peer["symbol"] != "")]
    names = read_reference("names_wmd.csv").set_index("source_name")
    catalog = read_reference("hs_codes.csv")
    catalog = catalog[catalog["nomenclature"] == "HS92"].drop_duplicates("hs6").set_index("hs6")
    rows = []
    for item in peer.itertuples(index=False):
        named = names.loc[item.wmd_commodity]
        codes = [(item.hs_code, "main")] + [
            (code.strip(), "complementary") for code in item.hs_code_complementary.split(";") if code.strip()
        ]
        for code, role in codes:
            known = code in catalog.index
            rows.append(
                {
                    "wmd_commodity": item.wmd_commodity,
                    "commodity": named["commodity"],
                    "stage": named["stage"],
                    "form": named["form"],
                    "hs6": code,
                    "role": role,
                    "hs_stage": catalog.loc[code, "stage"] if known else "",
                    "description": catalog.loc[code, "description"] if known else item.hs_description,
                }
            )
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["_main"] = table["role"] != "main"
    return table.sort_values(["commodity", "stage", "form", "_main", "hs6"])[COLUMNS]


def main() -> None:
    """Write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="The raw-data folder (CRITMIN_RAW_DATA).")
    table = build(parser.parse_args().raw)
    with reference_path("geopolrisk_hs_map.csv").open("w", newline="", encoding="utf-8") as out:
        table.to_csv(out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    print(f"geopolrisk_hs_map.csv: {table['wmd_commodity'].nunique()} materials, {len(table)} codes")


if __name__ == "__main__":
    main()
