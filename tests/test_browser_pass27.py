"""The twenty-seventh new-user pass (a learner fresh from the study notes, over the CVAE, the M2,
the completion panel, Fashion and shared links; notes/s19/page-pass27-report.md)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import PHONE, open_app

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def test_the_m2s_decoder_does_not_name_m1s_code_as_a_slider(page: Page) -> None:
    """ "p(z1 | z,y)" sat under the slider named z1, for M1's 50-d code."""
    open_app(page, "?model=m2-mnist-100")
    explain = page.get_by_test_id("explain-digit")
    explain.locator("summary").click()
    expect(explain).to_contain_text("the mean of p(h | z,y), a point h among the 50-d codes")
    expect(explain).not_to_contain_text("z1")


def test_a_pressed_sample_says_so_where_it_was_pressed(browser, base_url: str) -> None:  # noqa: ANN001
    """The digit, sliders and map it moves were 900-2,600 px above; the screen did not change."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=base_url)
    phone = context.new_page()
    open_app(phone, "?model=vae-mnist-z2&seed=7")
    picks = phone.get_by_test_id("samples").locator("button")
    expect(picks).to_have_count(16)
    line = phone.get_by_test_id("samples-picked")
    expect(line).to_be_hidden()
    picks.nth(3).scroll_into_view_if_needed()
    picks.nth(3).tap()
    expect(picks.nth(3)).to_have_attribute("aria-pressed", "true")
    expect(picks.nth(2)).to_have_attribute("aria-pressed", "false")
    expect(line).to_contain_text("Sample 4 is the current z (z0 ")
    expect(line).to_contain_text("the digit, the sliders and the map above show it")
    digit = phone.get_by_test_id("decoded-image")
    assert not digit.evaluate("e => e.getBoundingClientRect().bottom > 0")  # far above
    line.get_by_role("button", name="Show it above ↑").tap()
    phone.wait_for_function(
        """() => { const r = document.querySelector('[data-testid=decoded-image]')
                     .getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"""
    )
    # z moved elsewhere: the sample is no longer the current z.
    phone.get_by_role("button", name="Reset to 0").click()
    expect(line).to_be_hidden()
    expect(picks.nth(3)).to_have_attribute("aria-pressed", "false")
    context.close()


def test_the_two_pca_figures_say_why_they_differ(page: Page) -> None:
    """ "against 43.6 for PCA" under the picker, "PCA 43.5" in the strip, no word why."""
    open_app(page, "?model=vae-mnist-z2")
    expect(page.get_by_test_id("model-figures")).to_contain_text(
        "against 43.6 for a projection onto PCA's first 2 directions"
    )
    expect(page.get_by_test_id("compare-recon")).to_contain_text(
        "PCA 43.5 (PCA's is its posterior mean decoded within [0, 1]; a plain projection onto its "
        "2 directions gives 43.6, the figure each other model is compared with)"
    )


def test_notation_and_words_follow_the_notes(page: Page) -> None:
    open_app(page, "?model=cvae-mnist-z2")
    glossary = page.get_by_test_id("glossary")
    glossary.locator("summary").click()
    # Given the label, as the panels and note 002 write it.
    expect(glossary).to_contain_text("q(z|x,y), μ and σ")
    expect(glossary).to_contain_text("is from the prior's bell")
    expect(glossary.locator("dd").nth(6)).to_contain_text("its cloud q(z|x,y) is from")
    # True of the M2 too, whose bound sums the label out (page pass 28).
    expect(glossary).to_contain_text(
        "never below −log p(x) (for a model told the label, −log p(x|y))"
    )
    expect(glossary).to_contain_text("reparameterization")
    expect(glossary).to_contain_text("z = μ + σ·ε")
    # The completion model's prior depends on the visible part; the label CVAE's does not.
    explain = page.get_by_test_id("explain-complete")
    explain.locator("summary").click()
    expect(explain).to_contain_text("the label CVAE above keeps the prior N(0, I)")
    expect(page.get_by_test_id("intro")).to_contain_text("a CVAE over the codes of a VAE")


def test_the_m2s_figures_and_legend(page: Page) -> None:
    open_app(page, "?model=m2-mnist-100")
    figures = page.get_by_test_id("model-figures")
    expect(figures).to_contain_text("−ELBO 90.9 nats, a bound on −log p(x) through both models")
    expect(figures).to_contain_text("read as that label 99.8% of the time")
    expect(figures).to_contain_text("itself wrong on 2.1% of the test set")
    expect(page.get_by_test_id("legend-title")).to_contain_text(
        "coloured by their true label; given the label it reads (for a misread one, not the "
        "colour's)"
    )
    # Fashion's CVAE gives its judged share too (the README's §3 figure).
    page.get_by_test_id("model-select").select_option("cvae-fashion-z2")
    expect(figures).to_contain_text("read as that label 79.6% of the time")


def test_the_figures_box_waits_for_figures_and_fashion_speaks_of_its_own(page: Page) -> None:
    html = page.request.get("/").text()
    box = 'id="model-figures-box" class="figures" data-testid="model-figures-box" open hidden'
    assert box in html  # shown once a model's figures are known
    open_app(page, "?model=vae-fashion-z2")
    explain = page.get_by_test_id("explain-generate")
    explain.locator("summary").click()
    expect(explain).to_contain_text("as the MNIST 2-d VAE's 3s and 5s do")
