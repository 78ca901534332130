"""The page teaches (issue 11): axes, each model's own range, the compare strip, a drawing in nats,
samples of q(z|x), the KL of each dim, temperature, and PCA beside the AE and the VAE."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import test_browser as tb
from tests.test_browser import (
    SEVEN,
    decoded_pixels,
    draw_stroke,
    open_app,
    sample_zs,
    shoot,
    wait_decoded,
)

# The page tests' fixtures: a real server on a free port, Debian's Chromium, a desktop page.
base_url, browser, page = tb.base_url, tb.browser, tb.page

MODELS_2D = {"ae-mnist-z2", "vae-mnist-z2", "cvae-mnist-z2", "pca-mnist-z2"}


def atlas_share_inside(page: Page, model: str, r: float) -> float:
    """The share of the model's atlas points with both coordinates inside ±r."""
    return page.evaluate(
        """async ([model, r]) => {
            const a = await (await fetch(`api/models/${model}/atlas`)).json();
            const inside = a.points.filter(([x, y]) => Math.abs(x) <= r && Math.abs(y) <= r);
            return inside.length / a.points.length;
        }""",
        [model, r],
    )


def range_of(page: Page) -> float:
    page.wait_for_selector("#sliders[data-range]")
    return float(page.get_by_test_id("range-select").input_value())


def test_map_has_axes_a_legend_title_and_the_prior(page: Page) -> None:
    open_app(page)
    expect(page.get_by_test_id("axis-x")).to_have_text("z0 →")
    expect(page.get_by_test_id("axis-y")).to_have_text("↑ z1")
    assert page.locator("#map-axes .tick-x").count() >= 3
    expect(page.get_by_test_id("legend-title")).to_contain_text("posterior mean")
    for k in (1, 2):
        expect(page.get_by_test_id(f"prior-{k}sigma")).to_have_attribute("visibility", "visible")
    r1 = float(page.get_by_test_id("prior-1sigma").get_attribute("r"))
    r2 = float(page.get_by_test_id("prior-2sigma").get_attribute("r"))
    assert r2 == pytest.approx(2 * r1) and r1 == pytest.approx(560 / (2 * range_of(page)))
    explains = page.locator("details.explain")
    assert explains.count() >= 6  # one per panel, folded
    summary = page.get_by_test_id("explain-map").locator("summary")
    expect(page.get_by_test_id("explain-map").locator("p")).to_be_hidden()
    summary.click()
    expect(page.get_by_test_id("explain-map").locator("p")).to_contain_text("1σ and 2σ")
    open_app(page, "?model=vae-mnist-z16")
    expect(page.get_by_test_id("axis-x")).to_have_text("PC1 →")
    expect(page.get_by_test_id("legend-title")).to_contain_text("PCA plane")


