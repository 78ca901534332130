"""Review 19 and the twenty-eighth new-user pass (a teacher sharing the demo, a student opening
the link on a phone, over this sitting's page changes; notes/s19/page-pass28-report.md)."""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests import test_browser
from tests.test_browser import PHONE, open_app
from tests.test_browser_lessons import _seven_png
from tests.test_browser_pass26 import PAD_PIXELS

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_a_pressed_sample_speaks_of_the_data_sets_item_and_goes_with_its_model(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2&seed=3")
    picks = page.get_by_test_id("samples").locator("button")
    expect(picks).to_have_count(16)
    picks.nth(1).click()
    line = page.get_by_test_id("samples-picked")
    expect(line).to_contain_text("the item, the sliders and the map above show it")
    # Another model's samples are other images: the line about sample 2 goes with the switch.
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    expect(line).to_be_hidden()


def test_the_servers_reading_does_not_wipe_a_stroke_being_drawn(page: Page, tmp_path) -> None:  # noqa: ANN001
    """The file's reading, painted on the pad when it came, cleared a stroke begun before it:
    the stroke's first part was lost (review 19)."""
    png = tmp_path / "seven.png"
    _seven_png(png)
    open_app(page, "?model=vae-mnist-z2")
    page.get_by_test_id("upload").set_input_files(str(png))
    expect(page.get_by_test_id("encode-marker")).to_be_visible()
    held: list[Route] = []
    page.route("**/ae-mnist-z2/encode", lambda route: held.append(route))
    page.get_by_test_id("model-select").select_option("ae-mnist-z2")  # the file, sent again
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    pad = page.get_by_test_id("draw-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    # A stroke along the pad's bottom row, where the 7 has no ink, begun before the answer.
    y = box["y"] + 0.93 * box["height"]
    page.mouse.move(box["x"] + 0.1 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.45 * box["width"], y, steps=8)
    with page.expect_response(lambda r: r.url.endswith("/ae-mnist-z2/encode")):
        held[0].continue_()
    page.wait_for_timeout(300)  # time for the reading to load and be painted, were it still
    page.mouse.move(box["x"] + 0.9 * box["width"], y, steps=8)
    page.mouse.up()
    pixels = page.evaluate(PAD_PIXELS)
    row = pixels[26 * 28 : 27 * 28]
    assert sum(v > 0.3 for v in row[3:12]) >= 5, row  # the stroke's first part is still there
    page.unroute("**/ae-mnist-z2/encode")


def test_a_phone_user_reads_the_same_draws_in_the_explanation(browser, base_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url)
    phone = context.new_page()
    open_app(phone, "?model=vae-mnist-z2")
    explain = phone.get_by_test_id("explain-generate")
    explain.locator("summary").click()
    expect(explain).to_contain_text("another model with as many dims, decodes the same z")
    context.close()
