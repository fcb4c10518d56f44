"""Derive critmin's bundled default dataset from the raw source files.

Usage: ``python scripts/build_bundle.py --raw ../shared/data [--out src/critmin/data/bundle]``
(``make bundle``). Only openly licensed sources are bundled: USGS (public domain), CEPII BACI
(Etalab 2.0), World Bank WGI (CC BY 4.0) and critmin's own compiled reference tables (official
lists and export restrictions). UN Comtrade and World Mining Data stay importable, not bundled.

The files are imported exactly as a user would import them (``Critmin.import_files``) into a
temporary store, which is then written out as Parquet with a manifest and an attribution file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from critmin.api import Critmin
from critmin.ingest.registry import importer
from critmin.store.bundle import export_bundle

REPO = Path(__file__).resolve().parents[1]

REFUSED = {
    "mcs2024-cobal_salient_DEFECTIVE_contains_world_table.csv": "holds a world table, not salient statistics",
    "mcs2024-gypsu_salient_DEFECTIVE_contains_world_table.csv": "holds a world table, not salient statistics",
    "mcs2024-kyani_salient_DEFECTIVE_contains_world_table.csv": "holds a world table, not salient statistics",
    "mcs2024-felds_salient.csv": "values past the last header column: misaligned in the source",
    "mcs2024-fluor_salient.csv": "values past the last header column: misaligned in the source",
    "mcs2024-vermi_world.csv": "numbers in the Reserves_notes column: a header is missing in the source",
}
"""USGS files the importer refuses, with the reason; every other file must import."""


def bundled_files(raw: Path) -> dict[str, list[Path]]:
    """The raw files that make up the bundle, by importer source name."""
    usgs = sorted((raw / "usgs_mcs").glob("mcs2022/*_world.csv"))
    for release in ("mcs2023", "mcs2024"):
        usgs += sorted((raw / "usgs_mcs" / release / "world").glob("*_world.csv"))
        usgs += sorted((raw / "usgs_mcs" / release / "salient").glob("*_salient*.csv"))
    usgs += sorted((raw / "usgs_mcs").glob("mcs2022/*_salient.csv"))
    usgs = [path for path in usgs if path.name not in REFUSED]
    usgs.append(raw / "usgs_mcs" / "mcs2026" / "MCS2026_Commodities_Data.csv")
    return {
        "usgs-mcs": usgs,
        "baci": [
            raw / "geopolrisk" / "baci_hs92_minerals_1995_2024.csv",
            raw / "baci" / "baci_hs17_v202601_atlas31codes_2022.csv",
            raw / "baci" / "baci_hs17_v202601_atlas30codes_2024_with_qty.csv",
        ],
        "wgi": [raw / "wgi" / "wgidataset_2024update_1996_2023.csv"],
        "lists": [raw / "lists" / "critical_mineral_lists.csv"],
        "restrictions": [raw / "policy" / "export_restrictions_critical_minerals_curated.csv"],
    }


def attribution(db: Critmin) -> str:
    """The ATTRIBUTION.md text: each bundled source with its releases, licence and citation."""
    lines = [
        "# Attribution of critmin's bundled default dataset",
        "",
        "Derived by `scripts/build_bundle.py` from the publishers' files; every row of every table carries",
        "the `vintage_id` of the file it came from (see `vintages.parquet`: file name, SHA-256, release).",
        "",
    ]
    for source, releases in db.sources().groupby("source", sort=True):
        first = releases.iloc[0]
        lines += [
            f"## {source}",
            "",
            f"- Licence: {first['licence']}",
            f"- Citation: {first['citation']}",
            f"- URL: {first['url']}",
            "- Releases: "
            + "; ".join(
                f"{r.release} ({r.files} file{'s' if r.files != 1 else ''})" for r in releases.itertuples()
            ),
            "",
        ]
    lines += ["## Source files left out", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in sorted(REFUSED.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, required=True, help="Folder of raw source files (shared/data).")
    parser.add_argument("--out", type=Path, default=REPO / "src" / "critmin" / "data" / "bundle")
    args = parser.parse_args(argv)
    files = bundled_files(args.raw)
    for source in files:
        if not importer(source).INFO.bundled:
            raise SystemExit(f"{source} is not openly licensed and must not be bundled")
    with tempfile.TemporaryDirectory() as tmp:
        db = Critmin(Path(tmp) / "bundle.duckdb")
        db.store.initialise()
        for source, paths in files.items():
            outcomes = db.import_files(source, paths)
            rows = sum(sum(o.rows.values()) for o in outcomes)
            print(f"{source}: {len(outcomes)} files, {rows:,} rows", file=sys.stderr)
        for stale in args.out.glob("*.parquet"):
            stale.unlink()
        counts = export_bundle(db.store, args.out)
        (args.out / "ATTRIBUTION.md").write_text(attribution(db))
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"bundle written to {args.out}: {counts} ({size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
