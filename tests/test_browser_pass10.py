"""The tenth pass, over the ninth's fixes (notes/page-pass10-report.md): an encode retried after a
failure moved the view back to the drawing when the user had moved since, the retries of one
drawing never gave up, a link to the completion model said there was no such model, and two
odd link labels were read without a word."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import SEVEN, draw_stroke, link_note, open_app
from tests.test_browser_completion_noise import COMPLETE_ROUTE, TOP_LEFT, draw_completion
from tests.test_browser_pass9 import fail, fail_completions

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_a_retried_encode_leaves_a_move_made_meanwhile(page: Page) -> None:
    page.allow_errors = True
    open_app(page, "?model=vae-mnist-z2")
    page.route("**/encode", fail)
    draw_stroke(page, SEVEN)
    expect(page.locator("#encode-info")).to_contain_text("Asked again in 1 s")
    before = page.evaluate("() => location.search")
    page.get_by_test_id("latent-map").scroll_into_view_if_needed()  # a click at its foot
    box = page.get_by_test_id("latent-map").bounding_box()
    page.mouse.click(box["x"] + 0.2 * box["width"], box["y"] + 0.8 * box["height"])
    page.wait_for_function("(before) => location.search !== before", arg=before)
    moved = page.evaluate("() => location.search")
    page.unroute("**/encode")  # the retry now succeeds
    expect(page.get_by_test_id("elbo-total")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(400)  # past the address's 150 ms debounce, were the view moved
    assert page.evaluate("() => location.search") == moved


def test_the_retries_of_one_drawing_give_up(page: Page) -> None:
    page.allow_errors = True
    page.clock.install()  # the page's timers, run ahead by the test
    open_app(page)
    asked = fail_completions(page)
    draw_completion(page, TOP_LEFT)
    info = page.locator("#complete-info")
    expect(info).to_contain_text("Asked again in 1 s")
    for _ in range(8):  # 1 + 2 + 4 + 8 + 8 s, and as long again: no more than five retries
        page.clock.run_for(8_000)
        page.wait_for_timeout(100)  # the failed answer arrives in real time
    expect(info).to_contain_text("Not asked again: another stroke, or another region, asks.")
    assert len(asked) == 6, asked  # the first request and five retries
    page.unroute(COMPLETE_ROUTE)
    draw_completion(page, [(0.1, 0.3), (0.45, 0.3)])  # the user's next stroke asks
    expect(page.get_by_test_id("completions").locator("img")).to_have_count(8)


def test_a_link_to_the_completion_model_says_where_it_is(page: Page) -> None:
    open_app(page, "?model=completion-mnist")
    expect(link_note(page)).to_contain_text(
        "completion-mnist completes partial drawings in its own panel, “Complete a digit”, "
        "further down; showing vae-mnist-z2 above."
    )


def test_an_empty_or_doubled_end_label_is_said(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2&label=2&a=1,1:&b=-1,-1:3:5")
    notice = link_note(page)
    expect(notice).to_contain_text("The link's A names no label: it takes the view's, label 2.")
    expect(notice).to_contain_text("The link's B label (3:5) is not one of cvae-mnist-z2's labels")
