"""The twelfth new-user pass (a teacher preparing links for students on phones, 100 ms; notes/
page-pass12-report.md): a phone drew the intro open and folded it a second later, under a reader;
on a slow network the model picker was an empty box for seconds; the completion panel's move
buttons were under a finger's 44 px and its pad sat apart from the pads above; an AE whose atlas
failed showed ±3 without saying it was not its own range; PCA's heading called its exact
posterior q(z|x)."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests import test_browser
from tests.test_browser import PHONE, SEVEN, draw_stroke, open_app

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def held_page(browser, base_url: str, pattern: str, viewport: dict):
    """A page whose requests matching `pattern` wait until released; returns (context, page,
    held routes)."""
    context = browser.new_context(viewport=viewport, base_url=base_url)
    held: list[Route] = []
    tab = context.new_page()
    tab.route(pattern, lambda route: held.append(route))
    return context, tab, held


def release_models(tab: Page, held: list[Route]) -> None:
    """Let the held model list go (once the page has asked for it) and wait for the page."""
    for _ in range(200):
        if held:
            break
        tab.wait_for_timeout(25)
    for route in held:
        route.continue_()
    tab.unroute("**/api/models")
    tab.wait_for_selector("body[data-ready=true]", timeout=20_000)


def test_a_phone_draws_the_intro_folded_before_the_modules_come(browser, base_url: str) -> None:
    context, phone, held = held_page(browser, base_url, "**/assets/js/main.js", PHONE)
    phone.goto("/", wait_until="commit")
    phone.wait_for_selector("#complete-panel", state="attached")  # the body is parsed
    assert held, "main.js was not asked for"
    assert phone.evaluate("document.getElementById('intro').open") is False
    for route in held:
        route.continue_()
    phone.wait_for_selector("body[data-ready=true]", timeout=20_000)
    assert phone.evaluate("document.getElementById('intro').open") is False
    context.close()


def test_the_picker_says_the_models_are_loading(browser, base_url: str) -> None:
    context, tab, held = held_page(
        browser, base_url, "**/api/models", {"width": 1400, "height": 1000}
    )
    tab.goto("/", wait_until="commit")
    picker = tab.get_by_test_id("model-select")
    expect(picker).to_have_text("Loading the models…")
    release_models(tab, held)
    expect(picker).not_to_contain_text("Loading")
    context.close()


def test_the_completion_panel_fits_a_finger_and_lines_up_on_a_phone(browser, base_url) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url)
    phone = context.new_page()
    open_app(phone)
    widths = phone.eval_on_selector_all(
        "#complete-move button", "bs => bs.map(b => b.getBoundingClientRect().width)"
    )
    assert len(widths) == 4 and min(widths) >= 44, widths
    gaps = phone.evaluate(
        """() => {
          const pad = document.querySelector('.complete-wrap').getBoundingClientRect();
          const box = document.querySelector('#complete-panel').getBoundingClientRect();
          return [pad.left - box.left, box.right - pad.right];
        }"""
    )
    context.close()
    assert abs(gaps[0] - gaps[1]) < 2 and gaps[0] > 20, gaps  # centred, a thumb's margin


def test_an_ae_whose_atlas_fails_says_its_map_is_at_the_priors_range(page: Page) -> None:
    page.allow_errors = True  # the refused atlas requests
    page.route("**/atlas*", lambda route: route.abort())
    page.goto("/?model=ae-mnist-z2")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    expect(page.get_by_test_id("notice")).to_contain_text(
        "Until then the map shows ±3, the prior's range, not this model's own."
    )
    expect(page.locator("#range-select")).to_have_value("3")
    page.unroute_all(behavior="ignoreErrors")


def test_pcas_heading_names_its_exact_posterior(page: Page) -> None:
    open_app(page, "?model=pca-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#posterior h3")).to_have_text("p(z|x) is a distribution")
    open_app(page, "?model=vae-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#posterior h3")).to_have_text("q(z|x) is a distribution")
