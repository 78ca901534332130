"""The thirteenth new-user pass (a learner on a slow, flaky network, with the keyboard and a
phone; notes/page-pass13-report.md): the page jumped when the model list came (its description
filled four or five lines); a drawing moved to the completion pad's edge was cut, then wiped;
a failed completion was said twice to a screen reader, at each retry; a moved image's
completions were "of what you drew"."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.conftest import ROOT
from tests.test_browser import PHONE, open_app
from tests.test_browser_completion_noise import COMPLETE_ROUTE, TOP_LEFT, draw_completion
from tests.test_browser_pass9 import fail
from tests.test_browser_pass11 import PAD_PIXELS
from tests.test_browser_pass12 import held_page, release_models

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

INFO_HEIGHT = "document.getElementById('model-info').getBoundingClientRect().height"


def test_the_models_description_does_not_push_the_page_down(browser, base_url: str) -> None:
    for viewport in ({"width": 1400, "height": 1000}, PHONE):
        context, tab, held = held_page(browser, base_url, "**/api/models", viewport)
        tab.goto("/", wait_until="commit")
        tab.wait_for_selector("#complete-panel", state="attached")
        before = tab.evaluate(INFO_HEIGHT)
        release_models(tab, held)
        after = tab.evaluate(INFO_HEIGHT)
        context.close()
        assert before > 20 and after <= before + 1, (viewport, before, after)


def test_a_drawing_at_the_pads_edge_stays_whole(page: Page) -> None:
    open_app(page)
    draw_completion(page, TOP_LEFT)
    row = page.get_by_test_id("completions")
    expect(row.locator("img")).to_have_count(8)
    ink = sum(page.evaluate(PAD_PIXELS))
    info = page.locator("#complete-info")
    for _ in range(12):  # TOP_LEFT starts ~3 pixels from the left edge
        page.get_by_role("button", name="Move the drawing left one pixel").click()
    expect(info).to_have_text(
        "The drawing is at the pad's edge: it does not move further that way."
    )
    assert abs(sum(page.evaluate(PAD_PIXELS)) - ink) < 1e-6  # nothing was cut
    expect(row.locator("img")).to_have_count(8)  # the last completions stay
    with page.expect_request(lambda r: r.url.endswith("/complete")):  # the other way it moves
        page.get_by_role("button", name="Move the drawing right one pixel").click()
    expect(info).to_have_text("8 completions of what you drew")


def test_a_failed_completion_is_said_once(page: Page) -> None:
    page.allow_errors = True  # the refused requests
    open_app(page)
    page.route(COMPLETE_ROUTE, fail)
    draw_completion(page, TOP_LEFT)
    expect(page.get_by_test_id("notice")).to_contain_text("Asked again in")
    info = page.locator("#complete-info")
    expect(info).to_contain_text("Asked again in")
    expect(info).to_have_attribute("aria-live", "off")  # the page's alert says it
    page.unroute(COMPLETE_ROUTE)
    held: list = []
    page.route(COMPLETE_ROUTE, lambda route: held.append(route))  # the retry waits
    expect(info).to_have_text("Completing what you drew…", timeout=10_000)
    expect(info).to_have_attribute("aria-live", "off")  # a retry is not said again either
    for route in held:
        route.continue_()
    page.unroute(COMPLETE_ROUTE)
    draw_completion(page, [(0.1, 0.3), (0.45, 0.3)])
    expect(page.get_by_test_id("completions").locator("img")).to_have_count(8)
    expect(info).to_have_attribute("aria-live", "polite")


def test_a_moved_image_is_not_called_a_drawing(page: Page) -> None:
    seven = sorted((ROOT / "tests" / "fixtures" / "mnist").glob("*label-7.png"))[0]
    open_app(page)
    page.get_by_test_id("complete-upload").set_input_files(str(seven))
    info = page.locator("#complete-info")
    expect(info).to_have_text("8 completions of the image's visible part")
    page.get_by_role("button", name="Move the drawing down one pixel").click()
    expect(info).to_have_text("8 completions of the image you chose, moved")
