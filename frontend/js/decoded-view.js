// The large, pixel-crisp view of the current digit and its latency readout.

/**
 * @param {HTMLCanvasElement} canvas a 28x28 canvas, scaled up by CSS with pixelated rendering
 * @param {HTMLElement} latencyEl
 * @param {HTMLCanvasElement | null} [mirror] a small copy (kept in view beside the map on phones)
 */
export function createDecodedView(canvas, latencyEl, mirror = null) {
  const ctx = canvas.getContext("2d");
  const contexts = mirror ? [ctx, mirror.getContext("2d")] : [ctx];
  const recent = [];

  /**
   * Draw a PNG blob; `startedAt` is when its request was made (performance.now()). `wanted` is
   * asked once the bitmap is ready, just before painting: false drops the frame (a model switch
   * happened while the blob was being decoded).
   * @param {Blob} blob
   * @param {number} startedAt
   * @param {() => boolean} [wanted]
   * @returns {Promise<number | null>} the latency in ms, or null when the frame was dropped
   */
  async function draw(blob, startedAt, wanted = () => true) {
    const bitmap = await createImageBitmap(blob);
    if (!wanted()) {
      bitmap.close();
      return null;
    }
    for (const c of contexts) {
      c.clearRect(0, 0, c.canvas.width, c.canvas.height);
      c.drawImage(bitmap, 0, 0, c.canvas.width, c.canvas.height);
    }
    bitmap.close();
    const ms = performance.now() - startedAt;
    recent.push(ms);
    if (recent.length > 20) recent.shift();
    const sorted = [...recent].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    latencyEl.textContent = `decode ${ms.toFixed(1)} ms (median of last ${recent.length}: ${median.toFixed(1)} ms)`;
    return ms;
  }

  /** Blank the digit (a model switch: the old model's digit is no answer for the new one). */
  function clear() {
    for (const c of contexts) c.clearRect(0, 0, c.canvas.width, c.canvas.height);
  }

  return { draw, clear };
}
