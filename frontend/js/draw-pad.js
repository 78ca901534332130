// A drawing pad for mouse, touch and pen (pointer events). White ink on black, like MNIST.

// MNIST strokes are ~2-3 px wide in 28x28 once the digit is fitted into 20x20; on a 280 px pad
// a digit drawn at about two thirds of the height gets scaled by ~0.1, so ~20 px matches.
const STROKE_WIDTH = 20;
// The size (points' extent, in pad pixels) of a digit drawn "about two thirds of the height": a
// smaller drawing is read as if drawn at this size with the same pen (see fittedPixels).
const FITTED_EXTENT = 187;
// Every stroke is read back (toPixels): a context made for reading keeps the pixels in memory, and
// Chromium no longer warns on each readback that a GPU-backed canvas is slow to read.
const CONTEXT_OPTIONS = { willReadFrequently: true };

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{onStroke: () => void}} handlers called when a stroke ends
 */
export function createDrawPad(canvas, { onStroke }) {
  const ctx = canvas.getContext("2d", CONTEXT_OPTIONS);
  let drawing = false;
  let last = null;
  let hasInk = false;
  // What was drawn, as marks to draw again (fittedPixels): [x0, y0, x1, y1, width] (a dot: the
  // same point twice). null once an image is shown, which has no strokes to draw again.
  let marks = [];

  function clear() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    marks = [];
  }

  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) / rect.width) * canvas.width,
      ((event.clientY - rect.top) / rect.height) * canvas.height,
    ];
  }

  // Pens report pressure; mice report 0.5 while pressed. Keep the width near MNIST's.
  const widthAt = (pressure) => STROKE_WIDTH * (0.75 + 0.5 * (pressure || 0.5));

  /** A line from `from` to `to`, or a dot where they are one point; kept to be drawn again. */
  function line(from, to, pressure) {
    const mark = [...from, ...to, widthAt(pressure)];
    paint(ctx, mark);
    marks?.push(mark);
    hasInk = true;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    line(last, last, event.pressure); // a tap's dot
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = point(e);
      line(last, p, e.pressure);
      last = p;
    }
  });
  const end = (event) => {
    if (!drawing) return;
    drawing = false;
    canvas.releasePointerCapture?.(event.pointerId);
    onStroke();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  // No page scroll or zoom while drawing on touch screens (CSS touch-action: none does the rest).
  canvas.addEventListener("touchmove", (e) => e.preventDefault(), { passive: false });

  clear();

  /** Show a loaded image (a 28x28 as the server read an upload) on the pad, as ink to draw over. */
  function showImage(img) {
    clear();
    ctx.imageSmoothingEnabled = false; // its 28x28 pixels as blocks, as toPixels will read them
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    hasInk = true;
    marks = null;
  }

  /** Move the drawing by (dx, dy) pixels of its 28x28 reading; what leaves the pad is gone. */
  function shift(dx, dy) {
    const block = canvas.width / 28;
    const drawn = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const moved = marks?.map(([x0, y0, x1, y1, w]) =>
      [x0 + dx * block, y0 + dy * block, x1 + dx * block, y1 + dy * block, w]);
    clear();
    ctx.putImageData(drawn, dx * block, dy * block);
    hasInk = toPixels(canvas).some((v) => v > 0);
    marks = moved ?? null;
  }

  /** The box of the strokes' points, [left, top, right, bottom] (a loop: a long session's
   *  marks would pass the engine's limit on a spread's arguments). */
  function bounds() {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x0, y0, x1, y1] of marks) {
      box[0] = Math.min(box[0], x0, x1);
      box[1] = Math.min(box[1], y0, y1);
      box[2] = Math.max(box[2], x0, x1);
      box[3] = Math.max(box[3], y0, y1);
    }
    return box;
  }

  /** The drawing's size: the larger side of its strokes' bounding box, in pad pixels (0 for a
   *  tap); null for an image shown on the pad. */
  function extent() {
    if (!marks || !marks.length) return null;
    const [left, top, right, bottom] = bounds();
    return Math.max(right - left, bottom - top);
  }

  /**
   * The 28x28 reading of the drawing as if drawn at least FITTED_EXTENT large, with the same pen,
   * for a model that fits digits into MNIST's 20x20 box. Read as drawn, a small digit's strokes
   * were scaled up with it: a 7 drawn 80 px tall reached the encoder as a fat blob and landed
   * among the 4s and 9s (page pass 15; the same strokes drawn large, among the 7s). An image
   * shown on the pad, or a drawing that large already, is read as it is.
   */
  function fittedPixels() {
    const size = extent();
    if (size === null || size >= FITTED_EXTENT || size === 0) return toPixels(canvas);
    const scale = FITTED_EXTENT / size;
    const [left, top, right, bottom] = bounds();
    const [cx, cy] = [(left + right) / 2, (top + bottom) / 2];
    const [mx, my] = [canvas.width / 2, canvas.height / 2];
    const at = (x, y) => [mx + (x - cx) * scale, my + (y - cy) * scale];
    const page = document.createElement("canvas");
    [page.width, page.height] = [canvas.width, canvas.height];
    const pageCtx = page.getContext("2d", CONTEXT_OPTIONS);
    pageCtx.fillStyle = "#000";
    pageCtx.fillRect(0, 0, page.width, page.height);
    for (const [x0, y0, x1, y1, w] of marks) paint(pageCtx, [...at(x0, y0), ...at(x1, y1), w]);
    return toPixels(page);
  }


  /** Whether the drawing can move by (dx, dy) pixels without ink (a pixel at `inkLevel` or
   *  more) leaving the pad: ink pushed past an edge was lost, and a drawing moved off wiped the
   *  pad (page pass 13). A stroke's faint anti-aliased edge does not count (review). */
  function canShift(dx, dy, inkLevel) {
    const pixels = toPixels(canvas);
    const lost = (r, c) => (dx < 0 && c < -dx) || (dx > 0 && c >= 28 - dx) ||
      (dy < 0 && r < -dy) || (dy > 0 && r >= 28 - dy);
    return !pixels.some((v, i) => v >= inkLevel && lost(Math.floor(i / 28), i % 28));
  }

  return { clear, showImage, shift, canShift, extent, fittedPixels, toPixels: () => toPixels(canvas),
           hasInk: () => hasInk, isDrawing: () => drawing };
}

