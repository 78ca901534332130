"""The page decodes in the browser (frontend/js/decoder.js) as the server does, stays off the
network while the pointer moves, and falls back to the server when the decoder file is missing
or corrupt."""

from __future__ import annotations

import itertools
import json
import re
import urllib.request

import numpy as np
import pytest
import torch
from playwright.sync_api import Page, expect

from latent_explorer.model import CVAEConfig, build_model
from latent_explorer.model.decoder_file import export_decoder
from tests import test_browser as shared
from tests.test_browser import decoded_pixels, open_app, shoot, wait_decoded

# The page's fixtures, shared: a server, Chromium, and a page that fails on any console error.
base_url, browser, page = shared.base_url, shared.browser, shared.page

WALKABLE = [
    "ae-mnist-z2",
    "vae-mnist-z2",
    "cvae-mnist-z2",
    "vae-mnist-z16",
    "m2-mnist-100",
    "pca-mnist-z2",
    "vae-fashion-z2",
    "cvae-fashion-z2",
    "vae-mnist-z16-beta10",
]
N_LATENTS = 50
DECODER_ROUTE = "**/decoder.safetensors*"
SERVER_DECODES = re.compile(r"/(decode\.png|decode|generate|interpolate)(\?|$)")

# The page's own decoder module on the model's advertised file: the code the page runs.
DECODE_IN_PAGE = """async ({ url, zs, labels }) => {
  const { parseDecoder } = await import('/assets/js/decoder.js');
  const decoder = parseDecoder(await (await fetch(url)).arrayBuffer());
  return zs.map((z, i) => Array.from(decoder.decode(z, labels ? labels[i] : null)));
}"""


