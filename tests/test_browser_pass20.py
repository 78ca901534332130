"""The twentieth new-user pass (a student checking what the page says against the API, on a
desktop and a phone at 100 ms; notes/page-pass20-report.md): an encode answered after an outage
put back the label picked before it, under a z the user had picked for another."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests import test_browser
from tests.test_browser import SEVEN, draw_stroke, open_app
from tests.test_browser_page import click_map

# The same server, browser and page fixtures as the other browser tests (one server per module).
base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def draw_a_3_while_encode_fails(page: Page, query: str) -> Locator:
    """A 7 drawn and named a 3 on the CVAE while /encode fails (the retry waits): its line."""
    page.allow_errors = True  # type: ignore[attr-defined]  # the refused requests are logged
    open_app(page, query)
    page.get_by_test_id("draw-label").select_option("3")
    page.route("**/encode", lambda route: route.fulfill(status=500, body="{}"))
    draw_stroke(page, SEVEN)
    info = page.locator("#encode-info")
    expect(info).to_contain_text("Asked again in", timeout=10_000)
    return info


def test_a_late_encode_keeps_the_label_chosen_after_it(page: Page) -> None:
    info = draw_a_3_while_encode_fails(page, "?model=cvae-mnist-z2")
    click_map(page, 0.2, 0.2)  # the user walks on, and picks another label for where they went
    page.get_by_test_id("map-label").select_option("5")
    expect(page).to_have_url(re.compile(r"label=5"))
    z_chosen = page.evaluate("() => new URL(location.href).searchParams.get('z')")
    page.unroute("**/encode")
    expect(info).to_contain_text("μ = (", timeout=15_000)  # the retry's answer came
    expect(info).to_contain_text("encoded as a 3")
    # The drawing's results are shown; the view the user chose since stays theirs.
    expect(page.get_by_test_id("map-label")).to_have_value("5")
    expect(page.get_by_test_id("label-select")).to_have_value("5")
    params = page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
    assert params["label"] == "5" and params["z"] == z_chosen, params


def test_a_late_encode_keeps_the_z_of_a_label_chosen_after_it(page: Page) -> None:
    """A label chosen while the drawing's encode was retried, z left where it was: the answer
    must not move the view to the drawing's μ, encoded for the old label, under the new one
    (review's reading; it held already, as a label change replaces z too: a guard)."""
    info = draw_a_3_while_encode_fails(page, "?model=cvae-mnist-z2&z=1.5,1.5")
    page.get_by_test_id("map-label").select_option("5")
    page.unroute("**/encode")
    expect(info).to_contain_text("μ = (", timeout=15_000)
    params = page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
    assert params["label"] == "5" and params["z"] == "1.5,1.5", params


def test_the_m2_says_what_its_bars_are(page: Page) -> None:
    """The M2's label bars were never explained: q(y|x), the y its cloud takes, and that they name
    a label for a scribble too (">99.9%" for an hourglass)."""
    open_app(page, "?model=m2-mnist-100")
    explain = page.get_by_test_id("explain-draw")
    explain.locator("summary").click()
    note = page.get_by_test_id("reads-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("The bars are q(y|x)")
    expect(note).to_contain_text("q(z|x,y), its cloud and the map use that label")
    expect(note).to_contain_text("not whether the drawing is a digit at all")
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")  # told its label: no bars
    expect(note).to_be_hidden()


def test_a_beta_vae_is_named_and_its_bar_says_what_training_weighted(page: Page) -> None:
    """The picker called the β-VAE a "VAE", and its bar (the plain ELBO) did not say that training
    minimised reconstruction + 10 × KL."""
    open_app(page, "?model=vae-mnist-z16-beta10")
    picked = page.get_by_test_id("model-select").locator("option:checked")
    expect(picked).to_contain_text("(β-VAE, z=16")
    with page.expect_response(lambda r: r.url.endswith("/encode")) as answer:
        draw_stroke(page, SEVEN)
    kl = answer.value.json()["elbo"]["kl"]
    beta = page.get_by_test_id("elbo-beta")
    expect(beta).to_contain_text("Trained with β = 10: it minimised reconstruction + 10 × KL")
    r, k, total = (page.get_by_test_id(f"elbo-{t}").inner_text() for t in ("rec", "kl", "total"))
    rec = round(10 * float(r))  # tenths, as printed
    weighted = round(100 * kl)  # 10 × KL in tenths, from the KL itself: not 10 × its rounding
    said = beta.inner_text().split("(here ")[1].split(")")[0]  # "90.0 + 10 × 3.55 = 90.0 + 35.5 …"
    assert said == (
        f"{r} + 10 × {kl:.2f} = {r} + {weighted / 10:.1f} = {(rec + weighted) / 10:.1f}"
    ), said
    # The −ELBO named by its own sum, the bar's: "that sum" read as the objective's (pass 21).
    expect(beta).to_contain_text(f"The bar counts KL once: {r} + {k} = {total} is the −ELBO")
    # The KL chart says which drawing it scores: its counts and the σ line's could differ.
    expect(page.get_by_test_id("kl-per-dim")).to_contain_text("thresholded at 0.5")
    page.get_by_test_id("model-select").select_option("vae-mnist-z16")  # β = 1: no such line
    draw_stroke(page, SEVEN)
    expect(page.get_by_test_id("elbo-rec")).to_be_visible()
    expect(page.get_by_test_id("elbo-beta")).to_have_count(0)


def test_a_plane_of_idle_dims_says_why_it_is_narrow(page: Page) -> None:
    """The β-VAE's z2 × z3 zoomed to ±0.5: the prior's circles and a drawing's cloud fell out of
    view and nothing said why."""
    open_app(page, "?model=vae-mnist-z16-beta10&plane=2,3")
    note = page.get_by_test_id("range-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Why ±0.5? On this plane the test digits' codes barely move")
    expect(note).to_contain_text("outside this view: pick ±3 to see them.")
    page.get_by_test_id("range-select").select_option("3")
    expect(note).to_contain_text("Its codes need only ±0.5 (the map shows ±3). Why?")
    expect(note).not_to_contain_text("outside this view")
    page.locator("#plane-select").select_option("pca")  # the plane the codes spread over
    expect(note).to_be_hidden()


def test_the_fashion_intro_sends_the_reader_to_an_mnist_strip(page: Page) -> None:
    """ "(see the strip under the item)" sent a Fashion reader to a strip with no PCA in it."""
    open_app(page, "?model=vae-fashion-z2")
    expect(page.get_by_test_id("intro")).to_contain_text(
        "(the strip “Same z, every model” under an MNIST model's decoded digit shows both)"
    )


def test_the_pages_pictures_carry_the_models_version(page: Page) -> None:
    """The map's picture and the server's digits name the model's version, under which the server
    lets the browser keep them for good (without it, for an hour: a model retrained under the
    same id had kept its old pictures for a year; API pass)."""
    with page.expect_response(lambda r: "/grid.png" in r.url, timeout=30_000) as grid:
        open_app(page, "?model=vae-mnist-z2")
    url, cache = grid.value.url, grid.value.headers.get("cache-control")
    assert "&v=" in url and cache == "public, max-age=31536000, immutable", (url, cache)
    href = page.locator("#download-digit").get_attribute("href")
    assert "&v=" in href, href


def test_a_late_encode_keeps_a_map_clicks_label_too(page: Page) -> None:
    """A map click while the drawing's encode was retried kept its z, but the answer then switched
    the label to the drawing's, seconds later and unsaid: the digit clicked turned into another
    (page pass 21). A move of the user's own keeps their whole view."""
    info = draw_a_3_while_encode_fails(page, "?model=cvae-mnist-z2")
    click_map(page, 0.2, 0.2)
    expect(page).to_have_url(re.compile(r"z=-"))  # the click's z written (upper left)
    z_chosen = page.evaluate("() => new URL(location.href).searchParams.get('z')")
    page.unroute("**/encode")
    expect(info).to_contain_text("μ = (", timeout=15_000)
    params = page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
    assert params["label"] == "0" and params["z"] == z_chosen, params
    expect(page.get_by_test_id("map-label")).to_have_value("0")


def test_a_label_picked_under_generate_says_its_samples(page: Page) -> None:
    """The samples were redrawn for the label picked and nothing was said, where a temperature
    changed says them (page pass 21)."""
    open_app(page, "?model=cvae-fashion-z2")
    page.get_by_test_id("label-select").select_option("8")
    expect(page.get_by_test_id("samples-said")).to_have_text(
        "16 samples given the label “Bag”, temperature 1.0, from the same draws."
    )
    page.get_by_test_id("map-label").select_option("3")  # above the map: the map is the news
    expect(page.get_by_test_id("samples-said")).to_have_text("")
