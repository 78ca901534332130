"""The page at two network distances: slider input to new digit, a fast drag, and page load.

Method: Playwright opens the page against a local server in a fresh browser context (empty cache)
with Chromium's network emulation (DevTools protocol `Network.emulateNetworkConditions`, latency
0 or 100 ms, no throughput limit). Decoding runs in the browser (the page's decoder file), or on
the server when the page is denied that file (a `fetch` wrapper answers 404 for it, as a broken
deployment would). Per model:
- slider input -> digit changed on the canvas: each round waits a random part of a frame, sets
  slider z0 and dispatches its `input` event (t0), and waits for the app's `digit-drawn` event;
- a 2 s drag: an input every 16 ms on slider z1; the digits drawn are counted (distinct values);
- page load -> first digit drawn (performance.now() at the first `digit-drawn`, from navigation
  start), where it was decoded, and the decoder bytes fetched (Resource Timing's body size).
Usage: python bench/browser_latency.py [--rounds N] [--latency 0 100] [--models ...]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from latent_explorer.harness import CHROMIUM_ARGS, chromium_path, running_server

MODELS = ["vae-mnist-z2", "cvae-mnist-z2", "m2-mnist-100"]
DRAG_SECONDS, DRAG_EVERY_MS = 2.0, 16

# Before any page script: note the first digit, and (server mode) deny the decoder file.
FIRST_DIGIT = """window.addEventListener('digit-drawn', (e) => {
  if (!window.__firstDigit) window.__firstDigit = { ms: performance.now(), where: e.detail.where };
});"""
DENY_DECODER = """{ const f = window.fetch;
  window.fetch = (url, ...rest) => String(url).includes('decoder.safetensors')
    ? Promise.resolve(new Response('', { status: 404 })) : f(url, ...rest); }"""

SEQUENTIAL = """async (rounds) => {
  const slider = document.querySelector('[data-testid=latent-slider][data-dim="0"]');
  const drawnMs = [];
  for (let i = 0; i < rounds; i++) {
    // Inputs come at any moment of a frame: wait a random part of one before each.
    await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => setTimeout(r, Math.random() * 16));
    const drawn = new Promise((r) => window.addEventListener('digit-drawn', r, { once: true }));
    const t0 = performance.now();
    slider.value = String(-2.5 + (5 * i) / rounds);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    const event = await drawn;
    drawnMs.push(event.detail.drawnAt - t0);
  }
  return drawnMs;
}"""

DRAG = """async ([seconds, every]) => {
  const slider = document.querySelector('[data-testid=latent-slider][data-dim="1"]');
  const drawn = new Set();
  let lastValue = null, resolveLast;
  const last = new Promise((r) => { resolveLast = r; });
  const onDrawn = (e) => {
    drawn.add(e.detail.z[1]);
    if (lastValue !== null && Math.abs(e.detail.z[1] - lastValue) < 1e-9) resolveLast();
  };
  window.addEventListener('digit-drawn', onDrawn);
  const inputs = Math.round((seconds * 1000) / every);
  const t0 = performance.now();
  for (let i = 0; i < inputs; i++) {
    slider.value = String(-2.5 + (5 * i) / inputs);
    if (i === inputs - 1) lastValue = Number(slider.value);  // the value the slider holds
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, every));
  }
  const lastSent = performance.now();
  await Promise.race([last, new Promise((r) => setTimeout(r, 5000))]);
  const settle = performance.now() - lastSent;
  window.removeEventListener('digit-drawn', onDrawn);
  return { inputs, drawn: drawn.size, seconds: (lastSent - t0) / 1000, settleMs: settle };
}"""

# decoder.js alone: one digit, as the page runs it (after the page has loaded the same file).
DECODE_COST = """async (model) => {
  const { parseDecoder } = await import('./assets/js/decoder.js');
  const info = (await (await fetch('api/models')).json()).find((m) => m.id === model);
  const decoder = parseDecoder(await (await fetch(info.decoder.url.slice(1))).arrayBuffer());
  const label = decoder.numLabels ? 3 : null, ms = [];
  const z = () => Array.from({ length: decoder.latentDim }, () => 6 * Math.random() - 3);
  // Batches of 10: the page's clock has 0.1 ms steps. The first 5 batches warm the JIT.
  for (let batch = 0; batch < 25; batch++) {
    const zs = Array.from({ length: 10 }, z);
    const t0 = performance.now();
    for (const v of zs) decoder.decode(v, label);
    if (batch >= 5) ms.push((performance.now() - t0) / 10);
  }
  return ms.sort((a, b) => a - b)[ms.length >> 1];
}"""

LOAD = """() => ({
  first: window.__firstDigit,
  decoderBytes: performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('decoder.safetensors'))
    .reduce((s, e) => s + e.encodedBodySize, 0),
})"""


def run(browser, base: str, model: str, latency: int, mode: str, rounds: int) -> dict:
    """One fresh context (nothing cached) on one model at one emulated latency."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(FIRST_DIGIT)
    if mode == "server":
        context.add_init_script(DENY_DECODER)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.goto(f"{base}/?model={model}")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.wait_for_selector(f"[data-testid=decode-note][data-where={mode}]", timeout=30_000)
    page.wait_for_function("() => window.__firstDigit", timeout=30_000)
    load = page.evaluate(LOAD)
    page.wait_for_timeout(500)  # let samples, style row and grid settle
    page.evaluate(SEQUENTIAL, 10)  # warm-up
    times = sorted(page.evaluate(SEQUENTIAL, rounds))
    drag = page.evaluate(DRAG, [DRAG_SECONDS, DRAG_EVERY_MS])
    cost = page.evaluate(DECODE_COST, model) if mode == "browser" else None
    context.close()
    return {"times": times, "drag": drag, "load": load, "cost": cost}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--latency", type=int, nargs="+", default=[0, 100])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument(
        "--modes", nargs="+", default=["browser", "server"], choices=["browser", "server"]
    )
    args = p.parse_args()
    checkpoints = Path(__file__).resolve().parents[1] / "checkpoints"
    rows = []
    with running_server(checkpoints) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for latency in args.latency:
            for mode in args.modes:
                for model in args.models:
                    rows.append(
                        (
                            latency,
                            mode,
                            model,
                            run(browser, server.url, model, latency, mode, args.rounds),
                        )
                    )
        browser.close()
    print(
        f"Chromium headless, fresh context per row, one uvicorn worker on the CPU (127.0.0.1), "
        f"emulated latency (CDP), {args.rounds} slider rounds, a {DRAG_SECONDS:.0f} s drag at one "
        f"input per {DRAG_EVERY_MS} ms"
    )
    print(
        f"{'latency':>7} {'decoded':8} {'model':14} {'input->digit median':>19} {'p90':>8} "
        f"{'drag: digits drawn':>20} {'last value':>10} {'load->1st digit':>16} "
        f"{'decoder bytes':>14}"
    )
    for latency, mode, model, r in rows:
        t, d, load = r["times"], r["drag"], r["load"]
        p90 = statistics.quantiles(t, n=10)[8]
        share = 100 * d["drawn"] / d["inputs"]
        first = load["first"]
        print(
            f"{latency:>4} ms {mode:8} {model:14} {statistics.median(t):16.1f} ms {p90:5.1f} ms "
            f"{d['drawn']:>7}/{d['inputs']} ({share:3.0f}%) {d['settleMs']:7.0f} ms "
            f"{first['ms']:6.0f} ms ({first['where'][0]}) {load['decoderBytes']:>14,}"
        )
    costs = {model: r["cost"] for _, _, model, r in rows if r["cost"] is not None}
    print(
        "decoder.js, one digit (median of 20 batches of 10, JIT warm): "
        + ", ".join(f"{m} {ms:.2f} ms" for m, ms in costs.items())
    )
    print(
        "targets: input->digit median <= 16 ms; drag >= 90% of inputs drawn; first digit <= 1 s "
        "at 100 ms (b: decoded in the browser, s: on the server); last value: from the drag's "
        "last input to its digit"
    )


if __name__ == "__main__":
    main()
