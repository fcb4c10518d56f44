"""Regenerate ``src/critmin/data/reference/places.csv`` from country_converter and aggregates.csv."""

from pathlib import Path

import country_converter as coco
import pandas as pd

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "critmin" / "data" / "reference"


def main() -> None:
    countries = coco.CountryConverter().data[["ISO3", "name_short"]].drop_duplicates("ISO3")
    countries = countries.rename(columns={"ISO3": "code", "name_short": "name"}).assign(is_aggregate="false")
    aggregates = pd.read_csv(REFERENCE / "aggregates.csv", dtype=str, keep_default_na=False)[["code", "name"]]
    places = pd.concat([countries, aggregates.assign(is_aggregate="true")]).sort_values("code")
    if not places["code"].is_unique:
        raise SystemExit("place codes are not unique")
    places.to_csv(REFERENCE / "places.csv", index=False)


if __name__ == "__main__":
    main()
