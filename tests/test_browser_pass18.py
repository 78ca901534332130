"""The eighteenth pass (a teacher sharing links over slow, far networks;
notes/page-pass18-report.md): a few seconds offline left panels blank with no word and no retry,
and a decoder file lost once was never asked for again."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import SEVEN, draw_stroke, open_app, route_samples

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

DECODER_FILE = "**/decoder.safetensors*"


def offline(cdp, off: bool) -> None:
    conditions = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", {"offline": off, **conditions})


def test_a_spell_offline_during_a_switch_mends_itself(page: Page) -> None:
    """Offline during a switch: the decoder file, the digit, the map's dots (and its PCA plane)
    and the samples all failed, and the one notice said only the last. Once the digit came back
    its success hid that notice: the map stayed empty and the samples never came, with no word."""
    page.allow_errors = True  # the failed requests
    open_app(page, "?model=vae-mnist-z2")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    offline(cdp, True)
    page.get_by_test_id("model-select").select_option("vae-mnist-z16")
    notice = page.get_by_role("alert")
    expect(notice).to_be_visible()
    the_map = page.get_by_test_id("latent-map")
    expect(the_map).to_have_attribute("data-no-plane", "")
    page.wait_for_timeout(3_000)
    offline(cdp, False)
    # Nobody touches the page: everything that failed comes by itself.
    expect(the_map).not_to_have_attribute("data-no-plane", "", timeout=30_000)
    expect(page.locator("#samples img")).to_have_count(16, timeout=30_000)
    expect(notice).to_be_hidden()
    expect(page.get_by_test_id("decode-note")).to_contain_text("Decoding in the browser")


def test_a_failure_mended_shows_the_one_before_it(page: Page) -> None:
    """The samples' failure, then the digit's: the digit's success brings back the samples'
    line (it hid the page's only word about the empty panel)."""
    page.allow_errors = True
    page.route(DECODER_FILE, lambda route: route.abort())  # the server decodes and samples
    open_app(page, "?model=vae-mnist-z2")
    route_samples(page, lambda route: route.fulfill(status=400, body="{}"))
    page.get_by_role("button", name="New samples").click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("The samples could not be drawn")
    page.route("**/decode.png*", lambda route: route.abort())
    page.locator("[data-testid=latent-slider][data-dim='0']").focus()
    page.keyboard.press("End")
    expect(notice).to_contain_text("This z could not be decoded")
    page.unroute("**/decode.png*")
    expect(notice).to_contain_text("The samples could not be drawn", timeout=10_000)


def test_a_decoder_file_lost_once_is_asked_for_again(page: Page) -> None:
    """The page decoded on the server for the rest of the visit (~170 ms a step instead of ~2)."""
    page.allow_errors = True
    asked = []

    def first_lost(route) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.abort()
        else:
            route.continue_()

    page.route(DECODER_FILE, first_lost)
    page.goto("/?model=vae-mnist-z2")
    note = page.get_by_test_id("decode-note")
    expect(note).to_contain_text("Decoding on the server: the network request for the decoder")
    expect(note).to_contain_text("asked for again in 2 s")
    expect(note).to_contain_text("Decoding in the browser", timeout=10_000)


def test_a_decoder_file_cut_off_mid_body_is_asked_for_again(page: Page) -> None:
    """A connection lost while the file streamed threw a plain TypeError, taken for a failure
    for good (review): the page said "...could not be loaded: Failed to fetch" and never asked
    again. The first body read of the file fails here as Chromium's does."""
    page.allow_errors = True
    page.add_init_script(
        """const read = Response.prototype.arrayBuffer;
        let cut = false;
        Response.prototype.arrayBuffer = function () {
            if (!cut && this.url.includes('decoder.safetensors')) {
                cut = true;
                return Promise.reject(new TypeError('Failed to fetch'));
            }
            return read.call(this);
        };"""
    )
    page.goto("/?model=vae-mnist-z2")
    note = page.get_by_test_id("decode-note")
    expect(note).to_contain_text("the network request for the decoder file failed")
    expect(note).to_contain_text("Decoding in the browser", timeout=10_000)


def test_strip_cells_that_failed_are_asked_again(page: Page) -> None:
    """After a spell offline the strip's server images stayed blank (four black digits under a
    caption calling them the current z) until z moved."""
    page.allow_errors = True
    page.route(DECODER_FILE, lambda route: route.abort())  # every cell comes from the server
    page.route("**/decode.png*", lambda route: route.abort())
    open_app_without_digit(page, "?model=vae-mnist-z2")
    strip = page.get_by_test_id("compare-strip")
    expect(strip.locator("figure.failed")).not_to_have_count(0)
    said = "a dashed cell did not load and is asked for again"
    expect(page.locator("#compare-note")).to_contain_text(said)  # in words, not only a title
    page.unroute("**/decode.png*")
    page.wait_for_function(
        """() => { const cells = [...document.querySelectorAll('#compare-strip img')];
            return cells.length > 1 && cells.every((img) => img.naturalWidth > 0); }""",
        timeout=10_000,
    )
    expect(strip.locator("figure.failed")).to_have_count(0)
    expect(page.locator("#compare-note")).not_to_contain_text(said)


def open_app_without_digit(page: Page, query: str) -> None:
    """open_app, but the digit may not come (its requests fail on purpose)."""
    page.goto(f"/{query}")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)


