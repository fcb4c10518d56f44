"""Project evaluation on the bundled rare-earth network (BACI HS92 2024, USGS MCS, WGI)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import critmin
from critmin.partnership.projects import (
    Project,
    ProjectError,
    apply_project,
    evaluate,
    import_hhi,
    parse_projects,
    rank,
    world_hhi,
)
from critmin.scenarios.network import Network, build_network

N, SEED = 2000, 7


@pytest.fixture(scope="module")
def network(bundled: critmin.Critmin) -> Network:
    return build_network(bundled, 2024, commodity="rare_earths")


@pytest.fixture(scope="module")
def governance(bundled: critmin.Critmin) -> pd.DataFrame:
    return bundled.governance(indicator="pv")


def plant(capacity: float, offtake: dict[str, float] | None = None, name: str | None = None) -> Project:
    return Project(
        name=name or f"IND separation {capacity:g} t",
        country="IND",
        commodity="rare_earths",
        stage="refinery",
        capacity_t=capacity,
        start_year=2028,
        offtake={"JPN": 0.5} if offtake is None else offtake,
    )


def test_apply_project_copies_and_adds_capacity_and_offtake(network: Network) -> None:
    flows, production, nodes = network.flows.copy(), network.production.copy(), network.nodes
    project = plant(4000, {"JPN": 0.5, "KOR": 0.5})  # no rest: the IND row rises by the offtake only
    for displace in (False, True):
        after = apply_project(network, project, displace=displace)
        assert np.array_equal(network.flows, flows) and np.array_equal(network.production, production)
        assert network.nodes == nodes and after.flows is not network.flows
        i, j, k = after.index("IND"), after.index("JPN"), after.index("KOR")
        assert after.production[i] == pytest.approx(production[i] + 4000)
        assert after.flows[i, j] - flows[i, j] == pytest.approx(2000)
        assert after.flows[i, k] - flows[i, k] == pytest.approx(2000)
        assert after.exports[i] - network.exports[i] == pytest.approx(4000)
        assert "project IND separation 4000 t" in after.provenance
        assert set(network.provenance.split("; ")) < set(after.provenance.split("; "))
    # without displacement nothing else moves; with it, JPN's consumption is unchanged
    added = apply_project(network, project, displace=False)
    moved = added.flows - flows
    moved[added.index("IND")] = 0
    assert not moved.any()
    shifted = apply_project(network, project)
    j = shifted.index("JPN")
    assert shifted.imports[j] == pytest.approx(network.imports[j])
    # JPN re-exports to KOR, whose imports IND's offtake displaces too: JPN (no production to cut)
    # keeps what it no longer re-exports
    assert shifted.exports[j] < network.exports[j]
    assert shifted.consumption[j] - network.consumption[j] == pytest.approx(
        network.exports[j] - shifted.exports[j]
    )


def test_rest_is_split_between_home_and_existing_customers(network: Network) -> None:
    i = network.index("IND")
    exported = network.exports[i] / (network.exports[i] + network.consumption[i])
    after = apply_project(network, plant(1000, {"JPN": 0.25}), displace=False)
    rest = 750.0
    assert after.exports[i] - network.exports[i] == pytest.approx(250 + rest * exported)
    assert after.consumption[i] - network.consumption[i] == pytest.approx(rest * (1 - exported))
    # at home the rest replaces IND's imports when displacing (demand unchanged)
    shifted = apply_project(network, plant(1000, {"JPN": 0.25}))
    assert shifted.consumption[i] == pytest.approx(network.consumption[i])
    assert shifted.imports[i] == pytest.approx(network.imports[i] - rest * (1 - exported))


def test_places_not_in_the_network_become_nodes(network: Network) -> None:
    absent = [c for c in ("ATA", "XKX", "ZZZ") if not network.has(c)][:2]
    assert len(absent) == 2
    project = Project(
        name="new",
        country=absent[0],
        commodity="rare_earths",
        stage="refinery",
        capacity_t=100,
        start_year=2030,
        offtake={absent[1]: 0.4, "JPN": 0.6},
    )
    after = apply_project(network, project)
    assert after.size == network.size + 2 and after.nodes[: network.size] == network.nodes
    c, p = after.index(absent[0]), after.index(absent[1])
    assert after.production[c] == 100 and after.flows[c, p] == pytest.approx(40)
    assert after.flows[c, after.index("JPN")] == pytest.approx(60)
    assert after.flows[:, c].sum() == 0 and after.production[p] == 0
    assert not network.has(absent[0])


def test_india_plant_cuts_japans_concentration_and_tail_risk(
    network: Network, governance: pd.DataFrame
) -> None:
    table = evaluate(
        {"rare_earths": network}, [plant(5000)], ["IND", "JPN"], n=N, seed=SEED, governance=governance
    )
    row = table.set_index("partner")
    jpn, ind = row.loc["JPN"].to_dict(), row.loc["IND"].to_dict()
    assert bool(jpn["common_draws"])
    assert jpn["import_hhi_after"] < jpn["import_hhi_before"] == pytest.approx(import_hhi(network, "JPN"))
    assert jpn["cvar95_t_after"] < jpn["cvar95_t_before"]
    assert jpn["cvar95_cut_t"] > 0
    assert ind["cvar95_t_after"] <= ind["cvar95_t_before"]
    assert jpn["world_hhi_after"] < jpn["world_hhi_before"] == pytest.approx(world_hhi(network))
    assert "wgi" in str(jpn["provenance"]) and "baci" in str(jpn["provenance"])
    assert (table["draws"] == N).all() and (table["seed"] == SEED).all()


def test_import_concentration_falls_with_size_only_until_the_new_supplier_dominates(network: Network) -> None:
    """What is guaranteed: JPN's import HHI is ``s^2 + (1 - s)^2 H_o`` (pro rata displacement keeps the
    other suppliers' HHI ``H_o``), so it falls with the plant's size while the plant's share
    ``s < H_o / (1 + H_o)`` and rises after. CVaR need not be monotone in size: past that point
    JPN's tail follows the new supplier (the 50,000 t plant would take all its imports)."""
    j = network.index("JPN")
    others = network.flows[:, j].copy()
    others[network.index("IND")] = 0
    h_o = float(((others / others.sum()) ** 2).sum())
    hhis, shares = [], []
    for capacity in (500, 1000, 2000, 5000, 10_000, 20_000, 50_000):
        after = apply_project(network, plant(capacity))
        share = after.flows[after.index("IND"), j] / after.imports[j]
        assert import_hhi(after, "JPN") == pytest.approx(share**2 + (1 - share) ** 2 * h_o)
        hhis.append(import_hhi(after, "JPN"))
        shares.append(share)
    below = [h for h, s in zip(hhis, shares, strict=True) if s < h_o / (1 + h_o)]
    assert len(below) >= 5 and all(np.diff(below) < 0)
    assert hhis[-1] > import_hhi(network, "JPN")  # 50,000 t: JPN buys only from IND


