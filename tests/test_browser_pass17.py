"""The seventeenth new-user pass (a student after a lecture on VAEs, on a laptop at 100 ms;
notes/page-pass17-report.md): a refused file's error stayed over the completion panel's empty
pad when the region changed; the M2's explanation spoke of nats it does not show. (A picture
that is not square was squashed: tests/test_encode_preprocess.py.)"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import draw_stroke, open_app

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_a_refused_files_error_goes_when_the_region_changes(page: Page) -> None:
    page.allow_errors = True  # type: ignore[attr-defined]  # Chromium logs the refused file
    open_app(page)
    info = page.locator("#complete-info")
    intro = info.text_content()
    page.get_by_test_id("complete-upload").set_input_files(
        files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image at all"}]
    )
    expect(info).to_contain_text("the file is not a PNG", timeout=10_000)
    region = page.get_by_test_id("region-select")
    options = region.locator("option").evaluate_all("os => os.map((o) => o.value)")
    region.select_option(options[-1])
    expect(info).to_have_text(intro or "")


def test_the_m2s_explanation_does_not_speak_of_nats_it_does_not_show(page: Page) -> None:
    open_app(page, "?model=m2-mnist-100")
    explain = page.get_by_test_id("explain-draw")
    explain.locator("summary").click()
    assert "The nats are no sure test" not in explain.inner_text()
    open_app(page, "?model=vae-mnist-z16")
    explain.locator("summary").click()
    assert "The nats are no sure test" in explain.inner_text()


def test_a_strokes_tip_in_the_clear_part_is_not_completed_as_a_drawing(page: Page) -> None:
    open_app(page)
    # A stroke in the top-left quarter whose rounded end reaches just past the middle.
    draw_stroke(page, [(0.2, 0.2), (0.49, 0.49)], pad="completion-pad")
    info = page.locator("#complete-info")
    page.get_by_test_id("region-select").select_option("bottom-right")
    hidden = "Draw in the clear part of the square: the model sees only that part."
    expect(info).to_have_text(hidden)
    expect(page.locator("[data-testid=completions] img")).to_have_count(0)
    page.get_by_test_id("region-select").select_option("top-left")
    expect(info).to_contain_text("8 completions", timeout=10_000)