/**
 * Draw one mark in white: a round-capped line, or a dot where both ends are one point (a
 * zero-length line draws nothing in Chromium, so a tap needs its own mark).
 * @param {CanvasRenderingContext2D} ctx @param {number[]} mark [x0, y0, x1, y1, width]
 */
function paint(ctx, [x0, y0, x1, y1, width]) {
  ctx.fillStyle = "#fff";
  ctx.strokeStyle = "#fff";
  ctx.beginPath();
  if (x0 === x1 && y0 === y1) {
    ctx.arc(x0, y0, width / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = width;
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/**
 * Average the pad's pixel blocks into 28x28 values in [0, 1] (row-major). Sent as JSON instead of
 * a PNG: canvas.toBlob was seen taking ~1 s after a dragged stroke in headless Chromium (issue 12;
 * 13-39 ms when measured again), this takes ~1 ms.
 * The server still does all of the MNIST-style normalization (crop, fit, centre).
 * @param {HTMLCanvasElement} canvas a square canvas whose side is a multiple of 28
 * @returns {number[]} 784 values
 */
export function toPixels(canvas) {
  // The options count only where this is the canvas's first context (a pad already has its own).
  const ctx = canvas.getContext("2d", CONTEXT_OPTIONS);
  const { data, width } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const block = width / 28;
  const out = new Array(784).fill(0);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      out[Math.floor(y / block) * 28 + Math.floor(x / block)] += data[(y * width + x) * 4];
    }
  }
  return out.map((v) => Math.min(1, v / (255 * block * block)));
}
