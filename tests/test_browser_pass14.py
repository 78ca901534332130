"""The fourteenth new-user pass (a fashion student on the Fashion models; a screen-reader and
keyboard-only user; notes/page-pass14-report.md): Back to a model without the focused control
left the focus nowhere; a slider's move was heard two or three times (its readout too); the
completion panel's move buttons did nothing, silently, on an empty pad."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import open_app

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_back_to_a_model_that_hides_the_focused_control_keeps_the_focus(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2")
    page.get_by_test_id("model-select").select_option("cvae-fashion-z2")
    label = page.get_by_test_id("map-label")
    expect(label).to_be_visible()
    label.focus()
    page.go_back()
    expect(page.get_by_test_id("model-select")).to_have_value("vae-fashion-z2")
    expect(label).to_be_hidden()
    expect(page.get_by_test_id("model-select")).to_be_focused()


def test_a_sliders_readout_is_for_the_eye(page: Page) -> None:
    open_app(page)
    readouts = page.eval_on_selector_all(
        "#sliders output", "os => os.map(o => o.getAttribute('aria-hidden'))"
    )
    assert readouts == ["true", "true"], readouts
    assert "0.00" not in page.locator("#sliders").aria_snapshot().replace("valuetext", "")


def test_moving_an_empty_pad_says_why_nothing_moves(page: Page) -> None:
    open_app(page)
    page.get_by_role("button", name="Move the drawing up one pixel").click()
    expect(page.locator("#complete-info")).to_have_text(
        "Nothing to move yet: draw in the clear part, or choose an image."
    )
