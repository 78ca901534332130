"""The page's state across a model switch: nothing of the old model stays, nothing late paints."""

from __future__ import annotations

import json
import time
import urllib.request

from playwright.sync_api import Page, Route, expect

from tests import test_browser
from tests.test_browser import DESKTOP, draw_stroke, open_app, slider_values

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

ONE = [(0.5, 0.15), (0.5, 0.85)]
SEVEN = [(0.25, 0.22), (0.75, 0.22), (0.45, 0.85)]
PAD_HAS_INK = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                        for (let i = 0; i < d.length; i += 4) if (d[i] > 0) return true;
                        return false; }"""


def hold(page: Page, pattern: str) -> list[Route]:
    """Hold every request matching `pattern` until the test lets it go (route.continue_())."""
    held: list[Route] = []
    page.route(pattern, lambda route: held.append(route))
    return held


def wait_held(page: Page, held: list[Route], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not held:
        assert time.monotonic() < deadline, "the request was never made"
        page.wait_for_timeout(50)  # lets Playwright deliver the route event


def draw_with_encode_held(page: Page) -> list[Route]:
    """Draw a 7 and hold its /encode request: the page is mid-encode until held[0] goes on."""
    held = hold(page, "**/encode")
    draw_stroke(page, SEVEN)
    wait_held(page, held)
    return held


def settled_map(page: Page) -> str:
    """The latent map's pixels once its plane is set and they stop changing."""
    page.wait_for_selector("[data-testid=latent-map][data-plane]")
    last, same = None, 0
    for _ in range(60):
        now = page.eval_on_selector("#map-canvas", "c => c.toDataURL()")
        same = same + 1 if now == last else 0
        if same == 3:
            return now
        last = now
        page.wait_for_timeout(150)
    raise AssertionError("the map never settled")


def test_switching_model_clears_every_result_of_the_old_one(page: Page) -> None:
    open_app(page, "?model=m2-mnist-100")
    draw_stroke(page, ONE)
    expect(page.get_by_test_id("label-probs")).to_be_visible()
    expect(page.locator("#encode-info")).to_contain_text("μ = ")
    page.get_by_role("button", name="A = current").click()
    page.locator("[data-testid=latent-slider][data-dim='0']").focus()
    page.keyboard.press("End")
    page.get_by_role("button", name="B = current").click()
    expect(page.get_by_test_id("interpolation").locator("img")).to_have_count(10)
    expect(page.get_by_test_id("end-b")).to_be_visible()

    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    page.wait_for_selector("[data-testid=latent-map][data-plane]")
    expect(page.get_by_test_id("samples").locator("img")).to_have_count(16)

    # The drawing stays, to be encoded by the CVAE once its label is named (page pass 25); the
    # M2's results of it go.
    expect(page.locator("#encode-info")).to_contain_text("Which digit is it?")
    for image in ("#preprocessed", "#reconstruction"):
        assert page.locator(image).get_attribute("src") is None, image
    expect(page.get_by_test_id("label-probs")).to_be_hidden()
    expect(page.get_by_test_id("interpolation").locator("img")).to_have_count(0)
    expect(page.locator("#interp-info")).to_contain_text("Pick two points")
    expect(page.get_by_test_id("encode-marker")).to_be_hidden()
    expect(page.get_by_test_id("end-a")).to_be_hidden()
    expect(page.get_by_test_id("end-b")).to_be_hidden()
    assert page.eval_on_selector("[data-testid=draw-pad]", PAD_HAS_INK)
    assert slider_values(page) == [0.0, 0.0]


def test_a_slow_atlas_of_the_old_model_never_paints_the_new_one(
    page: Page,
    browser,
    base_url: str,
) -> None:
    # The reference: the CVAE's map on a page opened on it directly.
    other = browser.new_context(viewport=DESKTOP, base_url=base_url).new_page()
    open_app(other, "?model=cvae-mnist-z2")
    reference = settled_map(other)
    other.context.close()

    open_app(page)
    held = hold(page, "**/api/models/ae-mnist-z2/atlas*")
    page.get_by_test_id("model-select").select_option("ae-mnist-z2")
    wait_held(page, held)
    # Both 2-d models show the plane "0,1": a check that compares only the plane takes the AE's.
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    page.wait_for_selector("[data-testid=latent-map][data-plane]")
    with page.expect_response("**/api/models/ae-mnist-z2/atlas*"):
        held[0].continue_()
    page.wait_for_timeout(300)  # time for the page to act on the late answer
    assert settled_map(page) == reference
    expect(page.get_by_test_id("model-select")).to_have_value("cvae-mnist-z2")


def test_a_late_encode_of_the_old_model_is_dropped(page: Page) -> None:
    open_app(page)
    held = hold(page, "**/api/models/vae-mnist-z2/encode")
    draw_stroke(page, SEVEN)
    wait_held(page, held)
    # The drawing stays and the AE encodes it too (page pass 25); the VAE's late answer is not
    # shown over the AE's.
    with page.expect_response("**/api/models/ae-mnist-z2/encode") as ae:
        page.get_by_test_id("model-select").select_option("ae-mnist-z2")
    mu = ae.value.json()["mu"]
    page.wait_for_selector("[data-testid=latent-map][data-plane]")
    expect(page.locator("#encode-info")).to_contain_text(f"z = ({mu[0]:.2f}, {mu[1]:.2f})")
    with page.expect_response("**/api/models/vae-mnist-z2/encode"):
        held[0].continue_()
    page.wait_for_timeout(300)
    expect(page.locator("#encode-info")).to_contain_text(f"z = ({mu[0]:.2f}, {mu[1]:.2f})")
    step = float(page.locator("[data-testid=latent-slider][data-dim='0']").get_attribute("step"))
    assert all(abs(v - m) <= step for v, m in zip(slider_values(page), mu, strict=True))


def test_the_page_reads_capabilities_not_kind_names(page: Page, base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/api/models") as response:
        models = json.load(response)
    open_app(page)
    walkable = [m["id"] for m in models if m["capabilities"]["walkable"]]
    options = page.eval_on_selector_all(
        "[data-testid=model-select] option", "os => os.map(o => o.value)"
    )
    assert sorted(options) == sorted(walkable)
    # Each entry is named as the model names itself.
    for m in models:
        if m["capabilities"]["walkable"]:
            option = page.locator(f"[data-testid=model-select] option[value='{m['id']}']")
            text = option.inner_text()
            assert m["display_name"] in text, text
    # The completion panel offers exactly the regions its model declares (plus a quadrants mask).
    (completer,) = [m for m in models if m["capabilities"]["completes"]]
    regions = page.eval_on_selector_all(
        "[data-testid=region-select] option", "os => os.map(o => o.value)"
    )
    assert regions == [*completer["capabilities"]["completes"], "q:0,1,2"]
