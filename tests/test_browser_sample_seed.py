"""The samples' seed in the link (page pass 25's left item: a teacher's link showed a student
other samples, the server's /generate and the browser drawing z from different generators). The
page draws z = T·ε from a seed it keeps, whoever decodes them; the link carries the seed."""

from __future__ import annotations

import urllib.parse

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import open_app, sample_zs

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page


def samples(page: Page) -> list[str]:
    """The 16 samples' images as shown."""
    row = page.get_by_test_id("samples").locator("img")
    expect(row).to_have_count(16)
    return row.evaluate_all("imgs => imgs.map((i) => i.src)")


def link_seed(page: Page) -> str:
    page.wait_for_function("() => new URLSearchParams(location.search).has('seed')")
    query = urllib.parse.parse_qs(page.evaluate("() => location.search").lstrip("?"))
    return query["seed"][0]


def test_a_link_shows_the_samples_its_sender_saw(page: Page, browser, base_url: str) -> None:  # noqa: ANN001
    open_app(page, "?model=vae-mnist-z2")
    first = samples(page)
    seed = link_seed(page)
    page.get_by_role("button", name="New samples").click()
    page.wait_for_function(
        "seed => new URLSearchParams(location.search).get('seed') !== seed", arg=seed
    )
    pressed = link_seed(page)
    page.wait_for_function(
        "first => document.querySelector('[data-testid=samples] img').src !== first", arg=first[0]
    )
    shown = samples(page)
    assert shown != first
    # Another visitor opens the link: the same 16 samples, decoded in their browser.
    other = page.context.new_page()
    open_app(other, page.evaluate("() => location.search"))
    assert link_seed(other) == pressed
    assert samples(other) == shown
    # And when the server decodes them (no decoder file): the same z, so the same digits.
    served = browser.new_page(base_url=base_url)
    served.route("**/decoder.safetensors*", lambda route: route.abort())
    with served.expect_request(lambda r: r.url.endswith("/vae-mnist-z2/decode")) as sent:
        open_app(served, page.evaluate("() => location.search"))
    zs = sent.value.post_data_json["z"]
    expected = sample_zs(served, int(pressed), 1.0)
    pairs = zip(zs, expected, strict=True)
    flat = [(a, b) for za, zb in pairs for a, b in zip(za, zb, strict=True)]
    assert len(flat) == 32 and all(abs(a - b) < 1e-9 for a, b in flat)
    served.close()
    other.close()


def test_a_new_temperature_scales_the_same_draws(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2&seed=4242")
    samples(page)
    # The samples pressed move z to them: z is the sample's, T times the seed's ε.
    page.get_by_test_id("samples").locator("img").nth(3).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('z') !== '0,0'")
    z1 = page.evaluate("() => new URLSearchParams(location.search).get('z')")
    want = sample_zs(page, 4242, 1.0)[3]
    assert [round(v, 4) for v in want] == [float(v) for v in z1.split(",")]
    slider = page.get_by_test_id("temperature")
    slider.fill("0.5")
    slider.dispatch_event("change")
    expect(page.get_by_test_id("samples-said")).to_have_text(
        "16 samples, temperature 0.5, from the same draws."
    )
    page.wait_for_function("() => location.search.includes('t=0.5')")
    assert link_seed(page) == "4242"
    page.get_by_test_id("samples").locator("img").nth(3).click()
    page.wait_for_function("z1 => new URLSearchParams(location.search).get('z') !== z1", arg=z1)
    z2 = page.evaluate("() => new URLSearchParams(location.search).get('z')")
    assert [round(v / 2, 4) for v in want] == [float(v) for v in z2.split(",")]


def test_a_seed_the_page_cannot_read_is_said(page: Page) -> None:
    open_app(page, "?model=vae-mnist-z2&seed=12x")
    expect(page.get_by_test_id("notice")).to_contain_text(
        "The link's seed (12x) is not a whole number from 0 to 4294967295: other samples are drawn."
    )
    assert link_seed(page) != "12x"
