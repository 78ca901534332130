"""A Fashion-MNIST model on the page, without the Fashion data set: random-weight checkpoints
written here carry the data set's name and class names, and the page shows those names wherever
labels appear, says what the drawing pad does for clothes, and calls the images items, not
digits. An MNIST VAE and a completion model beside them show the words switching back, and the
completion panel keeping its own model's noun."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from playwright.sync_api import Browser, Page, expect, sync_playwright

from latent_explorer.harness import running_server
from latent_explorer.model import CVAEConfig, VAEConfig, build_model, save_checkpoint
from latent_explorer.model.completion import CompletionConfig
from latent_explorer.model.data import FASHION_CLASSES
from tests.browser import CHROMIUM_ARGS, SCREENSHOTS, chromium_path

NAMES = list(FASHION_CLASSES)
CVAE_ID = "cvae-fashion-z2"
VAE_ID = "vae-fashion-z2"
MNIST_ID = "vae-mnist-z2"
COMPLETION_ID = "completion-mnist"


def write_fashion_checkpoints(folder: Path) -> None:
    """A CVAE and a VAE with random weights, tagged as Fashion-MNIST, each with a small atlas;
    an MNIST VAE and an MNIST completion model beside them, random too."""
    torch.manual_seed(0)
    for model_id, dataset, config in (
        (CVAE_ID, "fashion-mnist", CVAEConfig(latent_dim=2, hidden=(32,))),
        (VAE_ID, "fashion-mnist", VAEConfig(latent_dim=2, hidden=(32,))),
        (MNIST_ID, "mnist", VAEConfig(latent_dim=2, hidden=(32,))),
    ):
        model = build_model(config)
        names = NAMES if dataset == "fashion-mnist" else [str(d) for d in range(10)]
        model.metadata = {"dataset": dataset, "class_names": names, "epochs": 1}
        model.atlas = {"mu": torch.randn(40, 2), "labels": torch.arange(40, dtype=torch.uint8) % 10}
        save_checkpoint(model, folder / f"{model_id}.safetensors")
    completer = build_model(CompletionConfig(latent_dim=4, hidden=(32,), baseline_hidden=()))
    completer.metadata = {"dataset": "mnist", "epochs": 1}
    save_checkpoint(completer, folder / f"{COMPLETION_ID}.safetensors")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fashion-checkpoints")
    write_fashion_checkpoints(folder)
    with running_server(folder) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser: Browser, base_url: str, query: str, viewport: dict) -> Page:
    page = browser.new_context(viewport=viewport, base_url=base_url).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"/{query}")
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return page


def test_models_describe_their_data_set(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/api/models") as response:
        assert response.status == 200
        by_id = {m["id"]: m for m in json.load(response)}
    for model_id in (CVAE_ID, VAE_ID):
        data = by_id[model_id]["data"]
        assert data["name"] == "fashion-mnist" and data["title"] == "Fashion-MNIST"
        # Drawings do not fit clothes; the unconditional VAE gets the names too (for its legend).
        assert data["drawing"] is None and data["class_names"] == NAMES
    assert by_id[VAE_ID]["class_names"] == []  # it takes no label


def test_class_names_wherever_labels_appear(browser: Browser, base_url: str) -> None:
    page = open_page(
        browser, base_url, f"?model={CVAE_ID}&label=9", {"width": 1400, "height": 1000}
    )
    options = page.eval_on_selector_all(
        "[data-testid=label-select] option", "os => os.map(o => o.textContent)"
    )
    assert options == NAMES
    expect(page.get_by_test_id("label-select")).to_have_value("9")
    legend = page.eval_on_selector_all("#legend span", "ss => ss.map(s => s.textContent)")
    assert legend == NAMES
    expect(page.get_by_test_id("legend-title")).to_contain_text("test items")
    captions = page.locator("[data-testid=style-row] figcaption")
    expect(captions).to_have_text(NAMES, timeout=10_000)
    expect(page.locator("#compare-note")).to_contain_text("label Ankle boot for the")
    # The pad's label, with the article each name takes.
    draw_options = page.eval_on_selector_all(
        "[data-testid=draw-label] option", "os => os.map(o => o.textContent)"
    )
    assert draw_options[1:3] == ["a T-shirt or top", "trousers"]
    assert draw_options[-1] == "an ankle boot"
    # The pad says what it does for clothes: no MNIST-style crop and centring.
    note = page.get_by_test_id("pad-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Fashion-MNIST")
    expect(note).to_contain_text("20×20")
    # A drawing is encoded as drawn, and the text names the label with its article.
    page.get_by_test_id("draw-label").select_option("9")
    pad = page.get_by_test_id("draw-pad").bounding_box()
    assert pad is not None
    page.mouse.move(pad["x"] + 60, pad["y"] + 60)
    page.mouse.down()
    page.mouse.move(pad["x"] + 220, pad["y"] + 220, steps=8)
    page.mouse.up()
    expect(page.locator("#encode-info")).to_contain_text("encoded as an ankle boot", timeout=10_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "fashion-desktop.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_label_does_not_cross_data_sets(browser: Browser, base_url: str) -> None:
    """Fashion's 9 is an Ankle boot, MNIST's a 9: switching data sets starts from label 0
    (while a switch between two models of one data set keeps the label)."""
    page = open_page(
        browser, base_url, f"?model={CVAE_ID}&label=9", {"width": 1400, "height": 1000}
    )
    expect(page.get_by_test_id("label-select")).to_have_value("9")
    page.get_by_test_id("model-select").select_option(VAE_ID)  # same data set
    expect(page.get_by_test_id("label-select")).to_have_value("9")
    page.get_by_test_id("model-select").select_option(MNIST_ID)
    expect(page.get_by_test_id("label-select")).to_have_value("0")
    expect(page.locator("#compare-note")).not_to_contain_text("Ankle boot")
    assert page.errors == []  # type: ignore[attr-defined]


def test_unconditional_fashion_model_legend_and_link(browser: Browser, base_url: str) -> None:
    page = open_page(browser, base_url, f"?model={VAE_ID}&t=0.5", {"width": 390, "height": 844})
    legend = page.eval_on_selector_all("#legend span", "ss => ss.map(s => s.textContent)")
    assert legend == NAMES
    expect(page.get_by_test_id("pad-note")).to_be_visible()
    # The temperature travels in the link, both ways.
    expect(page.get_by_test_id("temperature")).to_have_value("0.5")
    page.wait_for_function("() => location.search.includes('t=0.5')")
    # A phone's picker shows a short name; the description below says the rest.
    text = page.locator(f"[data-testid=model-select] option[value='{VAE_ID}']").inner_text()
    assert len(text) <= 30, text
    page.screenshot(path=str(SCREENSHOTS / "fashion-phone.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


# Words that name what the selected model's images show, and where they stand on the page.
HEADINGS = {"#digit-title": "Decoded {item}", "#draw-title": "Draw {an item}"}
LABELLED = {
    "decoded-image": "the {item} decoded from the current latent",
    "map-digit": "the current {item}, small, beside the map on narrow screens",
    "draw-pad": "drawing pad: draw {an item} with mouse, finger or pen, or choose an image file "
    "below",
}


def page_words(page: Page) -> list[str]:
    """Every heading, button, link, legend and aria-label outside the completion panel (which
    follows its own model) and the intro (which describes the shipped MNIST models)."""
    return page.eval_on_selector_all(
        "main :is(h2, h3, button, a, .legend-title, [aria-label])",
        """els => els.filter(e => !e.closest('#complete-panel'))
                    .flatMap(e => [e.textContent, e.getAttribute('aria-label') || ''])""",
    )


def explanations(page: Page) -> list[str]:
    """The text of every explanation outside the completion panel, without its hidden parts
    (a sentence about a model that is not in the compare strip)."""
    return page.eval_on_selector_all(
        "main .explain p",
        """els => els.filter(e => !e.closest('#complete-panel')).map(e => {
             const copy = e.cloneNode(true);
             copy.querySelectorAll('[hidden]').forEach(h => h.remove());
             return copy.textContent;
           })""",
    )


def expect_nouns(page: Page, item: str, an_item: str, items: str) -> None:
    """The marked words say `item` / `items` wherever the selected model's images are named."""

    def words(text: str) -> str:
        return text.replace("{an item}", an_item).replace("{item}", item)

    for selector, text in HEADINGS.items():
        expect(page.locator(selector)).to_have_text(words(text))
    for test_id, text in LABELLED.items():
        expect(page.get_by_test_id(test_id)).to_have_attribute("aria-label", words(text))
    download = page.locator("#download-digit")
    expect(download).to_have_text(f"Download {item}")
    expect(download).to_have_attribute("download", f"{item}.png")
    expect(page.get_by_test_id("legend-title")).to_contain_text(f"test {items} ")
    expect(page.get_by_test_id("explain-map")).to_contain_text(f"the 10,000 test {items} at")
    explain_generate = page.get_by_test_id("explain-generate")
    expect(explain_generate).to_contain_text(f"less varied {items}, and near T = 0")
    expect(page.locator("#encode-info")).to_have_text(
        f"Draw, then lift the pen: the {item} is encoded (or choose an image file)."
    )


