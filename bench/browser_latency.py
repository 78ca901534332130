"""Slider input to new digit on screen, measured in Chromium with performance.now().

Method: Playwright opens the page against a local server. Each round waits a random part of a
frame (inputs arrive at any moment), sets slider z0 to a new value and dispatches its `input`
event (t0), waits for the app's `digit-drawn` event (the PNG fetched, decoded and drawn on the
canvas: "drawn"), then for the next requestAnimationFrame callback, after which that frame is
painted ("on screen"). A second run fires inputs every 8 ms, as a fast drag does, and counts the
requests in flight: coalescing keeps it at one. Usage: python bench/browser_latency.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from latent_explorer.harness import CHROMIUM_ARGS, chromium_path, running_server

SEQUENTIAL = """async (rounds) => {
  const slider = document.querySelector('[data-testid=latent-slider][data-dim="0"]');
  const drawnMs = [], screenMs = [];
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
    await new Promise((r) => requestAnimationFrame(r));
    screenMs.push(performance.now() - t0);
  }
  return { drawnMs, screenMs };
}"""

DRAG = """async (events) => {
  const slider = document.querySelector('[data-testid=latent-slider][data-dim="1"]');
  let frames = 0, inFlightMax = 0, inFlight = 0;
  const origFetch = window.fetch;
  window.fetch = async (...args) => {
    inFlight++; inFlightMax = Math.max(inFlightMax, inFlight);
    try { return await origFetch(...args); } finally { inFlight--; }
  };
  let lastValue = null, resolveLast;
  const last = new Promise((r) => { resolveLast = r; });
  const onDrawn = (e) => {
    frames++;
    if (lastValue !== null && Math.abs(e.detail.z[1] - lastValue) < 1e-9) resolveLast();
  };
  window.addEventListener('digit-drawn', onDrawn);
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const value = -2.5 + (5 * i) / events;
    slider.value = String(value);
    if (i === events - 1) lastValue = Number(slider.value);  // the value the slider holds
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 8));
  }
  await last;
  const lag = performance.now() - t0;
  window.removeEventListener('digit-drawn', onDrawn);
  window.fetch = origFetch;
  return { frames, inFlightMax, seconds: lag / 1000 };
}"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--model", default="vae-mnist-z2")
    args = p.parse_args()
    checkpoints = Path(__file__).resolve().parents[1] / "checkpoints"
    with running_server(checkpoints) as server, sync_playwright() as pw:
        base = server.url
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/?model={args.model}")
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        page.wait_for_timeout(1000)  # let the first decode, samples and grid settle
        page.evaluate(SEQUENTIAL, 20)  # warm-up
        result = page.evaluate(SEQUENTIAL, args.rounds)
        drag = page.evaluate(DRAG, 240)
        browser.close()
    print(
        f"slider input -> new digit, {args.model}, {args.rounds} rounds, Chromium headless, "
        "inputs at random points of a frame"
    )
    for name, key in (("drawn on the canvas", "drawnMs"), ("next frame (on screen)", "screenMs")):
        times = sorted(result[key])
        q = statistics.quantiles(times, n=100)
        print(
            f"  {name:24} median {statistics.median(times):5.1f} ms   p90 {q[89]:5.1f} ms   "
            f"p99 {q[98]:5.1f} ms   max {times[-1]:5.1f} ms"
        )
    print("  (target: median <= 16 ms, one frame at 60 fps)")
    print(
        f"fast drag: 240 inputs 8 ms apart -> {drag['frames']} frames drawn, at most "
        f"{drag['inFlightMax']} request in flight, {drag['seconds']:.2f} s until the last value"
    )


if __name__ == "__main__":
    main()
