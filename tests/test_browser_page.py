"""Issue 12: the page where a new user stumbled, one test per item (each failed on the old page)."""

from __future__ import annotations

import json
import re
import urllib.request

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import DESKTOP, PHONE, draw_stroke, open_app, slider_values, wait_decoded

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

SEVEN = [(0.25, 0.22), (0.75, 0.22), (0.45, 0.85)]
ONE = [(0.5, 0.15), (0.5, 0.85)]
MAP = "[data-testid=latent-map]"


def click_map(page: Page, fx: float, fy: float) -> None:
    page.locator(MAP).scroll_into_view_if_needed()  # a mouse click lands only inside the viewport
    box = page.locator(MAP).bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def test_1_interpolation_keeps_each_ends_label_and_draws_its_path(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2")
    page.get_by_test_id("label-select").select_option("3")
    page.get_by_role("button", name="A = current").click()
    page.get_by_test_id("label-select").select_option("7")
    click_map(page, 0.7, 0.3)
    page.get_by_role("button", name="B = current").click()
    frames = page.get_by_test_id("interpolation").locator("figure")
    expect(frames).to_have_count(10)
    expect(frames.first).to_contain_text("3")
    expect(frames.last).to_contain_text("7")
    expect(page.locator("#interp-info")).to_contain_text("label switches")
    expect(page.get_by_test_id("interp-path")).to_be_visible()
    width = page.get_by_test_id("interpolation").locator("img").first.bounding_box()["width"]
    assert width >= 48, width  # was ~26 px


def test_2_a_cvae_drawing_is_encoded_with_the_digit_the_user_names(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#encode-info")).to_contain_text("Which digit is it?")
    page.get_by_test_id("draw-label").select_option("7")
    expect(page.locator("#encode-info")).to_contain_text("encoded as a 7")
    # The view follows: the decoded digit at the drawing's z is decoded as the named 7.
    expect(page.get_by_test_id("label-select")).to_have_value("7")
    expect(page.locator("#download-digit")).to_have_attribute("href", re.compile(r"label=7\b"))
    # What a CVAE scores is the likelihood given the label, and its q is given the label too.
    expect(page.get_by_test_id("elbo-detail")).to_contain_text("−log p(x|y) ≈")
    expect(page.locator("#posterior h3")).to_have_text("q(z|x,y) is a distribution")
    before = page.locator("#reconstruction").get_attribute("src")
    page.get_by_test_id("draw-label").select_option("1")  # re-encoded on change
    expect(page.locator("#encode-info")).to_contain_text("encoded as a 1")
    expect(page.get_by_test_id("label-select")).to_have_value("1")
    expect(page.locator("#download-digit")).to_have_attribute("href", re.compile(r"label=1\b"))
    assert page.locator("#reconstruction").get_attribute("src") != before


def test_3_a_tap_is_too_small_to_read_and_messages_stay_by_the_pad(page: Page) -> None:
    page.allow_errors = True  # the refused request below is logged by the browser
    open_app(page)
    pad = page.get_by_test_id("draw-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    # A tap draws a dot, which MNIST's fit would blow up into a square filling its 20x20 box
    # (page pass 15): said, not encoded.
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#encode-info")).to_contain_text("Too small to read")
    expect(page.get_by_test_id("encode-marker")).to_be_hidden()
    draw_stroke(page, ONE)
    expect(page.locator("#encode-info")).to_contain_text("μ = ")
    layout_top = page.locator("main").bounding_box()["y"]
    page.route(
        "**/encode",
        lambda route: route.fulfill(
            status=422,
            content_type="application/json",
            body='{"detail": [{"loc": ["body", "pixels"], "msg": "no ink found"}]}',
        ),
    )
    draw_stroke(page, ONE)
    expect(page.locator("#encode-info")).to_have_text(
        "The drawing could not be encoded: pixels: no ink found"
    )
    assert page.locator("main").bounding_box()["y"] == layout_top  # nothing pushed down
    page.unroute("**/encode")
    page.get_by_role("button", name="Clear the drawing").click()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/encode" in r.url else None)
    page.get_by_test_id("draw-pad").dispatch_event("pointerup")  # nothing drawn, nothing sent
    page.wait_for_timeout(300)
    assert requests == []


def test_4_bad_links_are_corrected_out_loud_and_errors_last(page: Page) -> None:
    open_app(page, "?z=1e9,0")
    notice = page.get_by_test_id("notice")
    expect(notice).to_contain_text("clamped")
    r = float(page.get_attribute("[data-testid=latent-slider][data-dim='0']", "max"))
    assert slider_values(page)[0] == r  # the end of the track, not 1000000
    assert page.locator("output[for=slider-0]").inner_text() == "1000.00"  # the server's limit
    page.wait_for_timeout(1000)  # later successes (decode, samples) do not hide it
    expect(notice).to_be_visible()
    notice.get_by_role("button", name="Dismiss the message").click()
    expect(notice).to_be_hidden()

    open_app(page, "?model=nope")
    expect(page.get_by_test_id("model-select")).to_have_value("vae-mnist-z2")
    expect(notice).to_contain_text('"nope"')
    open_app(page, "?model=completion-mnist")
    expect(page.get_by_test_id("model-select")).to_have_value("vae-mnist-z2")
    open_app(page, "?model=cvae-mnist-z2&label=3.5")
    expect(page.get_by_test_id("label-select")).to_have_value("0")
    expect(notice).to_contain_text("label (3.5)")


def test_5_the_link_carries_the_whole_view(page: Page, browser) -> None:
    open_app(page, "?model=vae-mnist-z16")
    page.locator("#plane-select").select_option("3,7")
    page.locator("#range-select").select_option("4")
    page.locator("#scatter-toggle").uncheck()
    page.get_by_role("button", name="A = current").click()
    click_map(page, 0.8, 0.4)
    page.get_by_role("button", name="B = current").click()
    page.locator("#method-select").select_option("slerp")
    page.wait_for_function("() => location.search.includes('method=slerp')")
    z = slider_values(page)
    other = browser.new_context(viewport=DESKTOP).new_page()
    other.goto(page.url)
    other.wait_for_selector("body[data-ready=true]", timeout=20_000)
    expect(other.locator("#plane-select")).to_have_value("3,7")
    expect(other.locator("#range-select")).to_have_value("4")
    expect(other.locator("#scatter-toggle")).not_to_be_checked()
    expect(other.locator("#method-select")).to_have_value("slerp")
    expect(other.get_by_test_id("interpolation").locator("img")).to_have_count(10)
    assert slider_values(other) == pytest.approx(z, abs=1e-4)  # not rounded to 3 decimals
    other.context.close()


def test_5_a_ready_page_has_written_its_whole_address(browser, base_url: str) -> None:
    """The opened view's z and plane were written 150 ms after the page said it was ready: an
    address read in that window (a test on CI, a person's quick copy) lacked them. On a phone
    (where the map's dots come sooner) the window was there at every load here."""
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    page = context.new_page()
    # The address as it is at the moment the page says it is ready (not when a poll notices),
    # and every write made to it after that moment.
    page.add_init_script(
        """window.writesAfterReady = [];
        const replace = history.replaceState.bind(history);
        history.replaceState = (data, unused, url) => {
            if (window.addressWhenReady !== undefined) window.writesAfterReady.push(String(url));
            return replace(data, unused, url);
        };
        new MutationObserver((_, observer) => {
            if (document.body?.dataset.ready !== "true") return;
            window.addressWhenReady = location.search;
            observer.disconnect();
        }).observe(document, {attributes: true, subtree: true});"""
    )
    page.goto("/?model=vae-mnist-z16")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    search = page.evaluate("window.addressWhenReady")
    assert re.search(r"[?&]z=(0,){15}0(&|$)", search), search
    assert "plane=pca" in search, search
    page.wait_for_timeout(400)  # past the 150 ms a move waits: nothing more was to be written
    assert page.evaluate("window.writesAfterReady") == []
    assert page.evaluate("location.search") == search
    context.close()


def test_6_the_m2_chart_rows_are_even_and_small_probabilities_show(page: Page) -> None:
    open_app(page, "?model=m2-mnist-100")
    draw_stroke(page, ONE)
    bars = page.get_by_test_id("label-probs")
    expect(bars).to_be_visible()
    heights = bars.locator("span:not(.bar span)").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert max(heights) < 20, heights  # the best row was 39 px
    values = bars.locator("output").all_inner_texts()
    assert "0.0%" not in values and "100.0%" not in values, values


def test_7_phone_digit_beside_the_map_and_touch_targets(browser, base_url: str) -> None:
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    phone = context.new_page()
    open_app(phone)
    phone.locator(MAP).scroll_into_view_if_needed()
    mini = phone.get_by_test_id("map-digit")
    expect(mini).to_be_in_viewport()
    before = mini.evaluate("c => c.toDataURL()")
    box = phone.locator(MAP).bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8)
    phone.wait_for_function(
        "b => document.querySelector('[data-testid=map-digit]').toDataURL() !== b", arg=before
    )
    small = phone.eval_on_selector_all(
        "button, select, .button, input",
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => [e.id || e.textContent.trim() || e.type, e.getBoundingClientRect().height])"
        ".filter(([, h]) => h < 44)",
    )
    checkbox = phone.locator("#scatter-toggle").bounding_box()
    assert checkbox["height"] >= 24
    assert [s for s in small if s[0] != "scatter-toggle"] == []
    # The "What am I looking at?" toggles are tapped too.
    toggles = phone.eval_on_selector_all(
        "summary",
        "els => els.filter(e => e.offsetParent !== null)"
        ".map(e => e.getBoundingClientRect().height)",
    )
    assert toggles and min(toggles) >= 44, toggles
    # The small digit sits beside the map's title, not on the map (it hid a tick there).
    mini_box = mini.bounding_box()
    box = phone.locator(MAP).bounding_box()
    assert mini_box["y"] + mini_box["height"] <= box["y"]
    # The map and the pad take every touch: a margin each side is left for scrolling the page.
    for target in (MAP, "[data-testid=draw-pad]"):
        target_box = phone.locator(target).bounding_box()
        assert target_box["width"] <= 0.85 * PHONE["width"], target
    context.close()


def test_8_desktop_uses_the_space(page: Page) -> None:
    open_app(page)
    expect(page.locator("#preprocessed")).to_be_hidden()
    expect(page.get_by_text("as encoded")).to_be_hidden()  # no captions over empty boxes
    panel = page.locator(".gen-panel").bounding_box()
    samples = page.get_by_test_id("samples").locator("img")
    expect(samples).to_have_count(16)
    last = samples.last.bounding_box()
    assert last["x"] + last["width"] > panel["x"] + 0.9 * panel["width"]
    digit = page.locator(".digit-panel").bounding_box()
    below = page.locator(".complete-panel").bounding_box()
    assert below["x"] == digit["x"] and below["y"] < digit["y"] + digit["height"] + 40


def test_9_pca_click_keeps_the_rest_of_z_keyboard_and_one_range(page: Page, base_url) -> None:
    with urllib.request.urlopen(f"{base_url}/api/models/vae-mnist-z16/atlas") as r:
        axes = json.load(r)["axes"]
    c = np.array(axes["components"])
    open_app(page, "?model=vae-mnist-z16&z=" + ",".join(["0.5", "-1"] * 8))
    page.wait_for_selector(f"{MAP}[data-plane=pca]")
    before = np.array(slider_values(page))
    click_map(page, 0.7, 0.3)
    page.wait_for_function("() => document.querySelector('output[for=slider-0]').value !== '0.50'")
    after = np.array(slider_values(page))
    ortho = lambda z: z - c.T @ (c @ z)  # noqa: E731
    assert np.allclose(ortho(after), ortho(before), atol=0.02)  # sliders round to 0.01

    page.locator(MAP).focus()
    z = slider_values(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "z0 => Number(document.querySelector('[data-testid=latent-slider]').value) !== z0",
        arg=z[0],
    )
    page.locator("#range-select").select_option("5")
    expect(page.locator("[data-testid=latent-slider]").first).to_have_attribute("max", "5")
    page.get_by_test_id("download-map").click()
    href = page.get_by_test_id("download-map").get_attribute("href")
    assert href.startswith("data:image/png")


def test_10_the_style_row_waits_for_the_pointer_to_pause(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2")
    expect(page.get_by_test_id("style-row").locator("img")).to_have_count(10)
    first = page.get_by_test_id("style-row").locator("img").first.get_attribute("src")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/decode") else None)
    box = page.locator(MAP).bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.5 * box["height"])
    page.mouse.down()
    for k in range(40):
        page.mouse.move(box["x"] + (0.2 + 0.015 * k) * box["width"], box["y"] + 0.5 * box["height"])
        page.wait_for_timeout(25)
    page.mouse.up()
    wait_decoded(page)
    page.wait_for_function(
        "src => document.querySelector('[data-testid=style-row] img').src !== src", arg=first
    )
    assert len(posts) <= 3, len(posts)  # was one per move
