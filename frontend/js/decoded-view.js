// The large, pixel-crisp view of the current digit and its latency readout.

import { median } from "./median.js";

/**
 * @param {HTMLCanvasElement} canvas a 28x28 canvas, scaled up by CSS with pixelated rendering
 * @param {HTMLElement} latencyEl
 * @param {HTMLCanvasElement | null} [mirror] a small copy (kept in view beside the map on phones)
 */
export function createDecodedView(canvas, latencyEl, mirror = null) {
  const ctx = canvas.getContext("2d");
  const contexts = mirror ? [ctx, mirror.getContext("2d")] : [ctx];
  const recent = [];

  let lastWhere = null;

  /**
   * Draw a decoded digit and say where it was decoded and how long it took. `wanted` is asked
   * just before painting: false drops the frame (a model switch happened meanwhile).
   * @param {{where: "browser"|"server", image: ImageData|ImageBitmap}} digit from decode-source.js
   * @param {number} startedAt performance.now() when the decode was asked for
   * @param {() => boolean} [wanted]
   * @returns {number | null} milliseconds from the ask to the drawing, or null when dropped
   */
  function show({ where, image }, startedAt, wanted = () => true) {
    if (!wanted()) {
      if (!(image instanceof ImageData)) image.close();
      return null;
    }
    for (const c of contexts) {
      c.canvas.classList.remove("stale");
      if (image instanceof ImageData) {
        c.putImageData(image, 0, 0); // the canvases are 28x28, the digit's own size
      } else {
        c.clearRect(0, 0, c.canvas.width, c.canvas.height);
        c.drawImage(image, 0, 0, c.canvas.width, c.canvas.height);
      }
    }
    if (!(image instanceof ImageData)) image.close();
    const ms = performance.now() - startedAt;
    if (where !== lastWhere) recent.length = 0; // a median across both places would mean nothing
    lastWhere = where;
    recent.push(ms);
    if (recent.length > 20) recent.shift();
    const typicalMs = median(recent);
    const place = where === "browser" ? "in the browser" : "on the server";
    // A median of one is no median ("median of last 1", page pass 24), but its room is kept:
    // dropped, the line was shorter until the second decode, and the pad moved 16 px under a
    // finger mid-stroke on a phone (page pass 21). Kept in place, unseen and unread.
    const typical = document.createElement("span");
    typical.dataset.testid = "latency-median";
    typical.textContent = ` (median of last ${recent.length}: ${typicalMs.toFixed(1)} ms)`;
    typical.style.visibility = recent.length > 1 ? "" : "hidden";
    latencyEl.replaceChildren(`decoded ${place} in ${ms.toFixed(1)} ms`, typical);
    latencyEl.dataset.where = where;
    return ms;
  }

  /**
   * The newest decode failed: the digit still shown is an earlier z's. It is dimmed and the
   * readout says so (it went on reporting the last success; page pass 8). The next digit drawn
   * lifts it.
   * @param {string} reason what went wrong, in words
   */
  function stale(reason) {
    for (const c of contexts) c.canvas.classList.add("stale");
    // After a model switch nothing may have been drawn yet (review: "an earlier z" on a blank).
    const shown = recent.length ? ": what is shown is for an earlier z" : "";
    latencyEl.textContent = `not decoded (${reason})${shown}`;
    latencyEl.dataset.where = "failed";
  }

  /**
   * Blank the digit and start the latency readout afresh (a model switch: the old model's digit
   * is no answer for the new one, and a median over two models' decoders would mean nothing).
   */
  function clear() {
    for (const c of contexts) {
      c.clearRect(0, 0, c.canvas.width, c.canvas.height);
      c.canvas.classList.remove("stale");
    }
    recent.length = 0;
    latencyEl.textContent = "–";
  }

  return { show, stale, clear };
}
