"""Gazetteers for event extraction, built from the bundled catalogs plus a few hand tables.

Countries come from ``places.csv`` (non-aggregate rows) and ``country_aliases.csv`` (names, not
codes), plus the small tables below: short names, demonyms, capitals and government bodies that act
for a country ("MOFCOM" -> CHN, "US Department of the Treasury" -> USA). Commodities come from
``commodities.csv`` names and the ``names_*.csv`` source names, plus a few news phrasings
("rare earth elements" -> rare_earths, "graphite" -> graphite_natural, "rare earth magnets" ->
permanent_magnets, "hydrogen fluoride" -> fluorine: the codes the labelled corpus uses).

Every entry carries a *kind*: ``country`` (a country's name), ``actor`` (a capital, ministry or
government body: it names who acts), ``demonym`` ("Indian") or ``place`` (a place inside a
country, e.g. Chabahar port, which names where, never who).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: Marker put among commodities when the text speaks of "critical minerals" in general.
CRITICAL_MINERALS = "critical_minerals"

_COUNTRY_EXTRA: dict[str, str] = {
    "US": "USA",
    "U.S.": "USA",
    "U.S": "USA",
    "USA": "USA",
    "United States of America": "USA",
    "America": "USA",
    "UK": "GBR",
    "Britain": "GBR",
    "Great Britain": "GBR",
    "DRC": "COD",
    "D.R. Congo": "COD",
    "Democratic Republic of Congo": "COD",
    "Democratic Republic of the Congo": "COD",
    "Congo-Kinshasa": "COD",
    "Republic of Korea": "KOR",
    "Korea": "KOR",
    "Turkey": "TUR",
    "Czech Republic": "CZE",
    "Viet Nam": "VNM",
    "Russian Federation": "RUS",
    "European Union": "EUU",
    "EU": "EUU",
    "Commonwealth of Australia": "AUS",
    "People's Republic of China": "CHN",
    "PRC": "CHN",
}

_DEMONYMS: dict[str, str] = {
    "Indian": "IND",
    "Indians": "IND",
    "Japanese": "JPN",
    "Chinese": "CHN",
    "American": "USA",
    "Americans": "USA",
    "Australian": "AUS",
    "Australians": "AUS",
    "Indonesian": "IDN",
    "Congolese": "COD",
    "Iranian": "IRN",
    "Russian": "RUS",
    "Korean": "KOR",
    "South Korean": "KOR",
    "German": "DEU",
    "French": "FRA",
    "British": "GBR",
    "Briton": "GBR",
    "Britons": "GBR",
    "Canadian": "CAN",
    "Brazilian": "BRA",
    "Chilean": "CHL",
    "Zimbabwean": "ZWE",
    "Burmese": "MMR",
    "Myanmar's": "MMR",
    "Vietnamese": "VNM",
    "Malaysian": "MYS",
    "Philippine": "PHL",
    "European": "EUU",
    "Saudi": "SAU",
    "Saudi Arabian": "SAU",
    "Emirati": "ARE",
    "Qatari": "QAT",
    "New Zealander": "NZL",
    "New Zealanders": "NZL",
    "Argentine": "ARG",
    "Argentinian": "ARG",
    "Bolivian": "BOL",
    "Peruvian": "PER",
    "Mexican": "MEX",
    "Colombian": "COL",
    "Ecuadorian": "ECU",
    "Panamanian": "PAN",
    "Venezuelan": "VEN",
    "Cuban": "CUB",
    "South African": "ZAF",
    "Zambian": "ZMB",
    "Namibian": "NAM",
    "Nigerien": "NER",
    "Nigerian": "NGA",
    "Malian": "MLI",
    "Guinean": "GIN",
    "Ghanaian": "GHA",
    "Gabonese": "GAB",
    "Mozambican": "MOZ",
    "Tanzanian": "TZA",
    "Malagasy": "MDG",
    "Rwandan": "RWA",
    "Kenyan": "KEN",
    "Egyptian": "EGY",
    "Moroccan": "MAR",
    "Kazakh": "KAZ",
    "Mongolian": "MNG",
    "Uzbek": "UZB",
    "Ukrainian": "UKR",
    "Turkish": "TUR",
    "Filipino": "PHL",
    "Thai": "THA",
    "Taiwanese": "TWN",
    "Singaporean": "SGP",
    "Pakistani": "PAK",
    "Bangladeshi": "BGD",
    "Sri Lankan": "LKA",
    "Israeli": "ISR",
    "Italian": "ITA",
    "Spanish": "ESP",
    "Dutch": "NLD",
    "Swedish": "SWE",
    "Finnish": "FIN",
    "Norwegian": "NOR",
    "Polish": "POL",
}

_ACTORS: dict[str, str] = {
    "New Delhi": "IND",
    "Delhi": "IND",
    "MEA": "IND",
    "Ministry of External Affairs": "IND",
    "External Affairs Ministry": "IND",
    "External Affairs Minister": "IND",
    "Khanij Bidesh India Limited": "IND",
    "KABIL": "IND",
    "Beijing": "CHN",
    "MOFCOM": "CHN",
    "General Administration of Customs": "CHN",
    "China's Ministry of Commerce": "CHN",
    "Tokyo": "JPN",
    "METI": "JPN",
    "JOGMEC": "JPN",
    "Washington": "USA",
    "White House": "USA",
    "US Department of the Treasury": "USA",
    "U.S. Department of the Treasury": "USA",
    "Department of the Treasury": "USA",
    "US Treasury": "USA",
    "U.S. Treasury": "USA",
    "OFAC": "USA",
    "State Department": "USA",
    "Pentagon": "USA",
    "Defense Logistics Agency": "USA",
    "US Trade Representative": "USA",
    "U.S. Trade Representative": "USA",
    "United States Trade Representative": "USA",
    "USTR": "USA",
    "Bureau of Industry and Security": "USA",
    "Foreign Office": "GBR",
    "Foreign and Commonwealth Office": "GBR",
    "Foreign, Commonwealth and Development Office": "GBR",
    "FCO": "GBR",
    "FCDO": "GBR",
    "Foreign Commonwealth Office": "GBR",
    "Foreign Commonwealth and Development Office": "GBR",
    "Smartraveller": "AUS",
    "Global Affairs Canada": "CAN",
    "Canberra": "AUS",
    "Jakarta": "IDN",
    "Kinshasa": "COD",
    "ARECOMS": "COD",
    "Tehran": "IRN",
    "Moscow": "RUS",
    "Seoul": "KOR",
    "Harare": "ZWE",
    "Naypyidaw": "MMR",
    "Brussels": "EUU",
    "European Commission": "EUU",
    "Ottawa": "CAN",
    "Santiago": "CHL",
}

_PLACES: dict[str, str] = {
    "Chabahar": "IRN",
    "Chabahar port": "IRN",
    "Katanga": "COD",
    "Kolwezi": "COD",
    "Western Australia": "AUS",
    "Northern Territory": "AUS",
    "Perth": "AUS",
    "Sydney": "AUS",
    "Inner Mongolia": "CHN",
    "Baotou": "CHN",
    "Sulawesi": "IDN",
}

_COMMODITY_EXTRA: dict[str, str] = {
    "rare earth": "rare_earths",
    "rare earths": "rare_earths",
    "rare-earth": "rare_earths",
    "rare-earths": "rare_earths",
    "rare earth elements": "rare_earths",
    "rare earth metals": "rare_earths",
    "rare earth minerals": "rare_earths",
    "rare minerals": "rare_earths",
    "REE": "rare_earths",
    "REEs": "rare_earths",
    "heavy rare earths": "rare_earths_heavy",
    "light rare earths": "rare_earths_light",
    "graphite": "graphite_natural",
    "natural graphite": "graphite_natural",
    "flake graphite": "graphite_natural",
    "natural flake graphite": "graphite_natural",
    "synthetic graphite": "graphite_synthetic",
    "artificial graphite": "graphite_synthetic",
    "aluminium": "aluminum",
    "nickel ore": "nickel",
    "cobalt hydroxide": "cobalt",
    "lithium concentrate": "lithium",
    "spodumene": "lithium",
    "coltan": "tantalum",
    "platinum group metals": "pgm",
    "PGMs": "pgm",
    "steel": "iron_steel",
    "steel products": "iron_steel",
    "diamonds": "diamond_gem",
    "rough diamonds": "diamond_gem",
    "crude oil": "petroleum",
    "liquefied petroleum gas": "petroleum",
    "LPG": "petroleum",
    "permanent magnet": "permanent_magnets",
    "rare earth magnets": "permanent_magnets",
    "rare-earth magnets": "permanent_magnets",
    "rare earth permanent magnets": "permanent_magnets",
    "NdFeB": "permanent_magnets",
    "NdFeB magnets": "permanent_magnets",
    "neodymium magnets": "permanent_magnets",
    "graphite electrode": "graphite_synthetic",
    "graphite electrodes": "graphite_synthetic",
    "hydrogen fluoride": "fluorine",
    "hydrofluoric acid": "fluorine",
    "fluorinated polyimide": "fluorine",
    "fluorinated polyimides": "fluorine",
    "chrome": "chromium",
    "chromite": "chromium",
    "pig iron": "iron_steel",
    "jade": "gemstones",
    "jadeite": "gemstones",
    "rubies": "gemstones",
    "critical minerals": CRITICAL_MINERALS,
    "critical mineral": CRITICAL_MINERALS,
    "critical raw materials": CRITICAL_MINERALS,
    "strategic minerals": CRITICAL_MINERALS,
}

#: Catalog names too ambiguous in running English to be matched ("lead" the verb, "stone" ...).
_COMMODITY_SKIP = frozenset(
    {
        "lead",
        "stone",
        "lime",
        "salt",
        "cement",
        "peat",
        "clays",
        "diamond",
        "gemstones",
        "pumice and pumicite",
        "iron and steel",
        "sand and gravel",
        "phosphorus",
    }
)
_SIMPLE_NAME = re.compile(r"^[A-Za-z][A-Za-z \-]{2,40}$")


@dataclass(frozen=True)
class Entry:
    """One gazetteer phrase.

    Attributes
    ----------
    phrase : str
        The surface text matched (case-insensitive except for short upper-case acronyms).
    code : str
        ISO3 (or bloc) code for places, catalog commodity id for commodities.
    kind : str
        ``country``, ``actor``, ``demonym``, ``place`` or ``commodity``.
    """

    phrase: str
    code: str
    kind: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("critmin.data.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def country_entries() -> tuple[Entry, ...]:
    """Country, demonym, actor and place phrases with their ISO3 codes.

    Returns
    -------
    tuple of Entry
        Catalog names first, then the hand tables (later entries win on the same phrase).
    """
    table: dict[str, Entry] = {}
    for row in _rows("places.csv"):
        if row["is_aggregate"].strip().lower() == "true":
            continue
        table[row["name"]] = Entry(row["name"], row["code"], "country")
    for row in _rows("country_aliases.csv"):
        name = row["name"]
        if name.isupper() and len(name) <= 3:  # codes such as ZAR or NA, not names
            continue
        table[name] = Entry(name, row["iso3"], "country")
    for name, code in _COUNTRY_EXTRA.items():
        table[name] = Entry(name, code, "country")
    for name, code in _DEMONYMS.items():
        table[name] = Entry(name, code, "demonym")
    for name, code in _ACTORS.items():
        table[name] = Entry(name, code, "actor")
    for name, code in _PLACES.items():
        table[name] = Entry(name, code, "place")
    return tuple(table.values())


def _strip_parenthetical(name: str) -> str:
    return re.sub(r"\s*\(.*?\)\s*", " ", name).strip()


@lru_cache(maxsize=1)
def commodity_entries() -> tuple[Entry, ...]:
    """Commodity phrases with their catalog ids.

    Returns
    -------
    tuple of Entry
        From ``commodities.csv`` names (parentheses dropped when that leaves the name unique),
        ``names_lists.csv``, ``names_wmd.csv`` and ``names_usgs_mcs.csv`` source names, then the
        hand table; ambiguous English words (``lead``, ``stone`` ...) are left out.
    """
    table: dict[str, Entry] = {}

    def add(phrase: str, code: str) -> None:
        key = phrase.strip().lower()
        if not key or key in _COMMODITY_SKIP or not _SIMPLE_NAME.match(phrase.strip()):
            return
        table.setdefault(key, Entry(phrase.strip(), code, "commodity"))

    catalog = _rows("commodities.csv")
    stripped: dict[str, list[str]] = {}
    for row in catalog:
        stripped.setdefault(_strip_parenthetical(row["name"]).lower(), []).append(row["commodity"])
    for row in catalog:
        add(row["name"], row["commodity"])
        short = _strip_parenthetical(row["name"])
        if len(stripped[short.lower()]) == 1:
            add(short, row["commodity"])
    for source in ("names_lists.csv", "names_wmd.csv", "names_usgs_mcs.csv"):
        for row in _rows(source):
            add(row["source_name"], row["commodity"])
    for phrase, code in _COMMODITY_EXTRA.items():
        table[phrase.lower()] = Entry(phrase, code, "commodity")
    return tuple(table.values())
