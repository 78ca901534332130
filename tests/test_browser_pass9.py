"""The ninth new-user pass (a shared link on a phone, then a laptop; notes/page-pass9-report.md):
a link that could not be copied widened the phone's page, the completion panel showed an earlier
drawing's completions while a new request was pending or had failed, a link's interpolation end
without a label broke the interpolation, controls acted before any model was open, a repeated
query parameter made the page a JSON 422, a failed encode said "the server failed" with no
subject and no retry, two lines counted the dims "at the prior" by different rules, the AE asked
"Why ±130?" beside a map at ±3, and odd link values were taken without a word."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests import test_browser
from tests.test_browser import PHONE, SEVEN, draw_stroke, link_note, open_app, route_samples
from tests.test_browser_completion_noise import (
    COMPLETE_ROUTE,
    TOP_LEFT,
    draw_completion,
    wait_held,
)

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

NO_CLIPBOARD = "navigator.clipboard.writeText = () => Promise.reject(new Error('not allowed'));"
SERVER_ERROR = '{"detail": [{"loc": [], "msg": "internal error", "type": "internal_error"}]}'


def fail(route: Route) -> None:
    route.fulfill(status=500, content_type="application/json", body=SERVER_ERROR)


def fail_completions(page: Page) -> list[str]:
    """Every /complete answered with a 500 from now on; returns the list of those asked."""
    asked: list[str] = []
    page.route(COMPLETE_ROUTE, lambda route: asked.append(route.request.url) or fail(route))
    return asked


def test_a_link_that_could_not_be_copied_fits_the_phone(browser, base_url: str) -> None:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3, base_url=base_url
    )
    phone = context.new_page()
    phone.add_init_script(NO_CLIPBOARD)  # as on a plain-http network address
    open_app(
        phone,
        "?model=vae-mnist-z16&a=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1&b=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
    )
    phone.get_by_test_id("copy-link").click()
    field = phone.get_by_test_id("link-field")
    expect(field).to_be_visible()
    assert field.input_value() == phone.url
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, innerWidth, "
        "document.querySelector('[data-testid=link-field]').getBoundingClientRect().right]"
    )
    context.close()
    assert widths[0] <= 390 and widths[1] == 390 and widths[2] <= 390, widths


def test_the_completion_panel_says_pending_and_failed_and_asks_again(page: Page) -> None:
    page.allow_errors = True  # the refused requests
    held: list[Route] = []
    open_app(page)
    draw_completion(page, TOP_LEFT)
    row = page.get_by_test_id("completions")
    expect(row.locator("img")).to_have_count(8)
    info = page.locator("#complete-info")
    page.route(COMPLETE_ROUTE, lambda route: held.append(route))
    draw_completion(page, [(0.1, 0.3), (0.45, 0.3)])  # another stroke: a new request, held
    wait_held(page, held)
    expect(info).to_have_text("Completing what you drew…")
    expect(row).to_have_class("thumbs row pending")  # the earlier drawing's, dimmed
    fail(held[0])
    page.unroute(COMPLETE_ROUTE)
    page.route(COMPLETE_ROUTE, fail)  # the retries fail too, until the server is back
    expect(row.locator("img")).to_have_count(0)  # they were of another drawing
    expect(info).to_contain_text("The completion failed: the server failed (HTTP 500)")
    expect(info).to_contain_text("Asked again in 1 s")
    expect(info).to_contain_text("Asked again in 2 s", timeout=5_000)  # it backs off
    page.unroute(COMPLETE_ROUTE)  # the server is back: nobody draws, the panel asks again
    expect(row.locator("img")).to_have_count(8, timeout=10_000)
    expect(info).to_have_text("8 completions of what you drew")
    expect(page.get_by_role("alert")).to_be_hidden()


def test_clear_stops_the_completions_retry_and_its_notice(page: Page) -> None:
    page.allow_errors = True
    open_app(page)
    asked = fail_completions(page)
    draw_completion(page, TOP_LEFT)
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("The completion failed")
    expect(notice).to_contain_text("Asked again in")
    page.get_by_role("button", name="Clear the partial drawing").click()
    expect(notice).to_be_hidden()  # it promised a retry that Clear called off
    sent = len(asked)
    page.wait_for_timeout(2_500)  # past the retry that would have come
    assert len(asked) == sent, asked


def test_a_failed_encode_names_the_drawing_and_is_sent_again(page: Page) -> None:
    page.allow_errors = True
    open_app(page)
    page.route("**/encode", fail)
    draw_stroke(page, SEVEN)
    said = page.locator("#encode-info")
    expect(said).to_contain_text("The drawing could not be encoded: the server failed (HTTP 500)")
    expect(said).to_contain_text("Asked again in 1 s")
    expect(said).to_contain_text("Asked again in 2 s", timeout=5_000)  # it backs off
    page.get_by_role("button", name="Clear the drawing").click()
    draw_stroke(page, SEVEN)  # a new drawing starts the backoff over
    expect(said).to_contain_text("Asked again in 1 s")
    page.unroute("**/encode")
    expect(page.get_by_test_id("elbo-total")).to_be_visible(timeout=10_000)
    expect(said).not_to_contain_text("could not be encoded")


def test_a_link_end_without_a_label_takes_the_views(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2&label=3&a=1,1&b=-1,-1:10")
    expect(page.locator("#interpolation img")).to_have_count(10)
    notice = link_note(page)
    expect(notice).to_contain_text("The link's A names no label: it takes the view's, label 3.")
    expect(notice).to_contain_text(
        "The link's B label (10) is not one of cvae-mnist-z2's labels: "
        "it takes the view's, label 3."
    )
    expect(notice).not_to_contain_text("interpolation could not be made")
    page.wait_for_function(
        "() => location.search.includes('a=1,1:3') && location.search.includes('b=-1,-1:3')"
    )
    # Where the classes have names, the note names the class.
    open_app(page, "?model=cvae-fashion-z2&label=3&a=1,1&b=-1,-1:3")
    expect(notice).to_contain_text("it takes the view's, label 3 (Dress).")


def test_controls_wait_for_the_first_model(page: Page) -> None:
    held: list[Route] = []
    page.route("**/api/models", lambda route: held.append(route))
    page.goto("/")
    page.wait_for_function("() => document.querySelector('.gen-panel').inert")
    page.locator("#generate").click(force=True)  # inert: nothing happens, nothing throws
    page.locator("#copy-link").click(force=True)
    page.locator("#reset").click(force=True)
    page.wait_for_timeout(300)  # what a click would have thrown by now (it threw at once)
    assert page.errors == [], page.errors  # type: ignore[attr-defined]
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    held[0].continue_()
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("() => document.querySelector('.gen-panel').inert") is False
    assert page.evaluate("() => document.querySelector('#complete-panel').inert") is False
    page.locator("#generate").click()
    expect(page.locator("#samples img")).to_have_count(16)


def test_a_repeated_link_parameter_is_said_and_the_page_served(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2&label=3&label=5&utm_source=a&utm_source=b")
    expect(link_note(page)).to_contain_text(
        "The link gives label more than once: the first is used."
    )
    expect(page.get_by_test_id("map-label")).to_have_value("3")


def test_the_two_counts_of_dims_name_their_rules(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z16-beta10")
    draw_stroke(page, SEVEN)
    info = page.locator("#encode-info")
    expect(info).to_contain_text("above 0.9, near the prior's 1")
    expect(page.get_by_test_id("kl-summary")).to_contain_text(
        "under 0.1 nat of this drawing (q nearly N(0, 1)"
    )
    assert "at the prior" not in info.inner_text()


def test_the_aes_range_note_speaks_of_the_range_shown(page: Page) -> None:
    open_app(page, "?model=ae-mnist-z2")
    note = page.locator("#range-note")
    expect(note).to_contain_text("Why ±")
    page.locator("#range-select").select_option("3")
    expect(note).to_contain_text("(the map shows ±3). Why?")
    expect(note).not_to_contain_text("Why ±")


def test_odd_link_values_are_said(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2&z=1,&range=0.0001&t=0.55")
    notice = link_note(page)
    expect(notice).to_contain_text("The link's z (1,) is not 2 numbers: ignored.")
    expect(notice).to_contain_text("The link's range (0.0001) is not a number from 0.1 to 1000")
    expect(notice).to_contain_text(
        "The link's temperature (0.55) is set in steps of 0.1: 0.6 is used."
    )
    open_app(page, "?model=vae-mnist-z2&z=0x10,1")
    expect(notice).to_contain_text("The link's z (0x10,1) is not 2 numbers: ignored.")


def test_a_late_failure_of_superseded_samples_is_not_shown(page: Page) -> None:
    """The whole-tree review: an older /generate failing after a newer one had succeeded put
    "The samples could not be drawn" over the samples shown."""
    page.allow_errors = True
    page.route("**/decoder.safetensors*", lambda route: route.abort())  # the server draws them
    held: list[Route] = []
    open_app(page, "?model=vae-mnist-z2")

    def hold_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    route_samples(page, hold_first)
    page.locator("#generate").click()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    page.locator("#generate").click()  # a newer request, answered
    expect(page.locator("#samples img")).to_have_count(16)
    with page.expect_response(lambda r: r.request == held[0].request):
        fail(held[0])
    page.wait_for_timeout(300)  # time for a late catch to paint, were it still listened to
    shown = page.evaluate(
        "() => { const n = document.querySelector('[data-testid=notice]');"
        " return n.hidden ? '' : n.textContent; }"
    )
    assert "samples could not be drawn" not in shown, shown
