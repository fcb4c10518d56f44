"""``/compare``: two to four countries side by side, mineral by mineral."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from critmin import charts, services
from critmin.web.routes.pages import lookups
from critmin.web.routes.pages.blocks import Col, Section, chart, mineral_href, note, records, table
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.exposure import TOP_BARS, releases_of, state
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)

MIN_COUNTRIES, MAX_COUNTRIES = 2, 4


def _codes(names: lookups.Lookups, text: str) -> list[str]:
    given = [c for c in re.split(r"[\s,]+", text) if c]
    codes = list(dict.fromkeys(lookups.country(names, c, "countries") for c in given))
    if not MIN_COUNTRIES <= len(codes) <= MAX_COUNTRIES:
        raise PageError(
            f"countries: give {MIN_COUNTRIES} to {MAX_COUNTRIES} different ISO3 codes, comma-separated"
        )
    return codes


@router.get("/compare", response_class=HTMLResponse)
@guarded
def compare_page(
    request: Request, countries: str = "IND, JPN", year: int | None = None, method: str = "eu"
) -> HTMLResponse:
    """Countries side by side: each one's score, import reliance and top supplier per mineral."""
    names = lookups.lookups(request)
    codes = _codes(names, countries)
    method = lookups.method(method)
    year = lookups.year(names, year)
    wide = services.compare(names.db, codes, year=year, method=method)
    label = lookups.METHODS[method]
    scores = Section("scores", f"{label} side by side")
    table_section = Section("table", "Mineral by mineral")
    if wide.empty or wide["max_score"].isna().all():
        scores.blocks.append(note("None of these countries imports a scored mineral in the trade data."))
    else:
        wide = wide.assign(mineral=[names.minerals.get(str(c), str(c)) for c in wide["commodity"]])
        for code in codes:
            wide[f"top1_name_{code}"] = [
                names.label(e) if isinstance(e, str) else None for e in wide[f"top1_exporter_{code}"]
            ]
        scores.blocks.append(chart(_chart(wide, codes, names, label, year), "compare-chart"))
        columns = [Col("Mineral", "mineral", href=mineral_href), Col("Stage", "stage")]
        for code in codes:
            columns += [
                Col(f"{code} {label}", f"score_{code}", ""),
                Col(f"{code} import reliance", f"import_reliance_{code}", "share"),
                Col(f"{code} top supplier", f"top1_name_{code}"),
                Col(f"{code} top supplier share", f"top1_share_{code}", "share"),
            ]
        table_section.blocks.append(
            table(
                records(wide),
                columns,
                caption=f"{', '.join(names.places[c] for c in codes)}: {label} and suppliers, {year}",
                source=releases_of(wide),
                key="commodity",
                ident="compare-table",
            )
        )
    return render(
        request,
        "compare.html.j2",
        title=f"Compare: {', '.join(names.places[c] for c in codes)}",
        current="compare",
        intro="Two to four countries side by side: how critical each mineral is for each, "
        "and who supplies it.",
        state=state(countries=", ".join(codes), year=year, method=method),
        codes=codes,
        country_links=[(c, names.places[c]) for c in codes],
        years=names.years,
        methods=lookups.METHODS,
        sections=[scores, table_section],
    )


def _chart(
    wide: pd.DataFrame, codes: list[str], names: lookups.Lookups, label: str, year: int
) -> dict[str, Any]:
    """Grouped bars of each country's score for the minerals scored highest for any of them."""
    top = wide.dropna(subset=["max_score"]).head(TOP_BARS)
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "label": [f"{m} ({s})" for m, s in zip(top["mineral"], top["stage"], strict=True)],
                    "name": names.places[code],
                    "score": top[f"score_{code}"],
                    "year": top["year"],
                    "provenance": top["provenance"],
                }
            )
            for code in codes
        ],
        ignore_index=True,
    )
    return charts.grouped_bars(
        long,
        category="label",
        value="score",
        group="name",
        unit="",
        title=f"{label}, {year}: the minerals scored highest for any of {', '.join(codes)}",
        source=f"{label} on {releases_of(top)}",
        vintage=releases_of(top),
    )