def test_bigger_plant_is_not_always_better_on_risk(network: Network, governance: pd.DataFrame) -> None:
    projects = [plant(5000, name="5k"), plant(50_000, name="50k")]
    table = evaluate({"rare_earths": network}, projects, ["JPN"], n=N, seed=SEED, governance=governance)
    cut = table.set_index("project")["cvar95_cut_t"]
    assert cut["5k"] > 0 > cut["50k"]


def test_rank_orders_by_cut_per_tonne(network: Network, governance: pd.DataFrame) -> None:
    projects = [plant(1000, name="small"), plant(5000, name="mid"), plant(2000, {"KOR": 1.0}, name="to KOR")]
    table = evaluate(
        {"rare_earths": network}, projects, ["IND", "JPN"], n=N, seed=SEED, governance=governance
    )
    ranked = rank(table)
    assert list(ranked["rank"]) == [1, 2, 3]
    assert all(np.diff(ranked["cut_per_t"]) <= 0)
    totals = table.groupby("project")["cvar95_cut_t"].sum()
    by = ranked.set_index("project")
    for name in totals.index:
        assert by.loc[name, "cvar95_cut_t"] == pytest.approx(totals[name])
        assert by.loc[name, "cut_per_t"] == pytest.approx(totals[name] / by.loc[name, "capacity_t"])
    # per tonne, not in total: a hand-made frame where the larger total cut ranks second
    frame = pd.DataFrame(
        {
            "project": ["big", "big", "lean"],
            "country": ["IND", "IND", "VNM"],
            "commodity": "rare_earths",
            "capacity_t": [10_000.0, 10_000.0, 1000.0],
            "partner": ["IND", "JPN", "JPN"],
            "cvar95_t_before": [500.0, 5000.0, 5000.0],
            "cvar95_cut_t": [100.0, 900.0, 300.0],
            "provenance": "x",
        }
    )
    hand = rank(frame)
    assert list(hand["project"]) == ["lean", "big"]
    assert hand.set_index("project").loc["big", "cvar95_cut_share"] == pytest.approx(1000 / 5500)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity_t": 0}, "capacity_t"),
        ({"capacity_t": float("nan")}, "capacity_t"),
        ({"country": "India"}, "country"),
        ({"offtake": {"JPN": 0.7, "KOR": 0.5}}, "offtake"),
        ({"offtake": {"JPN": -0.1}}, "offtake"),
        ({"offtake": {"japan": 0.5}}, "offtake"),
        ({"offtake": {"IND": 0.5}}, "offtake"),
        ({"start_year": 20_000}, "start_year"),
        ({"capacity": 5}, "capacity"),
    ],
)
def test_bad_spec_names_the_field(change: dict[str, object], field: str) -> None:
    spec = plant(1000).model_dump() | change
    with pytest.raises(ValidationError, match=field):
        Project.model_validate(spec)
    with pytest.raises(ProjectError, match=rf"projects\[1\]\.{field}"):
        parse_projects([plant(10).model_dump(), spec])