def api(base_url: str, path: str, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{base_url}{path}", data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def wait_where(page: Page, where: str) -> None:
    page.wait_for_selector(f"[data-testid=decode-note][data-where={where}]", timeout=10_000)


@pytest.mark.parametrize("model_id", WALKABLE)
def test_page_decodes_within_a_gray_level_of_the_server(
    page: Page, base_url: str, model_id: str
) -> None:
    models = {m["id"]: m for m in api(base_url, "/api/models")}
    assert {m for m, info in models.items() if info["capabilities"]["walkable"]} == set(WALKABLE)
    info = models[model_id]
    open_app(page, f"?model={model_id}")
    wait_where(page, "browser")
    rng = np.random.default_rng(sum(map(ord, model_id)))
    zs = rng.uniform(-4, 4, (N_LATENTS, info["latent_dim"])).round(4).tolist()
    k = info["num_classes"]
    labels = rng.integers(0, k, N_LATENTS).tolist() if k else None
    local = np.array(
        page.evaluate(DECODE_IN_PAGE, {"url": info["decoder"]["url"], "zs": zs, "labels": labels})
    )
    body = {"z": zs, "output": "probs", **({"labels": labels} if labels else {})}
    server = np.array(api(base_url, f"/api/models/{model_id}/decode", body)["images"])
    error = np.abs(local.reshape(N_LATENTS, -1) - server.reshape(N_LATENTS, -1)).max()
    assert error <= 1 / 255, f"{model_id} ({info['decoder']['dtype']}): {error * 255:.2f} levels"


def test_pointer_and_sliders_never_wait_on_the_server(page: Page) -> None:
    """With the decoder loaded, the digit, style row, samples and interpolation are local."""
    open_app(page, "?model=cvae-mnist-z2")
    wait_where(page, "browser")
    # The compare strip's cells (the same z in the other 2-d models) load those models' decoders
    # on first use; once they have, every cell is drawn in the page too.
    page.wait_for_function(
        """() => {
            const imgs = [...document.querySelectorAll('[data-testid=compare-strip] img')];
            return imgs.length > 1 && imgs.every((i) => i.src.startsWith('data:'));
        }""",
        timeout=20_000,
    )
    asked: list[str] = []  # any decode asked of the server: fetches and <img> loads alike
    page.on("request", lambda r: asked.append(r.url) if SERVER_DECODES.search(r.url) else None)
    before = decoded_pixels(page)
    box = page.get_by_test_id("latent-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    after = wait_decoded(page, before)
    page.get_by_role("button", name="A = current").click()
    slider = page.locator("[data-testid=latent-slider][data-dim='0']")
    slider.focus()
    page.keyboard.press("End")
    wait_decoded(page, after)
    page.get_by_role("button", name="B = current").click()
    expect(page.get_by_test_id("interpolation").locator("img")).to_have_count(10)
    first = page.get_by_test_id("samples").locator("img").first.get_attribute("src")
    page.get_by_test_id("temperature").fill("0.5")
    page.wait_for_function(
        "src => document.querySelector('[data-testid=samples] img').src !== src", arg=first
    )
    expect(page.get_by_test_id("style-row").locator("img")).to_have_count(10)
    expect(page.get_by_test_id("latency")).to_contain_text("in the browser")
    assert asked == [], asked
    shoot(page, "decoded-in-browser")


def decoded_on_server(page: Page) -> None:
    """The fallback: a quiet line says so, and the digit, style row and samples still come."""
    open_app(page, "?model=cvae-mnist-z2")
    wait_where(page, "server")
    expect(page.get_by_test_id("decode-note")).to_have_text(re.compile("on the server"))
    expect(page.get_by_role("alert")).to_be_hidden()
    before = decoded_pixels(page)
    page.locator("[data-testid=latent-slider][data-dim='1']").focus()
    page.keyboard.press("End")
    wait_decoded(page, before)
    expect(page.get_by_test_id("latency")).to_contain_text("on the server")
    expect(page.get_by_test_id("style-row").locator("img")).to_have_count(10)
    expect(page.get_by_test_id("samples").locator("img")).to_have_count(16)


def test_decoder_404_falls_back_to_the_server(page: Page) -> None:
    page.route(
        DECODER_ROUTE,
        lambda r: r.fulfill(
            status=404, content_type="application/json", body='{"detail": [{"msg": "gone"}]}'
        ),
    )
    decoded_on_server(page)
    # Chromium itself logs every failed load ("Failed to load resource ... 404"); that line is the
    # browser's record of the 404 we asked for, not an error of the page's code. Nothing else.
    page.allow_errors = True
    # One such line per decoder file asked for: the digit's and the compare strip's models'.
    others = [e for e in page.errors if not e.startswith("Failed to load resource")]
    assert others == [] and page.errors, page.errors
    shoot(page, "decoder-404")


def test_corrupt_decoder_falls_back_to_the_server(page: Page) -> None:
    def corrupt(route) -> None:
        body = bytearray(route.fetch().body())
        body[len(body) // 2] ^= 0xFF  # one flipped byte in the weights
        route.fulfill(status=200, content_type="application/octet-stream", body=bytes(body))

    page.route(DECODER_ROUTE, corrupt)
    decoded_on_server(page)
    page.unroute_all(behavior="ignoreErrors")  # the strip's files may still be in the handler


def test_parser_refuses_what_is_not_a_decoder(page: Page) -> None:
    open_app(page)
    reasons = page.evaluate(
        """async (url) => {
          const { parseDecoder, halfToFloat, DecoderFormatError } =
            await import('/assets/js/decoder.js');
          const good = await (await fetch(url)).arrayBuffer();
          const tries = {
            truncated: good.slice(0, good.byteLength - 100),
            empty: new ArrayBuffer(4),
            huge_header: good.slice(0),
            not_json: good.slice(0),
          };
          new DataView(tries.huge_header).setUint32(0, 1e9, true);
          new Uint8Array(tries.not_json)[8] = 0x41;  // the header's opening brace
          const out = {};
          for (const [name, buf] of Object.entries(tries)) {
            try { parseDecoder(buf); out[name] = 'parsed'; }
            catch (e) { out[name] = e instanceof DecoderFormatError ? 'refused' : String(e); }
          }
          out.ok = parseDecoder(good).stages.length;
          out.halves = [0x3c00, 0xc000, 0x0001, 0x7bff, 0xfc00].map(halfToFloat)
            .map((v) => (Number.isFinite(v) ? v : String(v)));
          return out;
        }""",
        "/api/models/vae-mnist-z2/decoder.safetensors",
    )
    assert reasons.pop("ok") == 1
    assert reasons.pop("halves") == [1, -2, 2**-24, 65504, "-Infinity"]
    assert set(reasons.values()) == {"refused"}, reasons


def test_local_interpolation_follows_the_servers_path(page: Page, base_url: str) -> None:
    open_app(page)
    ends = [
        ([1.5, -0.5], [-1.0, 2.0]),
        ([1.0, 0.5], [-2.0, -1.0]),
        ([1.0, 0.0], [-1.0, 0.001]),
        ([-2.1, 2.1], [2.45, -2.1]),  # nearly opposite, unequal norms (page pass 4)
    ]
    for (a, b), method in itertools.product(ends, ("linear", "slerp")):
        local = page.evaluate(
            """async ([a, b, m]) => (await import('/assets/js/latent-paths.js'))
                 .interpolatePath(a, b, 10, m)""",
            [a, b, method],
        )
        body = {"start": {"z": a}, "end": {"z": b}, "steps": 10, "method": method}
        server = api(base_url, "/api/models/vae-mnist-z2/interpolate", body)["z"]
        assert np.allclose(local, server, atol=1e-5), (a, b, method)


def fulfil_with(body: bytes):
    """A route handler answering with these bytes (Playwright passes (route, request))."""
    return lambda route, _request: route.fulfill(status=200, body=body)


def test_page_runs_every_activation_a_stage_may_declare(page: Page) -> None:
    """A kind with ReLU, tanh or softplus decodes as torch does, and so does a CVAE whose every
    decoder layer reads the label (one stage per layer, each closed by its activation)."""
    open_app(page)
    kinds = [(a, False) for a in ("relu", "tanh", "softplus")] + [("elu", True), ("tanh", True)]
    for activation, every_layer in kinds:
        torch.manual_seed(0)
        config = CVAEConfig(
            latent_dim=3, hidden=(16, 8), activation=activation, label_every_layer=every_layer
        )
        model = build_model(config)
        data = export_decoder(model, "float32").data
        url = f"/tiny-{activation}-{every_layer}.safetensors"
        page.route(f"**{url}", fulfil_with(data))
        rng = np.random.default_rng(0)
        zs = rng.uniform(-3, 3, (8, 3)).astype(np.float32)
        labels = list(range(8))
        local = page.evaluate(DECODE_IN_PAGE, {"url": url, "zs": zs.tolist(), "labels": labels})
        with torch.no_grad():
            ref = torch.sigmoid(model.decode(torch.from_numpy(zs), torch.tensor(labels)))
        error = np.abs(np.array(local) - ref.reshape(8, -1).numpy()).max()
        assert error < 1e-5, (activation, every_layer, error)


SAMPLE_SPREAD = """() => {
  // Mean over pixels of the standard deviation across the 16 sample images.
  const imgs = [...document.querySelectorAll('[data-testid=samples] img')];
  const c = document.createElement('canvas');
  c.width = c.height = 28;
  const ctx = c.getContext('2d');
  const px = imgs.map((img) => {
    ctx.drawImage(img, 0, 0);
    return Array.from(ctx.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
  });
  let total = 0;
  for (let i = 0; i < 784; i++) {
    const v = px.map((p) => p[i]);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    total += Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return total / 784;
}"""


def test_samples_drawn_in_the_browser_follow_the_temperature(page: Page) -> None:
    open_app(page)
    wait_where(page, "browser")
    spread = {}
    for t in ("0.1", "2"):
        first = page.get_by_test_id("samples").locator("img").first.get_attribute("src")
        page.get_by_test_id("temperature").fill(t)
        page.get_by_test_id("temperature").dispatch_event("change")
        page.wait_for_function(
            "src => document.querySelector('[data-testid=samples] img').src !== src", arg=first
        )
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=samples] img')]"
            ".every((i) => i.complete)"
        )
        spread[t] = page.evaluate(SAMPLE_SPREAD)
    # z ~ N(0, T^2 I): at T = 0.1 the 16 digits differ far less than at T = 2.
    assert spread["0.1"] < 0.5 * spread["2"], spread


def test_first_digit_does_not_wait_for_the_atlas(page: Page) -> None:
    """Over a slow network the test set's atlas (tens of KB) comes last: the digit is drawn from the
    decoder as soon as it is parsed, while the atlas request is still held."""
    held = []
    page.route("**/atlas*", lambda route: held.append(route))  # not answered yet: held
    page.goto("/?model=vae-mnist-z2")
    wait_decoded(page)
    assert held, "the page asked for no atlas"
    wait_where(page, "browser")
    for route in held:
        route.continue_()
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