def test_each_model_gets_its_own_range(page: Page) -> None:
    open_app(page, "?model=ae-mnist-z2")
    r = range_of(page)
    assert r > 20  # the AE's codes are far from the prior's ±3
    assert atlas_share_inside(page, "ae-mnist-z2", r) >= 0.95
    assert atlas_share_inside(page, "ae-mnist-z2", 3) < 0.5
    slider = page.locator("[data-testid=latent-slider][data-dim='0']")
    assert float(slider.get_attribute("max")) == r and float(slider.get_attribute("min")) == -r
    note = page.get_by_test_id("range-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("no prior")
    expect(note).to_contain_text("N(0, I)")
    expect(page.get_by_test_id("prior-1sigma")).to_have_attribute("visibility", "hidden")
    expect(page.get_by_test_id("legend-title")).to_contain_text("code z(x)")
    shoot(page, "ae-range")
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    page.wait_for_function("() => Number(document.querySelector('#range-select').value) < 10")
    r = range_of(page)
    assert 3 <= r <= 4 and atlas_share_inside(page, "vae-mnist-z2", r) >= 0.95
    expect(page.get_by_test_id("range-note")).to_be_hidden()


def _settled(page: Page, selectors: list[str], quiet_ms: int = 400) -> list[str]:
    """The images' src once none has changed for `quiet_ms` (at most 20 tries)."""
    read = "sels => sels.map(s => document.querySelector(s).src)"
    srcs = page.evaluate(read, selectors)
    for _ in range(20):
        page.wait_for_timeout(quiet_ms)
        now = page.evaluate(read, selectors)
        if now == srcs:
            return now
        srcs = now
    raise AssertionError(f"the images kept changing: {selectors}")


def test_compare_strip_shows_every_2d_model_and_follows_z(page: Page) -> None:
    open_app(page)
    strip = page.get_by_test_id("compare-strip").locator("img")
    expect(strip).to_have_count(len(MODELS_2D))
    models = set(strip.evaluate_all("imgs => imgs.map(i => i.dataset.model)"))
    assert models == MODELS_2D
    # The explanation's sentences on PCA and the AE show while those models are in the strip.
    about = page.locator("[data-strip-model]")
    expect(about).to_have_count(2)
    assert about.evaluate_all("els => els.map(e => e.hidden)") == [False, False]
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=compare-strip] img')]"
        ".every(i => i.complete && i.naturalWidth === 28)"
    )
    before = strip.evaluate_all("imgs => imgs.map(i => i.src)")
    page.locator("[data-testid=latent-slider][data-dim='0']").focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "before => [...document.querySelectorAll('[data-testid=compare-strip] img')]"
        ".every((i, k) => i.src !== before[k])",
        arg=before,
    )
    after = strip.evaluate_all("imgs => imgs.map(i => i.src)")
    # Decoded in the page with each model's decoder, or (until it is loaded) by the server.
    assert all(src.startswith("data:image/png") or "z=" in src for src in after)
    # The CVAE decodes with the current label: a new label changes its cell and not the VAE's.
    page.get_by_test_id("model-select").select_option("cvae-mnist-z2")
    expect(page.get_by_test_id("label-select")).to_be_enabled()
    cell = "[data-testid=compare-strip] img[data-model='%s']"
    page.wait_for_function(
        "sel => document.querySelector(sel).src.startsWith('data:')", arg=cell % "cvae-mnist-z2"
    )
    # The switch also moves z (to the new model's start), a moment later: record the cells only
    # once it has (the map's plane is set in the same task) and they have stopped changing, else
    # that move is taken for the label's effect (race audit: ~0.2 s of slack under load).
    page.wait_for_selector("[data-testid=latent-map][data-plane]")
    cvae, vae = _settled(page, [cell % m for m in ("cvae-mnist-z2", "vae-mnist-z2")])
    page.get_by_test_id("label-select").select_option("7")
    page.wait_for_function(
        "([sel, src]) => document.querySelector(sel).src !== src",
        arg=[cell % "cvae-mnist-z2", cvae],
    )
    assert page.locator(cell % "vae-mnist-z2").get_attribute("src") == vae
    expect(page.locator("#compare-strip figure.current")).to_have_count(1)


def test_a_drawing_in_nats(page: Page) -> None:
    open_app(page)
    elbo = page.get_by_test_id("elbo")
    expect(elbo).to_be_hidden()
    draw_stroke(page, SEVEN)
    expect(elbo).to_be_visible()
    rec = float(page.get_by_test_id("elbo-rec").inner_text())
    kl = float(page.get_by_test_id("elbo-kl").inner_text())
    total = float(page.get_by_test_id("elbo-total").inner_text())
    assert rec > 0 and kl > 0
    assert round(rec + kl, 1) == total  # the sum adds up as shown
    widths = page.locator("[data-testid=elbo-bar] span").evaluate_all(
        "els => els.map(e => parseFloat(e.style.width))"
    )
    assert sum(widths) == pytest.approx(100, abs=0.2)
    assert widths[0] / 100 == pytest.approx(rec / total, abs=0.01)
    expect(page.get_by_test_id("elbo-percentile")).to_contain_text("of the test digits")
    expect(page.get_by_test_id("kl-per-dim")).to_be_hidden()  # two dims: the bar says it


def test_a_scribble_is_unlike_the_training_digits(page: Page) -> None:
    open_app(page)
    zigzag = [(0.1 + 0.08 * k, 0.15 if k % 2 == 0 else 0.85) for k in range(11)]
    draw_stroke(page, zigzag)
    expect(page.get_by_test_id("elbo-percentile")).to_contain_text("does not look like the digits")
    shoot(page, "scribble")


