"""The default network in a real Chromium: who does what where, readable without zooming — labels at least 12 px at
the default zoom, the canvas using the width it is given — and a click shows a node with its neighbours only."""

from __future__ import annotations

import pytest

from app_server import open_page, running_app, settle
from test_browser import _canvas_frame

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def view(real_app, chromium):
    """The Network page of the session's app on the real data (conftest), in a page of the session's Chromium."""
    pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
    open_page(pg, real_app.url, "Network", "Network")
    frame = _canvas_frame(pg, "#wdw")  # waits for the component's frame and its canvas
    frame.wait_for_function("() => document.getElementById('wdw').ogNetwork !== undefined")
    yield pg, frame
    pg.close()


def test_the_default_view_is_who_does_what_where_with_labels_of_at_least_12_px(view):
    pg, frame = view
    facts = frame.evaluate("""() => {
        const root = document.getElementById('wdw'), net = root.ogNetwork;
        const data = JSON.parse(root.querySelector('script.og-data').textContent);
        const canvas = root.querySelector('canvas');
        return {scale: net.getScale(), font: data.options.nodes.font.size, canvas: canvas.clientWidth,
                frame: document.body.clientWidth, nodes: data.nodes.map(n => n.id)};
    }""")
    assert facts["font"] * facts["scale"] >= 12, facts["scale"]
    assert facts["canvas"] >= 0.95 * facts["frame"] and facts["canvas"] >= 850
    assert {"partner:JPN", "partner:USA", "tool:bilateral_discussion", "recipient:THA"} <= set(facts["nodes"])
    pg.screenshot(path="/tmp/network-who-does-what.png")


def test_a_link_to_a_page_as_a_new_servers_first_visit_keeps_the_apps_own_navigation(tmp_path, chromium):
    with running_app(tmp_path) as app:  # a server of its own: its first visit is this link to /Network
        pg = chromium.new_page(viewport={"width": 1400, "height": 1000})
        open_page(pg, app.url, "Network", "Network")
        assert pg.locator('[data-testid="stSidebarNav"] a').all_inner_texts()[:3] == ["Overview", "Map", "Network"]
        pg.close()


def test_a_click_on_a_node_shows_it_with_its_neighbours_only(view):
    _, frame = view
    shown = frame.evaluate("""() => {
        const net = document.getElementById('wdw').ogNetwork;
        net.selectNodes(['recipient:THA']);
        net.body.emitter.emit('click', {nodes: ['recipient:THA'], edges: []});
        const visible = net.body.data.nodes.get({filter: n => !n.hidden}).map(n => n.id);
        net.body.emitter.emit('click', {nodes: ['recipient:THA'], edges: []});
        const after = net.body.data.nodes.get({filter: n => !n.hidden}).length;
        return {visible: visible, after: after, all: net.body.data.nodes.length};
    }""")
    assert "recipient:THA" in shown["visible"] and len(shown["visible"]) < shown["all"]
    assert all(n.startswith(("recipient:THA", "tool:")) for n in shown["visible"])
    assert shown["after"] == shown["all"]


def grouped_frame(pg):
    """The who-does-what-where frame once its groups are drawn (frames come and go while Streamlit reruns)."""
    check = (
        "() => { const r = document.getElementById('wdw'); return !!(r && r.ogNetwork && "
        "r.ogNetwork.body.data.nodes.get('group:South-eastern Asia')); }"
    )
    for _ in range(100):
        try:
            frame = _canvas_frame(pg, "#wdw")
            if frame.evaluate(check):
                return frame
        except Exception:  # noqa: BLE001 — a frame replaced mid-check: look again
            pass
        pg.wait_for_timeout(200)
    raise AssertionError("the grouped view was not drawn")


def test_grouped_recipients_expand_in_place_on_a_click_and_regroup(view):
    pg, _ = view
    pg.locator(".st-key-wdw_group_False").click()
    pg.get_by_role("option", name="subregion").click()
    settle(pg)
    frame = grouped_frame(pg)
    facts = frame.evaluate("""() => {
        const root = document.getElementById('wdw'), net = root.ogNetwork, ids = () => net.body.data.nodes.getIds();
        const before = ids();
        net.body.emitter.emit('click', {nodes: ['group:South-eastern Asia'], edges: []});
        const after = ids(), edges = net.body.data.edges.get();
        const mys = edges.filter(e => e.to === 'recipient:MYS').map(e => e.from);
        root.querySelector('.og-regroup').click();
        return {before: before, after: after, mys: mys, regrouped: ids()};
    }""")
    assert "recipient:MYS" not in facts["before"] and "group:South-eastern Asia" in facts["before"]
    assert "recipient:MYS" in facts["after"] and "recipient:THA" in facts["after"]
    assert "group:South-eastern Asia" not in facts["after"]
    assert "tool:officer_training" in facts["mys"]  # Malaysia's own edges come back with it
    assert sorted(facts["regrouped"]) == sorted(facts["before"])
    pg.screenshot(path="/tmp/network-grouped.png")
