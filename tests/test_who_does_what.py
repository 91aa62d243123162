"""Who does what where at world scale: recipients folded into groups that a click expands."""

from __future__ import annotations

from graph_loader import who_does_what as wdw


def cell(iso3, tool, kind, tier="High", partners=("JPN",)):
    return {
        "iso3": iso3,
        "country": iso3.title(),
        "tool": tool,
        "cell": kind,
        "risk_tier": tier,
        "tier_source": "assessment",
        "category": 2,
        "partners": list(partners) if kind != "gap" else [],
        "activities": ["A1"] if kind != "gap" else [],
        "n_activities": 1,
        "requirement": "needed",
    }


MATRIX = [
    cell("MYS", "training", "overlap"),
    cell("MYS", "legal", "gap"),
    cell("THA", "training", "delivered", "Low"),
    cell("THA", "legal", "gap", "Low"),
    cell("VNM", "legal", "gap", "Medium"),
]
GAPS = [{"iso3": "MYS", "tool": "legal", "priority": 120.0}, {"iso3": "THA", "tool": "legal", "priority": 30.0}]
GROUPS = {"MYS": "South-eastern Asia", "THA": "South-eastern Asia", "VNM": "Eastern Asia"}


def ids(items):
    return {x["id"] for x in items}


def test_without_groups_every_recipient_is_a_node_of_its_own():
    data = wdw.view_data(MATRIX, GAPS)
    assert {"recipient:MYS", "recipient:THA", "recipient:VNM"} <= ids(data["nodes"])
    assert "groups" not in data


def test_grouped_recipients_become_one_node_per_group_with_their_count_and_highest_tier_colour():
    data = wdw.view_data(MATRIX, GAPS, group_of=GROUPS)
    assert not any(i.startswith("recipient:") for i in ids(data["nodes"]))
    sea = next(n for n in data["nodes"] if n["id"] == "group:South-eastern Asia")
    plain = wdw.view_data(MATRIX, GAPS)
    mys = next(n for n in plain["nodes"] if n["id"] == "recipient:MYS")
    assert sea["label"].startswith("South-eastern Asia (2)")
    assert sea["color"] == mys["color"]  # Malaysia is High, Thailand Low: the group shows the higher tier


def test_the_group_comes_first_that_holds_the_first_recipient_in_the_order_of_attention():
    data = wdw.view_data(MATRIX, GAPS, group_of=GROUPS)
    y = {n["id"]: n["y"] for n in data["nodes"]}
    assert y["group:South-eastern Asia"] < y["group:Eastern Asia"]


def test_tool_to_group_edges_keep_the_kind_of_cell_and_count_its_members():
    data = wdw.view_data(MATRIX, GAPS, group_of=GROUPS)
    to_sea = [e for e in data["edges"] if e["to"] == "group:South-eastern Asia"]
    legal = next(e for e in to_sea if e["from"] == "tool:legal")
    assert legal["dashes"] is True and "for 2 of them" in legal["title"] and "MYS, THA" in legal["title"]
    training = sorted(e["title"].split(":")[0] for e in to_sea if e["from"] == "tool:training")
    assert training == ["<b>delivered</b>", "<b>overlap</b>"]


def test_each_group_carries_its_members_and_their_own_edges_for_the_click_that_expands_it():
    plain = wdw.view_data(MATRIX, GAPS)
    data = wdw.view_data(MATRIX, GAPS, group_of=GROUPS)
    sea = data["groups"]["group:South-eastern Asia"]
    assert [n["id"] for n in sea["nodes"]] == ["recipient:MYS", "recipient:THA"]
    mine = [e for e in plain["edges"] if e["to"] in ("recipient:MYS", "recipient:THA")]
    assert sorted(e["id"] for e in sea["edges"]) == sorted(e["id"] for e in mine)
    assert data["layout"] == "column" and data["row"] == wdw.ROW
