"""The fifteenth new-user pass (a friend on a phone at 100 ms; a student checking the page's
claims; notes/page-pass15-report.md): a small drawing was read as a fat blob (and a tap as a
square: test_browser_page.py); the cloud's width was taught as a sign of a clear drawing; slerp
"never" crossed 0; PCA's zoom said q(z|x); a vertical swipe over the map moved z; the notice hid
what lay under it; the legend outlived the dots; the link's note named a label beside a model
that takes none."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests import test_browser, test_browser_pass8
from tests.test_browser import SEVEN, draw_stroke, open_app
from tests.test_browser_pass8 import gesture, settled

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page
phone = test_browser_pass8.phone  # a phone's page (390x844, touch) and its DevTools session


def encoded_mu(page: Page) -> tuple[float, float]:
    """The μ the encode line shows, once it shows one."""
    info = page.locator("#encode-info")
    expect(info).to_contain_text("μ = (", timeout=10_000)
    match = re.search(r"μ = \(([-\d.]+), ([-\d.]+)\)", info.text_content() or "")
    assert match, info.text_content()
    return float(match[1]), float(match[2])


def test_a_small_drawing_is_read_as_if_drawn_large(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    draw_stroke(page, SEVEN)
    large = encoded_mu(page)
    page.get_by_role("button", name="Clear").first.click()
    expect(page.locator("#encode-info")).not_to_contain_text("μ = (")
    # The same 7 at a third of the size, in the pad's lower right.
    small = [(0.6 + 0.3 * (x - 0.25), 0.55 + 0.3 * (y - 0.22)) for x, y in SEVEN]
    draw_stroke(page, small)
    got = encoded_mu(page)
    # Read as drawn, its strokes were scaled up with it: it landed ~0.6-1.2 away, among 4s and 9s.
    assert abs(got[0] - large[0]) + abs(got[1] - large[1]) < 0.25, (got, large)


def test_the_page_does_not_teach_a_narrow_cloud_as_a_clear_drawing(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    explain = page.get_by_test_id("explain-draw")
    explain.locator("summary").click()
    expect(explain).to_contain_text("not how much it looks like a digit")
    expect(explain).not_to_contain_text("For a clear drawing the cloud is small")
    interp = page.get_by_test_id("explain-interpolate")
    interp.locator("summary").click()
    expect(interp).to_contain_text("does not cut through the region near 0 unless an end is there")


def test_pca_is_written_with_its_exact_posterior_throughout(page: Page) -> None:
    open_app(page, "?model=pca-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#posterior-cloud-note")).to_contain_text("Zoomed in on p(z|x)")
    label = page.get_by_test_id("posterior-cloud").get_attribute("aria-label") or ""
    assert label.startswith("p(z|x) zoomed in"), label
    explain = page.get_by_test_id("explain-map")
    explain.locator("summary").click()
    shown = explain.inner_text()  # the sentences for this model's capabilities, not the hidden
    assert "a VAE is trained to keep its codes there" not in shown
    assert "probabilistic PCA's prior is N(0, I) as the model is defined" in shown
    draw = page.get_by_test_id("explain-draw")
    draw.locator("summary").click()
    assert "encoder gives a distribution" not in draw.inner_text()


def test_a_vertical_swipe_over_the_map_scrolls_and_a_tap_still_moves_z(phone) -> None:
    page, cdp = phone
    open_app(page, "?model=vae-mnist-z2")
    wrap = page.locator(".map-wrap")
    wrap.scroll_into_view_if_needed()
    settled(page)
    search, scrolled = page.evaluate("location.search"), page.evaluate("scrollY")
    box = wrap.bounding_box()
    x, y = box["x"] + 0.6 * box["width"], box["y"] + 0.7 * box["height"]
    gesture(page, cdp, [(x, y - 15 * k) for k in range(12)])
    settled(page)
    assert page.evaluate("scrollY") > scrolled
    page.wait_for_timeout(300)
    assert page.evaluate("location.search") == search
    # A tap is a pick, where the finger lifts.
    box = wrap.bounding_box()
    gesture(page, cdp, [(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])])
    expect(page.locator("[data-testid=latent-slider][data-dim='0']")).not_to_have_value("0")


def assert_page_foot_clear_of(page: Page, notice) -> None:
    """Scrolled to its end, the page's last panel ends above the floating notice."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(200)
    last = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.panel')].filter((p) => !p.hidden)"
        ".map((p) => p.getBoundingClientRect().bottom))"
    )
    assert last <= notice.bounding_box()["y"], last


def test_nothing_stays_hidden_under_the_notice(phone) -> None:
    page, _ = phone
    open_app(page, "?model=vae-mnist-z2&z=abc,1")
    notice = page.get_by_test_id("notice")
    expect(notice).to_be_visible()
    assert_page_foot_clear_of(page, notice)
    page.get_by_role("button", name="Dismiss the message").click()
    assert page.evaluate("document.body.style.paddingBottom") == ""


def test_the_notices_room_follows_a_turned_phone(phone) -> None:
    """The room at the page's foot was the notice's height when it was shown: a phone turned
    upright afterwards made the notice taller than its room, over the last panel again."""
    page, _ = phone
    page.set_viewport_size({"width": 844, "height": 390})
    # A link with five faults: five sentences, two lines wide and four upright.
    open_app(page, "?model=vae-mnist-z16&z=abc,1&plane=9,9&t=hot&a=x&b=y")
    notice = page.get_by_test_id("notice")  # the whole box (its words are the alert)
    expect(notice).to_be_visible()
    page.set_viewport_size(test_browser.PHONE)
    page.wait_for_function(
        "() => { const n = document.getElementById('error');"
        " return document.body.style.paddingBottom === `${n.offsetHeight + 32}px`; }",
        timeout=5_000,
    )
    assert_page_foot_clear_of(page, notice)


def test_the_legend_goes_with_the_dots(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    expect(page.get_by_test_id("legend-title")).to_be_visible()
    page.get_by_label("test set").uncheck()
    expect(page.get_by_test_id("legend-title")).to_be_hidden()
    expect(page.locator("#legend")).to_be_hidden()


def test_the_links_note_names_a_label_only_for_a_model_that_takes_one(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    page.get_by_test_id("copy-link").click()
    note = page.get_by_test_id("link-note")
    expect(note).to_contain_text(
        "(model, z, map, interpolation, temperature and samples; not the drawing)"
    )
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    page.get_by_test_id("copy-link").click()
    expect(note).to_contain_text("(model, z, label, map, interpolation")