def test_nouns_follow_the_selected_model(browser: Browser, base_url: str) -> None:
    page = open_page(browser, base_url, f"?model={MNIST_ID}", {"width": 1400, "height": 1000})
    expect_nouns(page, "digit", "a digit", "digits")
    page.get_by_test_id("model-select").select_option(VAE_ID)
    expect_nouns(page, "item", "an item", "items")
    stray = [w for w in page_words(page) + explanations(page) if "digit" in w.lower()]
    assert stray == []
    # The pad skips MNIST's crop for clothes, and its explanation says so.
    expect(page.locator("#draw-prep")).to_contain_text("as it is, with no crop or centring")
    # Clearing the pad brings its prompt back in the model's words.
    page.get_by_role("button", name="Clear the drawing").click()
    prompt = "Draw, then lift the pen: the item is encoded (or choose an image file)."
    expect(page.locator("#encode-info")).to_have_text(prompt)
    page.get_by_test_id("model-select").select_option(MNIST_ID)
    expect_nouns(page, "digit", "a digit", "digits")
    expect(page.locator("#draw-prep")).to_contain_text("centred like MNIST")
    assert page.errors == []  # type: ignore[attr-defined]


def test_completion_panel_keeps_its_own_noun(browser: Browser, base_url: str) -> None:
    """The completion panel shows completion-mnist whatever model the rest of the page shows."""
    page = open_page(browser, base_url, f"?model={CVAE_ID}", {"width": 1400, "height": 1000})
    expect(page.locator("#digit-title")).to_have_text("Decoded item")
    panel = page.locator("#complete-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#complete-title")).to_have_text("Complete a digit")
    page.get_by_test_id("model-select").select_option(VAE_ID)
    expect(page.locator("#draw-title")).to_have_text("Draw an item")
    expect(page.locator("#complete-title")).to_have_text("Complete a digit")
    assert page.errors == []  # type: ignore[attr-defined]
