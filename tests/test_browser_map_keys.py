"""The map's classes told apart without their hues, and the notice's alert without its button
(left items of page pass 22): the legend named ten classes by colour alone, so a reader who
does not see those hues apart could not tell which cloud of dots was which; and the alert held
its own dismiss button, so "Dismiss the message" and a stray "×" were part of every failure."""

from __future__ import annotations

import statistics

from playwright.sync_api import Page, expect

from tests import test_browser
from tests.test_browser import link_note, open_app

base_url = test_browser.base_url
browser = test_browser.browser
page = test_browser.page

SIZE, RANGE_ATTR = 560, "range-select"


def keys_on_map(page: Page) -> dict[int, tuple[float, float]]:
    return {
        int(label): (float(x), float(y))
        for label, x, y in page.eval_on_selector_all(
            "[data-testid=class-keys] text",
            "ts => ts.map(t => [t.textContent, t.getAttribute('x'), t.getAttribute('y')])",
        )
    }


def test_each_class_is_numbered_at_the_middle_of_its_dots(page: Page, base_url: str) -> None:
    open_app(page, "?model=vae-mnist-z2")
    keys = page.locator("[data-testid=class-keys] text")
    expect(keys).to_have_count(10)
    atlas = page.request.get(f"{base_url}/api/models/vae-mnist-z2/atlas").json()
    span = float(page.locator(f"#{RANGE_ATTR}").input_value())
    shown = keys_on_map(page)
    for label in range(10):
        own = [p for p, y in zip(atlas["points"], atlas["labels"], strict=True) if y == label]
        x = statistics.median(p[0] for p in own)
        y = statistics.median(p[1] for p in own)
        px, py = (x + span) / (2 * span) * SIZE, (span - y) / (2 * span) * SIZE
        # At its dots' median, or moved up or down off a neighbour's key (at most a key's height).
        assert abs(shown[label][0] - px) < 0.5 and abs(shown[label][1] - py) <= 26, (label, shown)
    # No two keys overlap ("5" and "3" centred close together read "53").
    for a in range(10):
        for b in range(a + 1, 10):
            (ax, ay), (bx, by) = shown[a], shown[b]
            assert abs(ax - bx) >= 20 or abs(ay - by) >= 26, (a, b, shown[a], shown[b])
    # They go with the dots.
    page.locator("#scatter-toggle").uncheck()
    expect(keys).to_have_count(0)
    page.locator("#scatter-toggle").check()
    expect(keys).to_have_count(10)
    expect(page.get_by_test_id("legend-title")).to_contain_text(
        "a label's number, where there is room for it, marks the middle of its dots"
    )


def test_a_named_class_carries_its_number_in_the_legend(page: Page) -> None:
    open_app(page, "?model=vae-fashion-z2")
    expect(page.locator("[data-testid=class-keys] text")).to_have_count(10)
    swatches = page.eval_on_selector_all(
        "#legend span",
        "ss => ss.map(s => [s.textContent, getComputedStyle(s, '::before').content])",
    )
    assert [content for _, content in swatches] == [f'"{k}"' for k in range(10)], swatches
    assert swatches[0][0] == "T-shirt/top"
    # On MNIST the name is the number: no swatch repeats it.
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    expect(page.locator("#legend span").first).to_have_text("0")
    content = page.eval_on_selector("#legend span", "s => getComputedStyle(s, '::before').content")
    assert content in ('""', "none", "normal"), content


def test_the_spoken_words_are_the_message_alone(page: Page) -> None:
    """The × and "Dismiss the message" were part of every spoken message (page pass 22); here
    a link's note, said as a status since review 17."""
    page.allow_errors = True  # type: ignore[attr-defined]  # the refused model is logged
    page.goto("/?model=no-such-model")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    alert = link_note(page)
    expect(alert).to_be_visible()
    assert "×" not in alert.inner_text()
    assert alert.locator("button").count() == 0
    dismiss = page.get_by_test_id("notice").get_by_role("button", name="Dismiss the message")
    dismiss.click()
    expect(page.get_by_test_id("notice")).to_be_hidden()
    expect(alert).to_be_hidden()


def test_keys_moved_apart_stay_on_the_map(page: Page) -> None:
    """Two classes centred together at the top edge: moved apart, one went past the edge and was
    dropped without a word (review 17)."""
    open_app(page, "?model=vae-mnist-z2")
    ys = page.evaluate(
        """async () => {
            const { drawClassKeys } = await import('/assets/js/class-keys.js');
            const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
            const toPx = ([x, y]) => [((x + 3) / 6) * 560, ((3 - y) / 6) * 560];
            drawClassKeys(g, [{ label: 0, x: 0, y: 2.99, yLow: 2, yHigh: 3 },
                              { label: 1, x: 0, y: 2.98, yLow: 2, yHigh: 3 }], toPx,
                          560, ['#fff', '#fff']);
            return [...g.children].map((t) => Number(t.getAttribute('y')));
        }"""
    )
    assert len(ys) == 2 and all(13 <= y <= 547 for y in ys), ys


def test_a_conditional_models_map_numbers_no_class(page: Page) -> None:
    """Its codes are given their labels, so every label's dots share one cloud: ten numbers were
    stacked at its middle, as if the classes had places."""
    open_app(page, "?model=cvae-mnist-z2&label=3")
    title = page.get_by_test_id("legend-title")
    expect(title).to_contain_text("every label's dots share one cloud")
    expect(page.locator("[data-testid=class-keys] text")).to_have_count(0)
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    expect(page.locator("[data-testid=class-keys] text")).to_have_count(10)


def test_one_median_serves_the_keys_and_the_latency_line(page: Page) -> None:
    """The latency line's median took the upper middle of an even count (1, 2, 3, 4 -> 3) while
    the class keys' took the mean of the two (-> 2.5): one helper now, the usual definition."""
    open_app(page)
    got = page.evaluate(
        """async () => {
            const { median } = await import('/assets/js/median.js');
            return [median([4, 1, 3, 2]), median([5, 1, 3]), median([7])];
        }"""
    )
    assert got == [2.5, 3, 7]


def test_classes_too_close_to_number_apart_are_not_numbered(page: Page) -> None:
    """On a β-VAE's switched-off dims every class sits within ±0.04 of 0: moved apart, the ten
    numbers stood in a column from +0.15 to -0.17, an order by class the dots do not have, under
    "each label's number marks the middle of its dots" (page pass 25)."""
    open_app(page, "?model=vae-mnist-z16-beta10&plane=1,2")
    expect(page.get_by_test_id("keys-note")).to_contain_text("No class is numbered on this view")
    expect(page.get_by_test_id("class-keys").locator("text")).to_have_count(0)
    # Nor does the legend promise the numbers it cannot show (page pass 26: "each label's
    # number marks the middle of its dots" over a map with none).
    expect(page.get_by_test_id("legend-title")).to_contain_text("where there is room for it")
    # The AE at ±130: its 0, 1 and 5 lie apart, the seven others within a few pixels.
    page.get_by_test_id("model-select").select_option("ae-mnist-z2")
    expect(page.get_by_test_id("keys-note")).to_contain_text(
        "Not numbered on this view: 2, 3, 4, 6, 7, 8, 9, whose middles lie closer together"
    )
    expect(page.get_by_test_id("class-keys").locator("text")).to_have_count(3)
    # Where the classes lie apart, they are numbered and nothing is said.
    page.get_by_test_id("model-select").select_option("vae-mnist-z2")
    expect(page.get_by_test_id("class-keys").locator("text")).to_have_count(10)
    expect(page.get_by_test_id("keys-note")).to_be_hidden()