def test_projects_must_fit_the_networks(network: Network, governance: pd.DataFrame) -> None:
    with pytest.raises(ProjectError, match="stage"):
        apply_project(network, plant(10).model_copy(update={"stage": "mine"}))
    with pytest.raises(ProjectError, match=r"commodity.*lithium"):
        evaluate(
            {"rare_earths": network},
            [plant(10).model_copy(update={"commodity": "lithium"})],
            ["JPN"],
            n=10,
            governance=governance,
        )
    with pytest.raises(ProjectError, match="unique"):
        parse_projects([plant(10, name="a"), plant(20, name="a")])
    with pytest.raises(ProjectError, match="partners"):
        evaluate({"rare_earths": network}, [plant(10)], ["Japan"], n=10, governance=governance)


def _candidate_entries() -> list[dict[str, object]]:
    from importlib import resources

    import yaml

    text = (resources.files("critmin.data.reference") / "candidate_projects.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["projects"]
    assert isinstance(entries, list)
    return entries


def test_candidate_projects_are_sourced_and_fit_their_networks(bundled: critmin.Critmin) -> None:
    """The bundled candidate projects parse, carry sources and a basis, and apply to their networks."""
    from critmin.partnership.projects import _with_nodes  # the network the project sees, with its places

    entries = _candidate_entries()
    assert 4 <= len(entries) <= 6
    specs = []
    for entry in entries:
        sources = entry["sources"]
        assert isinstance(sources, list) and sources, entry["name"]
        for src in sources:
            assert str(src["url"]).startswith(("http://", "https://")), entry["name"]
            assert str(src["title"]).strip() and str(src["publisher"]).strip() and str(src["date"]).strip()
        assert len(str(entry["basis"])) > 40, entry["name"]
        spec = {k: v for k, v in entry.items() if k not in ("sources", "basis")}
        spec["source"] = "; ".join(str(s["url"]) for s in sources)
        spec["notes"] = str(entry["basis"])
        specs.append(spec)
    projects = parse_projects(specs)
    assert {"IND", "JPN"} & {code for p in projects for code in p.offtake}
    networks: dict[tuple[str, str], Network] = {}
    for project in projects:
        key = (project.commodity, project.stage)
        if key not in networks:
            networks[key] = build_network(bundled, 2024, commodity=project.commodity, stage=project.stage)
        network = networks[key]
        after = apply_project(network, project)
        # the same places plus any the project adds; the input network is left as it was
        assert after.nodes[: network.size] == network.nodes
        wide = _with_nodes(network, [project.country, *project.offtake])
        c = wide.index(project.country)
        supply = wide.exports[c] + wide.consumption[c]
        abroad = project.rest_share * project.capacity_t * (wide.exports[c] / supply if supply > 0 else 0.0)
        assert after.production[c] == pytest.approx(wide.production[c] + project.capacity_t)
        assert after.exports[c] - wide.exports[c] == pytest.approx(
            sum(project.offtake.values()) * project.capacity_t + abroad, rel=1e-9
        )
        for partner, share in project.offtake.items():
            j = wide.index(partner)
            assert after.flows[c, j] - wide.flows[c, j] == pytest.approx(
                share * project.capacity_t
                + abroad * (wide.flows[c, j] / wide.exports[c] if wide.exports[c] else 0.0)
            )
        assert f"project {project.name}" in after.provenance
