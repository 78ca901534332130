"""A Fashion-MNIST model on the page, without the Fashion data set: random-weight checkpoints
written here carry the data set's name and class names, and the page shows those names wherever
labels appear and says what the drawing pad does for clothes."""

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
from latent_explorer.model.data import FASHION_CLASSES
from tests.browser import CHROMIUM_ARGS, SCREENSHOTS, chromium_path

NAMES = list(FASHION_CLASSES)
CVAE_ID = "cvae-fashion-z2"
VAE_ID = "vae-fashion-z2"


def write_fashion_checkpoints(folder: Path) -> None:
    """A CVAE and a VAE with random weights, tagged as Fashion-MNIST, each with a small atlas."""
    torch.manual_seed(0)
    for model_id, config in (
        (CVAE_ID, CVAEConfig(latent_dim=2, hidden=(32,))),
        (VAE_ID, VAEConfig(latent_dim=2, hidden=(32,))),
    ):
        model = build_model(config)
        model.metadata = {"dataset": "fashion-mnist", "class_names": NAMES, "epochs": 1}
        model.atlas = {"mu": torch.randn(40, 2), "labels": torch.arange(40, dtype=torch.uint8) % 10}
        save_checkpoint(model, folder / f"{model_id}.safetensors")


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
    assert draw_options[1] == "a T-shirt/top" and draw_options[-1] == "an Ankle boot"
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
    expect(page.locator("#encode-info")).to_contain_text("encoded as an Ankle boot", timeout=10_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "fashion-desktop.png"), full_page=True)
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