def test_posterior_samples_are_drawn_and_drawn_again(page: Page) -> None:
    open_app(page)
    draw_stroke(page, SEVEN)
    samples = page.get_by_test_id("posterior-samples").locator("img")
    expect(samples).to_have_count(16)
    dots = page.locator("[data-testid=posterior-dots] circle")
    expect(dots).to_have_count(16)
    marker = page.get_by_test_id("encode-marker")
    cx, cy = float(marker.get_attribute("cx")), float(marker.get_attribute("cy"))
    rx = max(float(marker.get_attribute("rx")), float(marker.get_attribute("ry")))
    spots = dots.evaluate_all("ds => ds.map(d => [+d.getAttribute('cx'), +d.getAttribute('cy')])")
    assert all(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 <= 5 * rx for x, y in spots)  # near mu
    before = spots
    page.get_by_test_id("posterior-again").click()
    page.wait_for_function(
        "x0 => +document.querySelector('[data-testid=posterior-dots] circle')"
        ".getAttribute('cx') !== x0",
        arg=before[0][0],
    )
    expect(samples).to_have_count(16)
    shoot(page, "posterior")


def test_z16_shows_the_kl_of_each_dim(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z16")
    # The compare strip still shows the 2-d models (with z0, z1 of the 16-d z).
    expect(page.get_by_test_id("compare-strip").locator("img")).to_have_count(len(MODELS_2D))
    expect(page.locator("#compare-note")).to_contain_text("z0, z1")
    draw_stroke(page, SEVEN)
    bars = page.get_by_test_id("kl-per-dim").locator(".kl-dim")
    expect(bars).to_have_count(16)
    heights = bars.locator("span").evaluate_all("els => els.map(e => parseFloat(e.style.height))")
    assert max(heights) == pytest.approx(100) and min(heights) >= 0
    shoot(page, "z16-kl")


def test_temperature_reaches_new_samples(page: Page) -> None:
    # The server's path (the page decodes there without its decoder file): it decodes the z the
    # page drew, T times the seed's ε; the samples drawn in the browser are tested in
    # test_browser_decoder.py and test_browser_sample_seed.py.
    page.route("**/decoder.safetensors*", lambda route: route.fulfill(status=404))
    page.allow_errors = True  # Chromium logs the 404 it was asked to give
    open_app(page, "?model=vae-mnist-z2&seed=11")
    slider = page.get_by_test_id("temperature")
    with page.expect_request(
        lambda r: r.url.endswith("/decode") and len(r.post_data_json["z"]) == 16
    ) as request:
        slider.fill("0.3")
        slider.dispatch_event("change")
    drawn = sample_zs(page, 11, 0.3)
    sent = request.value.post_data_json["z"]
    assert [[round(v, 9) for v in z] for z in sent] == [[round(v, 9) for v in z] for z in drawn]
    expect(page.locator("#temperature-value")).to_have_text("0.3")
    expect(page.get_by_test_id("samples").locator("img")).to_have_count(16)


def test_pca_decodes_and_encodes(page: Page) -> None:
    open_app(page, "?model=pca-mnist-z2")
    before = decoded_pixels(page)
    page.locator("[data-testid=latent-slider][data-dim='0']").focus()
    page.keyboard.press("End")
    wait_decoded(page, before)
    draw_stroke(page, SEVEN)
    expect(page.get_by_test_id("encode-marker")).to_be_visible()
    expect(page.locator("#encode-info")).to_contain_text("mean σ")
    expect(page.get_by_test_id("elbo")).to_contain_text("likelihood of its binary pixels")
    expect(page.get_by_test_id("posterior-samples").locator("img")).to_have_count(16)
    expect(page.locator("#posterior-note")).to_contain_text("exact posterior p(z|x)")
    expect(page.get_by_test_id("prior-2sigma")).to_have_attribute("visibility", "visible")
    shoot(page, "pca")


def test_the_ae_has_no_distribution_to_sample(page: Page) -> None:
    open_app(page, "?model=ae-mnist-z2")
    draw_stroke(page, SEVEN)
    expect(page.locator("#posterior-note")).to_contain_text("single point")
    expect(page.get_by_test_id("posterior-samples").locator("img")).to_have_count(0)
    expect(page.get_by_test_id("posterior-again")).to_be_hidden()
    # The heading says what the note says: a point, not a distribution.
    expect(page.locator("#posterior h3")).to_have_text("z(x) is a point")