def test_a_link_asks_for_its_digit_once(page: Page) -> None:
    """Opening a link decoded its z twice on the server; the second answer came from the
    browser's cache in a few ms and was read out as "decoded on the server in 6.8 ms (median of
    last 2: 4640.8 ms)"."""
    page.route(DECODER_FILE, lambda route: route.fulfill(status=404, body="{}"))
    page.allow_errors = True  # the refused decoder file
    asked: list[str] = []  # the digit's own requests (the strip's cells are images)
    page.on(
        "request",
        lambda r: (
            asked.append(r.url) if "/decode.png" in r.url and r.resource_type == "fetch" else None
        ),
    )
    open_app(page, "?model=vae-mnist-z2&z=1.25,-0.5")
    page.wait_for_timeout(1_000)
    assert len(asked) == 1, asked
    expect(page.locator("#latency")).to_contain_text("decoded on the server in")
    expect(page.get_by_test_id("latency-median")).to_be_hidden()  # of one: no median shown


def test_the_maps_picture_is_asked_again_when_the_server_answers_again(page: Page) -> None:
    """The map's failure was said in words, never taken for one that may pass: the digit came
    back, the map stayed black until a move (review)."""
    page.allow_errors = True
    page.route(DECODER_FILE, lambda route: route.fulfill(status=404, body="{}"))
    page.route("**/grid.png*", lambda route: route.abort())
    page.route("**/decode.png*", lambda route: route.abort())
    open_app_without_digit(page, "?model=vae-mnist-z2")
    notice = page.get_by_role("alert")
    expect(notice).to_be_visible()
    page.unroute("**/grid.png*")
    page.unroute("**/decode.png*")
    # Nobody moves: the digit's retry succeeds, and the map's picture is asked again with it.
    expect(notice).to_be_hidden(timeout=15_000)
    expect(page.get_by_test_id("decoded-image")).not_to_have_class("stale")


def test_a_mended_posterior_failure_does_not_come_back(page: Page) -> None:
    """Nothing cleared the posterior samples' failure when they later came: it was shown again,
    beside 16 samples, once a later failure was mended (review)."""
    page.allow_errors = True
    page.route(DECODER_FILE, lambda route: route.fulfill(status=404, body="{}"))
    open_app(page, "?model=vae-mnist-z2")
    page.route("**/decode", lambda route: route.abort())  # the posterior samples' batch
    draw_stroke(page, SEVEN)
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("The posterior samples could not be decoded")
    page.unroute("**/decode")
    page.get_by_role("button", name="Sample the cloud again").click()
    expect(notice).to_be_hidden()


def test_a_failed_map_is_asked_again_by_itself(page: Page) -> None:
    """With the digit decoded in the page, nothing else failed whose mending could ask for the
    map's dots again: the map stayed empty until a move (page pass 19)."""
    page.allow_errors = True
    open_app(page, "?model=vae-mnist-z2")
    page.route("**/atlas*", lambda route: route.abort())
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("A move asks again.")
    # The countdown is shown last, apart from what is said (page pass 22).
    expect(notice).to_contain_text("Asked again by itself in 1 s.")
    page.unroute("**/atlas*")
    # Nobody moves.
    expect(notice).to_be_hidden(timeout=15_000)
    expect(page.get_by_test_id("latent-map")).to_have_attribute("data-plane", "0,1")


def test_a_failed_interpolation_says_so_in_its_panel(page: Page) -> None:
    """The panel still said "A is set…: move z to another point, then set B" after B was set
    and the path failed (page pass 19)."""
    page.allow_errors = True
    page.route(DECODER_FILE, lambda route: route.fulfill(status=404, body="{}"))
    open_app(page, "?model=vae-mnist-z2")
    page.route("**/interpolate", lambda route: route.abort())
    page.get_by_role("button", name="A = current").click()
    page.locator("[data-testid=latent-slider][data-dim='0']").focus()
    page.keyboard.press("End")
    page.get_by_role("button", name="B = current").click()
    info = page.locator("#interp-info")
    expect(info).to_contain_text("A and B are set, but the path between them could not be made")
