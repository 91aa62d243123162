"""The default network in a real Chromium: who does what where, readable without zooming — labels at least 12 px at
the default zoom, the canvas using the width it is given — and a click shows a node with its neighbours only."""

from __future__ import annotations

import pytest

from app_server import open_page
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
