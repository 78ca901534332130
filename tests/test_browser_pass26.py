"""The twenty-sixth new-user pass (a student given a teacher's link, phone and laptop at 100
ms, over the day's page changes; notes/s18/page-pass26-report.md): a CVAE told "It is: 7" asked
again after a visit to the Fashion CVAE; the β note printed "10 × 3.42 = … 34.3"; the test set's
figures took five lines of a phone's first screen; "3, whose middles" for one class."""

from __future__ import annotations

import json
import math

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import PHONE, SEVEN, draw_stroke, open_app, with_elbo
from tests.test_browser_lessons import _seven_png
from tests.test_browser_pass11 import PAD_PIXELS as COMPLETION_PAD_PIXELS

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page
# The drawing pad read back as 28x28 block means, as the completion pad's test reads that pad.
PAD_PIXELS = COMPLETION_PAD_PIXELS.replace("completion-pad", "draw-pad")


def test_a_drawings_label_is_kept_for_the_models_of_its_data_set(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#encode-info")).to_contain_text("Which digit is it?")
    with page.expect_response(lambda r: r.url.endswith("/cvae-mnist-z2/encode")):
        page.get_by_test_id("draw-label").select_option("7")
    page.get_by_test_id("model-select").select_option("cvae-fashion-z2")
    expect(page.locator("#encode-info")).to_contain_text("Which item is it?")
    with page.expect_response(lambda r: r.url.endswith("/cvae-mnist-z2/encode")) as answer:
        page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    assert json.loads(answer.value.request.post_data)["label"] == 7
    expect(page.get_by_test_id("draw-label")).to_have_value("7")
    # A new drawing is another item: its label is asked for again.
    page.get_by_role("button", name="Clear").first.click()
    draw_stroke(page, SEVEN)
    expect(page.locator("#encode-info")).to_contain_text("Which digit is it?")


def test_the_beta_notes_product_is_of_the_kl_it_prints(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z16-beta10")

    elbo = {"reconstruction": 90.557, "kl": 3.425, "negative_elbo": 93.982}
    with_elbo(page, "vae-mnist-z16-beta10", elbo)
    draw_stroke(page, SEVEN)
    expect(page.get_by_test_id("elbo-beta")).to_contain_text("10 × 3.42 = 90.6 + 34.2 = 124.8")


def test_the_test_sets_figures_are_folded_on_a_phone(browser, base_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url)
    phone = context.new_page()
    open_app(phone, "?model=vae-mnist-z16-beta10")
    box = phone.get_by_test_id("model-figures-box")
    expect(box).to_be_visible()
    expect(phone.get_by_test_id("model-figures")).to_be_hidden()
    box.locator("summary").click()
    expect(phone.get_by_test_id("model-figures")).to_contain_text("reconstruction 140.0 + KL 4.0")
    context.close()


def test_one_class_left_unnumbered_is_said_in_the_singular(page: Page) -> None:
    open_app(page)
    said = page.evaluate(
        """async () => (await import('/assets/js/class-keys.js'))
             .unnumberedNote({ unnumbered: [3], shown: 10 })"""
    )
    assert said == (
        "Not numbered on this view: 3, whose middle lies closer to another class's than a "
        "number's height."
    )


def test_an_uploaded_image_stays_on_the_pad_across_a_switch(page: Page, tmp_path) -> None:  # noqa: ANN001
    """Page pass 26's left item: after an upload and a switch to a CVAE the pad was blank under
    "Which digit is it?". The pad shows the file as the server read it, and the file (not the
    pad's pixels) is what the next model encodes."""
    png = tmp_path / "seven.png"
    _seven_png(png)
    open_app(page, "?model=vae-mnist-z2")
    assert sum(page.evaluate(PAD_PIXELS)) == 0
    page.get_by_test_id("upload").set_input_files(str(png))
    expect(page.get_by_test_id("encode-marker")).to_be_visible()
    page.wait_for_function(
        f"() => ({PAD_PIXELS})().filter((v) => v > 0.5).length > 20", polling=100
    )
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    expect(page.locator("#encode-info")).to_contain_text("Which digit is the image “seven.png”?")
    assert sum(1 for v in page.evaluate(PAD_PIXELS) if v > 0.5) > 20
    with page.expect_request(lambda r: r.url.endswith("/cvae-mnist-z2/encode")) as sent:
        page.get_by_test_id("draw-label").select_option("7")
    assert "multipart/form-data" in sent.value.headers["content-type"]
    expect(page.locator("#encode-info")).to_contain_text("encoded as a 7")


def test_one_drawings_sigma_is_written_one_way(page: Page) -> None:
    """Page pass 26: one panel gave a drawing's σ as "mean σ 0.06", "σ at most 0.07" and "widest
    σ on this plane is 0.065". Below 0.1 each is written to two significant digits, and on a 2-d
    model the samples' note and the zoom name the same widest σ."""
    open_app(page, "?model=vae-mnist-z2")
    with page.expect_response(lambda r: r.url.endswith("/encode")) as answer:
        draw_stroke(page, SEVEN)
    sigma = [math.exp(v / 2) for v in answer.value.json()["logvar"]]
    assert max(sigma) < 0.1  # a clear 7 on the 2-d VAE (as page pass 26 saw)
    written = {v: f"{v:#.2g}" for v in (sum(sigma) / 2, max(sigma))}
    expect(page.locator("#encode-info")).to_contain_text(f"mean σ {written[sum(sigma) / 2]}")
    expect(page.locator("#posterior-note")).to_contain_text(f"σ at most {written[max(sigma)]} ")
    expect(page.locator("#posterior-cloud-note")).to_contain_text(
        f"widest σ on this plane is {written[max(sigma)]};"
    )


def test_no_style_row_heading_over_an_unconditional_model(page: Page) -> None:
    """Page pass 24's left item: "Style row (current z with every label)" headed nothing but a
    note on an unconditional model. The note says what a style row is, and which models have one."""
    open_app(page, "?model=vae-mnist-z2")
    heading = page.locator("h3", has_text="Style row")
    expect(heading).to_be_hidden()
    expect(page.locator("#style-note")).to_be_visible()
    expect(page.locator("#style-note")).to_contain_text(
        "A style row (the current z decoded with every label) needs a conditional model: pick "
    )
    expect(page.locator("#style-note")).to_contain_text("cvae-mnist-z2")
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    expect(heading).to_be_visible()
    expect(page.locator("#style-note")).to_be_hidden()
    expect(page.get_by_test_id("style-row").locator("img")).to_have_count(10)


def test_the_bound_and_each_dims_kl_fold_under_the_bar_on_a_phone(browser, base_url: str) -> None:  # noqa: ANN001
    """Page pass 24's left item: after the lead, a 16-d β-VAE's draw panel ran the bound's
    paragraph, β's objective and each dim's KL (1.8 phone screens) before its samples. They fold
    under the bar and the plain percentile, named on the fold; open on a wide screen."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url)
    phone = context.new_page()
    open_app(phone, "?model=vae-mnist-z16-beta10")
    draw_stroke(phone, SEVEN)
    expect(phone.get_by_test_id("elbo-percentile")).to_be_visible()
    fold = phone.get_by_test_id("elbo-more")
    expect(fold.locator("summary")).to_have_text(
        "More on these nats: the bound on −log p(x), β's objective, the KL's two parts, "
        "each dim's KL"
    )
    for part in ("elbo-gap", "elbo-beta", "kl-summary"):
        expect(phone.get_by_test_id(part)).to_be_hidden()
    # The percentile comes before the fold, the samples after it.
    said = phone.get_by_test_id("elbo-percentile").bounding_box()
    folded = fold.bounding_box()
    assert said["y"] < folded["y"] < phone.locator("#posterior").bounding_box()["y"]
    fold.locator("summary").click()
    expect(phone.get_by_test_id("kl-summary")).to_be_visible()
    expect(phone.get_by_test_id("elbo-gap")).to_contain_text("importance-weighted")
    context.close()


def test_the_fold_is_open_on_a_wide_screen_and_names_what_it_holds(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.get_by_test_id("elbo-gap")).to_be_visible()
    # No β and no per-dim bars on the 2-d VAE: the fold names only what it holds.
    expect(page.get_by_test_id("elbo-more").locator("summary")).to_have_text(
        "More on these nats: the bound on −log p(x), the KL's two parts"
    )
    page.get_by_test_id("model-select").select_option("vae-mnist-z16")  # the drawing, encoded again
    expect(page.get_by_test_id("elbo-more").locator("summary")).to_have_text(
        "More on these nats: the bound on −log p(x), the KL's two parts, each dim's KL"
    )
    expect(page.get_by_test_id("kl-summary")).to_be_visible()
    page.get_by_role("button", name="Clear").first.click()
    expect(page.get_by_test_id("elbo-more")).to_be_hidden()
