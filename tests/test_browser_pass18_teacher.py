"""Page pass 18 (a teacher sharing links over slow and far networks)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from latent_explorer import harness
from tests import test_browser
from tests.browser import ROOT
from tests.test_browser import SEVEN, draw_stroke, link_note, open_app, shoot


@pytest.fixture(scope="module")
def base_url():
    # Any Host header, as `serve --host 0.0.0.0` sets: the page is opened as http://0.0.0.0:PORT/.
    env = {"LATENT_EXPLORER_TRUSTED_HOSTS": "*"}
    with harness.running_server(ROOT / "checkpoints", "cpu", env=env) as server:
        yield server.url


# The same browser and page fixtures as the other browser tests, on this module's server.
browser = test_browser.browser
page = test_browser.page


def test_a_link_to_0000_is_said_to_name_this_computer(page: Page, base_url: str) -> None:
    """The server printed `open http://0.0.0.0:PORT/`; a link copied there names each student's
    own device, and the note said nothing (page pass 18, #3)."""
    port = base_url.rsplit(":", 1)[1]
    page.goto(f"http://0.0.0.0:{port}/?model=vae-mnist-z2")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    page.get_by_test_id("copy-link").click()
    note = page.get_by_test_id("link-note")
    expect(note).to_contain_text("It names each visitor's own device")
    # Not "start the server with --host 0.0.0.0" to someone who already did (page pass 19).
    expect(note).to_contain_text("the address the server printed for other devices")
    expect(note).not_to_contain_text("--host 0.0.0.0")
    own = page.evaluate(
        """async () => {
          const { namesOwnDevice } = await import('/assets/js/url-state.js');
          return ['0.0.0.0', '[::]', '[::1]', 'localhost', '192.0.2.2', 'example.org']
            .map(namesOwnDevice);
        }"""
    )
    assert own == [True, True, True, True, False, False]


def test_link_values_the_page_cannot_read_are_said(page: Page) -> None:
    """method=SLERPY, scatter=no and a misspelt key were dropped without a word, where a wrong z
    or temperature each got a sentence (page pass 18, #7)."""
    open_app(page, "?model=vae-mnist-z2&method=SLERPY&scatter=no&zz=1,1&yy=2&utm_source=mail")
    notice = link_note(page)
    expect(notice).to_contain_text(
        "The link's method (SLERPY) is not linear or slerp: linear is used."
    )
    expect(notice).to_contain_text("The link's scatter (no) is not 0 or 1: the dots are shown.")
    # One sentence for the unknown keys; a tracking key added on the way is not the sender's.
    expect(notice).to_contain_text(
        "The link's zz and yy are not settings this page reads: ignored."
    )
    expect(notice).not_to_contain_text("utm_source")
    expect(page.locator("#method-select")).to_have_value("linear")
    expect(page.locator("#scatter-toggle")).to_be_checked()


def test_an_empty_method_is_said_and_a_capital_slerp_is_read(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2&method=&zz=1,1")
    notice = link_note(page)
    expect(notice).to_contain_text("The link's method is empty: linear is used.")
    expect(notice).to_contain_text("The link's zz is not a setting this page reads: ignored.")
    # The case is not the sender's mistake: "SLERP" is slerp, and the address says so.
    open_app(page, "?model=vae-mnist-z2&method=SLERP&scatter=1")
    expect(page.locator("#method-select")).to_have_value("slerp")
    page.wait_for_function("() => location.search.includes('method=slerp')")
    expect(page.get_by_test_id("notice")).to_be_hidden()


def explained_cloud(page: Page, model: str) -> str:
    open_app(page, f"?model={model}")
    draw_stroke(page, SEVEN)
    expect(page.get_by_test_id("posterior-samples").locator("img")).to_have_count(16)
    page.get_by_test_id("explain-draw").locator("summary").click()
    return page.get_by_test_id("explain-draw").inner_text()


def test_the_draw_explanation_sizes_the_cloud_by_its_own_sigma(page: Page) -> None:
    """'The cloud is small beside the prior's circles' was said on the beta-VAE too, whose sigma
    are mostly ~1 (page pass 18, #6): the sentence follows the drawing's sigma."""
    said = explained_cloud(page, "vae-mnist-z16-beta10")
    shoot(page, "pass18-explain-beta")
    assert "small beside" not in said
    assert "as wide as the prior's circles in" in said
    said = explained_cloud(page, "vae-mnist-z2")  # sigma ~0.07: small it is
    assert "This drawing's cloud is small beside the prior's circles (σ at most 0.0" in said
    said = page.evaluate(
        """async () => {
          const { cloudSize } = await import('/assets/js/posterior-views.js');
          return [cloudSize([1.0, 0.95]), cloudSize([0.7, 0.8])];
        }"""
    )
    assert "in every dim" in said[0] and "narrower than the prior's circles" in said[1]
    page.locator("#clear-pad").click()  # no drawing: no numbers to follow
    expect(page.get_by_test_id("cloud-size")).to_have_text(
        "The zoomed view under the samples sets the cloud beside the prior's circles (σ = 1)."
    )


GRID = "**/grid.png*"


def hold_grids(page: Page) -> list:
    """The map's pictures wait here until the test lets them go (a slow network)."""
    held: list = []
    page.route(GRID, lambda route: held.append(route))
    return held


def wait_held(page: Page, held: list) -> None:
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the map's picture was never asked for")


def release(page: Page, held: list) -> None:
    for route in held:  # before unroute, which would let them go itself
        route.continue_()
    page.unroute(GRID)


def test_the_map_says_it_is_loading_until_its_picture_comes(page: Page) -> None:
    """On a slow link the map was an empty square for seconds under a legend that promised the
    dots, with no word (page pass 18, #8)."""
    held = hold_grids(page)
    open_app(page, "?model=vae-mnist-z16")
    wait_held(page, held)
    loading = page.get_by_test_id("map-loading")
    expect(loading).to_be_visible()
    expect(loading).to_have_text("Loading the map…")
    shoot(page, "pass18-map-loading")
    release(page, held)
    expect(loading).to_be_hidden()
    # Another model: its picture is on its way again, and the line says so until it comes.
    held = hold_grids(page)
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    wait_held(page, held)
    expect(loading).to_be_visible()
    release(page, held)
    expect(loading).to_be_hidden()


def test_a_failed_map_picture_leaves_the_word_to_the_notice(page: Page) -> None:
    page.allow_errors = True  # the refused picture, logged by the browser as it should be
    held = hold_grids(page)
    open_app(page, "?model=vae-mnist-z2")
    wait_held(page, held)
    loading = page.get_by_test_id("map-loading")
    expect(loading).to_be_visible()
    for route in held:
        route.abort()
    page.unroute(GRID)
    expect(page.get_by_role("alert")).to_contain_text("The map's background did not load")
    expect(loading).to_be_hidden()  # not "loading" beside "did not load"
