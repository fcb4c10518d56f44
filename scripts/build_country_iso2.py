"""Write ``src/critmin/data/reference/country_iso2.csv``: ISO 3166-1 alpha-2 -> alpha-3.

The codes come from country_converter's table (a dependency of critmin), kept to the countries
of ``places.csv``, so that the name resolver (:mod:`critmin.names`) can read two-letter codes
without importing pandas and country_converter at every command. Run after a change of
country_converter or ``places.csv``::

    .venv/bin/python scripts/build_country_iso2.py
"""

from __future__ import annotations

import csv

import country_converter as coco

from critmin.data import read_reference, reference_path


def main() -> None:
    """Write the table, sorted by the two-letter code."""
    places = read_reference("places.csv")
    countries = set(places.loc[places["is_aggregate"] == "false", "code"])
    table = coco.CountryConverter().data[["ISO2", "ISO3"]]
    rows = sorted(
        (str(iso2), str(iso3))
        for iso2, iso3 in zip(table["ISO2"], table["ISO3"], strict=True)
        if iso3 in countries
    )
    with reference_path("country_iso2.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iso2", "iso3"])
        writer.writerows(rows)
    print(f"country_iso2.csv: {len(rows)} codes (country_converter {coco.__version__})")


if __name__ == "__main__":
    main()
