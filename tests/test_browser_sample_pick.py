"""A sample pressed moves z to it (page pass 24: a tap on a sample did nothing, and setting an
interpolation's ends from the map or sliders meant screens of scrolling on a phone)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import open_app, slider_values

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

# The decoded canvas and a thumbnail, each read as 28x28 gray levels.
SAME_PICTURE = """([k]) => {
    const read = (source) => {
        const c = document.createElement('canvas');
        c.width = c.height = 28;
        const ctx = c.getContext('2d');
        ctx.drawImage(source, 0, 0, 28, 28);
        return [...ctx.getImageData(0, 0, 28, 28).data].filter((_, i) => i % 4 === 0);
    };
    const thumb = read(document.querySelectorAll('[data-testid=samples] img')[k]);
    const digit = read(document.querySelector('[data-testid=decoded-image]'));
    return Math.max(...thumb.map((v, i) => Math.abs(v - digit[i])));
}"""


def test_a_pressed_sample_becomes_the_current_z(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    samples = page.get_by_test_id("samples")
    expect(samples.locator("img")).to_have_count(16)
    before = slider_values(page)
    sample = samples.get_by_role("button", name="sample 3")
    sample.focus()
    page.keyboard.press("Enter")  # a keyboard presses it as a finger does
    page.wait_for_function(
        "b => JSON.stringify(b) !== JSON.stringify("
        "[...document.querySelectorAll('[data-testid=latent-slider]')]"
        ".map(e => Number(e.value)))",
        arg=before,
    )
    # The digit decoded at the new z is the sample's own picture (one decoder, one z).
    page.wait_for_timeout(300)
    assert page.evaluate(SAME_PICTURE, [2]) <= 2
    expect(page.get_by_test_id("z-said")).to_contain_text("z moved to sample 3")
    expect(page.get_by_test_id("samples-hint")).to_be_visible()
