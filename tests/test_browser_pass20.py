"""The twentieth new-user pass (a student checking what the page says against the API, on a
desktop and a phone at 100 ms; notes/page-pass20-report.md): an encode answered after an outage
put back the label picked before it, under a z the user had picked for another."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import SEVEN, draw_stroke, open_app
from tests.test_browser_page import click_map

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_a_late_encode_keeps_the_label_chosen_after_it(page: Page) -> None:
    page.allow_errors = True  # type: ignore[attr-defined]  # the refused requests are logged
    open_app(page, "?model=cvae-mnist-z2")
    page.get_by_test_id("draw-label").select_option("3")
    page.route("**/encode", lambda route: route.fulfill(status=500, body="{}"))
    draw_stroke(page, SEVEN)
    info = page.locator("#encode-info")
    expect(info).to_contain_text("Asked again in", timeout=10_000)
    click_map(page, 0.2, 0.2)  # the user walks on, and picks another label for where they went
    page.get_by_test_id("map-label").select_option("5")
    expect(page).to_have_url(re.compile(r"label=5"))
    z_chosen = page.evaluate("() => new URL(location.href).searchParams.get('z')")
    page.unroute("**/encode")
    expect(info).to_contain_text("μ = (", timeout=15_000)  # the retry's answer came
    expect(info).to_contain_text("encoded as a 3")
    # The drawing's results are shown; the view the user chose since stays theirs.
    expect(page.get_by_test_id("map-label")).to_have_value("5")
    expect(page.get_by_test_id("label-select")).to_have_value("5")
    params = page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
    assert params["label"] == "5" and params["z"] == z_chosen, params
