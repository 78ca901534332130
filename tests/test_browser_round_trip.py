"""The decoded image encoded: the drawing lesson's way in for a keyboard (page pass 22 left
only an image file), and the round trip x = decode(z), then q(z|x): the encoder takes the
decoder's picture back near z."""

from __future__ import annotations

import json
import math

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import open_app, slider_values, wait_decoded

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def set_z(page: Page, z: list[float]) -> None:
    for dim, value in enumerate(z):
        page.locator(f"[data-testid=latent-slider][data-dim='{dim}']").fill(str(value))
    wait_decoded(page)


def test_the_decoded_digit_is_encoded_by_keyboard_and_lands_near_z(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    set_z(page, [1.0, -0.5])
    button = page.get_by_role("button", name="Encode the decoded digit")
    button.focus()
    with page.expect_request("**/encode") as sent:
        page.keyboard.press("Enter")
    body = json.loads(sent.value.post_data or "{}")
    assert body["preprocess"] == "none"  # the model's own 28x28 image: no MNIST crop
    expect(page.get_by_test_id("encode-marker")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=latent-slider]')]"
        ".some(s => Number(s.value) !== 1 && Number(s.value) !== -0.5)"
    )
    # The view moved to the mean, near the z it was decoded at (0.1 here for this model).
    mu = slider_values(page)
    assert math.dist(mu, [1.0, -0.5]) < 0.3, mu
    pad_ink = page.eval_on_selector(
        "[data-testid=draw-pad]",
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".some((v, i) => i % 4 === 0 && v > 0)",
    )
    assert pad_ink  # the decoded image is on the pad, to draw over
    expect(page.get_by_test_id("round-trip-note")).to_contain_text("back to near z")


def test_a_conditional_models_decoded_digit_is_sent_with_its_label(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2&label=3")
    with page.expect_request("**/encode") as sent:
        page.get_by_role("button", name="Encode the decoded digit").click()
    assert json.loads(sent.value.post_data or "{}")["label"] == 3
    expect(page.get_by_test_id("draw-label")).to_have_value("3")
    expect(page.get_by_test_id("encode-marker")).to_be_visible()


def test_a_digit_not_decoded_at_this_z_is_not_encoded(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2")
    expect(page.get_by_role("button", name="Encode the decoded item")).to_be_visible()
    # What the decoded view does when its newest decode failed: the image is an earlier z's.
    page.eval_on_selector("[data-testid=decoded-image]", "c => c.classList.add('stale')")
    encodes: list[str] = []
    page.on("request", lambda r: encodes.append(r.url) if r.url.endswith("/encode") else None)
    page.get_by_role("button", name="Encode the decoded item").click()
    expect(page.locator("#encode-info")).to_contain_text("No item is decoded at this z yet")
    page.wait_for_timeout(300)
    assert encodes == []


def test_the_last_zs_picture_is_not_encoded_while_this_zs_decode_is_on_its_way(
    page: Page,
) -> None:
    """Decoded on the server, a press right after a move encoded the last z's picture as this
    z's (review 17)."""
    page.allow_errors = True  # type: ignore[attr-defined]  # the refused decoder file
    page.route("**/decoder.safetensors*", lambda route: route.fulfill(status=404, body="{}"))
    open_app(page, "?model=vae-mnist-z2")  # decoded on the server
    held: list = []
    page.route("**/decode.png*", lambda route: held.append(route))
    page.locator("[data-testid=latent-slider][data-dim='0']").fill("1.5")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "no decode was asked for"
    encodes: list[str] = []
    page.on("request", lambda r: encodes.append(r.url) if r.url.endswith("/encode") else None)
    page.get_by_role("button", name="Encode the decoded digit").click()
    expect(page.locator("#encode-info")).to_contain_text("No digit is decoded at this z yet")
    assert encodes == []
    page.unroute("**/decode.png*")
    for route in held:
        route.continue_()
